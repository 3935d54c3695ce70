import type { Table } from '@shop/platform/memory/transactor'
import type { Reservation } from '../../domain/stock.ts'
import type { Reservations } from '../../ports.ts'

export class MemoryReservations implements Reservations {
  constructor(private readonly rows: Table<number, Reservation>) {}

  async open(r: Reservation) {
    if (this.rows.get(r.orderId)?.status === 'reserved') return false
    this.rows.set(r.orderId, r)
    return true
  }

  async byOrder(orderId: number) {
    return this.rows.get(orderId)
  }

  async reject(orderId: number, why: { reason: string; productIds: readonly number[] }, now: Date) {
    const r = this.rows.get(orderId)
    if (r)
      this.rows.set(orderId, {
        ...r,
        status: 'rejected',
        reason: why.reason,
        productIds: [...why.productIds],
        updatedAt: now,
      })
  }

  async release(orderId: number, now: Date) {
    const r = this.rows.get(orderId)
    if (r?.status !== 'reserved') return undefined
    const released: Reservation = { ...r, status: 'released', updatedAt: now }
    this.rows.set(orderId, released)
    return released
  }
}
