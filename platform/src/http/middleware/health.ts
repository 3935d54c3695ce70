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
    v.description('each dependency (database, broker) and whether it answered'),
  ),
})

/** The named schemas of the health answers, in every service's document. */
export const HEALTH_SCHEMAS = { Health: HealthOut, Readiness: ReadinessOut }

const OK = { status: 'ok' }

/** The examples of the health operations. */
export const HEALTH_EXAMPLES: ExampleBook = {
  health: { responses: { 200: OK } },
  liveness: { responses: { 200: OK } },
  readiness: { responses: { 200: { status: 'ok', checks: { database: 'up', broker: 'up' } } } },
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
    ...(ready ? { errors: { 503: 'a dependency did not answer within 2 s; `checks` names it' } } : {}),
  })

/** Readiness checks by name (database, broker): each resolves when usable, rejects when not. */
export type ReadyChecks = Readonly<Record<string, () => Promise<unknown>>>

const CHECK_TIMEOUT_MS = 2000

/**
 * `/health` (the process answers), `/health/live` (liveness: the event loop runs, so the process
 * answers; it never looks at the database or the broker, whose outage is readiness' business, not
 * a reason to restart) and `/health/ready` (every check passes within 2 s; else 503 in
 * problem+json with a `checks` object naming what is down). Mounted at `/health`.
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
    'Readiness: the database and the broker answer',
    'Answers 200 with `checks` when every dependency answers within 2 s, else 503 (`NOT_READY`) naming what ' +
      'is down (the readiness probe; compose health checks).',
    true,
  )
  app.get('/ready', readyDoc, async (c) => {
    const checks: Record<string, 'up' | 'down'> = {}
    await Promise.all(
      Object.entries(ready).map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS)
          checks[name] = 'up'
        } catch (e) {
          checks[name] = 'down'
          c.get('log').warn('readiness check failed', { check: name, error: e })
        }
      }),
    )
    const down = Object.keys(checks).filter((k) => checks[k] === 'down')
    if (down.length) return problemResponse(c, 503, 'NOT_READY', `not ready: ${down.join(', ')} down`, { checks })
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
