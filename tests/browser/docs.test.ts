import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { launchChromium, useChromium } from '@shop/shared-kernel/testing/chromium'
import { ADMIN, SECRET, root, useServers } from '../integration/harness.ts'
import { type Running, type ServiceName, startScript, startScriptDatabases } from './harness.ts'

/**
 * The `/docs` page of every service, as a person uses it in Chromium: Authorize logs in with the
 * password flow against auth (a cross-origin request from catalog's and order's pages, so CORS
 * must allow their origins and the headers Swagger UI sends), then one authenticated Try-it-out
 * answers 2xx. Under `make dev` (one process, embedded PGlite) and `make start` (three processes
 * on PostgreSQL and RabbitMQ), each started by its own script on free ports.
 */
const run = useChromium()
const SHOTS = process.env.BROWSER_SCREENSHOTS // a directory: each step's screenshot lands there

interface TryIt {
  readonly method: 'get' | 'post'
  readonly path: string
  readonly body?: string
  readonly status: number
}

const tryIts: Record<ServiceName, TryIt> = {
  auth: { method: 'get', path: '/api/v1/users/me', status: 200 },
  catalog: { method: 'post', path: '/api/v1/category', body: '{"name": "Made in a browser"}', status: 201 },
  order: { method: 'get', path: '/api/v1/orders', status: 200 },
}

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false })
}

/** Logs in through Authorize (password flow), then runs one Try-it-out; returns the shown status. */
async function authorizeAndTry(browser: BrowserContext, docs: string, mode: string, service: ServiceName) {
  const page = await browser.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`))
  const sent: Record<string, string>[] = []
  const op = tryIts[service]
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === op.path) sent.push(r.headers())
  })
  try {
    await page.goto(docs)
    await page.locator('.opblock').first().waitFor()
    const favicon = await page.evaluate(async () => (await fetch('/favicon.ico')).status)
    expect(favicon).toBe(200)

    await page.locator('.auth-wrapper button.authorize').click()
    const oauth = page.locator('.auth-container').filter({ has: page.locator('#oauth_username') })
    await oauth.locator('#oauth_username').fill(ADMIN.username)
    await oauth.locator('#oauth_password').fill(ADMIN.password)
    // Only what the password flow needs: no client_id, client_secret or their location.
    for (const clutter of ['#client_id_password', '#client_secret_password', '#password_type']) {
      expect(await page.locator(clutter).isVisible()).toBe(false)
    }
    await shot(page, `${mode}-${service}-1-authorize`)
    await oauth.locator('button.authorize').click()
    const loggedIn = oauth.locator('button', { hasText: 'Logout' })
    const failed = oauth.locator('.errors')
    await Promise.race([loggedIn.waitFor({ timeout: 15_000 }), failed.waitFor({ timeout: 15_000 })])
    if (await failed.isVisible()) throw new Error(`Authorize failed: ${await failed.innerText()}\n${problems.join('\n')}`)
    await shot(page, `${mode}-${service}-2-authorized`)
    await page.locator('.modal-ux .close-modal').click()

    const block = page.locator(`.opblock.opblock-${op.method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${op.path}"]`) })
    await block.locator('.opblock-summary').first().click()
    await block.locator('button.try-out__btn').click()
    if (op.body) await block.locator('textarea.body-param__text').fill(op.body)
    await block.locator('button.execute').click()
    const status = block.locator('.live-responses-table .response-col_status').first()
    await status.waitFor({ timeout: 15_000 })
    await block.locator('.live-responses-table').scrollIntoViewIfNeeded()
    await shot(page, `${mode}-${service}-3-try-it-out`)
    return { status: Number((await status.innerText()).trim()), authorization: sent.at(-1)?.authorization ?? '', problems }
  } finally {
    await page.close()
  }
}

const modes: { mode: 'make dev' | 'make start'; needsServers: boolean; start: () => Promise<Running> }[] = [
  {
    mode: 'make dev',
    needsServers: false,
    start: () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'shop-browser-'))
      return startScript(join(root, 'scripts', 'dev.ts'), { DATA_DIR: dataDir }, () => rmSync(dataDir, { recursive: true, force: true }))
    },
  },
  {
    mode: 'make start',
    needsServers: true,
    start: async () => {
      const env = await startScriptDatabases()
      // The docs opened on 127.0.0.1 (make dev's on localhost): both spellings of the origins are allowed.
      return startScript(join(root, 'scripts', 'start.ts'), {
        ...env,
        JWT_SECRET: SECRET,
        ADMIN_USERNAME: ADMIN.username,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
      }, undefined, '127.0.0.1')
    },
  },
]

for (const { mode, needsServers, start } of modes) {
  const go = run && (!needsServers || (await useServers()))
  describe.skipIf(!go)(`/docs in Chromium under ${mode}`, () => {
    let shop: Running
    let browser: BrowserContext
    beforeAll(async () => {
      ;[shop, browser] = await Promise.all([start(), launchChromium()])
    }, 120_000)
    afterAll(async () => {
      await browser?.close()
      await shop?.stop()
    })
    for (const service of ['auth', 'catalog', 'order'] as const) {
      test(`${service}: Authorize with the password flow, then an authenticated Try-it-out shows ${tryIts[service].status}`, async () => {
        const r = await authorizeAndTry(browser, `${shop.urls[service]}/docs`, mode.replace(' ', '-'), service)
        expect(r.problems).toEqual([])
        expect(r.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)
        expect(r.status).toBe(tryIts[service].status)
      }, 60_000)
    }
  })
}
