import type { PendingQuery, Row } from 'postgres'
import { type Result, err, ok } from '@shop/kernel/result'
import type { Q, TxSql } from '@shop/platform/postgres/connect'
import type { ProductWriteError } from '../../domain/errors.ts'
import type { NewProduct, Product, ProductFilter, ProductSort } from '../../domain/product.ts'
import { type Shortage, type StockLine, hasShortage, shortage } from '../../domain/stock.ts'
import type { Page } from '@shop/kernel/app'
import type { Listed, ProductReads, Products } from '../../ports.ts'
import {
  type ProductReadRow,
  parseVersions,
  productColumns,
  productReadColumns,
  productRow,
  productWriteError,
  toProduct,
} from './rows.ts'

/** A piece of SQL to compose into a statement. */
type Fragment = PendingQuery<Row[]>

/** A listing's row: the product, the total, and (on one row) the change counters of the statement's snapshot. */
type ListedRow = ProductReadRow & { total: number; versions: string | null }

/** A product with its category, by id: append `where p.id = ...` (and a lock). */
const productWithCategory = (q: Q) =>
  q`select ${productReadColumns(q)} from products p join categories c on c.id = p.category_id`

/** LIKE pattern for a literal substring: its own \, % and _ are escaped (with `escape '\'`). */
const containsPattern = (s: string): string => `%${s.replace(/[\\%_]/g, '\\$&')}%`

/**
 * How a page of a category's products is read, chosen per request from the counts the database
 * keeps (category_product_counts, exact in every write's transaction):
 *
 * - **walk**: the sort's own index, in order, keeping the rows of the scope (`X = any(category_path)`,
 *   a test on the row that no index serves, so the planner cannot swap the walk for something
 *   else), until the page is full. It reads about (offset + limit) × all / scope rows: a few
 *   hundred for a department, whatever its size.
 * - **gather**: the scope's rows through the GIN index on category_path (or products_category
 *   for one category alone), then sorted. It reads the scope: best when it is small.
 *
 * The walk is chosen when scope² ≥ (offset + limit) × all, i.e. when it reads fewer rows than
 * gathering would. Both shapes are in the one statement, each behind a one-time filter on that
 * choice, and each is fenced so that its plan does not depend on the parameters: a generic
 * prepared plan (postgres.js prepares every statement) can then never pick the wrong one. The
 * walk assumes the scope's products are spread along the sort order (true of ids, dates and
 * prices of a catalog filled over time); a department imported as one block of ids and listed
 * by id descending would make it read more.
 *
 * X-Total-Count is the scope's count from the same row (`subtree`, or `products` for one
 * category alone), read in the same statement (same snapshot) as the page.
 */
