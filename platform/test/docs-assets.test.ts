import { describe, expect, test } from 'bun:test'
import { gunzipSync } from 'node:zlib'
import { createHttpApp } from '../src/http/app.ts'
import { acceptsGzip } from '../src/http/middleware/docs.ts'
import { silentLogger } from '../src/log.ts'

/**
 * The docs pages' own files (Swagger UI's script and styles, ReDoc's script, the OpenAPI document):
 * gzip-compressed to a client that accepts it, as they are to one that does not, the same bytes
 * either way once unpacked. The browser test (tests/browser) loads them compressed in Chromium.
 */
const app = createHttpApp({
  service: 'svc',
  log: silentLogger,
  bodyLimit: 1000,
  ready: {},
  docs: { title: 't', version: '1', description: '', tokenUrl: '/x' },
})
const get = (path: string, acceptEncoding?: string) =>
  app.request(path, acceptEncoding === undefined ? {} : { headers: { 'Accept-Encoding': acceptEncoding } })

describe('docs assets', () => {
  test.each([
    ['gzip, deflate, br', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['br;q=1.0, gzip;q=0.5', true],
    ['*', true],
    ['br', false],
    ['identity', false],
    ['', false],
    [undefined, false],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
    ['*, gzip;q=0', false],
  ] as const)('Accept-Encoding %p allows gzip: %p', (header, allowed) => {
    expect(acceptsGzip(header)).toBe(allowed)
  })

  test.each([
    '/docs/assets/swagger-ui-bundle.js',
    '/docs/assets/swagger-ui.css',
    '/redoc/assets/redoc.standalone.js',
    '/openapi.json',
  ])('%s: gzip to a client that accepts it, the same bytes unpacked; as it is to one that does not', async (path) => {
    const plain = await get(path)
    expect(plain.status).toBe(200)
    expect(plain.headers.get('Content-Encoding')).toBeNull()
    expect(plain.headers.get('Vary')).toBe('Accept-Encoding')
    const text = await plain.text()
    expect(text.length).toBeGreaterThan(100)
    for (const header of ['gzip, deflate, br', 'gzip']) {
      const packed = await get(path, header)
      expect(packed.status).toBe(200)
      expect(packed.headers.get('Content-Encoding')).toBe('gzip')
      expect(packed.headers.get('Vary')).toBe('Accept-Encoding')
      expect(packed.headers.get('Content-Type')).toBe(plain.headers.get('Content-Type'))
      const bytes = new Uint8Array(await packed.arrayBuffer())
      expect(new TextDecoder().decode(gunzipSync(bytes))).toBe(text)
      expect(bytes.length).toBeLessThan(text.length / 2)
    }
    expect((await get(path, 'gzip;q=0, br')).headers.get('Content-Encoding')).toBeNull()
  })

  test("ReDoc's script, compressed or not, fetches nothing from a CDN", async () => {
    for (const header of [undefined, 'gzip']) {
      const r = await get('/redoc/assets/redoc.standalone.js', header)
      const bytes = new Uint8Array(await r.arrayBuffer())
      const text = new TextDecoder().decode(header ? gunzipSync(bytes) : bytes)
      expect(text).not.toContain('cdn.redoc.ly')
    }
  })

  test('only the listed files: any other name, an object key included, is 404 problem+json', async () => {
    for (const file of ['index.html', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const r = await get(`/docs/assets/${file}`, 'gzip')
      expect({ file, status: r.status, type: r.headers.get('Content-Type') }).toEqual({
        file,
        status: 404,
        type: 'application/problem+json',
      })
    }
  })
})
