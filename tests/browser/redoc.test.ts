/**
 * Each service's `/redoc` reference page in Chromium under `make dev` (scripts/dev.ts as a process on free ports):
 * ReDoc's standalone bundle, served by the service itself from the `redoc` package, renders the document with its
 * examples (the seed's data), and nothing on the page fails: no console error, no failed request, no 4xx/5xx, and
 * no request leaves the service (no CDN, no web font).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchChromium, useChromium } from '@shop/platform/testing/chromium'
import { root } from '../integration/harness.ts'
import { type Running, startScript } from './harness.ts'

const run = useChromium()
const SHOTS = process.env.BROWSER_SCREENSHOTS

/** An operation's summary the page must show, and a value from its examples. */
const expected = {
  auth: { summary: 'Log in with username (or email) and password', example: 'alice-password' },
  catalog: { summary: 'The category tree, nested', example: 'Laptop 14' },
  order: { summary: 'Place an order', example: 'alice, 1 Seed Street' },
} as const

describe.skipIf(!run)('/redoc in Chromium under make dev', () => {
  let shop: Running
  let dataDir: string
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'shop-redoc-'))
    shop = await startScript(join(root, 'scripts', 'dev.ts'), { DATA_DIR: dataDir })
  }, 120_000)
  afterAll(async () => {
    await shop?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  for (const service of ['auth', 'catalog', 'order'] as const) {
    test(`${service}: the reference renders with its examples, and nothing on the page fails`, async () => {
      const browser = await launchChromium()
      const problems: string[] = []
      const origins = new Set<string>()
      try {
        const page = await browser.context.newPage()
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(`console: ${m.text()}`)
        })
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
        page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`))
        page.on('request', (r) => {
          if (!r.url().startsWith('blob:') && !r.url().startsWith('data:')) origins.add(new URL(r.url()).origin)
        })
        page.on('response', (r) => {
          if (r.status() >= 400) problems.push(`${r.status()}: ${r.request().method()} ${r.url()}`)
        })
        await page.goto(`${shop.urls[service]}/redoc`)
        await page.locator('h2', { hasText: expected[service].summary }).first().waitFor({ timeout: 30_000 })
        const html = await page.content()
        if (SHOTS) await page.screenshot({ path: join(SHOTS, `redoc-${service}.png`) })
        expect(html).toContain(expected[service].example)
        // The problem examples show their own status: the 401's is a 401.
        expect(html).toContain('TOKEN_EXPIRED')
      } finally {
        await browser.close()
      }
      console.log(`browser: make dev, ${service} /redoc rendered; problems on the page: ${problems.length}`)
      expect(problems).toEqual([])
      expect([...origins]).toEqual([new URL(shop.urls[service]).origin])
    }, 60_000)
  }
})
