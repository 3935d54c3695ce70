import { describe, expect, test } from 'bun:test'
import { sign } from 'hono/jwt'
import { consumeOne, MAX_EVENT_BYTES } from '../src/bus/consume.ts'
import type { EventSigner } from '../src/bus/signing.ts'
import { TEST_EVENT_KEYS as keys } from '../testing/event-keys.ts'
import { parseEnvelope } from '@shop/kernel/events'
import { envelope } from '../testing/fixtures.ts'
import { clientAddress, createHttpApp } from '../src/http/app.ts'
import { JWT_AUDIENCE, JWT_ISSUER, verifyAccessToken } from '../src/http/jwt.ts'
import { createLogger, silentLogger } from '../src/log.ts'
import { serve } from '../src/service.ts'
import { call } from '../testing/http.ts'

/** Regressions found by tests/security (OWASP API8 and API10), at the kernel's level. */

const docs = { title: 't', version: '1', description: 'd', tokenUrl: '/login' }
const GENERIC = 'an unexpected error occurred; quote the request id when reporting it'

describe('a thrown non-Error (a string, a plain object) is a generic 500, never the thrown text', () => {
  for (const [kind, thrown] of [
    ['a string', 'db password is hunter2 at /srv/app.ts:1'],
    ['a plain object', { message: 'db password is hunter2', stack: 'at /srv/app.ts:1' }],
    ['null', null],
  ] as const) {
    test(kind, async () => {
      const lines: Record<string, unknown>[] = []
      const log = createLogger({ service: 't', sink: (l) => void lines.push(JSON.parse(l)) })
      const app = createHttpApp({ service: 't', log, bodyLimit: 1000, docs })
      app.get('/boom', () => {
        throw thrown
      })
      const r = await call(app, 'GET', '/boom', { headers: { 'X-Request-Id': 'rid-1' } })
      expect(r.status).toBe(500)
      expect(r.headers.get('Content-Type')).toBe('application/problem+json')
      expect(r.headers.get('X-Request-Id')).toBe('rid-1')
      expect(r.body).toEqual({
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        detail: GENERIC,
        code: 'INTERNAL_ERROR',
        instance: '/boom',
        request_id: 'rid-1',
      })
      expect(r.text).not.toContain('hunter2')
      const error = lines.find((l) => l.level === 'error')
      expect(error?.request_id).toBe('rid-1')
      if (thrown) expect(JSON.stringify(error)).toContain('hunter2')
      // and the request is still logged
      expect(lines.some((l) => l.msg === 'request' && l.status === 500)).toBe(true)
    })
  }
})

test("serve(): whatever escapes the app is a generic problem+json 500, not Bun's error page", async () => {
  const lines: string[] = []
  const log = createLogger({ service: 't', sink: (l) => void lines.push(l) })
  const fake = {
    app: { fetch: () => Promise.reject('secret at /srv/x.ts:1') } as never,
    stop: async () => {},
  }
  const served = serve('t', fake, { PORT: 0, HOST: '127.0.0.1', BODY_LIMIT_BYTES: 1000 }, log)
  try {
    const r = await fetch(`${served.url}/anything`)
    const text = await r.text()
    expect(r.status).toBe(500)
    expect(r.headers.get('Content-Type')).toBe('application/problem+json')
    expect(JSON.parse(text)).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', detail: GENERIC })
    expect(text).not.toContain('secret')
    expect(lines.some((l) => l.includes('secret'))).toBe(true)
  } finally {
    await served.close()
  }
})

