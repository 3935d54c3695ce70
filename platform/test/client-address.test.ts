import { describe, expect, test } from 'bun:test'
import { Hono } from 'hono'
import { type TrustProxy, clientAddress } from '../src/http/client-address.ts'
import type { AppEnv } from '../src/http/env.ts'
import { loadConfig, settings } from '../src/config.ts'
import * as v from 'valibot'

/** The address clientAddress finds for a request from `peer` carrying `xff`, under `trust`. */
async function seen(trust: TrustProxy, peer: string, xff?: string): Promise<string> {
  const app = new Hono<AppEnv>()
  app.get('/', (c) => c.text(clientAddress(c, trust)))
  const r = await app.request(
    '/',
    { headers: xff ? { 'X-Forwarded-For': xff } : {} },
    {
      requestIP: () => ({ address: peer, family: 'IPv4', port: 1 }),
    },
  )
  return r.text()
}

describe('the client address', () => {
  test('TRUST_PROXY false: the peer, whatever X-Forwarded-For says', async () => {
    expect(await seen(false, '10.0.0.9', '1.2.3.4')).toBe('10.0.0.9')
  })

  test('TRUST_PROXY true: the last X-Forwarded-For hop, from any peer', async () => {
    expect(await seen(true, '10.0.0.9', '6.6.6.6, 1.2.3.4')).toBe('1.2.3.4')
  })

  test('X-Forwarded-For counts only when its hop parses as an IP address (v4, v6); else the peer', async () => {
    expect(await seen(true, '10.0.0.9', '2001:DB8::1')).toBe('2001:db8::1')
    expect(await seen(true, '10.0.0.9', '::ffff:192.0.2.4')).toBe('192.0.2.4')
    expect(await seen(true, '10.0.0.9', '1.2.3.4, garbage!!')).toBe('10.0.0.9')
    expect(await seen(true, '10.0.0.9', 'x'.repeat(6000))).toBe('10.0.0.9')
    expect(await seen(true, '10.0.0.9', 'proxy.example')).toBe('10.0.0.9')
    expect(await seen(true, '10.0.0.9', '1.2.3.999')).toBe('10.0.0.9')
    expect(await seen(['127.0.0.2'], '127.0.0.2', 'unknown')).toBe('127.0.0.2')
  })

  test('TRUST_PROXY as addresses: X-Forwarded-For only from those peers (HAProxy), never from a client', async () => {
    const haproxy = ['127.0.0.2']
    expect(await seen(haproxy, '127.0.0.2', '6.6.6.6, 1.2.3.4')).toBe('1.2.3.4')
    expect(await seen(haproxy, '::ffff:127.0.0.2', '1.2.3.4')).toBe('1.2.3.4')
    // A client that reaches the instance directly: its own header is not believed.
    expect(await seen(haproxy, '127.0.0.1', '1.2.3.4')).toBe('127.0.0.1')
    expect(await seen(haproxy, '::ffff:127.0.0.1', '1.2.3.4')).toBe('127.0.0.1')
    expect(await seen(haproxy, '127.0.0.2')).toBe('127.0.0.2')
  })

  test('the setting: true/false as before, or IP addresses; anything else stops the service', () => {
    const load = (TRUST_PROXY?: string) => loadConfig(v.object({ TRUST_PROXY: settings.trustProxy() }), { TRUST_PROXY })
    expect(load().TRUST_PROXY).toBe(false)
    expect(load('true').TRUST_PROXY).toBe(true)
    expect(load('no').TRUST_PROXY).toBe(false)
    expect(load('127.0.0.2, ::1').TRUST_PROXY).toEqual(['127.0.0.2', '::1'])
    expect(() => load('haproxy')).toThrow(/TRUST_PROXY/)
  })
})