export function postgresProductReads(sql: Q, genericPlans: Q = sql): ProductReads {
  // name_key rides along for the outer statement's sort by name.
  const columns = sql`${productColumns.of(sql, 'p')}, p.name_key`

  const subtree = (f: ProductFilter) => f.categoryId !== undefined && f.includeSubcategories !== false

  // Fragments compose; user input only ever travels as a bound parameter.
  const inScope = (f: ProductFilter) =>
    subtree(f)
      ? sql`p.category_path @> array[${f.categoryId!}::bigint]`
      : f.categoryId !== undefined
        ? sql`p.category_id = ${f.categoryId}`
        : sql`true`
  const where = (f: ProductFilter) => sql`
    where ${inScope(f)}
    ${f.minPrice !== undefined ? sql`and p.price >= ${f.minPrice}::numeric` : sql``}
    ${f.maxPrice !== undefined ? sql`and p.price <= ${f.maxPrice}::numeric` : sql``}
    ${f.inStock === true ? sql`and p.stock > 0` : f.inStock === false ? sql`and p.stock = 0` : sql``}
    ${
      f.q
        ? sql`and (p.name ilike ${containsPattern(f.q)} escape '\\' or p.description ilike ${containsPattern(f.q)}
      escape '\\')`
        : sql``
    }`

  // Only the category narrows the products: their number is in category_product_counts.
  const countsSuffice = (f: ProductFilter) =>
    f.minPrice === undefined && f.maxPrice === undefined && f.inStock === undefined && !f.q

  // Every product: the roots' subtree counts (a handful of rows).
  const everything = sql`(select coalesce(sum(n.subtree), 0) from category_product_counts n join categories r on r.id =
    n.category_id where r.parent_id is null)`
  const scopeCount = (f: ProductFilter) =>
    sql`coalesce((select ${subtree(f) ? sql`n.subtree` : sql`n.products`} from category_product_counts n where
      n.category_id = ${f.categoryId!}), 0)`

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

  // The page's rows with their categories, one primary-key probe each (a lateral subquery the
  // planner keeps as such: a generic plan once hashed all 10,000 categories here instead).
  // One row (whichever is numbered 1) also carries the change counters (catalog_version), read in
  // the statement's snapshot: the page's entity tag without a read of its own. Only one: each value
  // a row carries costs its parsing, and a null costs nothing.
  const withCategory = (page: Fragment, total: Fragment, sort: ProductSort) => sql`
    select ${productReadColumns(sql)}, ${total}::int as total,
      case when row_number() over () = 1 then (select v.epoch::text || ' ' || v.products || ' ' || v.categories from
        catalog_version v) end as versions
    from (${page}) p cross join lateral (select c.name, c.level from categories c where c.id = p.category_id offset 0) c
    order by ${orderBy(sort)}`

  /** A category's products (its subtree's, or its own), walked or gathered: see above. */
  const scoped = (f: ProductFilter, page: Page, sort: ProductSort) => {
    const walkTest = subtree(f)
      ? sql`${f.categoryId!}::bigint = any(p.category_path)`
      : sql`p.category_id + 0 = ${f.categoryId!}::bigint`
    const cut = sql`order by ${orderBy(sort)} limit ${page.limit} offset ${page.offset}`
    return genericPlans<ListedRow[]>`
      with plan as materialized (
        select n, n::float8 * n >= ${page.offset + page.limit}::float8 * everything as walk
        from (select ${scopeCount(f)} as n, ${everything} as everything offset 0) counts
      ), gathered as materialized (
        select ${columns} from products p where ${inScope(f)} and not (select walk from plan)
      )
      ${withCategory(
        sql`
          (select ${columns} from products p where ${walkTest} and (select walk from plan) ${cut})
          union all
          (select * from gathered p ${cut})`,
        sql`(select n from plan)`,
        sort,
      )}`
  }

  /** Any other filter: the planner's choice, and the total counts the matching products. */
  const filtered = (f: ProductFilter, page: Page, sort: ProductSort) =>
    sql<ListedRow[]>`
      ${withCategory(
        sql`select ${columns} from products p ${where(f)} order by ${orderBy(sort)} limit ${page.limit} offset
          ${page.offset}`,
        sql`(select count(*) from products p ${where(f)})`,
        sort,
      )}`

  const total = (f: ProductFilter) =>
    !countsSuffice(f)
      ? sql`(select count(*) from products p ${where(f)})`
      : f.categoryId === undefined
        ? everything
        : scopeCount(f)

  return {
    async byId(id) {
      const [row] = await sql<ProductReadRow[]>`${productWithCategory(sql)} where p.id = ${id}`
      return row && toProduct(row)
    },

    async list(f: ProductFilter, page: Page): Promise<Listed<Product>> {
      const sort = f.sort ?? 'id'
      const rows = await (countsSuffice(f) && f.categoryId !== undefined
        ? scoped(f, page, sort)
        : !countsSuffice(f)
          ? filtered(f, page, sort)
          : sql<ListedRow[]>`${withCategory(
              sql`select ${columns} from products p order by ${orderBy(sort)} limit ${page.limit} offset
                ${page.offset}`,
              everything,
              sort,
            )}`)
      const versions = rows.find((r) => r.versions !== null)?.versions
      if (rows[0] && versions)
        return { items: rows.map(toProduct), total: rows[0].total, asOf: parseVersions(versions) }
      // An empty page (none match, or past the last page) has no row to carry the total and the counters.
      const [count] = await sql<{ n: number; versions: string }[]>`
        select ${total(f)}::int as n, v.epoch::text || ' ' || v.products || ' ' || v.categories as versions from
          catalog_version v`
      if (!count) throw new Error('catalog_version has no row: the migrations did not run')
      return { items: [], total: count.n, asOf: parseVersions(count.versions) }
    },
  }
}

