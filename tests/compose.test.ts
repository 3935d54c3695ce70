import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join, normalize } from 'node:path'
import {
  type BrokerDefinitions,
  brokerDefinitions,
  DEV_BROKER_PASSWORDS,
  passwordMatches,
} from '@shop/platform/bus/broker-setup'
import { BROKER_USERS, SERVICES } from '@shop/platform/bus/ownership'
import { MAX_MESSAGE_BYTES } from '@shop/platform/bus/topology'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'
import { commonSettings, corsOrigins, loadConfig } from '@shop/platform/config'
import * as v from 'valibot'
import { docsOrigins } from '../scripts/origins.ts'

/**
 * compose.yaml and the Dockerfile, checked by reading them (no Docker engine needed): every
 * service wired to its own database and to RabbitMQ, health-checked, with its logs on a named
 * volume, its image built from the one Dockerfile with its name and port as build arguments; that
 * image, rendered with those arguments, built from oven/bun, unprivileged, health-checked, running
 * a main.ts that exists; nothing set in compose that .env.example does not document.
 */
const root = join(import.meta.dir, '..')
const read = (p: string) => readFileSync(join(root, p), 'utf8')

type Obj = Record<string, unknown>
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x)

const compose = Bun.YAML.parse(read('compose.yaml')) as Obj
const services = (isObj(compose.services) ? compose.services : {}) as Record<string, Obj>
const topVolumes = isObj(compose.volumes) ? Object.keys(compose.volumes) : []

const APPS = [
  { name: 'auth', port: 8000 },
  { name: 'catalog', port: 8001 },
  { name: 'order', port: 8002 },
] as const
const LOG_DIR = '/var/log/shop'

// ---- compose helpers ------------------------------------------------------------------------

/**
 * Compose interpolation as `docker compose config` would do it with nothing set: defaults win, required ones become
 * <NAME>.
 */
function interpolate(s: string): string {
  return s
    .replace(/\$\$/g, '\0')
    .replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_, braced, op, arg, bare) => {
        if (op === ':-' || op === '-') return arg
        return `<${braced ?? bare}>`
      },
    )
    .replace(/\0/g, '$')
}

/** Every variable compose.yaml reads from the environment or .env. */
function interpolatedNames(text: string): string[] {
  const names = new Set<string>()
  for (const m of text.replace(/\$\$/g, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)/g))
    names.add((m[1] ?? m[2])!)
  return [...names]
}

/** The environment of a service, raw (before interpolation), from either the map or the list form. */
function environment(svc: Obj): Record<string, string> {
  const env = svc.environment
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e) => String(e)).map((e) => [e.split('=')[0]!, e.includes('=') ? e.slice(e.indexOf('=') + 1) : '']),
    )
  }
  if (isObj(env)) return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? '' : String(v)]))
  return {}
}

/** Port mappings as { published, target }, from the short ("8000:8000", "127.0.0.1:8000:8000/tcp") or the long form. */
function ports(svc: Obj): { published: number; target: number }[] {
  const list = Array.isArray(svc.ports) ? svc.ports : []
  return list.map((p) => {
    if (isObj(p)) return { published: Number(p.published), target: Number(p.target) }
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':')
    const target = Number(parts.at(-1))
    return { published: parts.length > 1 ? Number(parts.at(-2)) : NaN, target }
  })
}

/** Volume mounts as { source, target }, from the short ("name:/path[:ro]") or the long form. */
function mounts(svc: Obj): { source: string; target: string; named: boolean }[] {
  const list = Array.isArray(svc.volumes) ? svc.volumes : []
  return list.map((v) => {
    const { source, target } = isObj(v)
      ? { source: String(v.source ?? ''), target: String(v.target ?? '') }
      : { source: String(v).split(':')[0]!, target: String(v).split(':')[1] ?? '' }
    const named = isObj(v)
      ? (v.type ?? 'volume') === 'volume' && source !== ''
      : source !== '' && !/^[./~$]/.test(source) && String(v).includes(':')
    return { source, target, named }
  })
}

