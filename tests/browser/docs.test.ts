import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { type Chromium, launchChromium, useChromium } from '@shop/platform/testing/chromium'
import { ADMIN, SECRET, type ServiceName, root, useServers } from '../integration/harness.ts'
import { dropDatabases, type Running, startDatabases, startScript } from './harness.ts'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'

/**
 * The `/docs` page of every service, as a person uses it in Chromium: Authorize logs in with the
 * password flow against auth (from catalog's and order's pages a cross-origin request with
 * `X-Requested-With`, so auth's CORS must allow their origins and that header), then one
 * authenticated Try-it-out shows a 2xx. Under `make dev` (one process, embedded PGlite, memory
 * bus) and `make start` (three processes on PostgreSQL and RabbitMQ), each started by its own
 * script on free ports. Nothing on the page may fail: no console error, no failed request, no
 * 4xx/5xx (the favicon included). Under `make dev`, each service's `/redoc` too (redocRenders).
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

interface Outcome {
  readonly status: number
  readonly shown: string
  readonly authorization: string
  readonly login: { origin: string; headers: Record<string, string>; body: string } | undefined
  readonly problems: string[]
  /** The Content-Encoding Swagger UI's script came with (Chromium asks for gzip). */
  readonly bundleEncoding: string | undefined
}

/** Logs in through Authorize (password flow), then runs one Try-it-out; returns what the page showed. */
async function authorizeAndTry(
  browser: BrowserContext,
  docs: string,
  label: string,
  service: ServiceName,
): Promise<Outcome> {
  const page = await browser.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`))
  let bundleEncoding: string | undefined
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()}: ${r.request().method()} ${r.url()}`)
    if (new URL(r.url()).pathname === '/docs/assets/swagger-ui-bundle.js')
      bundleEncoding = r.headers()['content-encoding']
  })
  const op = tryIts[service]
  const sent: Record<string, string>[] = []
  let login: { origin: string; headers: Record<string, string>; body: string } | undefined
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname
    if (path === op.path) sent.push(r.headers())
    if (path === '/api/v1/auth/login' && r.method() === 'POST')
      login = { origin: new URL(r.url()).origin, headers: r.headers(), body: r.postData() ?? '' }
  })
  try {
    await page.goto(docs)
    await page.locator('.opblock').first().waitFor()

    await page.locator('.auth-wrapper button.authorize').click()
    // The password flow's box (its inputs turn into text once authorized).
    const oauth = page.locator('.auth-container').filter({ hasText: 'OAuth2Password' })
    await oauth.locator('#oauth_username').fill(ADMIN.username)
    await oauth.locator('#oauth_password').fill(ADMIN.password)
    // Only what the password flow needs: no client_id, client_secret or their location.
    for (const clutter of ['#client_id_password', '#client_secret_password', '#password_type']) {
      expect({ clutter, visible: await page.locator(clutter).isVisible() }).toEqual({ clutter, visible: false })
    }
    await shot(page, `${label}-${service}-1-authorize`)
    await oauth.locator('button.authorize').click()
    const loggedIn = oauth.locator('button', { hasText: 'Logout' })
    const failed = oauth.locator('.errors')
    await Promise.race([loggedIn.waitFor({ timeout: 15_000 }), failed.waitFor({ timeout: 15_000 })])
    if (await failed.isVisible())
      throw new Error(`Authorize failed: ${await failed.innerText()}\n${problems.join('\n')}`)
    await shot(page, `${label}-${service}-2-authorized`)
    await page.locator('.modal-ux .close-modal').click()

    const block = page
      .locator(`.opblock.opblock-${op.method}`)
      .filter({ has: page.locator(`.opblock-summary-path[data-path="${op.path}"]`) })
    await block.locator('.opblock-summary').first().click()
    await block.locator('button.try-out__btn').click()
    if (op.body) await block.locator('textarea.body-param__text').fill(op.body)
    await block.locator('button.execute').click()
    const status = block.locator('.live-responses-table tbody .response-col_status').first()
    await status.waitFor({ timeout: 15_000 })
    await block.locator('.live-responses-table').scrollIntoViewIfNeeded()
    await shot(page, `${label}-${service}-3-try-it-out`)
    const shown = await block.locator('.live-responses-table tbody .response-col_description').first().innerText()
    return {
      status: Number((await status.innerText()).trim()),
      shown,
      authorization: sent.at(-1)?.authorization ?? '',
      login,
      problems,
      bundleEncoding,
    }
  } finally {
    await page.close()
  }
}

/** An operation's summary the page must show, and a value from its examples. */
const expected = {
  auth: { summary: 'Log in with username (or email) and password', example: 'alice-password' },
  catalog: { summary: 'The category tree, nested', example: 'Laptop 14' },
  order: { summary: 'Place an order', example: 'alice, 1 Seed Street' },
} as const

/**
 * A service's `/redoc` reference page (`url` is the service's): ReDoc's standalone bundle, served by the
 * service itself from the `redoc` package, renders the document with its examples (the seed's data),
 * and nothing on the page fails: no console error, no failed request, no 4xx/5xx, and no request
 * leaves the service (no CDN, no web font).
 */
