/**
 * `make seed` follows the shop `make dev` runs: with AUTH_PORT, CATALOG_PORT, ORDER_PORT and HOST set as for
 * `make dev` (and no *_URL), the seed finds it; the *_URL settings still win.
 */
import { runToEnd } from '@shop/platform/testing/fixtures'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { shopUrls } from '../scripts/origins.ts'
import { type Running, startScript } from './browser/harness.ts'
import { root } from './integration/harness.ts'

describe('shopUrls: where the scripts find a running shop', () => {
  test('the defaults, the ports and HOST as make dev reads them, and the URLs over both', () => {
    expect(shopUrls({})).toEqual({
      auth: 'http://localhost:8000',
      catalog: 'http://localhost:8001',
      order: 'http://localhost:8002',
    })
    expect(shopUrls({ AUTH_PORT: '28000', CATALOG_PORT: '28001', ORDER_PORT: '28002', HOST: '127.0.0.1' })).toEqual({
      auth: 'http://127.0.0.1:28000',
      catalog: 'http://127.0.0.1:28001',
      order: 'http://127.0.0.1:28002',
    })
    expect(shopUrls({ HOST: '0.0.0.0', ORDER_PORT: '9' }).order).toBe('http://localhost:9')
    expect(shopUrls({ HOST: '::1' }).auth).toBe('http://[::1]:8000')
    expect(shopUrls({ AUTH_PORT: '1', AUTH_URL: 'https://auth.example.com/' }).auth).toBe('https://auth.example.com')
  })
})

describe('make seed against make dev on other ports', () => {
  let shop: Running
  let dataDir: string
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'shop-seed-dev-'))
    shop = await startScript('scripts/dev.ts', { DATA_DIR: dataDir, HOST: '127.0.0.1' }, { host: '127.0.0.1' })
  }, 120_000)
  afterAll(async () => {
    await shop?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  test('seeds with only the ports and HOST make dev was given', async () => {
    const port = (url: string) => new URL(url).port
    const { code, out, err } = await runToEnd(['bun', join(root, 'scripts', 'seed.ts')], {
      cwd: tmpdir(), // no .env of the checkout
      env: {
        HOST: '127.0.0.1',
        AUTH_PORT: port(shop.urls.auth),
        CATALOG_PORT: port(shop.urls.catalog),
        ORDER_PORT: port(shop.urls.order),
      },
    })
    expect({ code, err, done: out.includes('seed: done') }).toEqual({ code: 0, err: '', done: true })
    const products = await fetch(`${shop.urls.catalog}/api/v1/products`)
    expect(products.headers.get('X-Total-Count')).toBe('8')
  }, 120_000)
})