/** Build arguments, from the map or the list ("SERVICE=auth") form. */
function buildArgs(svc: Obj): Record<string, string> {
  const args = isObj(svc.build) ? svc.build.args : undefined
  if (Array.isArray(args))
    return Object.fromEntries(args.map((a) => String(a)).map((a) => [a.split('=')[0]!, a.slice(a.indexOf('=') + 1)]))
  if (isObj(args)) return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v == null ? '' : String(v)]))
  return {}
}

function healthTest(svc: Obj): string {
  const hc = svc.healthcheck
  if (!isObj(hc) || hc.disable === true) return ''
  return Array.isArray(hc.test) ? hc.test.join(' ') : String(hc.test ?? '')
}

function seconds(d: unknown): number {
  let total = 0
  for (const m of String(d ?? '').matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h']
  return total
}

// ---- Dockerfile helpers ---------------------------------------------------------------------

interface Instruction {
  readonly op: string
  readonly args: string
}

/** Instructions of a Dockerfile: continuations joined, comments and parser directives dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = []
  let pending = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (pending === '' && (line === '' || line.startsWith('#'))) continue
    if (pending !== '' && line.startsWith('#')) continue
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `
      continue
    }
    const full = (pending + line).trim()
    pending = ''
    const m = /^(\S+)\s*(.*)$/.exec(full)
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]! })
  }
  return out
}

/** The exec-form (JSON) arguments of CMD/HEALTHCHECK CMD, or the shell form split on spaces. */
function execArgs(s: string): string[] {
  const t = s.trim()
  if (t.startsWith('[')) return JSON.parse(t) as string[]
  return t.split(/\s+/)
}

/** KEY=value pairs of ENV (both `ENV A=1 B=2` and the legacy `ENV A 1`). */
function envPairs(args: string): Record<string, string> {
  if (!args.includes('=')) {
    const [k, ...rest] = args.split(/\s+/)
    return { [k!]: rest.join(' ') }
  }
  return Object.fromEntries(
    [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)].map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, '')]),
  )
}

// Instructions whose ${VAR} Docker substitutes at build time; RUN, CMD and HEALTHCHECK are left
// to the shell or the program at run time.
const SUBSTITUTED = new Set(['ADD', 'COPY', 'ENV', 'EXPOSE', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'])

/**
 * The instructions as Docker builds them with `args`: in each stage, `${NAME}`/`$NAME` of an ARG
 * declared in that stage (or an ENV set before) becomes its value; an unknown one becomes empty.
 */
function render(ins: readonly Instruction[], args: Record<string, string>): Instruction[] {
  let vars: Record<string, string> = {}
  return ins.map((i) => {
    if (i.op === 'FROM') vars = {}
    const sub = (s: string) =>
      s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => vars[(a ?? b)!] ?? '')
    const out = SUBSTITUTED.has(i.op) ? { op: i.op, args: sub(i.args) } : i
    if (i.op === 'ARG') {
      const [name, dflt] = i.args.split('=')
      vars[name!] = args[name!] ?? dflt ?? ''
    }
    if (i.op === 'ENV') Object.assign(vars, envPairs(out.args))
    return out
  })
}

/** A `sh -c "exec prog args"` command as the program and arguments it runs, with the image's environment expanded. */
function shellExec(cmd: string[], env: Record<string, string>): string[] {
  if (cmd[0] !== 'sh' || cmd[1] !== '-c') return cmd
  const words = (cmd[2] ?? '').replace(/^exec\s+/, '').match(/"[^"]*"|\S+/g) ?? []
  return words.map((w) => w.replace(/^"|"$/g, '').replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n) => env[n] ?? ''))
}

/** Setting names .env.example documents, set (NAME=) or shown commented out (# NAME=). */
const documented = new Set([...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!))

// ---- tests ----------------------------------------------------------------------------------

