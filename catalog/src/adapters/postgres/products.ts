import { type Result, err, ok } from '@shop/shared-kernel/result'
import type { Q, TxSql } from '@shop/shared-kernel/postgres/connect'
import type { ErrorOf } from '../../domain/errors.ts'
import { nameKey } from '../../domain/name-key.ts'
import type { NewProduct, Product, ProductFilter, ProductSort } from '../../domain/product.ts'
import { type Shortage, type StockLine, hasShortage, shortage } from '../../domain/stock.ts'
import type { Page, Paged } from '@shop/shared-kernel/app'
import type { ProductReads, Products } from '../../ports.ts'
import { type ProductRow, toProduct } from './rows.ts'

/** LIKE pattern for a literal substring: its own \, % and _ are escaped (with `escape '\'`). */
const containsPattern = (s: string): string => `%${s.replace(/[\\%_]/g, '\\$&')}%`

export function postgresProductReads(sql: Q): ProductReads {
  const withCategory = () => sql`
    select p.id, p.name, p.description, p.price, p.stock, p.category_id, p.created_at, p.updated_at, p.version,
      c.name as category_name, c.level as category_level
    from products p join categories c on c.id = p.category_id`

  const subtree = (f: ProductFilter) => f.categoryId !== undefined && f.includeSubcategories !== false

  // The subtree's ids, gathered once per statement (one recursive CTE, whatever the depth) and
  // used as an array (an init plan, run once): `= any(...)` then reads products_category per id.
  const scope = (f: ProductFilter) =>
    subtree(f)
      ? sql`with recursive sub as (
              select ${f.categoryId!}::bigint as id
              union all
              select c.id from categories c join sub on c.parent_id = sub.id
            )`
      : sql``

  // Fragments compose; user input only ever travels as a bound parameter.
  const where = (f: ProductFilter) => sql`
    where true
    ${subtree(f) ? sql`and p.category_id = any(array(select id from sub))` : f.categoryId !== undefined ? sql`and p.category_id = ${f.categoryId}` : sql``}
    ${f.minPrice !== undefined ? sql`and p.price >= ${f.minPrice}::numeric` : sql``}
    ${f.maxPrice !== undefined ? sql`and p.price <= ${f.maxPrice}::numeric` : sql``}
    ${f.inStock === true ? sql`and p.stock > 0` : f.inStock === false ? sql`and p.stock = 0` : sql``}
    ${f.q ? sql`and (p.name ilike ${containsPattern(f.q)} escape '\\' or p.description ilike ${containsPattern(f.q)} escape '\\')` : sql``}`

  // Only the category narrows the products: their number is in category_product_counts.
  const countsSuffice = (f: ProductFilter) => f.minPrice === undefined && f.maxPrice === undefined && f.inStock === undefined && !f.q

  // The scope's total, exact either way (see list()).
  const total = (f: ProductFilter) =>
    !countsSuffice(f)
      ? sql`(select count(*)::int from products p ${where(f)})`
      : subtree(f)
        ? sql`(select coalesce(sum(n.products), 0)::int from category_product_counts n where n.category_id = any(array(select id from sub)))`
        : f.categoryId !== undefined
          ? sql`(select coalesce(sum(n.products), 0)::int from category_product_counts n where n.category_id = ${f.categoryId})`
          : sql`(select coalesce(sum(n.products), 0)::int from category_product_counts n)`

  // Each order ends with the id so that pages never overlap; a descending sort is the exact reverse.
  const orderBy = (s: ProductSort) =>
    ({
      id: sql`p.id`,
      name: sql`p.name_key, p.id`,
      '-name': sql`p.name_key desc, p.id desc`,
      price: sql`p.price, p.id`,
      '-price': sql`p.price desc, p.id desc`,
      created_at: sql`p.created_at, p.id`,
      '-created_at': sql`p.created_at desc, p.id desc`,
    })[s]

  return {
    async byId(id) {
      const [row] = await sql<ProductRow[]>`${withCategory()} where p.id = ${id}`
      return row && toProduct(row)
    },

    /**
     * One statement: the page is cut as ids from products alone (index-only when only the
     * category and the id matter), then only its rows are read and joined to their categories;
     * the total is an uncorrelated subquery, run once. (Measured with prepared statements, this
     * beats both two statements and a `count(*) over ()`.) When the category is the only filter,
     * the total is the sum of the exact per-category counts (category_product_counts, kept by
     * triggers in every product write's transaction) over the scope's categories, rather than a
     * count of all its products: for a subtree of 1,900 categories and 19,000 products that is
     * about 0.2 ms instead of 5 ms. Any other filter counts the matching products.
     */
    async list(f: ProductFilter, page: Page): Promise<Paged<Product>> {
      const sort = f.sort ?? 'id'
      const rows = await sql<(ProductRow & { total: number })[]>`
        ${scope(f)}
        select p.id, p.name, p.description, p.price, p.stock, p.category_id, p.created_at, p.updated_at, p.version,
          c.name as category_name, c.level as category_level,
          ${total(f)} as total
        from (select p.id from products p ${where(f)} order by ${orderBy(sort)} limit ${page.limit} offset ${page.offset}) page
        join products p on p.id = page.id
        join categories c on c.id = p.category_id
        order by ${orderBy(sort)}`
      if (rows[0] || page.offset === 0) return { items: rows.map(toProduct), total: rows[0]?.total ?? 0 }
      // Past the last page there is no row to carry the total.
      const [count] = await sql<{ n: number }[]>`${scope(f)} select ${total(f)} as n`
      return { items: [], total: count?.n ?? 0 }
    },
  }
}

