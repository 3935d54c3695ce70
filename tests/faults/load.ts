import type { ServiceName } from '../integration/harness.ts'
import type { Buyer, World } from './world.ts'

/**
 * A steady stream of requests from several concurrent clients, in a realistic mix: registrations
 * and logins, browsing, users placing orders and cancelling some, the admin changing prices and
 * stock, paying orders, changing roles and deleting a few users. Every request goes to the
 * service's CURRENT url (a restarted process listens on a new port), with a timeout, and its
 * outcome is recorded: the HTTP status, `down` (no answer: refused, reset, or the service is
 * restarting) or `timeout`.
 */
export interface Sample {
  readonly svc: ServiceName
  readonly op: string
  readonly outcome: string
  /** Whether the status is one this request may get in a healthy shop (e.g. 409 for a late cancel). */
  readonly expected: boolean
  readonly start: number
  readonly end: number
}

export interface StockWrite {
  readonly productId: number
  readonly stock: number
  readonly requestId: string
  outcome: string
}

type Answer = { status: number; body: any }

const TIMEOUT_MS = 10_000
const MAX_DELETIONS = 4

/** A small seeded generator, so a failing run can be replayed with the same choices. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class Load {
  readonly samples: Sample[] = []
  private running = false
  private workers: Promise<void>[] = []
  private failure: unknown
  private seq = 0
  private deletions = 0
  private readonly rand: () => number

  constructor(
    private readonly w: World,
    readonly seed = Number(process.env.FAULT_SEED ?? Date.now() % 100_000),
  ) {
    this.rand = mulberry32(seed)
  }

  start(clients = 6, pauseMs = 8): void {
    this.running = true
    this.workers = Array.from({ length: clients }, async () => {
      while (this.running) {
        try {
          await this.step()
        } catch (e) {
          // A bug of the test itself: stop and report it rather than run on blind.
          this.failure ??= e
          this.running = false
        }
        await Bun.sleep(pauseMs)
      }
    })
  }

  async stop(): Promise<void> {
    this.running = false
    await Promise.all(this.workers)
    if (this.failure) throw this.failure
  }

  private pick<T>(xs: readonly T[]): T | undefined {
    return xs.length ? xs[Math.floor(this.rand() * xs.length)] : undefined
  }
  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1))
  }
  private activeBuyer(spare?: boolean): Buyer | undefined {
    return this.pick(this.w.buyers.filter((b) => !b.deleted && (spare === undefined || b.spare === spare)))
  }

  private async step(): Promise<void> {
    const actions: [number, () => Promise<void>][] = [
      [34, () => this.place()],
      [12, () => this.cancel()],
      [10, () => this.browse()],
      [8, () => this.myOrders()],
      [8, () => this.login()],
      [6, () => this.register()],
      [7, () => this.adminStock()],
      [5, () => this.adminPrice()],
      [5, () => this.adminPay()],
      [3, () => this.adminRole()],
      [2, () => this.adminDelete()],
    ]
    let r = this.rand() * actions.reduce((s, [w]) => s + w, 0)
    for (const [weight, act] of actions) {
      r -= weight
      if (r < 0) return act()
    }
  }

  private async request(
    svc: ServiceName,
    op: string,
    method: string,
    path: string,
    o: { token?: string; body?: unknown; requestId?: string; ok: (status: number) => boolean },
  ): Promise<Answer | undefined> {
    const base = this.w.shop[svc].url
    const start = Date.now()
    const note = (outcome: string, expected: boolean) =>
      this.samples.push({ svc, op, outcome, expected, start, end: Date.now() })
    if (!base) {
      note('down', false)
      await Bun.sleep(25)
      return undefined
    }
    const headers: Record<string, string> = {}
    if (o.token) headers.Authorization = `Bearer ${o.token}`
    if (o.body !== undefined) headers['Content-Type'] = 'application/json'
    if (o.requestId) headers['X-Request-Id'] = o.requestId
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
      const text = await res.text()
      note(String(res.status), o.ok(res.status))
      return {
        status: res.status,
        body: text && /json/.test(res.headers.get('Content-Type') ?? '') ? JSON.parse(text) : undefined,
      }
    } catch (e) {
      note((e as Error).name === 'TimeoutError' ? 'timeout' : 'down', false)
      await Bun.sleep(25)
      return undefined
    }
  }

  // A request of a user who has been deleted meanwhile may be refused (401): that is the contract.
  private userOk =
    (b: Buyer, ...ok: number[]) =>
    (s: number) =>
      ok.includes(s) || (b.deleted && s === 401)

  private async register(): Promise<void> {
    const username = `load${this.seed}_${this.seq++}`
    const password = `${username}-password`
    const r = await this.request('auth', 'register', 'POST', '/api/v1/auth/register', {
      body: { username, email: `${username}@example.com`, password },
      ok: (s) => s === 201,
    })
    if (r?.status !== 201) return
    const buyer: Buyer = { id: r.body.id, username, password, token: '', orders: [], spare: true, deleted: false }
    const l = await this.request('auth', 'login', 'POST', '/api/v1/auth/login', {
      body: { username, password },
      ok: this.userOk(buyer, 200),
    })
    if (l?.status === 200) {
      buyer.token = l.body.access_token
      this.w.buyers.push(buyer)
    }
  }

  private async login(): Promise<void> {
    const b = this.activeBuyer()
    if (!b) return
    const r = await this.request('auth', 'login', 'POST', '/api/v1/auth/login', {
      body: { username: b.username, password: b.password },
      ok: this.userOk(b, 200),
    })
    if (r?.status === 200) b.token = r.body.access_token
  }

  private async browse(): Promise<void> {
    await this.request('catalog', 'browse', 'GET', `/api/v1/products?limit=20&offset=${this.int(0, 8)}`, {
      ok: (s) => s === 200,
    })
  }

  private async myOrders(): Promise<void> {
    const b = this.activeBuyer()
    if (b)
      await this.request('order', 'list orders', 'GET', '/api/v1/orders?limit=10', {
        token: b.token,
        ok: this.userOk(b, 200),
      })
  }

  private async place(): Promise<void> {
    const b = this.activeBuyer()
    if (!b) return
    const products = [...this.w.products].sort(() => this.rand() - 0.5).slice(0, this.int(1, 3))
    const items = products.map((product_id) => ({ product_id, quantity: this.int(1, 3) }))
    const r = await this.request('order', 'place order', 'POST', '/api/v1/order', {
      token: b.token,
      body: { items },
      ok: this.userOk(b, 201),
    })
    if (r?.status === 201) b.orders.push(r.body.id)
  }

  private async cancel(): Promise<void> {
    const b = this.pick(this.w.buyers.filter((x) => !x.deleted && x.orders.length))
    const id = b && this.pick(b.orders)
    if (!b || id === undefined) return
    // 409 when the saga rejected it first, or it was cancelled already.
    await this.request('order', 'cancel order', 'PUT', `/api/v1/update_order/${id}`, {
      token: b.token,
      body: { status: 'cancelled' },
      ok: this.userOk(b, 200, 409),
    })
  }

  private async adminStock(): Promise<void> {
    const productId = this.pick(this.w.products)!
    const write: StockWrite = {
      productId,
      stock: this.int(10, 60),
      requestId: `admin-stock-${crypto.randomUUID()}`,
      outcome: '',
    }
    this.w.stockWrites.push(write)
    const r = await this.request('catalog', 'admin: set stock', 'PUT', `/api/v1/product/${productId}`, {
      token: this.w.admin,
      body: { stock: write.stock },
      requestId: write.requestId,
      ok: (s) => s === 200,
    })
    write.outcome = r ? String(r.status) : 'down'
  }

  private async adminPrice(): Promise<void> {
    const productId = this.pick(this.w.products)!
    await this.request('catalog', 'admin: set price', 'PUT', `/api/v1/product/${productId}`, {
      token: this.w.admin,
      body: { price: `${this.int(1, 90)}.${this.int(10, 99)}` },
      requestId: `admin-price-${crypto.randomUUID()}`,
      ok: (s) => s === 200,
    })
  }

  private async adminPay(): Promise<void> {
    const b = this.pick(this.w.buyers.filter((x) => x.orders.length))
    const id = b && this.pick(b.orders)
    if (id === undefined) return
    // 409 unless the order is confirmed.
    await this.request('order', 'admin: pay order', 'PUT', `/api/v1/update_order/${id}`, {
      token: this.w.admin,
      body: { status: 'paid' },
      ok: (s) => s === 200 || s === 409,
    })
  }

  private async adminRole(): Promise<void> {
    const b = this.activeBuyer(true)
    if (!b) return
    const role = this.rand() < 0.5 ? 'ADMIN' : 'USER'
    await this.request('auth', 'admin: set role', 'PUT', `/api/v1/users/${b.id}/role`, {
      token: this.w.admin,
      body: { role },
      ok: (s) => s === 200 || (b.deleted && s === 404),
    })
  }

  private async adminDelete(): Promise<void> {
    if (this.deletions >= MAX_DELETIONS) return
    const b = this.activeBuyer(true)
    if (!b) return
    this.deletions++
    b.deleted = true
    await this.request('auth', 'admin: delete user', 'DELETE', `/api/v1/users/${b.id}`, {
      token: this.w.admin,
      ok: (s) => s === 204,
    })
  }
}