describe('compose.yaml', () => {
  test('follows the Compose spec: no version key', () => {
    expect(compose).not.toHaveProperty('version')
  })

  test(
    'has the three databases, rabbitmq and the three services (and, in ' +
      'the observability profile only, prometheus, grafana and jaeger)',
    () => {
      const profiled = (svc: Obj) => Array.isArray(svc.profiles) && svc.profiles.length > 0
      expect(
        Object.keys(services)
          .filter((k) => !profiled(services[k]!))
          .sort(),
      ).toEqual(['auth', 'auth-db', 'catalog', 'catalog-db', 'order', 'order-db', 'rabbitmq'])
      expect(
        Object.keys(services)
          .filter((k) => profiled(services[k]!))
          .sort(),
      ).toEqual(['grafana', 'jaeger', 'prometheus'])
    },
  )

  for (const { name } of APPS) {
    const db = `${name}-db`
    test(
      `${db}: PostgreSQL 15/16, database shop_${name}, ` +
        `password set, pg_isready health check, data on a named volume`,
      () => {
        const svc = services[db] ?? {}
        expect(String(svc.image)).toMatch(/^postgres:1[56](\b|$)/)
        const env = environment(svc)
        expect(env.POSTGRES_DB).toBe(`shop_${name}`)
        expect(interpolate(env.POSTGRES_PASSWORD ?? '')).not.toBe('')
        expect(healthTest(svc)).toContain('pg_isready')
        const data = mounts(svc).find((m) => m.target === '/var/lib/postgresql/data')
        expect(data?.named).toBe(true)
      },
    )
  }

  test('rabbitmq: management image, ports 5672 and 15672, ping health check, data on a named volume', () => {
    const svc = services.rabbitmq ?? {}
    expect(String(svc.image)).toMatch(/^rabbitmq:[34](\.[\d.]+)?-management/)
    const published = ports(svc)
    for (const p of [5672, 15672]) expect(published).toContainEqual({ published: p, target: p })
    expect(healthTest(svc)).toContain('rabbitmq-diagnostics')
    expect(healthTest(svc)).toContain('ping')
    expect(mounts(svc).find((m) => m.target === '/var/lib/rabbitmq')?.named).toBe(true)
  })

  test(
    'rabbitmq loads broker/definitions.json at boot: the ' +
      'set-up make broker applies (users, permissions, topology, the dead-letter policy) and its max_message_size',
    () => {
      const svc = services.rabbitmq ?? {}
      const byTarget = new Map(mounts(svc).map((m) => [m.target, m.source]))
      expect(normalize(byTarget.get('/etc/rabbitmq/definitions.json') ?? '')).toBe('broker/definitions.json')
      const conf = byTarget.get('/etc/rabbitmq/conf.d/20-shop.conf') ?? ''
      expect(read(normalize(conf))).toMatch(/^load_definitions = \/etc\/rabbitmq\/definitions.json$/m)
      // the largest message, as the services' limit (MAX_MESSAGE_BYTES)
      expect(read(normalize(conf))).toMatch(new RegExp(`^max_message_size = ${MAX_MESSAGE_BYTES}$`, 'm'))
      const file = JSON.parse(read('broker/definitions.json')) as BrokerDefinitions
      const expected = brokerDefinitions({
        vhost: '/',
        passwords: DEV_BROKER_PASSWORDS,
        admins: [{ name: 'shop-admin', password: 'shop-admin-dev-password' }],
      })
      // password hashes are salted: compare them by the password they verify
      const strip = (d: BrokerDefinitions) => ({ ...d, users: d.users.map(({ password_hash: _, ...u }) => u) })
      expect(strip(file)).toEqual(strip(expected))
      for (const [name, password] of [
        ...SERVICES.map((s) => [BROKER_USERS[s], DEV_BROKER_PASSWORDS[s]]),
        ['shop-admin', 'shop-admin-dev-password'],
      ]) {
        expect({
          name,
          ok: passwordMatches(password!, file.users.find((u) => u.name === name)?.password_hash ?? ''),
        }).toEqual({ name, ok: true })
      }
    },
  )

  for (const { name, port } of APPS) {
    describe(name, () => {
      const svc = services[name] ?? {}
      const env = environment(svc)

      test(`is built from the root Dockerfile with SERVICE=${name} and PORT=${port}`, () => {
        const build = isObj(svc.build) ? svc.build : {}
        expect(normalize(String(build.context ?? '.'))).toBe('.')
        expect(normalize(String(build.dockerfile ?? 'Dockerfile'))).toBe('Dockerfile')
        expect(buildArgs(svc)).toEqual({ SERVICE: name, PORT: String(port) })
      })

      test(`publishes ${port}`, () => {
        expect(ports(svc)).toContainEqual({ published: port, target: port })
      })

      test('has a health check on /health/ready of its own port', () => {
        const t = healthTest(svc)
        expect(t).toContain(`:${port}/health/ready`)
      })

      test(`waits for ${name}-db and rabbitmq to be healthy`, () => {
        const deps = isObj(svc.depends_on) ? (svc.depends_on as Record<string, Obj>) : {}
        expect(deps[`${name}-db`]?.condition).toBe('service_healthy')
        expect(deps.rabbitmq?.condition).toBe('service_healthy')
      })

      test(`DATABASE_URL points at ${name}-db, database shop_${name}, with that server's password`, () => {
        const url = new URL(interpolate(env.DATABASE_URL ?? ''))
        expect(['postgres:', 'postgresql:']).toContain(url.protocol)
        expect(url.hostname).toBe(`${name}-db`)
        expect(url.port === '' || url.port === '5432').toBe(true)
        expect(url.pathname).toBe(`/shop_${name}`)
        const dbEnv = environment(services[`${name}-db`] ?? {})
        expect(decodeURIComponent(url.username)).toBe(interpolate(dbEnv.POSTGRES_USER ?? 'postgres'))
        expect(decodeURIComponent(url.password)).toBe(interpolate(dbEnv.POSTGRES_PASSWORD ?? ''))
      })

      test(`AMQP_URL connects as ${name}'s own broker user, with the password of broker/definitions.json`, () => {
        const url = new URL(interpolate(env.AMQP_URL ?? ''))
        expect(decodeURIComponent(url.username)).toBe(BROKER_USERS[name])
        const file = JSON.parse(read('broker/definitions.json')) as BrokerDefinitions
        expect(
          passwordMatches(
            decodeURIComponent(url.password),
            file.users.find((u) => u.name === BROKER_USERS[name])?.password_hash ?? '',
          ),
        ).toBe(true)
      })

      test('AMQP_URL points at rabbitmq', () => {
        const url = new URL(interpolate(env.AMQP_URL ?? ''))
        expect(url.protocol).toBe('amqp:')
        expect(url.hostname).toBe('rabbitmq')
        expect(url.port === '' || url.port === '5672').toBe(true)
      })

      test('JWT_SECRET is required from the environment, never written in the file', () => {
        expect(env.JWT_SECRET ?? '').toMatch(/^\$\{JWT_SECRET:\?[^}]+\}$/)
      })

      test(`its own signing key (${name.toUpperCase()}_EVENT_SIGNING_KEY) and the public keys are required`, () => {
        expect(env.EVENT_SIGNING_KEY ?? '').toMatch(
          new RegExp(`^\\$\\{${name.toUpperCase()}_EVENT_SIGNING_KEY:\\?[^}]+\\}$`),
        )
        expect(env.EVENT_PUBLIC_KEYS ?? '').toMatch(/^\$\{EVENT_PUBLIC_KEYS:\?[^}]+\}$/)
      })

      test(`writes its logs to the ${name}-logs volume`, () => {
        expect(env.LOG_DIR).toBe(LOG_DIR)
        expect(mounts(svc)).toContainEqual({ source: `${name}-logs`, target: LOG_DIR, named: true })
      })

      test('restarts unless stopped and is given time to shut down gracefully', () => {
        expect(svc.restart).toBe('unless-stopped')
        const timeoutMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? 8000)
        expect(seconds(svc.stop_grace_period)).toBeGreaterThan(timeoutMs / 1000)
      })
    })
  }

  test(
    "the /docs pages work from a browser on the host: Authorize logs in at auth's " +
      "published port, and every service allows the three pages' origins (never *)",
    () => {
      const published = (name: string) =>
        ports(services[name] ?? {}).find((p) => p.target === APPS.find((a) => a.name === name)?.port)?.published
      const authPort = published('auth')
      const pages = docsOrigins(APPS.map((a) => published(a.name) ?? 0))
        .split(',')
        .sort()
      expect(authPort).toBe(8000)
      for (const { name } of APPS) {
        const env = environment(services[name] ?? {})
        const cors = interpolate(env.CORS_ORIGINS ?? '')
        const tokenUrl = interpolate(env.AUTH_TOKEN_URL ?? '')
        expect({ name, origins: corsOrigins(cors).sort() }).toEqual({ name, origins: pages })
        expect({ name, tokenUrl }).toEqual({ name, tokenUrl: `http://localhost:${authPort}/api/v1/auth/login` })
        // Both are settings the service accepts, and a deployment can change them without editing the file.
        expect(() =>
          loadConfig(v.object(commonSettings(0)), {
            JWT_SECRET: 'x'.repeat(32),
            ...TEST_EVENT_KEYS.env('auth'),
            CORS_ORIGINS: cors,
            AUTH_TOKEN_URL: tokenUrl,
          }),
        ).not.toThrow()
        expect(env.CORS_ORIGINS).toMatch(/^\$\{CORS_ORIGINS:-[^}]+\}$/)
        expect(env.AUTH_TOKEN_URL).toMatch(/^\$\{AUTH_TOKEN_URL:-[^}]+\}$/)
      }
    },
  )

  test('every named volume is declared at the top level, and every declared one is used', () => {
    const used = new Set(
      Object.values(services).flatMap((s) =>
        mounts(s)
          .filter((m) => m.named)
          .map((m) => m.source),
      ),
    )
    expect([...used].filter((v) => !topVolumes.includes(v))).toEqual([])
    expect(topVolumes.filter((v) => !used.has(v))).toEqual([])
  })

  test('every setting the services are given is documented in .env.example', () => {
    const undocumented = APPS.flatMap(({ name }) =>
      Object.keys(environment(services[name] ?? {}))
        .filter((k) => !documented.has(k))
        .map((k) => `${name}: ${k}`),
    )
    expect(undocumented).toEqual([])
  })

  test('every variable compose.yaml reads from the environment is documented in .env.example', () => {
    expect(interpolatedNames(read('compose.yaml')).filter((k) => !documented.has(k))).toEqual([])
  })
})

