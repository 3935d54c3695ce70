import type { Envelope } from '@shop/kernel/events'
import { MemoryInbox, MemoryTransactor, Sequence, Table } from '@shop/platform/memory/transactor'
import type { StatusChange } from '../../domain/history.ts'
import type { Order } from '../../domain/order.ts'
import { type ReplicaProduct, supersedes } from '../../domain/product.ts'
import type { Reservation } from '../../domain/reservation.ts'
import type { History, IdempotencyKeys, OrderStore, OrderTx, Orders, Products, Reservations } from '../../ports.ts'

interface KeyRow {
  readonly fingerprint: string
  readonly orderId: number | null
}

const newestFirst = (a: Order, b: Order) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id

function memoryOrders(
  rows: Table<number, Order>,
  ids: Sequence,
  history: Table<number, StatusChange[]>,
  keys: Table<string, KeyRow>,
): Orders {
  return {
    async byId(id) {
      return rows.get(id)
    },
    async list(filter, page) {
      const all = [...rows.values()]
        .filter(
          (o) =>
            (filter.userId === undefined || o.userId === filter.userId) &&
            (filter.status === undefined || o.status === filter.status),
        )
        .sort(newestFirst)
      return { items: all.slice(page.offset, page.offset + page.limit), total: all.length }
    },
    async ofUser(userId, statuses) {
      return [...rows.values()]
        .filter((o) => o.userId === userId && statuses.includes(o.status))
        .sort((a, b) => -newestFirst(a, b))
    },
    async insert(draft) {
      const order: Order = { ...draft, id: ids.next() }
      rows.set(order.id, order)
      return order
    },
    async update(order) {
      if (!rows.has(order.id)) throw new Error(`order ${order.id} does not exist`)
      rows.set(order.id, order)
      return order
    },
    async remove(id) {
      history.delete(id)
      // As the foreign key does in SQL: the key stays, its order is gone.
      for (const [k, row] of keys) if (row.orderId === id) keys.set(k, { ...row, orderId: null })
      return rows.delete(id)
    },
  }
}

function memoryHistory(rows: Table<number, StatusChange[]>): History {
  return {
    async add(change) {
      rows.set(change.orderId, [...(rows.get(change.orderId) ?? []), change])
    },
    async of(orderId) {
      return [...(rows.get(orderId) ?? [])]
    },
  }
}

function memoryProducts(rows: Table<number, ReplicaProduct>): Products {
  return {
    async byIds(ids) {
      const out = new Map<number, ReplicaProduct>()
      for (const id of ids) {
        const p = rows.get(id)
        if (p) out.set(id, p)
      }
      return out
    },
    async apply(product) {
      if (!supersedes(rows.get(product.id), product)) return false
      rows.set(product.id, product)
      return true
    },
  }
}

function memoryKeys(rows: Table<string, KeyRow>): IdempotencyKeys {
  const k = (userId: string, key: string) => JSON.stringify([userId, key])
  return {
    async claim({ userId, key, fingerprint }) {
      const held = rows.get(k(userId, key))
      if (held) return { claimed: false, fingerprint: held.fingerprint, orderId: held.orderId }
      rows.set(k(userId, key), { fingerprint, orderId: null })
      return { claimed: true }
    },
    async attach(userId, key, orderId) {
      const held = rows.get(k(userId, key))
      if (held) rows.set(k(userId, key), { ...held, orderId })
    },
  }
}

/** A reservation row in memory: the record, and when its request was last sent. */
type ReservationEntry = Reservation & { readonly sentAt: number }

const unanswered = (r: ReservationEntry | undefined, seconds: number): r is ReservationEntry =>
  r?.state === 'requested' && r.sentAt < Date.now() - seconds * 1000

function memoryReservations(rows: Table<number, ReservationEntry>): Reservations {
  const record = ({ sentAt: _, ...r }: ReservationEntry): Reservation => r
  return {
    async byOrder(orderId) {
      const r = rows.get(orderId)
      return r && record(r)
    },
    async put(r) {
      rows.set(r.orderId, { requestId: null, ...r, attempts: r.attempts ?? 1, sentAt: Date.now() })
    },
    async remove(orderId) {
      rows.delete(orderId)
    },
    // One transaction at a time here: nothing is ever held by another.
    async stale(orderId, seconds) {
      const r = rows.get(orderId)
      return unanswered(r, seconds) ? record(r) : undefined
    },
    async resent(orderId) {
      const r = rows.get(orderId)
      if (r) rows.set(orderId, { ...r, attempts: (r.attempts ?? 1) + 1, sentAt: Date.now() })
    },
  }
}

/** The order store in memory: for unit tests and for tools that embed the order application. */
export function memoryOrderStore(
  opts: { onEvents?: (events: Envelope[]) => void } = {},
): OrderStore & { readonly published: Envelope[] } {
  const orderRows = new Table<number, Order>()
  const orderIds = new Sequence()
  const historyRows = new Table<number, StatusChange[]>()
  const productRows = new Table<number, ReplicaProduct>()
  const keyRows = new Table<string, KeyRow>()
  const reservationRows = new Table<number, ReservationEntry>()
  const inbox = new MemoryInbox()
  const published: Envelope[] = []
  const transactor = new MemoryTransactor(
    [orderRows, orderIds, historyRows, productRows, keyRows, reservationRows, inbox.seen],
    (events) => {
      published.push(...events)
      opts.onEvents?.(events)
    },
    'order',
  )
  const orders = memoryOrders(orderRows, orderIds, historyRows, keyRows)
  const history = memoryHistory(historyRows)
  const products = memoryProducts(productRows)
  const keys = memoryKeys(keyRows)
  const reservations = memoryReservations(reservationRows)
  return {
    orders,
    history,
    products,
    published,
    async stalledRequests(seconds, limit) {
      return [...reservationRows.values()]
        .filter((r) => unanswered(r, seconds) && orderRows.get(r.orderId)?.status === 'pending')
        .sort((a, b) => a.sentAt - b.sentAt)
        .slice(0, limit)
        .map((r) => r.orderId)
    },
    transact: (work) =>
      transactor.run((events): OrderTx => ({ orders, history, products, keys, reservations, events, inbox }), work),
  }
}