describe('consumeOne: what no handler should see is dead at once', () => {
  const valid = () => envelope('catalog', { type: 'product.deleted', data: { id: 1, version: 2 } })
  const run = async (
    text: string,
    topics = ['product.deleted' as const],
    signer: EventSigner | null = keys.signers.catalog,
  ) => {
    const seen: unknown[] = []
    const body = new TextEncoder().encode(text)
    const signature = signer ? await signer.sign(body) : undefined
    const { outcome, reason } = await consumeOne(
      body,
      async (e) => void seen.push(e),
      1,
      { maxAttempts: 3, topics, keys: keys.keyring },
      silentLogger,
      { queue: 'q', signature },
    )
    return { outcome, handled: seen.length, reason }
  }
  const outcome = async (...args: Parameters<typeof run>) => {
    const { reason: _, ...rest } = await run(...args)
    return rest
  }

  test('the size is checked first, then the signature, and only then is anything decoded or parsed', async () => {
    expect((await run('x'.repeat(MAX_EVENT_BYTES + 1), undefined, null)).reason).toMatch(/^too large/)
    expect((await run('{not json', undefined, null)).reason).toMatch(/^not from its owner: not signed/)
    expect((await run('{not json', undefined, keys.signers.order)).reason).toBe('not JSON')
  })

  test(`a message over ${MAX_EVENT_BYTES} bytes, whatever field carries the bulk (an unknown one too)`, async () => {
    const pad = (n: number) => JSON.stringify({ ...valid(), padding: 'x'.repeat(n) })
    const fits = pad(1000)
    const overhead = Buffer.byteLength(fits) - 1000
    expect(await outcome(pad(MAX_EVENT_BYTES - overhead))).toEqual({ outcome: 'ack', handled: 1 })
    expect(await outcome(pad(MAX_EVENT_BYTES - overhead + 1))).toEqual({ outcome: 'dead', handled: 0 })
    // bytes, not characters: 2-byte characters count twice
    expect(
      await outcome(pad(Math.ceil((MAX_EVENT_BYTES - overhead) / 2) + 1).replace(/x+/, (m) => 'é'.repeat(m.length))),
    ).toEqual({ outcome: 'dead', handled: 0 })
  })

  test('an envelope of a type the queue is not bound to', async () => {
    const user = envelope('auth', { type: 'user.deleted', data: { id: crypto.randomUUID(), version: 2 } })
    expect(await outcome(JSON.stringify(user), undefined, keys.signers.auth)).toEqual({ outcome: 'dead', handled: 0 })
    expect(await outcome(JSON.stringify(valid()))).toEqual({ outcome: 'ack', handled: 1 })
  })

  test('a NUL or another control character in an event string (it would fail every write, every retry)', () => {
    const env = (over: Record<string, unknown>, data: Record<string, unknown> = {}) =>
      parseEnvelope(
        JSON.parse(
          JSON.stringify({
            ...envelope(
              'catalog',
              {
                type: 'product.created',
                data: { id: 1, name: 'p', price: '1.00', stock: 1, category_id: 1, sku: null, version: 1 },
              },
              'corr',
            ),
            ...over,
            ...(Object.keys(data).length
              ? { data: { id: 1, name: 'p', price: '1.00', stock: 1, category_id: 1, version: 1, ...data } }
              : {}),
          }),
        ),
      ).ok
    expect(env({})).toBe(true)
    expect(env({ correlation_id: 'c\u0000' })).toBe(false)
    expect(env({}, { name: 'p\u0000' })).toBe(false)
    expect(env({}, { name: 'p\u001b[31m' })).toBe(false)
    expect(env({}, { name: 'two\nlines' })).toBe(true)
    expect(env({}, { sku: 'a\u0000' })).toBe(false)
  })
})

describe('verifyAccessToken: the sub must be a UUID (user ids are), or no lookup is made with it', () => {
  const secret = 'x'.repeat(40)
  const claims = (sub: unknown) => ({
    sub,
    username: 'u',
    role: 'USER',
    iat: 1,
    exp: Math.floor(Date.now() / 1000) + 60,
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
  })
  test('refused', async () => {
    for (const sub of ["1' or '1'='1", '42', '', 'not-a-uuid', `${crypto.randomUUID()}x`, 42]) {
      expect(await verifyAccessToken(secret, await sign(claims(sub), secret, 'HS256'))).toBeUndefined()
    }
  })
  test('accepted', async () => {
    const id = crypto.randomUUID()
    expect((await verifyAccessToken(secret, await sign(claims(id), secret, 'HS256')))?.sub).toBe(id)
  })
})

test(
  'clientAddress: behind a trusted proxy the last ' + "X-Forwarded-For hop (the proxy's), else the socket peer",
  async () => {
    const app = createHttpApp({ service: 't', log: silentLogger, bodyLimit: 1000, docs })
    app.get('/ip', (c) => c.json({ trusted: clientAddress(c, true), direct: clientAddress(c, false) }))
    const ip = async (xff?: string) =>
      (await call(app, 'GET', '/ip', { address: '10.0.0.1', ...(xff ? { headers: { 'X-Forwarded-For': xff } } : {}) }))
        .body
    expect(await ip('6.6.6.6, 203.0.113.5')).toEqual({ trusted: '203.0.113.5', direct: '10.0.0.1' })
    expect(await ip(' 203.0.113.5 ')).toEqual({ trusted: '203.0.113.5', direct: '10.0.0.1' })
    expect(await ip()).toEqual({ trusted: '10.0.0.1', direct: '10.0.0.1' })
    expect(await ip('6.6.6.6,')).toEqual({ trusted: '10.0.0.1', direct: '10.0.0.1' })
  },
)