describe('compose.yaml, profile observability', () => {
  const svc = (name: string) => services[name] ?? {}
  /** A bind mount `./host/path:/target[:ro]` of a service, by target. */
  const bind = (name: string, target: string) => mounts(svc(name)).find((m) => m.target === target && !m.named)

  test('prometheus, grafana and jaeger are in the observability profile only', () => {
    for (const name of ['prometheus', 'grafana', 'jaeger']) expect(svc(name).profiles).toEqual(['observability'])
  })

  test(
    'prometheus scrapes /metrics of the three services at their ' +
      'compose names and ports, its config mounted from the repository',
    () => {
      expect(String(svc('prometheus').image)).toMatch(/^prom\/prometheus:v\d/)
      expect(ports(svc('prometheus'))).toContainEqual({ published: 9090, target: 9090 })
      const mount = bind('prometheus', '/etc/prometheus/prometheus.yml')
      expect(mount).toBeDefined()
      const config = Bun.YAML.parse(read(mount!.source)) as {
        scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[]
      }
      for (const { name, port } of APPS) {
        const job = config.scrape_configs.find((j) => j.job_name === name)
        expect(job?.metrics_path ?? '/metrics').toBe('/metrics')
        expect(job?.static_configs.flatMap((c) => c.targets)).toEqual([`${name}:${port}`])
      }
      expect(mounts(svc('prometheus')).find((m) => m.target === '/prometheus')?.named).toBe(true)
    },
  )

  test('grafana: data sources (Prometheus, Jaeger) and the dashboard provisioned from the repository', () => {
    const g = svc('grafana')
    expect(String(g.image)).toMatch(/^grafana\/grafana:\d/)
    expect(ports(g)).toContainEqual({ published: 3000, target: 3000 })
    const provisioning = bind('grafana', '/etc/grafana/provisioning')!
    const dashboards = bind('grafana', '/var/lib/grafana/dashboards')!
    const ds = Bun.YAML.parse(read(`${provisioning.source}/datasources/datasources.yml`)) as {
      datasources: { uid: string; type: string; url: string }[]
    }
    expect(ds.datasources).toContainEqual(
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
    )
    expect(ds.datasources).toContainEqual(expect.objectContaining({ type: 'jaeger', url: 'http://jaeger:16686' }))
    const providers = Bun.YAML.parse(read(`${provisioning.source}/dashboards/dashboards.yml`)) as {
      providers: { options: { path: string } }[]
    }
    expect(providers.providers.map((p) => p.options.path)).toContain('/var/lib/grafana/dashboards')
    expect(existsSync(join(root, dashboards.source, 'shop.json'))).toBe(true)
    expect(interpolate(environment(g).GF_SECURITY_ADMIN_PASSWORD ?? '')).not.toBe('')
  })

  test(
    'the dashboard queries the provisioned Prometheus, only for metrics the services ' +
      'define, and covers rates, latencies, errors, outbox, consumers and the saga',
    () => {
      const dashboards = bind('grafana', '/var/lib/grafana/dashboards')!
      const dash = JSON.parse(read(`${dashboards.source}/shop.json`)) as {
        uid: string
        panels: {
          type: string
          title: string
          datasource?: { uid: string }
          targets?: { expr: string; datasource?: { uid: string } }[]
        }[]
      }
      const ds = Bun.YAML.parse(
        read(`${bind('grafana', '/etc/grafana/provisioning')!.source}/datasources/datasources.yml`),
      ) as { datasources: { uid: string; type: string }[] }
      const promUid = ds.datasources.find((d) => d.type === 'prometheus')!.uid
      const panels = dash.panels.filter((p) => p.type !== 'row')
      expect(panels.length).toBeGreaterThanOrEqual(8)
      // Every metric name written in the services' sources (prom-client `name: '...'`), with the histogram series.
      const sources = new Bun.Glob('{platform,auth,catalog,order}/src/**/*.ts')
      const defined = new Set<string>()
      for (const file of sources.scanSync(root)) {
        for (const m of read(file).matchAll(/\bname: '([a-z_:][a-z0-9_:]*)'/g))
          for (const suffix of ['', '_bucket', '_count', '_sum']) defined.add(m[1]! + suffix)
      }
      // prom-client's default process metrics (collectDefaultMetrics, in every service's registry)
      for (const n of [
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'process_open_fds',
        'process_max_fds',
        'nodejs_heap_size_used_bytes',
      ])
        defined.add(n)
      const used = new Set<string>()
      for (const p of panels) {
        expect(p.datasource?.uid).toBe(promUid)
        expect(p.targets?.length).toBeGreaterThan(0)
        for (const t of p.targets ?? []) {
          expect(t.datasource?.uid ?? promUid).toBe(promUid)
          const names = [
            ...t.expr.replace(/\{[^}]*\}|\[[^\]]*\]|"[^"]*"/g, '').matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g),
          ].map((m) => m[1]!)
          for (const n of names.filter((n) => n.includes('_') && !['by'].includes(n))) used.add(n)
        }
      }
      const labels = new Set([
        'service',
        'le',
        'outcome',
        'status',
        'http_route',
        'http_request_method',
        'http_response_status_code',
        'messaging_destination_name',
        'state',
      ])
      const metricsUsed = [...used].filter((n) => !labels.has(n))
      expect(metricsUsed.filter((n) => !defined.has(n))).toEqual([])
      for (const needed of [
        'http_server_request_duration_seconds_count',
        'http_server_request_duration_seconds_bucket',
        'shop_outbox_unsent',
        'messaging_client_consumed_messages_total',
        'shop_order_saga_duration_seconds_bucket',
      ]) {
        expect(metricsUsed).toContain(needed)
      }
    },
  )

  test(
    'jaeger receives OTLP/HTTP on the compose network and shows ' +
      'traces on 16686; the services export there only when told',
    () => {
      const j = svc('jaeger')
      expect(String(j.image)).toMatch(/^jaegertracing\/(jaeger|all-in-one):\d/)
      expect(ports(j)).toContainEqual({ published: 16686, target: 16686 })
      expect((Array.isArray(j.expose) ? j.expose : []).map(String)).toContain('4318')
      for (const { name } of APPS) {
        const env = environment(svc(name))
        // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation, as in compose.yaml
        expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('${OTEL_EXPORTER_OTLP_ENDPOINT:-}')
        expect(interpolate(env.METRICS_ENABLED ?? 'true')).toBe('true')
      }
    },
  )
})

