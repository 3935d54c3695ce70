import postgres from 'postgres'
import { serverUrl } from '@shop/shared-kernel/testing/databases'
import { brokerUrl, resetShopVhost } from '@shop/shared-kernel/testing/broker'
import { checkout, testAmqpUrl } from '../integration/harness.ts'

export type ServiceName = 'auth' | 'catalog' | 'order'
const SERVICES: readonly ServiceName[] = ['auth', 'catalog', 'order']

export interface Running {
  readonly urls: Record<ServiceName, string>
  stop(): Promise<void>
}

/** A port nothing listens on (the kernel picks it; released at once for the script to take). */
function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const port = s.port!
  s.stop(true)
  return port
}

/**
 * Runs `scripts/dev.ts` or `scripts/start.ts` as `make dev` / `make start` would, with
 * AUTH_PORT, CATALOG_PORT and ORDER_PORT on free ports, until all three answer /health/ready.
 */
export async function startScript(script: string, env: Record<string, string>, cleanup?: () => void, host = 'localhost'): Promise<Running> {
  const ports = Object.fromEntries(SERVICES.map((s) => [s, freePort()])) as Record<ServiceName, number>
  const output: string[] = []
  const proc = Bun.spawn(['bun', script], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'warn',
      BCRYPT_COST: '4',
      DATABASE_POOL_MAX: '3',
      ...(host === 'localhost' ? {} : { HOST: host }),
      AUTH_PORT: String(ports.auth),
      CATALOG_PORT: String(ports.catalog),
      ORDER_PORT: String(ports.order),
      ...env,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  process.once('exit', () => proc.kill('SIGKILL'))
  for (const stream of [proc.stdout, proc.stderr]) {
    void (async () => {
      for await (const chunk of stream as ReadableStream<Uint8Array>) output.push(new TextDecoder().decode(chunk))
    })()
  }
  const urls = Object.fromEntries(SERVICES.map((s) => [s, `http://${host}:${ports[s]}`])) as Record<ServiceName, string>
  const stop = async () => {
    proc.kill('SIGTERM')
    await proc.exited
    cleanup?.()
  }
  const deadline = Date.now() + 90_000
  for (;;) {
    const ready = await Promise.all(SERVICES.map((s) => fetch(`${urls[s]}/health/ready`).then((r) => r.ok, () => false)))
    if (ready.every(Boolean)) return { urls, stop }
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop().catch(() => {})
      throw new Error(`${script} did not get ready:\n${output.join('').slice(-3000)}`)
    }
    await Bun.sleep(100)
  }
}

const dbName = (svc: ServiceName) => `shop_browser_${svc}_${checkout}`
const VHOST = `shop_browser_${checkout}`

/** Fresh databases and an empty vhost of this checkout's own for `scripts/start.ts`; its environment. */
export async function startScriptDatabases(): Promise<Record<string, string>> {
  const sql = postgres(serverUrl(), { max: 1, onnotice: () => {} })
  const env: Record<string, string> = { AMQP_URL: testAmqpUrl(brokerUrl(), VHOST) }
  try {
    for (const s of SERVICES) {
      await sql`drop database if exists ${sql(dbName(s))} with (force)`
      await sql`create database ${sql(dbName(s))}`
      const u = new URL(serverUrl())
      u.pathname = `/${dbName(s)}`
      env[`${s.toUpperCase()}_DATABASE_URL`] = u.toString()
    }
  } finally {
    await sql.end()
  }
  await resetShopVhost(brokerUrl(), VHOST)
  return env
}
