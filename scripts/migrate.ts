/**
 * `make migrate`: creates the three databases when missing and applies their migrations, without
 * starting the services (they also do it at every start). Same defaults and overrides as
 * `make start`: AUTH_DATABASE_URL, CATALOG_DATABASE_URL, ORDER_DATABASE_URL, POSTGRES_URL.
 */
import { createLogger } from '@shop/platform/log'
import { openDatabase } from '@shop/platform/postgres/connect'
import { migrate } from '@shop/platform/postgres/migrate'
import { MIGRATIONS as AUTH } from '@shop/auth/main'
import { MIGRATIONS as CATALOG } from '@shop/catalog/main'
import { MIGRATIONS as ORDER } from '@shop/order/main'

const pgBase = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'
const log = createLogger({ service: 'migrate', level: 'info' })
for (const [name, dirs] of [
  ['auth', AUTH],
  ['catalog', CATALOG],
  ['order', ORDER],
] as const) {
  const url = process.env[`${name.toUpperCase()}_DATABASE_URL`] ?? `${pgBase}/shop_${name}`
  const db = await openDatabase({
    url,
    dataDir: '',
    name,
    poolMax: 1,
    log: log.child({ database: name }),
    createIfMissing: true,
  })
  try {
    const applied = await migrate(db.sql, dirs, log.child({ database: name }))
    console.log(`migrate: ${name}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`)
  } finally {
    await db.close()
  }
}
