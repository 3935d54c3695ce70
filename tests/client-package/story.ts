/**
 * A shop story through @shop/client as a project outside the repository uses it, installed from its tarball
 * (tests/client-package.test.ts copies this file into such a project, compiles it with strict tsc and runs it with
 * Node and with Bun against a running `make dev`). No cast anywhere: the package's types carry it.
 * Arguments: the auth, catalog and order URLs, the admin's username and password. Prints one JSON line.
 */
import { type CategoryNode, type Product, createShop, isShopProblem, ShopProblem } from '@shop/client'

declare const process: { argv: string[] }
const [auth = '', catalog = '', order = '', adminName = 'admin', adminPassword = 'admin-password'] =
  process.argv.slice(2)
const urls = { auth, catalog, order }
const run = Date.now().toString(36)

// A wrong password is a typed problem, with its code, path and request id.
const anonymous = createShop(urls)
let wrongLogin = ''
try {
  await anonymous.auth.login({ username: 'nobody', password: 'not-the-password' })
} catch (e) {
  if (e instanceof ShopProblem) wrongLogin = `${e.status} ${e.code} ${e.instance} ${e.requestId ? 'id' : 'no id'}`
}

// The admin builds a 3-level tree with products.
const admin = createShop(urls)
await admin.auth.login({ username: adminName, password: adminPassword })
const top = await admin.catalog.categories.create({ name: `Outside ${run}` })
const middle = await admin.catalog.categories.create({ name: 'Lamps', parent_id: top.id })
const bottom = await admin.catalog.categories.create({ name: 'Desk lamps', parent_id: middle.id })
const created: Product[] = []
const specs: [string, string, number, number][] = [
  ['Floor lamp', '89.00', 3, middle.id],
  ['Desk lamp', '29.90', 10, bottom.id],
  ['Clip lamp', '14.50', 0, bottom.id],
  ['Bulb', '1.25', 100, bottom.id],
  ['Shade', '9.99', 4, middle.id],
]
for (const [name, price, stock, category] of specs)
  created.push(await admin.catalog.products.create({ name, price, stock, category_id: category }))

// A buyer registers and logs in, pages through the subtree, walks the tree.
const buyer = createShop(urls)
const username = `buyer_${run}`
await buyer.auth.register({ username, email: `${username}@example.com`, password: 'password-123' })
await buyer.auth.login({ username, password: 'password-123' })
const me = await buyer.auth.me()
let pages = 0
const names: string[] = []
for await (const page of buyer.catalog.products.inCategory(top.id, { limit: 2 })) {
  pages++
  names.push(...page.items.map((p) => p.name))
}
const inStock: string[] = []
for await (const p of buyer.catalog.products.list({ category_id: top.id, in_stock: true, limit: 2 }).items())
  inStock.push(p.name)
const walk = (n: CategoryNode, depth: number): string[] => [
  `${'-'.repeat(depth)}${n.name}`,
  ...n.children.flatMap((c) => walk(c, depth + 1)),
]
const tree = (await buyer.catalog.categories.tree({ parent_id: top.id }).first()).items.flatMap((n) => walk(n, 0))

// An order, confirmed by the catalog, then cancelled; its history.
const desk = created[1]
if (!desk) throw new Error('no desk lamp')
const placed = await buyer.orders.place({ items: [{ product_id: desk.id, quantity: 2 }], shipping_address: '1 Road' })
const settled = await buyer.orders.waitUntilSettled(placed.id, { timeoutMs: 15_000 })
const cancelled = await buyer.orders.cancel(placed.id)
const history = (await buyer.orders.history(placed.id)).map((h) => h.to)
let again = ''
try {
  await buyer.orders.cancel(placed.id)
} catch (e) {
  if (isShopProblem(e, 'TRANSITION_NOT_ALLOWED')) again = `${e.status} ${e.code}`
}

// A token the services refuse says why.
const forged = createShop(urls, { token: 'not.a.token' })
let refused = ''
try {
  await forged.auth.me()
} catch (e) {
  if (e instanceof ShopProblem) refused = e.tokenRefused ?? ''
}

console.log(
  JSON.stringify({
    wrongLogin,
    me: me.username === username,
    pages,
    names: names.sort(),
    inStock,
    tree,
    placed: placed.status,
    settled: settled.status,
    cancelled: cancelled.status,
    history,
    again,
    refused,
  }),
)