export function postgresProducts(tx: TxSql): Products {
  const reads = postgresProductReads(tx)
  const ids = (lines: readonly StockLine[]) => lines.map((l) => l.productId)
  const quantities = (lines: readonly StockLine[]) => lines.map((l) => l.quantity)

  // Rows are locked in id order by every multi-row stock change, so two of them never deadlock.
  const lockInOrder = (lines: readonly StockLine[]) =>
    tx<{ id: number; stock: number }[]>`select id, stock from products where id in ${tx(ids(lines))} order by id for update`

  /** Adds `sign * quantity` to each line's product (bumping its version) and reads them back with their category. */
  const adjust = (lines: readonly StockLine[], sign: 1 | -1, now: Date) => tx<ProductRow[]>`
    with lines as (
      select * from unnest(${ids(lines)}::bigint[], ${quantities(lines)}::int[]) as l(id, quantity)
    ), changed as (
      update products p set stock = p.stock + ${sign}::int * lines.quantity, version = p.version + 1, updated_at = ${now}
      from lines
      where p.id = lines.id and p.stock + ${sign}::int * lines.quantity >= 0
      returning p.*
    )
    select changed.id, changed.name, changed.description, changed.price, changed.stock, changed.category_id,
      changed.created_at, changed.updated_at, changed.version, c.name as category_name, c.level as category_level
    from changed join categories c on c.id = changed.category_id
    order by changed.id`

  return {
    ...reads,

    async byId(id, lock = false) {
      const [row] = await tx<ProductRow[]>`
        select p.id, p.name, p.description, p.price, p.stock, p.category_id, p.created_at, p.updated_at, p.version,
          c.name as category_name, c.level as category_level
        from products p join categories c on c.id = p.category_id
        where p.id = ${id} ${lock ? tx`for update of p` : tx``}`
      return row && toProduct(row)
    },

    /**
     * "for key share" on the category: a concurrent delete of it either finishes first (no row:
     * an unknown category) or waits for this insert and then finds a product in its way.
     */
    async insert(p: NewProduct): Promise<Result<Product, ErrorOf<'UnknownCategory'>>> {
      const [row] = await tx<ProductRow[]>`
        with cat as (
          select id, name, level from categories where id = ${p.categoryId} for key share
        ), inserted as (
          insert into products (name, name_key, description, price, stock, category_id, created_at, updated_at, version)
          select ${p.name}, ${nameKey(p.name)}, ${p.description}, ${p.price}::numeric, ${p.stock}, cat.id, ${p.now}, ${p.now}, 1
          from cat
          returning *
        )
        select inserted.*, cat.name as category_name, cat.level as category_level from inserted, cat`
      return row ? ok(toProduct(row)) : err({ type: 'UnknownCategory', categoryId: p.categoryId })
    },

    async update(p: Product): Promise<Result<Product, ErrorOf<'UnknownCategory'>>> {
      const [row] = await tx<ProductRow[]>`
        with cat as (
          select id, name, level from categories where id = ${p.categoryId} for key share
        ), updated as (
          update products set name = ${p.name}, name_key = ${nameKey(p.name)}, description = ${p.description},
            price = ${p.price}::numeric, stock = ${p.stock}, category_id = cat.id, updated_at = ${p.updatedAt}, version = ${p.version}
          from cat
          where products.id = ${p.id}
          returning products.*
        )
        select updated.*, cat.name as category_name, cat.level as category_level from updated, cat`
      return row ? ok(toProduct(row)) : err({ type: 'UnknownCategory', categoryId: p.categoryId })
    },

    async remove(id) {
      const rows = await tx`delete from products where id = ${id} returning id`
      return rows.length > 0
    },

    /**
     * Locks the lines' rows (in id order), decides from the locked values, then takes with
     * `stock = stock - q where stock >= q`: under the locks no one else can change them, so a
     * unit is never sold twice and stock never goes below zero (the check constraint agrees).
     */
    async take(lines: readonly StockLine[], now: Date): Promise<Result<Product[], Shortage>> {
      if (!lines.length) return ok([])
      const locked = await lockInOrder(lines)
      const s = shortage(lines, new Map(locked.map((r) => [r.id, r.stock])))
      if (hasShortage(s)) return err(s)
      const rows = await adjust(lines, -1, now)
      if (rows.length !== lines.length) throw new Error('stock changed under a row lock')
      return ok(rows.map(toProduct))
    },

    async restock(lines: readonly StockLine[], now: Date) {
      if (!lines.length) return []
      await lockInOrder(lines)
      return (await adjust(lines, 1, now)).map(toProduct)
    },
  }
}
