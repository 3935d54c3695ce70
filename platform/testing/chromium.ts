import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

/** A headless chromium's one context, and how to close it (its profile removed). */
export interface Chromium {
  readonly context: BrowserContext
  close(): Promise<void>
}

/** A headless chromium on a fresh, empty profile: a new temporary `--user-data-dir`, removed on close. */
export async function launchChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'shop-chromium-'))
  const remove = () => rmSync(profile, { recursive: true, force: true, maxRetries: 3 })
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: { width: 1280, height: 900 },
    })
    return {
      context,
      close: async () => {
        await context.close()
        remove()
      },
    }
  } catch (e) {
    remove()
    throw e
  }
}
