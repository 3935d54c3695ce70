import { Hono } from 'hono'
import * as v from 'valibot'
import type { AppEnv } from '../env.ts'
import { describeRoute, type ExampleBook } from '../openapi-meta.ts'
import { problemResponse } from '../problem.ts'

const HealthOut = v.object({ status: v.pipe(v.literal('ok'), v.description('the process answers')) })
const ReadinessOut = v.object({
  status: v.literal('ok'),
  checks: v.pipe(
    v.record(v.string(), v.picklist(['up', 'down'])),
    v.description(
      'each check and whether it passed: database, broker, consumers (every queue consumed), ' +
        'serving (not shutting down)',
    ),
  ),
})

/** The named schemas of the health answers, in every service's document. */
export const HEALTH_SCHEMAS = { Health: HealthOut, Readiness: ReadinessOut }

const OK = { status: 'ok' }

/** The examples of the health operations. */
export const HEALTH_EXAMPLES: ExampleBook = {
  health: { responses: { 200: OK } },
  liveness: { responses: { 200: OK } },
  readiness: {
    responses: { 200: { status: 'ok', checks: { database: 'up', broker: 'up', consumers: 'up', serving: 'up' } } },
  },
}
const doc = (operationId: string, summary: string, description: string, ready = false) =>
  describeRoute({
    operationId,
    summary,
    description,
    tags: ['health'],
    responses: {
      200: ready
        ? { description: 'every dependency answered within 2 s', schema: ReadinessOut }
        : { description: 'the process answers', schema: HealthOut },
    },
    ...(ready
      ? {
          errors: {
            503: 'a check failed (a dependency down, a consumer not attached, shutting down); `checks` names it',
          },
        }
      : {}),
  })

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
  app.get('/', doc('health', 'The process answers', 'Answers 200 while the process runs.'), (c) => c.json(OK))
  app.get(
    '/live',
    doc(
      'liveness',
      'Liveness: the event loop runs',
      "Answers 200 while the process' event loop runs; never looks at the database or the broker, whose outage " +
        "is readiness' business, not a reason to restart (the liveness and startup probes).",
    ),
    (c) => c.json(OK),
  )
  const readyDoc = doc(
    'readiness',
    'Readiness: the database and the broker answer, every consumer is attached',
    'Answers 200 with `checks` when the database and the broker answer within 2 s, every queue has its consumer ' +
      'attached and the service is not shutting down, else 503 (`NOT_READY`) naming what is down, the detail ' +
      'saying why (the readiness probe; compose and HAProxy health checks).',
    true,
  )
  app.get('/ready', readyDoc, async (c) => {
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