export function postgresProducts(tx: TxSql): Products {
  const reads = postgresProductReads(tx)
  // The departments' locks (migration 003), shared, before any row lock of a write that derives
  // from the tree (its triggers read the category's path and update the counts): a move there,
  // which holds them exclusively, then finishes first instead of deadlocking with it. Sent in the
  // same round trip as the statement they guard. Stock changes need none.
  const guardedBy = async <T>(departmentsOf: Fragment, statement: Promise<T>): Promise<T> =>
    (await Promise.all([tx`select catalog_lock_departments(${departmentsOf}, false)`, statement]))[1]
  const ofProduct = (id: number) => tx`array(select category_id from products where id = ${id})`
  /** The written row, or what its constraints refused (see productWriteError). */
  const written = async (
    p: NewProduct | Product,
    statement: Promise<ProductReadRow[]>,
  ): Promise<Result<Product, ProductWriteError>> => {
    try {
      const [row] = await statement
      if (!row) throw new Error('a product write returned no row')
      return ok(toProduct(row))
    } catch (e) {
      const refused = productWriteError(e, p)
      if (refused) return err(refused)
      throw e
    }
  }
  const ids = (lines: readonly StockLine[]) => lines.map((l) => l.productId)
  const quantities = (lines: readonly StockLine[]) => lines.map((l) => l.quantity)

  // Rows are locked in id order by every multi-row stock change, so two of them never deadlock.
  const lockInOrder = (lines: readonly StockLine[]) =>
    tx<
      { id: number; stock: number }[]
    >`select id, stock from products where id in ${tx(ids(lines))} order by id for update`

  /** Adds `sign * quantity` to each line's product (bumping its version) and reads them back with their category. */
  const adjust = (lines: readonly StockLine[], sign: 1 | -1, now: Date) => tx<ProductReadRow[]>`
    with lines as (
      select * from unnest(${ids(lines)}::bigint[], ${quantities(lines)}::int[]) as l(id, quantity)
    ), changed as (
      update products p set stock = p.stock + ${sign}::int * lines.quantity, version = p.version + 1, updated_at =
        ${now}
      from lines
      where p.id = lines.id and p.stock + ${sign}::int * lines.quantity >= 0
      returning ${productColumns.of(tx, 'p')}
    )
    select ${productReadColumns(tx, 'changed')}
    from changed join categories c on c.id = changed.category_id
    order by changed.id`

  return {
    ...reads,

    async byId(id, lock = false) {
      if (!lock) return reads.byId(id)
      const [row] = await guardedBy(
        ofProduct(id),
        tx<ProductReadRow[]>`${productWithCategory(tx)} where p.id = ${id} for update of p`,
      )
      return row && toProduct(row)
    },

    /**
     * The category's row is key-share locked by the foreign key's check: a concurrent delete of it
     * either finishes first (the insert trigger finds no category: a foreign key violation, as
     * below) or waits for this insert and then finds a product in its way. A violation aborts the
     * transaction, which the caller then rolls back on the error returned.
     */
    async insert(p: NewProduct): Promise<Result<Product, ProductWriteError>> {
      const row = { ...productRow({ ...p, updatedAt: p.now, version: 1 }), created_at: p.now }
      return written(
        p,
        guardedBy(
          tx`array[${p.categoryId}::bigint]`,
          tx<ProductReadRow[]>`
          with inserted as (insert into products ${tx(row)} returning ${productColumns.of(tx)})
          select ${productReadColumns(tx, 'inserted')} from inserted join categories c on c.id = inserted.category_id`,
        ),
      )
    },

    async update(p: Product): Promise<Result<Product, ProductWriteError>> {
      return written(
        p,
        guardedBy(
          tx`array[${p.categoryId}::bigint, (select category_id from products where id = ${p.id})]`,
          tx<ProductReadRow[]>`
          with updated as (
            update products set ${tx(productRow(p))} where id = ${p.id} returning ${productColumns.of(tx)}
          )
          select ${productReadColumns(tx, 'updated')} from updated join categories c on c.id = updated.category_id`,
        ),
      )
    },

    async remove(id) {
      const rows = await guardedBy(ofProduct(id), tx`delete from products where id = ${id} returning id`)
      return rows.length > 0
    },

    /**
     * One line: `stock = stock - q where stock >= q` alone. Several: locks the lines' rows (in id
     * order), decides from the locked values, then takes with
     * `stock = stock - q where stock >= q`: under the locks no one else can change them, so a
     * unit is never sold twice and stock never goes below zero (the check constraint agrees).
     */
    async take(lines: readonly StockLine[], now: Date): Promise<Result<Product[], Shortage>> {
      if (!lines.length) return ok([])
      if (lines.length === 1) {
        // One row: the conditional update alone decides (it waits for the row's lock and checks the
        // stock it finds then), a round trip less than lock-then-update. Not taken: what is short.
        const rows = await adjust(lines, -1, now)
        if (rows.length === 1) return ok(rows.map(toProduct))
        const s = shortage(lines, new Map((await lockInOrder(lines)).map((r) => [r.id, r.stock])))
        if (hasShortage(s)) return err(s)
        // Restocked in between: decided below under the lock, as for several lines.
      }
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
