import type { Envelope, EventMap } from '@shop/shared-kernel/event-types'
import { type Result, err, ok } from '@shop/shared-kernel/result'
import type { OrderError } from './domain/errors.ts'
import { orderCancelled, orderPlaced } from './domain/events.ts'
import { type StatusChange, statusChange } from './domain/history.ts'
import {
  type Caller,
  type LineRequest,
  type Order,
  actorsOf,
  canView,
  changeStatus,
  deletable,
  editOrder,
  mergeLines,
  newOrder,
  priceLines,
  sameStockLines,
  stockLines,
  unorderable,
} from './domain/order.ts'
import { type ProductEvent, fromProductEvent } from './domain/product.ts'
import { onRejected, onReserved, releaseOnClose } from './domain/reservation.ts'
import { type Actor, type OrderStatus, OPEN_STATUSES } from './domain/status.ts'
import type { Clock, OrderFilter, OrderStore, OrderTx, Page } from './ports.ts'

export interface OrderDeps {
  readonly store: OrderStore
  readonly clock: Clock
}

/** Who asks, for the events they cause (`correlation_id`). */
export interface Ctx {
  readonly correlationId?: string | null
}

/** Where a consumed event came from: its id (for the inbox) and its correlation id (passed on). */
export interface EventMeta {
  readonly eventId: string
  readonly correlationId: string | null
}

export interface PlaceOrderInput {
  readonly items: readonly LineRequest[]
  readonly shippingAddress?: string | null
}

/** An Idempotency-Key and the fingerprint of the request it came with. */
export interface Idempotency {
  readonly key: string
  readonly fingerprint: string
}

export interface OrderUpdate {
  readonly items?: readonly LineRequest[]
  readonly shippingAddress?: string | null
  readonly status?: OrderStatus
}

export type ProductOutcome = 'applied' | 'stale' | 'duplicate'
export type StockOutcome = 'confirmed' | 'rejected' | 'replaced' | 'released' | 'dropped' | 'ignored' | 'duplicate'

const corr = (ctx: Ctx) => ctx.correlationId ?? null

// Consumer transactions return no expected errors; this keeps their result types honest.
const value = <T>(r: Result<T, never>): T => (r as { ok: true; value: T }).value

