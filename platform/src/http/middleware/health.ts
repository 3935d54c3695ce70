import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { problemResponse } from '../problem.ts'

/** Readiness checks by name (database, broker): each resolves when usable, rejects when not. */
export type ReadyChecks = Readonly<Record<string, () => Promise<unknown>>>

/**
 * A readiness check's refusal whose message may be shown to anyone (a queue's name, "shutting
 * down"): it goes into the 503's detail. Other errors (a database's message) only go to the log.
 */
export class NotReady extends Error {
  override readonly name = 'NotReady'
}

const CHECK_TIMEOUT_MS = 2000

/**
 * `/health` (the process answers), `/health/live` (liveness: the event loop runs, so the process
 * answers; it never looks at the database or the broker, whose outage is readiness' business, not
 * a reason to restart) and `/health/ready` (every check passes within 2 s; else 503 in
 * problem+json with a `checks` object naming what is down, and the detail saying why when a check
 * refused with NotReady). Mounted at `/health`.
 */
export function health(ready: ReadyChecks = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.get('/', (c) => c.json({ status: 'ok' }))
  app.get('/live', (c) => c.json({ status: 'ok' }))
  app.get('/ready', async (c) => {
    const checks: Record<string, 'up' | 'down'> = {}
    const why: Record<string, string> = {}
    await Promise.all(
      Object.entries(ready).map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS)
          checks[name] = 'up'
        } catch (e) {
          checks[name] = 'down'
          if (e instanceof NotReady) why[name] = e.message
          c.get('log').warn('readiness check failed', { check: name, error: e })
        }
      }),
    )
    const down = Object.keys(checks).filter((k) => checks[k] === 'down')
    const said = down.map((k) => (why[k] ? `${k} down (${why[k]})` : `${k} down`))
    if (down.length) return problemResponse(c, 503, 'NOT_READY', `not ready: ${said.join(', ')}`, { checks })
    return c.json({ status: 'ok', checks })
  })
  return app
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout>
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
    }),
  ])
}
