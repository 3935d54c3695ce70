import { describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../src/log.ts'
import { createHttpApp } from '../src/http/app.ts'
import { call } from '../testing/http.ts'

describe('JSON logs', () => {
  test(
    'one JSON object per line, with bound fields; info+ to ' +
      '<service>.log, errors also to <service>.error.log with the stack',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'shop-log-'))
      const lines: string[] = []
      const log = createLogger({ service: 'svc', level: 'debug', dir, sink: (l) => void lines.push(l) })
      const child = log.child({ request_id: 'r-1' })
      child.debug('quiet')
      child.info('hello', { n: 1 })
      child.error('boom', { error: new Error('bad thing') })
      log.close()
      const parsed = lines.map((l) => JSON.parse(l))
      expect(parsed.map((p) => p.msg)).toEqual(['quiet', 'hello', 'boom'])
      expect(parsed[1]).toMatchObject({ level: 'info', service: 'svc', request_id: 'r-1', n: 1 })
      const main = readFileSync(join(dir, 'svc.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(main.map((p) => p.msg)).toEqual(['hello', 'boom'])
      const errors = readFileSync(join(dir, 'svc.error.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(errors).toHaveLength(1)
      expect(errors[0].request_id).toBe('r-1')
      expect(errors[0].error.stack).toContain('bad thing')
    },
  )

  test('files rotate by size and keep a bounded number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shop-log-'))
    const log = createLogger({ service: 'rot', level: 'info', dir, maxBytes: 2000, files: 3, sink: null })
    for (let i = 0; i < 200; i++) log.info('line', { i, pad: 'x'.repeat(50) })
    log.close()
    const files = readdirSync(dir)
      .filter((f) => f.startsWith('rot.log'))
      .sort()
    expect(files).toEqual(['rot.log', 'rot.log.1', 'rot.log.2'])
    for (const f of files) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(2000)
    // the newest line is in the live file
    expect(readFileSync(join(dir, 'rot.log'), 'utf8')).toContain('"i":199')
    expect(existsSync(join(dir, 'rot.log.3'))).toBe(false)
  })

  test(
    'a request log line carries method, path, status, duration and ' +
      'request id; a 500 logs the error with the same id and leaks nothing',
    async () => {
      const lines: string[] = []
      const log = createLogger({ service: 'svc', level: 'info', sink: (l) => void lines.push(l) })
      const app = createHttpApp({
        service: 'svc',
        log,
        bodyLimit: 1000,
        docs: { title: 't', version: '1', description: '', tokenUrl: '/x' },
      })
      app.get('/boom', () => {
        throw new Error('secret internal detail')
      })
      const r = await call(app, 'GET', '/boom', { headers: { 'X-Request-Id': 'req-42' } })
      expect(r.status).toBe(500)
      expect(r.headers.get('Content-Type')).toContain('application/problem+json')
      expect(r.text).not.toContain('secret internal detail')
      expect(r.text).not.toContain('at ')
      const parsed = lines.map((l) => JSON.parse(l))
      const err = parsed.find((p) => p.level === 'error')!
      expect(err.request_id).toBe('req-42')
      expect(err.error.message).toBe('secret internal detail')
      expect(err.error.stack).toBeDefined()
      const req = parsed.find((p) => p.msg === 'request')!
      expect(req).toMatchObject({ method: 'GET', path: '/boom', status: 500, request_id: 'req-42' })
      expect(typeof req.duration_ms).toBe('number')
    },
  )
})