async function redocRenders(browser: Chromium, url: string, service: ServiceName): Promise<void> {
  const context = await browser.newContext()
  const problems: string[] = []
  const origins = new Set<string>()
  try {
    const page = await context.newPage()
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
    await page.goto(`${url}/redoc`)
    await page.locator('h2', { hasText: expected[service].summary }).first().waitFor({ timeout: 30_000 })
    const html = await page.content()
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `redoc-${service}.png`) })
    expect(html).toContain(expected[service].example)
    // The problem examples show their own status: the 401's is a 401.
    expect(html).toContain('TOKEN_EXPIRED')
  } finally {
    await context.close()
  }
  console.log(`browser: make dev, ${service} /redoc rendered; problems on the page: ${problems.length}`)
  expect(problems).toEqual([])
  expect([...origins]).toEqual([new URL(url).origin])
}

const modes: { mode: 'make dev' | 'make start'; needsServers: boolean; start: () => Promise<Running> }[] = [
  {
    mode: 'make dev',
    needsServers: false,
    start: () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'shop-browser-'))
      return startScript(
        join(root, 'scripts', 'dev.ts'),
        { DATA_DIR: dataDir, ADMIN_USERNAME: ADMIN.username, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
        { cleanup: () => rmSync(dataDir, { recursive: true, force: true }) },
      )
    },
  },
  {
    mode: 'make start',
    needsServers: true,
    start: async () => {
      const env = await startDatabases()
      // Run as a newcomer runs it: with the `.env` the README says to copy from `.env.example`
      // (its empty CORS_ORIGINS once turned CORS off: auth answered the preflight 405). Opened on
      // 127.0.0.1 (make dev's on localhost): both spellings of the docs origins are allowed.
      const dir = mkdtempSync(join(tmpdir(), 'shop-browser-start-'))
      copyFileSync(join(root, '.env.example'), join(dir, '.env'))
      return startScript(
        join(root, 'scripts', 'start.ts'),
        {
          ...env,
          DATABASE_POOL_MAX: '3',
          JWT_SECRET: SECRET,
          AUTH_EVENT_SIGNING_KEY: TEST_EVENT_KEYS.signingKeys.auth,
          CATALOG_EVENT_SIGNING_KEY: TEST_EVENT_KEYS.signingKeys.catalog,
          ORDER_EVENT_SIGNING_KEY: TEST_EVENT_KEYS.signingKeys.order,
          ADMIN_USERNAME: ADMIN.username,
          ADMIN_EMAIL: ADMIN.email,
          ADMIN_PASSWORD: ADMIN.password,
          HOST: '127.0.0.1',
        },
        {
          host: '127.0.0.1',
          cwd: dir,
          cleanup: async () => {
            rmSync(dir, { recursive: true, force: true })
            await dropDatabases()
          },
        },
      )
    },
  },
]

for (const { mode, needsServers, start } of modes) {
  const go = run && (!needsServers || (await useServers()))
  describe.skipIf(!go)(`/docs in Chromium under ${mode}`, () => {
    let shop: Running | undefined
    let browser: Chromium
    beforeAll(async () => {
      ;[shop, browser] = await Promise.all([start(), launchChromium()])
    }, 120_000)
    afterAll(async () => {
      await Promise.all([shop?.stop(), browser?.close()])
    })
    for (const service of ['auth', 'catalog', 'order'] as const) {
      const op = tryIts[service]
      test(`${service}: Authorize with the password flow, ` +
        `then ${op.method.toUpperCase()} ${op.path} in Try-it-out shows ${op.status}`, async () => {
        // A context of its own for each page (an empty profile each time), as a newcomer opens one
        // docs page: nothing one page stored (a login, a cache) can help or hinder the next.
        const context = await browser.newContext()
        const r = await authorizeAndTry(context, `${shop!.urls[service]}/docs`, mode.replace(' ', '-'), service)
          .catch((e: unknown) => {
            throw new Error(
              `${e instanceof Error ? e.message : String(e)}\n--- ` +
                `what the shop printed:\n${shop!.output().slice(-4000)}`,
            )
          })
          .finally(() => context.close())
        console.log(
          `browser: ${mode}, ${service} /docs: Authorize at ${r.login?.origin}, ` +
            `Try-it-out ${op.method.toUpperCase()} ${op.path} -> ${r.status}; ` +
            `problems on the page: ${r.problems.length}`,
        )
        expect(r.problems).toEqual([])
        // Every service's Authorize logs in at its auth (catalog's and order's pages cross-origin),
        // with the username and password only: no client credentials, empty or not.
        expect(r.login?.origin).toBe(new URL(shop!.urls.auth).origin)
        expect(r.login?.headers.authorization).toBeUndefined()
        expect([...new URLSearchParams(r.login?.body).keys()].sort()).toEqual(['grant_type', 'password', 'username'])
        expect(r.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)
        expect(r.status).toBe(op.status)
        expect(r.shown).not.toContain('Failed to fetch')
        expect(r.bundleEncoding).toBe('gzip') // 0.46 MB instead of 1.7
      }, 60_000)
    }
    // the reference pages, on the same make dev
    if (mode === 'make dev') {
      for (const service of ['auth', 'catalog', 'order'] as const) {
        test(
          `${service}: /redoc renders with its examples, and nothing on the page fails`,
          () => redocRenders(browser, shop!.urls[service], service),
          60_000,
        )
      }
    }
  })
}
