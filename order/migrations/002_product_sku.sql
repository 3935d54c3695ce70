-- The catalog's SKU of a product (product.* events carry it; null when the product has none, and
-- for events published before it) and the copy an order line takes of it when it is written.
alter table products add column sku text;
alter table order_items add column sku text;
