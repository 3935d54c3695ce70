-- The identity of this catalog's change counters. Entity tags of listings are made of the
-- counters (003, catalog_version), which start again from 0 in a database created afresh (a
-- reset, a new environment): without this, a tag kept by a client from the old database could
-- name different data in the new one and get a 304. The epoch is drawn once, when the database
-- is created, and is part of every such tag.
alter table catalog_version add column epoch uuid not null default gen_random_uuid();
