import { existsSync } from 'node:fs'
import { type BrowserContext, chromium } from 'playwright-core'
import { inCI } from './databases.ts'

/**
 * Debian's chromium for the browser tests (`make test` installs it when missing, through
 * scripts/ensure-debian.sh), driven by playwright-core: no browser download of its own.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Whether browser tests run: yes when chromium is installed; when not, CI fails and a laptop skips with a notice. */
export function useChromium(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true
  const why = `chromium is not installed at ${CHROMIUM_PATH} (make chromium, or apt-get install -y chromium)`
  if (inCI()) throw new Error(`${why}, and CI requires it`)
  console.warn(`[skip] ${why}: browser tests skipped (they fail in CI)`)
  return false
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
] as const

/** A headless chromium, and how to close it. */
export interface Chromium {
  /**
   * A new context: a profile of its own, empty, in memory (no cookie, storage or cache of another
   * context), as a newcomer's fresh browser window; close it when done.
   */
  newContext(): Promise<BrowserContext>
  close(): Promise<void>
}

/**
 * A headless chromium on an empty `--user-data-dir` (a new temporary one, which Playwright creates
 * and removes). One launch serves many pages: each test opens its own context (`newContext`), which
 * shares nothing with the others, for a fraction of a launch's second.
 */
export async function launchChromium(): Promise<Chromium> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] })
  return {
    newContext: () => browser.newContext({ viewport: { width: 1280, height: 900 } }),
    close: () => browser.close(),
  }
}
