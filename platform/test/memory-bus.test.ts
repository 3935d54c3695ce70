import { describe, expect, test } from 'bun:test'
import { MemoryBus } from '../src/bus/memory.ts'
import { makeEnvelope, type Envelope } from '@shop/kernel/events'

const env = (id: number): Envelope =>
  makeEnvelope('catalog', { type: 'product.deleted', data: { id, version: 2 } }, null, crypto.randomUUID(), new Date())

describe('memory bus', () => {
  test('delivers to every queue bound to the topic, as JSON copies', async () => {
    const bus = new MemoryBus()
    const a: Envelope[] = []
    const b: Envelope[] = []
    await bus.subscribe({
      service: 'order',
      name: 'products',
      topics: ['product.deleted'],
      handler: async (e) => void a.push(e),
    })
    await bus.subscribe({
      service: 'catalog',
      name: 'users',
      topics: ['user.deleted'],
      handler: async (e) => void b.push(e),
    })
    const sent = env(1)
    await bus.publish([sent])
    await bus.settled()
    expect(a).toEqual([sent])
    expect(a[0]).not.toBe(sent)
    expect(b).toEqual([])
  })
  test(
    'poison goes to dead at once; ' + 'a failing handler is retried then dead-lettered; later messages flow',
    async () => {
      const bus = new MemoryBus(undefined, 3)
      const tries = new Map<number, number>()
      await bus.subscribe({
        service: 'order',
        name: 'products',
        topics: ['product.deleted'],
        handler: async (e) => {
          const id = (e.data as { id: number }).id
          tries.set(id, (tries.get(id) ?? 0) + 1)
          if (id === 1) throw new Error('always')
        },
      })
      bus.publishRaw('product.deleted', '{not json')
      bus.publishRaw('product.deleted', JSON.stringify({ ...env(5), data: { id: -1 } }))
      await bus.publish([env(1), env(2)])
      await bus.settled()
      expect(tries.get(1)).toBe(3)
      expect(tries.get(2)).toBe(1)
      expect(bus.dead.get('order.products')).toHaveLength(3)
    },
  )
  test('a handler that cannot reach the database is retried until it can, without being dead-lettered', async () => {
    const bus = new MemoryBus(undefined, 3)
    let tries = 0
    await bus.subscribe({
      service: 'order',
      name: 'products',
      topics: ['product.deleted'],
      handler: async () => {
        if (++tries <= 6) throw Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' })
      },
    })
    await bus.publish([env(1)])
    await bus.settled()
    expect(tries).toBe(7) // more than the 3 attempts a failing handler gets
    expect(bus.dead.get('order.products') ?? []).toHaveLength(0)
  })
  test(
    'an event whose source is not the owner of its type ' + 'is dead-lettered with the reason, never handled',
    async () => {
      const bus = new MemoryBus()
      const seen: string[] = []
      await bus.subscribe({
        service: 'order',
        name: 'products',
        topics: ['product.updated', 'product.deleted'],
        handler: async (e) => void seen.push(e.id),
      })
      const forged = makeEnvelope(
        'auth',
        { type: 'product.deleted', data: { id: 1, version: 9 } },
        null,
        crypto.randomUUID(),
        new Date(),
      )
      const alsoForged = makeEnvelope(
        'order',
        {
          type: 'product.updated',
          data: { id: 1, name: 'p', price: '0.01', stock: 1, category_id: 1, sku: null, version: 9 },
        },
        null,
        crypto.randomUUID(),
        new Date(),
      )
      const genuine = env(2)
      await bus.publish([forged, alsoForged, genuine])
      await bus.settled()
      expect(seen).toEqual([genuine.id])
      expect(bus.dead.get('order.products')?.map((b) => JSON.parse(b).id)).toEqual([forged.id, alsoForged.id])
      expect(bus.deadReasons.get('order.products')).toEqual([
        'not from its owner: source auth does not own product.deleted (its owner is catalog)',
        'not from its owner: source order does not own product.updated (its owner is catalog)',
      ])
    },
  )
})
