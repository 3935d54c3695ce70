import { isIP } from 'node:net'
import * as v from 'valibot'
import { parsePublicKeys, parseSigningKey } from './bus/signing.ts'

/**
 * Settings are read from the environment once, at start, and validated with valibot.
 * A bad or missing setting stops the service with a message naming it.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

/** Parse `env` with an object schema whose keys are setting names. Empty strings count as unset. */
export function loadConfig<S extends v.GenericSchema<Record<string, unknown>>>(
  schema: S,
  env: Env = process.env,
): v.InferOutput<S> {
  const input: Record<string, string> = {}
  for (const [k, value] of Object.entries(env)) if (value !== undefined && value !== '') input[k] = value
  const result = v.safeParse(schema, input)
  if (result.success) return result.output
  throw new ConfigError(
    result.issues.map((i) => {
      const key = i.path?.map((p) => String(p.key)).join('.') ?? '(environment)'
      return `${key}: ${i.message}`
    }),
  )
}

const int = (name: string, def: number, min: number, max: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, `${name} must be a whole number`),
      v.transform(Number),
      v.minValue(min, `${name} must be at least ${min}`),
      v.maxValue(max, `${name} must be at most ${max}`),
    ),
    String(def),
  )

const url = (name: string, protocols: readonly string[]) =>
  v.pipe(
    v.string(),
    v.check(
      (s) => {
        try {
          return protocols.includes(new URL(s).protocol)
        } catch {
          return false
        }
      },
      `${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    ),
  )

const bool = (def: boolean) =>
  v.optional(
    v.pipe(
      v.picklist(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'),
      v.transform((s) => s === 'true' || s === '1' || s === 'yes'),
    ),
    (def ? 'true' : 'false') as 'true' | 'false',
  )

/**
 * TRUST_PROXY: true or false (as `bool`), or the addresses of the proxies whose X-Forwarded-For
 * counts (comma-separated IPs), e.g. `127.0.0.2`.
 */
const trustProxy = () =>
  v.optional(
    v.pipe(
      v.string(),
      v.transform((s): boolean | string[] => {
        if (['true', '1', 'yes'].includes(s)) return true
        if (['false', '0', 'no'].includes(s)) return false
        return s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      }),
      v.check(
        (x) => typeof x === 'boolean' || (x.length > 0 && x.every((a) => isIP(a) !== 0)),
        'TRUST_PROXY must be true, false, or IP addresses separated by commas (the proxies to trust)',
      ),
    ),
    'false',
  )

/** The origins of a CORS_ORIGINS value (comma-separated, spaces around them ignored). */
export const corsOrigins = (value: string | undefined): string[] =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean) ?? []

/**
 * `*`, or an origin exactly as a browser sends it in `Origin` (so a trailing slash or a path, which would never match,
 * is refused).
 */
function isOrigin(s: string): boolean {
  if (s === '*') return true
  try {
    const u = new URL(s)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s
  } catch {
    return false
  }
}

export const settings = { int, url, bool, trustProxy }

/** Settings every service has. Each service spreads these into its own schema. */
export const commonSettings = (defaultPort: number) => ({
  PORT: int('PORT', defaultPort, 0, 65535),
  HOST: v.optional(v.string(), '0.0.0.0'),
  /** When unset, the service runs on an embedded PGlite database under DATA_DIR. */
  DATABASE_URL: v.optional(url('DATABASE_URL', ['postgres:', 'postgresql:'])),
  DATABASE_POOL_MAX: int('DATABASE_POOL_MAX', 10, 1, 1000),
  /** Statements running longer are cancelled, the request answered 503 STATEMENT_TIMEOUT; 0: no limit. */
  STATEMENT_TIMEOUT_MS: int('STATEMENT_TIMEOUT_MS', 5000, 0, 600_000),
  DATA_DIR: v.optional(v.string(), '.data'),
  /** When unset, events travel on an in-memory bus (embedded mode only). */
  AMQP_URL: v.optional(url('AMQP_URL', ['amqp:', 'amqps:'])),
  AMQP_PREFETCH: int('AMQP_PREFETCH', 32, 1, 10000),
  JWT_SECRET: v.pipe(
    v.string('JWT_SECRET is required'),
    v.check((s) => new TextEncoder().encode(s).length >= 32, 'JWT_SECRET must be at least 32 bytes'),
  ),
  /** This service's Ed25519 key for signing its events: `<key id>:<base64 PKCS#8>` (bus/signing.ts). */
  EVENT_SIGNING_KEY: v.pipe(
    v.string('EVENT_SIGNING_KEY is required (this service signs its events with it)'),
    v.rawCheck(({ dataset, addIssue }) => {
      const p = dataset.typed ? parseSigningKey(dataset.value) : undefined
      if (p && !p.ok) addIssue({ message: `EVENT_SIGNING_KEY ${p.reason}` })
    }),
  ),
  /** Every service's public keys (one or two each): `<service>:<key id>:<base64 SPKI>`, comma-separated. */
  EVENT_PUBLIC_KEYS: v.pipe(
    v.string('EVENT_PUBLIC_KEYS is required (consumers verify every event with them)'),
    v.rawCheck(({ dataset, addIssue }) => {
      const p = dataset.typed ? parsePublicKeys(dataset.value) : undefined
      if (p && !p.ok) addIssue({ message: `EVENT_PUBLIC_KEYS: ${p.reason}` })
    }),
  ),
  LOG_LEVEL: v.optional(
    v.picklist(['debug', 'info', 'warn', 'error'], 'LOG_LEVEL must be debug, info, warn or error'),
    'info',
  ),
  LOG_DIR: v.optional(v.string()),
  LOG_MAX_BYTES: int('LOG_MAX_BYTES', 10 * 1024 * 1024, 1024, 2 ** 40),
  LOG_FILES: int('LOG_FILES', 5, 1, 100),
  BODY_LIMIT_BYTES: int('BODY_LIMIT_BYTES', 1024 * 1024, 1, 1024 * 1024 * 1024),
  /** Comma-separated origins allowed by CORS; unset means no CORS headers at all. */
  CORS_ORIGINS: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (s) => corsOrigins(s).every(isOrigin),
        'CORS_ORIGINS must be origins separated by commas, each ' +
          'scheme://host[:port] with no path (e.g. http://localhost:8001), or *',
      ),
    ),
  ),
  SHUTDOWN_TIMEOUT_MS: int('SHUTDOWN_TIMEOUT_MS', 8000, 0, 600_000),
  /**
   * At SIGTERM, how long readiness answers 503 while the server still serves, before it stops
   * accepting: the time a load balancer needs to see it and stop sending (within SHUTDOWN_TIMEOUT_MS).
   */
  SHUTDOWN_DRAIN_MS: int('SHUTDOWN_DRAIN_MS', 0, 0, 600_000),
  /** GET /metrics: off (404) when false; with a token, only `Authorization: Bearer <token>` reads it. */
  METRICS_ENABLED: bool(true),
  METRICS_TOKEN: v.optional(v.pipe(v.string(), v.minLength(16, 'METRICS_TOKEN must be at least 16 characters'))),
  /** OTLP/HTTP collector for traces; unset means no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: v.optional(url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:'])),
  OTEL_SERVICE_NAME: v.optional(v.string()),
  /** Where the /docs page's Authorize button logs in (auth's login, as the browser reaches it). */
  AUTH_TOKEN_URL: v.optional(url('AUTH_TOKEN_URL', ['http:', 'https:']), 'http://localhost:8000/api/v1/auth/login'),
})
