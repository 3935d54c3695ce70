import { type Context, Hono } from 'hono'
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
  serving: { responses: { 200: { status: 'ok', checks: { database: 'up', serving: 'up' } } } },
}
/** An operation's description; `notReady`, when given, is its 503's (the checks' answer). */
const doc = (operationId: string, summary: string, description: string, notReady?: string) =>
  describeRoute({
    operationId,
    summary,
    description,
    tags: ['health'],
    responses: {
      200: notReady
        ? { description: 'every dependency answered within 2 s', schema: ReadinessOut }
        : { description: 'the process answers', schema: HealthOut },
    },
    ...(notReady ? { errors: { 503: notReady } } : {}),
  })

/** Readiness checks by name (database, broker): each resolves when usable, rejects when not. */
export type ReadyChecks = Readonly<Record<string, () => Promise<unknown>>>

/**
 * The checks `/health/serving` leaves out: the broker's and the consumers'. Requests do not need the
 * broker (the outbox holds the events until it is back), so its outage is no reason to stop sending
 * a service traffic; `/health/ready` still names it.
 */
export const BROKER_CHECKS: readonly string[] = ['broker', 'consumers']

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
 * refused with NotReady), `/health/serving` (the same without the broker's and the consumers' checks:
 * what requests need). Mounted at `/health`.
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
      "saying why (compose's and HAProxy's health checks).",
    'a check failed (a dependency down, a consumer not attached, shutting down); `checks` names it',
  )
  app.get('/ready', readyDoc, (c) => answer(c, ready))
  const serving = Object.fromEntries(Object.entries(ready).filter(([name]) => !BROKER_CHECKS.includes(name)))
  const servingDoc = doc(
    'serving',
    'Serving: the database answers and the service is not shutting down (the broker left out)',
    'Answers 200 with `checks` when every readiness check but the broker and the consumers passes within 2 s, ' +
      'else 503 (`NOT_READY`) naming what is down. Requests do not need the broker (the outbox holds the events ' +
      'until it is back), so this is the probe of a load balancer that must keep sending traffic through a ' +
      'broker outage: the Kubernetes readiness probe. It turns 503 first on shutdown, as `/health/ready` does.',
    'a check failed (the database down, shutting down); `checks` names it',
  )
  app.get('/serving', servingDoc, (c) => answer(c, serving))
  return app
}

/** Runs `checks` together, each within 2 s: 200 with each one's state, or 503 naming what is down. */
async function answer(c: Context<AppEnv>, checks: ReadyChecks): Promise<Response> {
  const state: Record<string, 'up' | 'down'> = {}
  const why: Record<string, string> = {}
  await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), CHECK_TIMEOUT_MS)
        state[name] = 'up'
      } catch (e) {
        state[name] = 'down'
        if (e instanceof NotReady) why[name] = e.message
        c.get('log').warn('readiness check failed', { check: name, error: e })
      }
    }),
  )
  const down = Object.keys(state).filter((k) => state[k] === 'down')
  const said = down.map((k) => (why[k] ? `${k} down (${why[k]})` : `${k} down`))
  if (down.length) return problemResponse(c, 503, 'NOT_READY', `not ready: ${said.join(', ')}`, { checks: state })
  return c.json({ status: 'ok', checks: state })
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
