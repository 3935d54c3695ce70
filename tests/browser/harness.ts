/**
 * `make dev` and `make start` as real processes for the browser test: `scripts/dev.ts` or
 * `scripts/start.ts` run as the Makefile runs them, on free ports, until the three services answer
 * /health/ready. `make start` gets databases of its own (`shop_browser_<service>_<checkout>`,
 * dropped when it stops) and this checkout's test vhost.
 */
import postgres from 'postgres'
import { serverUrl } from '@shop/platform/testing/databases'
import { checkout, resetBroker, root, SERVICES, type ServiceName, serviceAmqpUrl } from '../integration/harness.ts'

export interface Running {
  readonly urls: Record<ServiceName, string>
  /** What the script printed (stdout and stderr), for a failure's message. */
  output(): string
  stop(): Promise<void>
}

/** A port nothing listens on (the kernel picks it; released at once for the script to take). */
function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: '0.0.0.0', fetch: () => new Response() })
  const port = s.port!
  s.stop(true)
  return port
}

/**
 * Runs `script` in `cwd` (bun reads the `.env` there) with AUTH_PORT, CATALOG_PORT and ORDER_PORT on
 * free ports (and `env`, which wins over `.env`), until all three services answer /health/ready
 * on `host`; `stop` sends SIGTERM, waits, then runs `cleanup`.
 */
export async function startScript(
  script: string,
  env: Record<string, string>,
  o: { host?: string; cwd?: string; cleanup?: () => Promise<void> | void } = {},
): Promise<Running> {
  const host = o.host ?? 'localhost'
  const ports = Object.fromEntries(SERVICES.map((s) => [s, freePort()])) as Record<ServiceName, number>
  const output: string[] = []
  const proc = Bun.spawn(['bun', script], {
    cwd: o.cwd ?? root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'warn',
      BCRYPT_COST: '4',
      AUTH_PORT: String(ports.auth),
      CATALOG_PORT: String(ports.catalog),
      ORDER_PORT: String(ports.order),
      ...env,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  // A run that ends abruptly must not leave the shop behind.
  process.once('exit', () => proc.kill('SIGKILL'))
  for (const stream of [proc.stdout, proc.stderr]) {
    void (async () => {
      const decoder = new TextDecoder()
      for await (const chunk of stream as ReadableStream<Uint8Array>)
        output.push(decoder.decode(chunk, { stream: true }))
    })()
  }
  const urls = Object.fromEntries(SERVICES.map((s) => [s, `http://${host}:${ports[s]}`])) as Record<ServiceName, string>
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    proc.kill('SIGTERM')
    await proc.exited
    await o.cleanup?.()
  }
  const running = { urls, output: () => output.join(''), stop }
  const deadline = Date.now() + 90_000
  for (;;) {
    const ready = await Promise.all(
      SERVICES.map((s) =>
        fetch(`${urls[s]}/health/ready`).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    )
    if (ready.every(Boolean)) return running
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop().catch(() => {})
      throw new Error(`${script} did not get ready:\n${running.output().slice(-3000)}`)
    }
    await Bun.sleep(100)
  }
}

const dbName = (svc: ServiceName) => `shop_browser_${svc}_${checkout}`

async function withServer(fn: (sql: postgres.Sql) => Promise<void>): Promise<void> {
  const sql = postgres(serverUrl(), { max: 1, onnotice: () => {} })
  try {
    await fn(sql)
  } finally {
    await sql.end()
  }
}

/** Drops the databases `startDatabases` made. */
export const dropDatabases = (): Promise<void> =>
  withServer(async (sql) => {
    for (const s of SERVICES) await sql`drop database if exists ${sql(dbName(s))} with (force)`
  })

/**
 * Fresh databases of this checkout's own and its test vhost, emptied, for `scripts/start.ts`; the
 * environment that points the script at them (<SERVICE>_DATABASE_URL, <SERVICE>_AMQP_URL: each
 * service as its own broker user, the way `make start` connects it).
 */
export async function startDatabases(): Promise<Record<string, string>> {
  const env: Record<string, string> = {}
  await dropDatabases()
  await withServer(async (sql) => {
    for (const s of SERVICES) {
      await sql`create database ${sql(dbName(s))}`
      const u = new URL(serverUrl())
      u.pathname = `/${dbName(s)}`
      env[`${s.toUpperCase()}_DATABASE_URL`] = u.toString()
    }
  })
  await resetBroker()
  for (const s of SERVICES) env[`${s.toUpperCase()}_AMQP_URL`] = serviceAmqpUrl(s)
  return env
}
