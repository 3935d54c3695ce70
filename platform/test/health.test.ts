import { describe, expect, test } from 'bun:test'
import { createHttpApp } from '../src/http/app.ts'
import { NotReady } from '../src/http/middleware/health.ts'
import { silentLogger } from '../src/log.ts'
import { call } from '../testing/http.ts'

/** An app as boot builds it, with the readiness checks given (the database's and the broker's stand-ins). */
const appWith = (ready: Record<string, () => Promise<unknown>>) =>
  createHttpApp({
    service: 'svc',
    log: silentLogger,
    bodyLimit: 1000,
    ready,
    docs: { title: 't', version: '1', description: '', tokenUrl: '/x' },
  })

describe('health', () => {
  test('/health/live answers 200 {status: ok} while the process runs, whatever its dependencies say', async () => {
    const app = appWith({ database: () => Promise.reject(new Error('connection refused')), broker: async () => {} })
    const live = await call(app, 'GET', '/health/live')
    expect(live.status).toBe(200)
    expect(live.body).toEqual({ status: 'ok' })
    // the same process is not ready: the database is down (readiness), which is no reason to restart it (liveness)
    const ready = await call(app, 'GET', '/health/ready')
    expect(ready.status).toBe(503)
    expect(ready.body.checks).toEqual({ database: 'down', broker: 'up' })
  })

  test('/health/serving leaves the broker and consumers out: 200 in a broker outage, else 503', async () => {
    const brokerDown = () => Promise.reject(new Error('connection refused'))
    let draining = false
    let database: () => Promise<unknown> = async () => {}
    const app = appWith({
      database: () => database(),
      broker: brokerDown,
      consumers: brokerDown,
      serving: async () => {
        if (draining) throw new NotReady('shutting down')
      },
    })
    const ready = await call(app, 'GET', '/health/ready')
    expect(ready.status).toBe(503)
    expect(ready.body.checks).toEqual({ database: 'up', broker: 'down', consumers: 'down', serving: 'up' })
    const serving = await call(app, 'GET', '/health/serving')
    expect(serving.status).toBe(200)
    expect(serving.body).toEqual({ status: 'ok', checks: { database: 'up', serving: 'up' } })
    draining = true
    const stopping = await call(app, 'GET', '/health/serving')
    expect(stopping.status).toBe(503)
    expect(stopping.headers.get('Content-Type')).toContain('application/problem+json')
    expect(stopping.body).toMatchObject({ code: 'NOT_READY', detail: 'not ready: serving down (shutting down)' })
    draining = false
    database = () => Promise.reject(new Error('password authentication failed for user "shop"'))
    const noDatabase = await call(app, 'GET', '/health/serving')
    expect(noDatabase.status).toBe(503)
    expect(noDatabase.body.checks).toEqual({ database: 'down', serving: 'up' })
    expect(noDatabase.text).not.toContain('password') // the database's own words go to the log only
  })

  test('/health/live does not wait for a readiness check that hangs', async () => {
    // the check never settles: an answer at all is the proof (how soon: bench/timings/processes.ts)
    const app = appWith({ database: () => new Promise(() => {}) })
    expect((await call(app, 'GET', '/health/live')).status).toBe(200)
  })

  test('/health stays as it was; /health/live takes GET only (405 with Allow otherwise)', async () => {
    const app = appWith({})
    expect((await call(app, 'GET', '/health')).body).toEqual({ status: 'ok' })
    const post = await call(app, 'POST', '/health/live')
    expect(post.status).toBe(405)
    expect(post.headers.get('Allow')).toContain('GET')
  })
})
