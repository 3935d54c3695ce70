/**
 * `make seed`: a living shop through the public API of running services (`make dev` or
 * `make start`): an admin, a few users, a 3-level category tree, products with stock, and orders
 * in several states. It finds the shop where `make dev` and `make start` put it for the same environment (HOST,
 * AUTH_PORT, CATALOG_PORT, ORDER_PORT; default localhost:8000/8001/8002), unless AUTH_URL, CATALOG_URL and
 * ORDER_URL say otherwise.
 * The admin: ADMIN_USERNAME / ADMIN_PASSWORD (default: the `make dev` admin). Run it twice and
 * the second run says the shop is already seeded.
 */
import { shopUrls } from './origins.ts'

const { auth: AUTH, catalog: CATALOG, order: ORDER } = shopUrls()
const admin = {
  username: process.env.ADMIN_USERNAME ?? 'admin',
  password: process.env.ADMIN_PASSWORD ?? 'admin-password',
}

async function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      'X-Request-Id': `seed-${crypto.randomUUID()}`,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}
async function must(base: string, method: string, path: string, body?: unknown, token?: string) {
  const r = await call(base, method, path, body, token)
  if (r.status >= 300) throw new Error(`${method} ${base}${path} → ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}
const login = async (username: string, password: string) =>
  (await must(AUTH, 'POST', '/api/v1/auth/login', { username, password })).access_token as string
/** Polls `ok` every 10 ms until it holds; gives up after 30 s (a loaded machine's events take a while). */
const until = async (what: string, ok: () => Promise<boolean>) => {
  const end = Date.now() + 30_000
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(10)
  }
}

for (const [name, url] of [
  ['auth', AUTH],
  ['catalog', CATALOG],
  ['order', ORDER],
] as const) {
  const ok = await fetch(`${url}/health/ready`).then(
    (r) => r.ok,
    () => false,
  )
  if (!ok) {
    console.error(`seed: ${name} is not ready at ${url}; start the shop first (make dev, or make start)`)
    process.exit(1)
  }
}

const adminToken = await login(admin.username, admin.password).catch(() => {
  console.error(`seed: cannot log in as the admin "${admin.username}"; set ADMIN_USERNAME / ADMIN_PASSWORD`)
  process.exit(1)
})
const existing = await must(CATALOG, 'GET', '/api/v1/categories?limit=100')
if (existing.some((c: { name: string; level: number }) => c.name === 'Electronics' && c.level === 0)) {
  console.log('seed: the shop is already seeded (a root category "Electronics" exists); nothing to do')
  process.exit(0)
}

// Users
const people = ['alice', 'bob', 'carol'].map((u) => ({
  username: u,
  email: `${u}@example.com`,
  password: `${u}-password`,
  full_name: u[0]!.toUpperCase() + u.slice(1),
}))
for (const p of people) {
  const r = await call(AUTH, 'POST', '/api/v1/auth/register', p)
  if (r.status !== 201 && r.status !== 409) throw new Error(`register ${p.username}: ${r.status}`)
}
const tokens = Object.fromEntries(
  await Promise.all(people.map(async (p) => [p.username, await login(p.username, p.password)] as const)),
)

// A 3-level category tree
const cat = (name: string, parent_id?: number, description?: string) =>
  must(CATALOG, 'POST', '/api/v1/category', { name, parent_id, description }, adminToken)
const electronics = await cat('Electronics', undefined, 'Things with a plug')
const computers = await cat('Computers', electronics.id)
const laptops = await cat('Laptops', computers.id)
const accessories = await cat('Accessories', computers.id)
const phones = await cat('Phones', electronics.id)
const home = await cat('Home', undefined, 'For the house')
const kitchen = await cat('Kitchen', home.id)
const cookware = await cat('Cookware', kitchen.id)
const books = await cat('Books')
const fiction = await cat('Fiction', books.id)

// Products with stock
const product = (name: string, price: string, stock: number, category_id: number, description?: string) =>
  must(CATALOG, 'POST', '/api/v1/product', { name, price, stock, category_id, description }, adminToken)
const items = {
  laptop: await product('Laptop 14"', '1299.00', 5, laptops.id, '14-inch, 16 GB, 512 GB SSD'),
  ultrabook: await product('Ultrabook 13"', '1599.90', 2, laptops.id),
  mouse: await product('Wireless mouse', '24.90', 50, accessories.id),
  keyboard: await product('Mechanical keyboard', '89.00', 20, accessories.id),
  phone: await product('Phone X', '799.00', 8, phones.id),
  pan: await product('Cast-iron pan', '39.95', 12, cookware.id),
  pot: await product('Stock pot 8 l', '54.00', 0, cookware.id, 'Out of stock for now'),
  novel: await product('A long novel', '14.99', 100, fiction.id),
}

// Orders in several states. The order service learns products from events, so an order may name a
// product it has not heard of yet (422 UNKNOWN_PRODUCTS): placing waits for exactly that, polling
// until the order is taken; any other answer stops the seed with what the service said.
const place = async (who: string, lines: [number, number][]): Promise<{ id: number }> => {
  const body = {
    items: lines.map(([product_id, quantity]) => ({ product_id, quantity })),
    shipping_address: `${who}, 1 Seed Street`,
  }
  let last: Awaited<ReturnType<typeof call>> | undefined
  await until(`the products of ${who}'s order to reach the order service`, async () => {
    last = await call(ORDER, 'POST', '/api/v1/order', body, tokens[who])
    return !(last.status === 422 && last.body?.code === 'UNKNOWN_PRODUCTS')
  })
  if (last?.status !== 201 || typeof last.body?.id !== 'number') {
    throw new Error(`POST ${ORDER}/api/v1/order (${who}) → ${last?.status} ${JSON.stringify(last?.body)}`)
  }
  return last.body
}
const statusOf = async (id: number) =>
  (await must(ORDER, 'GET', `/api/v1/order/${id}`, undefined, adminToken)).status as string
const settled = (id: number) =>
  until(`order ${id} to be confirmed or rejected`, async () => (await statusOf(id)) !== 'pending')

const a1 = await place('alice', [
  [items.laptop.id, 1],
  [items.mouse.id, 2],
])
const b1 = await place('bob', [[items.ultrabook.id, 3]]) // more than in stock: rejected
const c1 = await place('carol', [
  [items.pan.id, 1],
  [items.novel.id, 2],
])
const a2 = await place('alice', [[items.keyboard.id, 1]])
await Promise.all([a1, b1, c1, a2].map((o) => settled(o.id)))
await must(ORDER, 'PUT', `/api/v1/update_order/${a1.id}`, { status: 'paid' }, adminToken)
await must(ORDER, 'PUT', `/api/v1/update_order/${a1.id}`, { status: 'shipped' }, adminToken)
await must(ORDER, 'PUT', `/api/v1/update_order/${c1.id}`, { status: 'cancelled' }, tokens.carol)

console.log(
  `seed: done
  users:      ${people.map((p) => `${p.username} / ${p.password}`).join(', ')} (admin: ${admin.username})
  categories: 10 in 3 levels (Electronics › Computers › Laptops, ...)
  products:   ${Object.keys(items).length}
  orders:     #${a1.id} shipped, #${b1.id} ${await statusOf(b1.id)}, ` +
    `#${c1.id} cancelled, #${a2.id} ${await statusOf(a2.id)}
  try:        ${CATALOG}/docs and ${ORDER}/docs (Authorize with one of the users above)`,
)