describe('Dockerfile', () => {
  const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces
  const present = existsSync(join(root, 'Dockerfile'))
  const source = present ? instructions(read('Dockerfile')) : []

  test('exists at the root, and the services have none of their own', () => {
    expect(present).toBe(true)
    for (const { name } of APPS) expect(existsSync(join(root, name, 'Dockerfile'))).toBe(false)
  })

  test('its final stage takes SERVICE and PORT as build arguments, without defaults, and checks them', () => {
    const lastStage = source.slice(source.findLastIndex((i) => i.op === 'FROM'))
    const declared = lastStage.filter((i) => i.op === 'ARG').map((i) => i.args)
    expect(declared).toContain('SERVICE')
    expect(declared).toContain('PORT')
    const check = lastStage.find((i) => i.op === 'RUN' && i.args.includes('$SERVICE') && i.args.includes('exit 1'))
    expect(check?.args).toContain('auth|catalog|order')
  })

  for (const { name, port } of APPS) {
    describe(`built for ${name}`, () => {
      // The arguments compose.yaml passes; the checks below read the Dockerfile as Docker builds it with them.
      const args = buildArgs(services[name] ?? {})
      const ins = render(source, args)
      const all = (op: string) => ins.filter((i) => i.op === op)
      const last = (op: string) => all(op).at(-1)
      const lastStage = ins.slice(ins.findLastIndex((i) => i.op === 'FROM'))
      const env = Object.assign({}, ...lastStage.filter((i) => i.op === 'ENV').map((e) => envPairs(e.args))) as Record<
        string,
        string
      >

      test('builds every stage from an oven/bun 1.x image', () => {
        const stages = new Set<string>()
        const froms = all('FROM')
        expect(froms.length).toBeGreaterThan(0)
        for (const f of froms) {
          const [image, as, stage] = f.args.replace(/^--platform=\S+\s+/, '').split(/\s+/)
          if (!stages.has(image!.toLowerCase())) expect(image!).toMatch(/^oven\/bun:1(\.|$|-)/)
          if (as?.toUpperCase() === 'AS' && stage) stages.add(stage.toLowerCase())
        }
      })

      test('installs production dependencies from the lock file with every workspace manifest present', () => {
        const copied = ins
          .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
          .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
        expect(copied).toContain('bun.lock')
        expect(copied).toContain('package.json')
        for (const w of workspaces) expect(copied).toContain(`${w}/package.json`)
        const install = all('RUN').find((r) => /\bbun install\b/.test(r.args))
        expect(install?.args).toContain('--frozen-lockfile')
        expect(install?.args).toContain('--production')
      })

      test('copies the patches of patched dependencies before installing', () => {
        const pkg = JSON.parse(read('package.json')) as { patchedDependencies?: Record<string, string> }
        const installAt = ins.findIndex((i) => i.op === 'RUN' && /\bbun install\b/.test(i.args))
        const before = ins
          .slice(0, installAt)
          .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
          .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
        for (const patch of Object.values(pkg.patchedDependencies ?? {})) {
          expect(before.some((src) => patch === src || patch.startsWith(`${src.replace(/\/$/, '')}/`))).toBe(true)
        }
      })

      test('runs as a user that is not root', () => {
        const user = last('USER')?.args.split(':')[0]
        expect(user).toBeDefined()
        expect(['root', '0']).not.toContain(user!)
      })

      test(`exposes ${port} and sets PORT and NODE_ENV to match`, () => {
        expect(
          all('EXPOSE')
            .flatMap((e) => e.args.split(/\s+/))
            .map((p) => Number(p.replace(/\/tcp$/, ''))),
        ).toContain(port)
        expect(env.PORT).toBe(String(port))
        expect(env.NODE_ENV).toBe('production')
      })

      test('has a health check on /health/ready of its port', () => {
        const hc = last('HEALTHCHECK')
        expect(hc).toBeDefined()
        expect(hc!.args.toUpperCase()).not.toBe('NONE')
        expect(hc!.args).toContain('/health/ready')
        expect(hc!.args).toContain('process.env.PORT')
      })

      test('stops on SIGTERM and owns its log directory', () => {
        expect(last('STOPSIGNAL')?.args).toBe('SIGTERM')
        expect(
          lastStage.some((i) => i.op === 'RUN' && i.args.includes(LOG_DIR) && /chown\s+(-\S+\s+)*bun\b/.test(i.args)),
        ).toBe(true)
      })

      test(`CMD runs ${name}/src/main.ts with bun as PID 1; the final stage copies it, kernel/ and platform/`, () => {
        const cmd = execArgs(last('CMD')?.args ?? '[]')
        if (cmd[0] === 'sh') expect(cmd[2]).toStartWith('exec ')
        expect(shellExec(cmd, env)).toEqual(['bun', `${name}/src/main.ts`])
        const copies = lastStage
          .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
          .map((i) => i.args.split(/\s+/)[0]!.replace(/\/$/, ''))
        expect(copies).toContain(name)
        expect(copies).toContain('kernel')
        expect(copies).toContain('platform')
      })

      test(`${name}/src/main.ts exists`, () => {
        expect(existsSync(join(root, name, 'src', 'main.ts'))).toBe(true)
      })
    })
  }

  test('every Dockerfile compose.yaml builds exists', () => {
    const missing = Object.values(services)
      .map((s) =>
        isObj(s.build) ? join(String(s.build.context ?? '.'), String(s.build.dockerfile ?? 'Dockerfile')) : undefined,
      )
      .filter((p): p is string => p !== undefined && !existsSync(join(root, p)))
    expect(missing).toEqual([])
  })

  test('.dockerignore keeps node_modules (nested too), local data, logs and .git out of the build context', () => {
    const lines = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
    for (const p of ['**/node_modules', '**/.data', '.git', 'bench/results', 'coverage']) expect(lines).toContain(p)
    expect(lines.some((l) => /logs$|\*\.log$/.test(l))).toBe(true)
  })
})

test('Makefile has up and down, both phony', () => {
  const mk = read('Makefile')
  const phony = (/^\.PHONY:(.*)$/m.exec(mk)?.[1] ?? '').split(/\s+/)
  for (const t of ['up', 'down']) {
    expect(phony).toContain(t)
    expect(mk).toMatch(new RegExp(`^${t}:`, 'm'))
  }
})
