/**
 * A client that sends too much reads the 413: the auth service as a real process (embedded PGlite, in-memory bus),
 * and Node's own fetch (another HTTP client than Bun's, the one that saw `fetch failed` when the server answered and
 * closed while the body was still being sent) posting a 2 MiB body to register 20 times, one after the other.
 */
import { runToEnd } from '@shop/platform/testing/fixtures'
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root } from './integration/harness.ts'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'

const TRIES = 20
let dataDir: string
let proc: ReturnType<typeof Bun.spawn>
let url: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'shop-body-limit-'))
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const port = probe.port
  probe.stop(true)
  proc = Bun.spawn(['bun', join(root, 'auth/src/main.ts')], {
    env: {
      PATH: process.env.PATH ?? '',
      JWT_SECRET: 'body-limit-secret-0123456789abcdef0123',
      ...TEST_EVENT_KEYS.env('auth'),
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
    },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${url}/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return
    await Bun.sleep(100)
  }
  throw new Error('auth did not get ready')
}, 60_000)

afterAll(async () => {
  proc?.kill('SIGTERM')
  await proc?.exited
  rmSync(dataDir, { recursive: true, force: true })
})

test(`a 2 MiB body, sent ${TRIES} times with Node's fetch, is answered 413 BODY_TOO_LARGE every time`, async () => {
  const node = Bun.which('node')
  // Node comes with the machine (npm installs bun); under CI a missing one is a failure, not a skip.
  if (!node) {
    if (process.env.CI === 'true') throw new Error('node is not installed')
    console.warn('body-limit: node is not installed; skipped')
    return
  }
  const script = join(root, 'tests/node/oversized-body.mjs')
  const { code, out, err } = await runToEnd(
    [node, script, `${url}/api/v1/auth/register`, String(2 * 1024 * 1024), String(TRIES)],
    { env: process.env },
  )
  expect({ code, err }).toEqual({ code: 0, err: '' })
  const results: unknown[] = JSON.parse(out)
  expect(results).toEqual(Array.from({ length: TRIES }, () => ({ status: 413, code: 'BODY_TOO_LARGE' })))
}, 60_000)
