import { describe, expect, test } from 'bun:test'
import { MemoryBus } from '../src/bus/memory.ts'
import { signEvents } from '../src/bus/signing.ts'
import type { Envelope, EventType } from '@shop/kernel/events'
import { envelope } from '../testing/fixtures.ts'
import type { Handler } from '../src/bus/bus.ts'
import { silentLogger } from '../src/log.ts'
import { TEST_EVENT_KEYS as keys } from '../testing/event-keys.ts'

const env = (id: number): Envelope => envelope('catalog', { type: 'product.deleted', data: { id, version: 2 } })

/** The order service's products queue on `bus`, with `handler`. */
const orderProducts = (bus: MemoryBus, topics: EventType[], handler: Handler) =>
  bus.subscribe({ service: 'order', name: 'products', topics, handler })

describe('memory bus', () => {
  test('delivers to every queue bound to the topic, as JSON copies', async () => {
    const bus = new MemoryBus(keys.keyring)
    const a: Envelope[] = []
    const b: Envelope[] = []
    await orderProducts(bus, ['product.deleted'], async (e) => void a.push(e))
    await bus.subscribe({
      service: 'catalog',
      name: 'users',
      topics: ['user.deleted'],
      handler: async (e) => void b.push(e),
    })
    const sent = env(1)
    await bus.publish(await keys.sign([sent]))
    await bus.settled()
    expect(a).toEqual([sent])
    expect(a[0]).not.toBe(sent)
    expect(b).toEqual([])
  })
  test(
    'poison goes to dead at once; ' + 'a failing handler is retried then dead-lettered; later messages flow',
    async () => {
      const bus = new MemoryBus(keys.keyring, undefined, 3)
      const tries = new Map<number, number>()
      await orderProducts(bus, ['product.deleted'], async (e) => {
        const id = (e.data as { id: number }).id
        tries.set(id, (tries.get(id) ?? 0) + 1)
        if (id === 1) throw new Error('always')
      })
      for (const poison of ['{not json', JSON.stringify({ ...env(5), data: { id: -1 } })]) {
        const body = new TextEncoder().encode(poison)
        bus.publishRaw('product.deleted', body, { signature: await keys.signers.catalog.sign(body) })
      }
      await bus.publish(await keys.sign([env(1), env(2)]))
      await bus.settled()
      expect(tries.get(1)).toBe(3)
      expect(tries.get(2)).toBe(1)
      expect(bus.dead.get('order.products')).toHaveLength(3)
    },
  )
  test('a handler that cannot reach the database is retried until it can, without being dead-lettered', async () => {
    const bus = new MemoryBus(keys.keyring, undefined, 3)
    let tries = 0
    await orderProducts(bus, ['product.deleted'], async () => {
      if (++tries <= 6) throw Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' })
    })
    await bus.publish(await keys.sign([env(1)]))
    await bus.settled()
    expect(tries).toBe(7) // more than the 3 attempts a failing handler gets
    expect(bus.dead.get('order.products') ?? []).toHaveLength(0)
  })
  test(
    'an event whose source is not the owner of its type ' + 'is dead-lettered with the reason, never handled',
    async () => {
      const bus = new MemoryBus(keys.keyring)
      const seen: string[] = []
      await orderProducts(bus, ['product.updated', 'product.deleted'], async (e) => void seen.push(e.id))
      const forged = envelope('auth', { type: 'product.deleted', data: { id: 1, version: 9 } })
      const alsoForged = envelope('order', {
        type: 'product.updated',
        data: { id: 1, name: 'p', price: '0.01', stock: 1, category_id: 1, sku: null, version: 9 },
      })
      const genuine = env(2)
      // signed by the owner of their type (the catalog): only the source is forged
      const byCatalog = async (e: Envelope) => (await signEvents(keys.signers.catalog, [e]))[0]!
      await bus.publish([await byCatalog(forged), await byCatalog(alsoForged), await byCatalog(genuine)])
      await bus.settled()
      expect(seen).toEqual([genuine.id])
      expect(bus.dead.get('order.products')?.map((b) => JSON.parse(b).id)).toEqual([forged.id, alsoForged.id])
      expect(bus.deadReasons.get('order.products')).toEqual([
        'not from its owner: source auth does not own product.deleted (its owner is catalog)',
        'not from its owner: source order does not own product.updated (its owner is catalog)',
      ])
    },
  )

  test(
    'the memory bus verifies too: unsigned, badly signed, unknown-key and ' +
      'wrong-owner events are dead, with the reason',
    async () => {
      const bus = new MemoryBus(keys.keyring)
      const seen: string[] = []
      await orderProducts(bus, ['product.deleted'], async (e) => void seen.push(e.id))
      const [a, b, c, d, genuine] = [env(1), env(2), env(3), env(4), env(5)]
      const bytes = (e: Envelope) => new TextEncoder().encode(JSON.stringify(e))
      bus.publishRaw('product.deleted', bytes(a))
      const good = await keys.signers.catalog.sign(bytes(b))
      bus.publishRaw('product.deleted', bytes(b), {
        signature: { ...good, value: good.value.replace(/^./, (x) => (x === 'A' ? 'B' : 'A')) },
      })
      bus.publishRaw('product.deleted', bytes(c), {
        signature: { ...(await keys.signers.catalog.sign(bytes(c))), keyId: 'nobody' },
      })
      bus.publishRaw('product.deleted', bytes(d), { signature: await keys.signers.order.sign(bytes(d)) })
      await bus.publish(await keys.sign([genuine]))
      await bus.settled()
      expect(seen).toEqual([genuine.id])
      expect(bus.deadReasons.get('order.products')).toEqual([
        'not from its owner: not signed (no x-shop-signature and x-shop-key-id headers)',
        "not from its owner: bad signature: it does not verify with catalog's key catalog-test",
        'not from its owner: signed with an unknown key "nobody"',
        "not from its owner: signed with order's key order-test, not by catalog, the owner of product.deleted",
      ])
      expect(await bus.deadLetters('order')).toEqual({ 'order.products.dead': 4 })
      expect(await bus.deadLetters('catalog')).toEqual({})
    },
  )

  test('dead letters are bounded: beyond the bound the oldest goes (drop-head, as the broker policy)', async () => {
    const bus = new MemoryBus(keys.keyring, silentLogger, 3, 2)
    await orderProducts(bus, ['product.deleted'], async () => {})
    for (let i = 0; i < 4; i++) bus.publishRaw('product.deleted', `{"n":${i}}`)
    await bus.settled()
    expect(bus.dead.get('order.products')).toEqual(['{"n":2}', '{"n":3}'])
    expect(bus.deadReasons.get('order.products')).toHaveLength(2)
  })
})
