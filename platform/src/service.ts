import { DRAIN_FACTOR } from './http/middleware/body-limit.ts'
import type { Hono } from 'hono'
import { ConfigError } from './config.ts'
import type { AppEnv } from './http/env.ts'
import { INTERNAL_ERROR_DETAIL } from './http/middleware/errors.ts'
import { problemBody } from './http/problem.ts'
import { type Level, type RootLogger, createLogger } from './log.ts'
import { startTracing } from './observability/tracing.ts'

export interface ServiceConfig {
  readonly PORT: number
  readonly HOST: string
  readonly LOG_LEVEL: Level
  readonly LOG_DIR?: string | undefined
  readonly LOG_MAX_BYTES: number
  readonly LOG_FILES: number
  readonly BODY_LIMIT_BYTES: number
  readonly SHUTDOWN_TIMEOUT_MS: number
  readonly SHUTDOWN_DRAIN_MS: number
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined
  readonly OTEL_SERVICE_NAME?: string | undefined
}

export interface StartedService {
  readonly app: Hono<AppEnv>
  /** Readiness answers 503 from now on (the first step of a shutdown); serving goes on. */
  drain?(): void
  /** Stops consumers and background work, flushes, closes connections. */
  stop(): Promise<void>
}

export interface Served {
  readonly url: string
  readonly port: number
  /**
   * Graceful: readiness turns false, the drain period passes (a load balancer stops sending), then
   * stop accepting, finish in-flight requests, then stop the service.
   */
  close(): Promise<void>
}

/** The URL a service listening on `host`:`port` is reached at (any-address hosts read as localhost). */
export const listenUrl = (host: string, port: number): string =>
  `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`

/** Serves a started service over HTTP with Bun. */
export function serve(
  name: string,
  svc: StartedService,
  config: Pick<ServiceConfig, 'PORT' | 'HOST' | 'BODY_LIMIT_BYTES'> & { readonly SHUTDOWN_DRAIN_MS?: number },
  log: RootLogger,
): Served {
  const server = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    // Above what the app reads of a refused body (it drains up to DRAIN_FACTOR × its limit, then answers 413 in
    // problem+json), so the app answers rather than Bun refusing and closing while the client still sends.
    maxRequestBodySize: config.BODY_LIMIT_BYTES * DRAIN_FACTOR + 64 * 1024,
    fetch: (req, srv) => svc.app.fetch(req, { requestIP: (r: Request) => srv.requestIP(r) }),
    // Never Bun's development error page (it shows the error and the source): whatever escapes
    // the app is a generic 500 in problem+json, and the error goes to the log.
    development: false,
    error(e) {
      log.error('unhandled error outside the app', { error: e })
      return new Response(JSON.stringify(problemBody(500, 'INTERNAL_ERROR', INTERNAL_ERROR_DETAIL)), {
        status: 500,
        headers: { 'Content-Type': 'application/problem+json', 'X-Content-Type-Options': 'nosniff' },
      })
    },
  })
  const url = listenUrl(config.HOST, server.port ?? config.PORT)
  log.info('listening', { url, docs: `${url}/docs` })
  let closing: Promise<void> | undefined
  return {
    url,
    port: server.port ?? config.PORT,
    close: () =>
      (closing ??= (async () => {
        svc.drain?.()
        const drainMs = config.SHUTDOWN_DRAIN_MS ?? 0
        if (drainMs > 0) {
          log.info('draining: readiness is false; still serving', { drain_ms: drainMs })
          await Bun.sleep(drainMs)
        }
        await server.stop(false)
        await svc.stop()
        log.info('stopped', { service: name })
      })()),
  }
}

/** Exits within `ms` whatever happens: a shutdown must never hang. */
export function onShutdown(log: RootLogger, ms: number, close: () => Promise<void>): void {
  let started = false
  const handler = (signal: string) => {
    if (started) return
    started = true
    log.info('shutting down', { signal })
    const timer = setTimeout(() => {
      log.error('shutdown timed out; exiting', { timeout_ms: ms })
      log.close()
      process.exit(1)
    }, ms)
    close().then(
      () => {
        clearTimeout(timer)
        log.close()
        process.exit(0)
      },
      (e) => {
        log.error('shutdown failed', { error: e })
        log.close()
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => handler('SIGTERM'))
  process.on('SIGINT', () => handler('SIGINT'))
}

export function loggerFor(name: string, config: ServiceConfig): RootLogger {
  return createLogger({
    service: name,
    level: config.LOG_LEVEL,
    dir: config.LOG_DIR,
    maxBytes: config.LOG_MAX_BYTES,
    files: config.LOG_FILES,
  })
}

/** Loads the config (exit 1 naming the bad setting), starts, serves, and shuts down on SIGTERM/SIGINT. */
export async function runService<C extends ServiceConfig>(o: {
  name: string
  load: () => C
  start: (config: C, log: RootLogger) => Promise<StartedService>
}): Promise<void> {
  let config: C
  try {
    config = o.load()
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${o.name}: ${e.message}\n`)
      process.exit(1)
    }
    throw e
  }
  const log = loggerFor(o.name, config)
  // Before anything is wired: the HTTP app and the use cases look once whether tracing is on.
  const tracing = startTracing({
    service: config.OTEL_SERVICE_NAME ?? o.name,
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
  })
  let svc: StartedService
  try {
    svc = await o.start(config, log)
  } catch (e) {
    log.error('start failed', { error: e })
    log.close()
    process.exit(1)
  }
  const served = serve(o.name, svc, config, log)
  onShutdown(log, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await served.close()
    // The last spans (the shutdown's own drain included) go out before the process exits.
    await tracing.shutdown().catch((e) => log.warn('traces not flushed at shutdown', { error: (e as Error).message }))
  })
}