export function makeOrderCore(deps: OrderDeps) {
  const { store, clock } = deps

  async function findVisible(tx: OrderTx, caller: Caller, id: number): Promise<Result<Order, OrderError>> {
    const order = await tx.orders.byId(id, true)
    return order && canView(order, caller) ? ok(order) : err({ type: 'OrderNotFound', id })
  }

  /** Gives reserved stock back when the order is closed (cancelled or deleted); see releaseOnClose. */
  async function releaseStock(tx: OrderTx, order: Order, correlationId: string | null): Promise<void> {
    const r = await tx.reservations.byOrder(order.id, true)
    const lines = releaseOnClose(order, r)
    if (!lines) return
    await tx.events.add(orderCancelled(order.id, lines), correlationId)
    await tx.reservations.remove(order.id)
  }

  /** One status change with its history entry and its consequences on stock. */
  async function moveStatus(
    tx: OrderTx,
    order: Order,
    to: OrderStatus,
    actors: readonly Actor[],
    by: string,
    correlationId: string | null,
    why: Pick<StatusChange, 'reason' | 'productIds'> = { reason: null, productIds: null },
  ): Promise<Result<Order, OrderError>> {
    const now = clock.now()
    const moved = changeStatus(order, to, actors, now)
    if (!moved.ok) return moved
    // A status change never changes the lines: they are not rewritten. The row and its history
    // entry are independent writes: issued together, they share one round trip (pipelined).
    const [saved] = await Promise.all([
      tx.orders.update(moved.value.order, { lines: false }),
      tx.history.add(statusChange({ orderId: order.id, from: order.status, to, actor: moved.value.actor, by, at: now, ...why })),
    ])
    if (to === 'cancelled') await releaseStock(tx, order, correlationId)
    // Shipped goods have left the warehouse: the reserved stock is sold, nothing is held any more.
    if (to === 'shipped') await tx.reservations.remove(order.id)
    return ok(saved)
  }

  /** Places the current lines with the catalog: the one outstanding request of the order. */
  async function place(tx: OrderTx, order: Order, correlationId: string | null): Promise<void> {
    const items = stockLines(order.items)
    await Promise.all([tx.reservations.put({ orderId: order.id, state: 'requested', items }), tx.events.add(orderPlaced(order, items), correlationId)])
  }

  /** Runs a consumer's effect once per event id: a redelivery claims nothing and changes nothing. */
  function consume<T>(meta: EventMeta, type: string, work: (tx: OrderTx) => Promise<T>): Promise<T | 'duplicate'> {
    return store
      .transact(async (tx): Promise<Result<T | 'duplicate', never>> => {
        if (!(await tx.inbox.claim(meta.eventId, type))) return ok('duplicate' as const)
        return ok(await work(tx))
      })
      .then(value)
  }

  return {
    /**
     * Creates a pending order for the caller and asks the catalog to reserve its lines
     * (`order.placed`, in the same transaction). With an Idempotency-Key, a repeat of the same
     * request returns the order the first one created and creates nothing.
     */
    async placeOrder(caller: Caller, input: PlaceOrderInput, o: Ctx & { idempotency?: Idempotency } = {}): Promise<Result<{ order: Order; replayed: boolean }, OrderError>> {
      const merged = mergeLines(input.items)
      if (!merged.ok) return merged
      const now = clock.now()
      const idem = o.idempotency
      return store.transact(async (tx): Promise<Result<{ order: Order; replayed: boolean }, OrderError>> => {
        // The key claim and the product read are issued together (one round trip, pipelined);
        // the claim decides first: a repeat returns the first order even if a product has gone since.
        const [claim, products] = await Promise.all([
          idem ? tx.keys.claim({ userId: caller.id, key: idem.key, fingerprint: idem.fingerprint, at: now }) : undefined,
          tx.products.byIds(merged.value.map((l) => l.productId)),
        ])
        if (idem && claim && !claim.claimed) {
          if (claim.fingerprint !== idem.fingerprint) return err({ type: 'IdempotencyKeyReused' })
          const first = claim.orderId === null ? undefined : await tx.orders.byId(claim.orderId)
          return first ? ok({ order: first, replayed: true }) : err({ type: 'IdempotentOrderDeleted' })
        }
        const missing = unorderable(merged.value, products)
        if (missing.length) return err({ type: 'UnknownProducts', productIds: missing })
        const order = await tx.orders.insert(
          newOrder({ userId: caller.id, items: priceLines(merged.value, products), shippingAddress: input.shippingAddress ?? null, now }),
        )
        // Independent writes, issued together.
        await Promise.all([
          tx.history.add(statusChange({ orderId: order.id, from: null, to: 'pending', actor: 'owner', by: caller.id, at: now })),
          place(tx, order, corr(o)),
          idem ? tx.keys.attach(caller.id, idem.key, order.id) : undefined,
        ])
        return ok({ order, replayed: false })
      })
    },

    async getOrder(caller: Caller, id: number): Promise<Result<Order, OrderError>> {
      const order = await store.orders.byId(id)
      return order && canView(order, caller) ? ok(order) : err({ type: 'OrderNotFound', id })
    },

    async history(caller: Caller, id: number): Promise<Result<StatusChange[], OrderError>> {
      const order = await store.orders.byId(id)
      if (!order || !canView(order, caller)) return err({ type: 'OrderNotFound', id })
      return ok(await store.history.of(id))
    },

    /** A user sees their own orders (a user_id filter only narrows that); an admin sees all. */
    async listOrders(caller: Caller, filter: OrderFilter, page: Page): Promise<{ items: Order[]; total: number }> {
      if (caller.role !== 'ADMIN') {
        if (filter.userId !== undefined && filter.userId !== caller.id) return { items: [], total: 0 }
        return store.orders.list({ ...filter, userId: caller.id }, page)
      }
      return store.orders.list(filter, page)
    },

    /**
     * The owner edits items and shipping address while pending, or cancels; an admin moves the
     * status along the table. What the caller may not change is ignored (a USER's status other
     * than "cancelled", an admin's items on someone else's order).
     */
    async updateOrder(caller: Caller, id: number, u: OrderUpdate, ctx: Ctx = {}): Promise<Result<Order, OrderError>> {
      const merged = u.items !== undefined ? mergeLines(u.items) : undefined
      if (merged && !merged.ok) return merged
      return store.transact(async (tx): Promise<Result<Order, OrderError>> => {
        const found = await findVisible(tx, caller, id)
        if (!found.ok) return found
        const order = found.value
        const actors = actorsOf(order, caller)
        const owner = actors.includes('owner')
        const status = u.status !== undefined && (actors.includes('admin') || (owner && u.status === 'cancelled')) ? u.status : undefined
        const lines = owner ? merged?.value : undefined
        const address = owner ? u.shippingAddress : undefined
        const itemsChanged = lines !== undefined && !sameStockLines(stockLines(lines), stockLines(order.items))
        const addressChanged = address !== undefined && address !== order.shippingAddress
        if (status !== undefined) {
          // Edits that repeat what is there (a whole representation sent back) do not count.
          if (itemsChanged || addressChanged) return err({ type: 'StatusWithEdits' })
          return moveStatus(tx, order, status, actors, caller.id, corr(ctx))
        }
        if (!itemsChanged && !addressChanged) return ok(order)

        // Checked before the products, so a late edit is 409 whatever it names.
        if (order.status !== 'pending') return err({ type: 'NotEditable', status: order.status })
        let items = order.items
        if (itemsChanged) {
          const products = await tx.products.byIds(lines.map((l) => l.productId))
          const missing = unorderable(lines, products)
          if (missing.length) return err({ type: 'UnknownProducts', productIds: missing })
          items = priceLines(lines, products, order.items)
        }
        const edited = editOrder(order, { items, ...(address !== undefined ? { shippingAddress: address } : {}) }, clock.now())
        if (!edited.ok || edited.value === order) return edited
        const saved = await tx.orders.update(edited.value)
        if (itemsChanged) {
          const r = await tx.reservations.byOrder(order.id, true)
          // With a request outstanding, its answer places the new lines (domain/reservation.ts):
          // never two requests in flight for one order. Without one (or, defensively, with stock
          // somehow held for a pending order) the new lines are placed now.
          if (!r) await place(tx, saved, corr(ctx))
          else if (r.state === 'reserved') {
            await tx.events.add(orderCancelled(order.id, r.items), corr(ctx))
            await place(tx, saved, corr(ctx))
          }
        }
        return ok(saved)
      })
    },

    /** The owner deletes while pending, cancelled or rejected; an admin always (reserved stock goes back). */
    async deleteOrder(caller: Caller, id: number, ctx: Ctx = {}): Promise<Result<null, OrderError>> {
      return store.transact(async (tx): Promise<Result<null, OrderError>> => {
        const found = await findVisible(tx, caller, id)
        if (!found.ok) return found
        const allowed = deletable(found.value, caller)
        if (!allowed.ok) return allowed
        await releaseStock(tx, found.value, corr(ctx))
        await tx.orders.remove(id)
        return ok(null)
      })
    },

    /** product.created / updated / deleted → the replica (newer versions only; tombstones are final). */
    async applyProductEvent(envelope: Envelope): Promise<ProductOutcome> {
      if (envelope.type !== 'product.created' && envelope.type !== 'product.updated' && envelope.type !== 'product.deleted') {
        throw new Error(`applyProductEvent cannot handle ${envelope.type}`)
      }
      const event = { type: envelope.type, data: envelope.data } as ProductEvent
      return consume(
        { eventId: envelope.id, correlationId: envelope.correlation_id },
        envelope.type,
        async (tx): Promise<ProductOutcome> => ((await tx.products.apply(fromProductEvent(event))) ? 'applied' : 'stale'),
      )
    },

    /** The catalog reserved the stock of the outstanding request (see domain/reservation.ts). */
    async onStockReserved(data: EventMap['stock.reserved'], meta: EventMeta): Promise<StockOutcome> {
      return consume(meta, 'stock.reserved', async (tx): Promise<StockOutcome> => {
        const [order, r] = await Promise.all([tx.orders.byId(data.order_id, true), tx.reservations.byOrder(data.order_id, true)])
        const d = onReserved(order, r)
        switch (d.kind) {
          case 'confirm': {
            const moved = await moveStatus(tx, order!, 'confirmed', ['system'], 'system', meta.correlationId)
            if (!moved.ok) throw new Error(`confirming order ${data.order_id}: ${moved.error.type}`)
            await tx.reservations.put({ orderId: data.order_id, state: 'reserved', items: r?.items ?? stockLines(order!.items) })
            return 'confirmed'
          }
          case 'replace':
            await tx.events.add(orderCancelled(data.order_id, d.release), meta.correlationId)
            await place(tx, order!, meta.correlationId)
            return 'replaced'
          case 'release':
            await tx.events.add(orderCancelled(data.order_id, d.release), meta.correlationId)
            await tx.reservations.remove(data.order_id)
            return 'released'
          case 'ignore':
            return 'ignored'
        }
      })
    },

    /** The catalog could not reserve the outstanding request. */
    async onStockRejected(data: EventMap['stock.rejected'], meta: EventMeta): Promise<StockOutcome> {
      return consume(meta, 'stock.rejected', async (tx): Promise<StockOutcome> => {
        const [order, r] = await Promise.all([tx.orders.byId(data.order_id, true), tx.reservations.byOrder(data.order_id, true)])
        const d = onRejected(order, r)
        switch (d.kind) {
          case 'reject': {
            const why = { reason: data.reason, productIds: data.product_ids }
            const moved = await moveStatus(tx, order!, 'rejected', ['system'], 'system', meta.correlationId, why)
            if (!moved.ok) throw new Error(`rejecting order ${data.order_id}: ${moved.error.type}`)
            await tx.reservations.remove(data.order_id)
            return 'rejected'
          }
          case 'replace':
            await place(tx, order!, meta.correlationId)
            return 'replaced'
          case 'drop':
            await tx.reservations.remove(data.order_id)
            return 'dropped'
          case 'ignore':
            return 'ignored'
        }
      })
    },

    /** A deleted user's open orders are cancelled by the system (reserved stock goes back); the orders are kept. */
    async onUserDeleted(data: EventMap['user.deleted'], meta: EventMeta): Promise<number | 'duplicate'> {
      return consume(meta, 'user.deleted', async (tx) => {
        const open = await tx.orders.ofUser(data.id, OPEN_STATUSES, true)
        for (const order of open) {
          const moved = await moveStatus(tx, order, 'cancelled', ['system'], 'system', meta.correlationId, { reason: 'user deleted', productIds: null })
          if (!moved.ok) throw new Error(`cancelling order ${order.id}: ${moved.error.type}`)
        }
        return open.length
      })
    },
  }
}

export type OrderCore = ReturnType<typeof makeOrderCore>
