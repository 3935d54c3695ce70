/**
 * deploy/k8s, kept honest without a cluster: both overlays rendered with `kubectl kustomize` (as
 * `make k8s` does), every object validated against the schema of its kind (deploy/k8s/schemas),
 * and the manifests checked against the code: the settings each service reads, its port and
 * health routes, the broker set-up `make broker` applies, the generated broker objects up to date.
 * Every check is also run on a copy broken on purpose, and must fail there.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brokerDefinitions, DEV_BROKER_PASSWORDS } from '@shop/platform/bus/broker-setup'
import { MAX_MESSAGE_BYTES } from '@shop/platform/bus/topology'
import { createHttpApp } from '@shop/platform/http/app'
import type { Logger } from '@shop/platform/log'
import { createMetrics } from '@shop/platform/observability/metrics'
import { brokerFiles, staleBrokerFiles } from '../scripts/k8s-broker.ts'
import { docsOrigins } from '../scripts/origins.ts'
import * as k from './k8s-checks.ts'

const { ROOT, K8S_DIR, OVERLAYS, named, ofKind, container } = k
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8')

const kubectl = k.kubectlAvailable()
if (!kubectl) {
  if (k.inCI())
    throw new Error('kubectl is not installed, and CI requires it (tests/k8s.test.ts renders deploy/k8s with it)')
  console.warn('[skip] kubectl is not installed: the rendered manifests of deploy/k8s are not checked (they are in CI)')
}
const withKubectl = kubectl ? describe : describe.skip

/** A deep copy to break on purpose. */
const copy = (objects: readonly k.K8sObject[]): k.K8sObject[] => structuredClone(objects) as k.K8sObject[]
/** A way to break a rendering, named for the failure message. */
type Breakage = [what: string, breakIt: (x: k.K8sObject[]) => void]
/** Each breakage, done to its own copy of `objects`, is found by `problems` (it lists at least one). */
function expectEachCaught(
  objects: readonly k.K8sObject[],
  breakages: readonly Breakage[],
  problems: (x: k.K8sObject[]) => readonly unknown[],
) {
  for (const [what, breakIt] of breakages) {
    const broken = copy(objects)
    breakIt(broken)
    expect({ what, failed: problems(broken).length > 0 }).toEqual({ what, failed: true })
  }
}
const deployment = (objects: k.K8sObject[], name = 'catalog') => named(objects, 'Deployment', name)!

const renders = {} as Record<k.Overlay, k.K8sObject[]>
let services: k.ServiceCode[] = []
beforeAll(async () => {
  services = await k.servicesInCode()
  if (kubectl) for (const o of OVERLAYS) renders[o] = k.render(o)
})

test('the services the checks know are the three of the code, with their config loaders', async () => {
  const found = await k.servicesInCode()
  expect(found.map((s) => s.name)).toEqual(['auth', 'catalog', 'order'])
  // catalog runs a second pool (generic plans): its connections count twice
  expect(found.map((s) => s.pools)).toEqual([1, 2, 1])
  expect(k.settingsRead().has('JWT_SECRET')).toBe(true)
  expect(k.settingsRead().has('BCRYPT_COST')).toBe(true)
})

test('Makefile: `make k8s` renders both overlays with kubectl kustomize, phony and described', () => {
  const mk = read('Makefile')
  const phony = [...mk.matchAll(/^\.PHONY:(.*)$/gm)].flatMap((m) => m[1]!.split(/\s+/))
  expect(phony).toContain('k8s')
  expect(mk).toMatch(/^## k8s: /m)
  const recipe = /^k8s:.*\n((?:\t.*\n)+)/m.exec(mk)?.[1] ?? ''
  for (const o of OVERLAYS) expect(recipe).toContain(`kubectl kustomize deploy/k8s/overlays/${o}`)
  expect(recipe).toContain('bun scripts/k8s-broker.ts --check')
})

describe('the generated broker objects', () => {
  test('deploy/k8s/base/broker is what scripts/k8s-broker.ts writes now', () => {
    expect(staleBrokerFiles()).toEqual([])
  })

  test('the freshness check notices a changed, a missing and an extra file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-broker-'))
    const files = brokerFiles()
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text)
    expect(staleBrokerFiles(dir)).toEqual([])
    writeFileSync(
      join(dir, 'queues.yaml'),
      files['queues.yaml']!.replace('x-delivery-limit: 20', 'x-delivery-limit: 21'),
    )
    writeFileSync(join(dir, 'stray.yaml'), 'kind: Queue\n')
    rmSync(join(dir, 'users.yaml'))
    expect(staleBrokerFiles(dir)).toEqual(['queues.yaml', 'stray.yaml', 'users.yaml'])
    rmSync(dir, { recursive: true })
  })
})

test('the migration choice: no Job, the services migrate at start under an advisory lock', () => {
  const migrate = [...new Bun.Glob('**/src/postgres/migrate.ts').scanSync({ cwd: ROOT })].filter(
    (f) => !f.includes('node_modules'),
  )
  expect(migrate.length).toBe(1)
  expect(read(migrate[0]!)).toContain('pg_advisory_xact_lock')
  if (kubectl) for (const o of OVERLAYS) expect(ofKind(renders[o], 'Job')).toEqual([])
})

describe('deploy/k8s/schemas', () => {
  const schemas = k.schemaFiles()

  test('one schema per kind used, each saying what it was written from and at which version', () => {
    const readme = read('deploy/k8s/schemas/README.md')
    for (const f of readdirSync(k.SCHEMA_DIR).filter((f) => f.endsWith('.yaml'))) {
      const text = readFileSync(join(k.SCHEMA_DIR, f), 'utf8')
      if (f !== 'definitions.yaml')
        expect({ f, header: /^# .* from .* v\d+\.\d+/.test(text) }).toEqual({ f, header: true })
      expect({ f, listed: readme.includes(f) }).toEqual({ f, listed: true })
    }
    expect(Object.keys(schemas)).toContain('/definitions')
  })

  withKubectl('against the rendered overlays', () => {
    test.each([...OVERLAYS])('every object of %s is valid against its schema', (o) => {
      expect(k.schemaValidator()(renders[o])).toEqual([])
    })

    test('every schema is used by a render (none kept for a kind no longer there)', () => {
      const used = new Set(OVERLAYS.flatMap((o) => renders[o].map((x) => `/${x.apiVersion}/${x.kind}`)))
      expect(Object.keys(schemas).filter((s) => s !== '/definitions' && !used.has(s))).toEqual([])
    })

    test('the validator rejects objects broken on purpose', () => {
      const validate = k.schemaValidator()
      const broken: Breakage[] = [
        [
          'a misspelt field',
          (x) => (container(deployment(x)).readinessprobe = container(deployment(x)).readinessProbe),
        ],
        ['a string for a number', (x) => (deployment(x).spec.replicas = '2')],
        ['a missing required field', (x) => delete deployment(x).spec.selector],
        ['a bad enum', (x) => (container(deployment(x)).imagePullPolicy = 'Sometimes')],
        ['a probe with two handlers', (x) => (container(deployment(x)).livenessProbe.exec = { command: ['true'] })],
        ['a bad quantity', (x) => (container(deployment(x)).resources.limits.memory = '512 megabytes')],
        ['an upper-case name', (x) => (named(x, 'Service', 'auth')!.metadata.name = 'Auth')],
        ['a CloudNativePG Cluster of 0 instances', (x) => (named(x, 'Cluster', 'auth-db')!.spec.instances = 0)],
        ['a Queue with an unknown field', (x) => (named(x, 'Queue', 'order-stock')!.spec.quorum = true)],
        ['a Permission without a user', (x) => delete named(x, 'Permission', 'shop-order')!.spec.user],
        ['a User with a made-up tag', (x) => (named(x, 'User', 'shop-auth')!.spec.tags = ['superuser'])],
        [
          'a ServiceMonitor interval in words',
          (x) => (named(x, 'ServiceMonitor', 'order')!.spec.endpoints[0].interval = '30 seconds'),
        ],
        ['a RabbitmqCluster of -1 replicas', (x) => (ofKind(x, 'RabbitmqCluster')[0]!.spec.replicas = -1)],
        [
          'a kind without a schema',
          (x) => x.push({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' } }),
        ],
      ]
      expectEachCaught(renders.ha, broken, validate)
    })
  })
})

withKubectl('the manifests against the code', () => {
  test.each([...OVERLAYS])(
    '%s: every setting loads with the service own config, is read by the code, or has a default',
    (o) => {
      expect(k.settingProblems(renders[o], services)).toEqual([])
    },
  )

  test('the settings check fails on a misspelt key, a bad value, a missing secret, a missing database', () => {
    const cases: Breakage[] = [
      ['misspelt', (x) => (ofKind(x, 'ConfigMap').find((c) => c.data.LOG_LEVEL)!.data.LOG_LEVL = 'debug')],
      ['bad value', (x) => (ofKind(x, 'ConfigMap').find((c) => c.data.LOG_LEVEL)!.data.LOG_LEVEL = 'verbose')],
      [
        'no JWT_SECRET',
        (x) =>
          (container(deployment(x)).env = container(deployment(x)).env.filter(
            (e: { name: string }) => e.name !== 'JWT_SECRET',
          )),
      ],
      [
        'no DATABASE_URL',
        (x) =>
          (container(deployment(x)).env = container(deployment(x)).env.filter(
            (e: { name: string }) => e.name !== 'DATABASE_URL',
          )),
      ],
      [
        'a Deployment the code has no service for',
        (x) => x.push({ ...structuredClone(deployment(x)), metadata: { name: 'billing' } }),
      ],
    ]
    expectEachCaught(renders.dev, cases, (x) => k.settingProblems(x, services))
  })

  test.each([...OVERLAYS])('%s: no secret value anywhere; secret settings come from Secrets', (o) => {
    expect(k.secretProblems(renders[o])).toEqual([])
  })

  test('no dev password or other secret is written under deploy/k8s', () => {
    const files = [...new Bun.Glob('**/*').scanSync({ cwd: K8S_DIR, onlyFiles: true })].filter(
      (f) => !f.startsWith('build/'),
    )
    const words = [
      ...Object.values(DEV_BROKER_PASSWORDS),
      'shop-admin-dev-password',
      'guest:guest',
      'postgres:postgres',
    ]
    const found = files.flatMap((f) => {
      const text = readFileSync(join(K8S_DIR, f), 'utf8')
      return [
        ...words.filter((w) => text.includes(w)),
        ...(/^\s*(stringData|password):/m.test(text) ? ['a password field'] : []),
      ].map((w) => `${f}: ${w}`)
    })
    expect(found).toEqual([])
  })

  test(
    'the secrets check fails on a Secret object, a literal secret, a secret in a ConfigMap, ' + 'credentials in a URL',
    () => {
      const cases: Breakage[] = [
        [
          'Secret',
          (x) =>
            x.push({
              apiVersion: 'v1',
              kind: 'Secret',
              metadata: { name: 'shop-jwt' },
              stringData: { JWT_SECRET: 'x' },
            }),
        ],
        [
          'literal',
          (x) =>
            (container(deployment(x)).env.find((e: { name: string }) => e.name === 'JWT_SECRET').valueFrom = undefined),
        ],
        ['ConfigMap', (x) => (ofKind(x, 'ConfigMap')[0]!.data.DATABASE_URL = 'postgresql://db/shop')],
        ['URL', (x) => (ofKind(x, 'ConfigMap')[0]!.data.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://user:pw@collector:4318')],
        [
          "another service's signing key",
          (x) =>
            (container(deployment(x)).env.find(
              (e: { name: string }) => e.name === 'EVENT_SIGNING_KEY',
            ).valueFrom.secretKeyRef.name = 'shop-auth-event-key'),
        ],
        [
          'AMQP_URL from literals',
          (x) =>
            (container(deployment(x)).env.find((e: { name: string }) => e.name === 'AMQP_URL').value =
              'amqp://shop-catalog:pw@shop-rabbitmq:5672'),
        ],
      ]
      expectEachCaught(renders.dev, cases, k.secretProblems)
    },
  )

  test.each([...OVERLAYS])(
    '%s: each Deployment: port, probes, grace, resources, non-root, read-only, no token',
    (o) => {
      expect(k.deploymentProblems(renders[o], services)).toEqual([])
    },
  )

  test('the Deployment check fails on each of those broken', () => {
    const c = (x: k.K8sObject[]) => container(deployment(x))
    const pod = (x: k.K8sObject[]) => deployment(x).spec.template.spec
    const cases: Breakage[] = [
      ['liveness on readiness', (x) => (c(x).livenessProbe.httpGet.path = '/health/ready')],
      ['readiness on /health', (x) => (c(x).readinessProbe.httpGet.path = '/health')],
      ['readiness on the broker too', (x) => (c(x).readinessProbe.httpGet.path = '/health/ready')],
      ['probe on another port', (x) => (c(x).startupProbe.httpGet.port = 9000)],
      ['container port', (x) => (c(x).ports[0].containerPort = 8080)],
      ['short grace', (x) => (pod(x).terminationGracePeriodSeconds = 10)],
      ['no limits', (x) => delete c(x).resources.limits],
      ['root', (x) => (pod(x).securityContext.runAsUser = 0)],
      ['writable root', (x) => (c(x).securityContext.readOnlyRootFilesystem = false)],
      ['token', (x) => (pod(x).automountServiceAccountToken = true)],
      ['no /tmp', (x) => (c(x).volumeMounts = [])],
      [
        'LOG_DIR not writable',
        (x) => (ofKind(x, 'ConfigMap').find((m) => m.data.LOG_LEVEL)!.data.LOG_DIR = '/var/log/shop'),
      ],
      ['service links', (x) => delete pod(x).enableServiceLinks],
    ]
    expectEachCaught(renders.ha, cases, (x) => k.deploymentProblems(x, services))
  })

  test(
    'the probes and the ServiceMonitor name routes the services answer as they mean: live while the database is ' +
      'down, ready only when it is up, /metrics behind its token',
    async () => {
      const d = deployment(renders.ha, 'order')
      const c = container(d)
      const sm = named(renders.ha, 'ServiceMonitor', 'order')!.spec.endpoints[0]
      const token = 'a-metrics-token-for-this-test'
      let databaseUp = false
      const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent }
      const app = createHttpApp({
        service: 'order',
        log: silent,
        bodyLimit: 1000,
        ready: {
          database: async () => (databaseUp ? undefined : Promise.reject(new Error('down'))),
          broker: async () => {},
        },
        docs: { title: 't', version: '1', description: '', tokenUrl: '/x' },
        metrics: createMetrics('order'),
        metricsToken: token,
      })
      const get = (path: string, headers: Record<string, string> = {}) =>
        app.fetch(new Request(`http://order${path}`, { headers }))
      expect((await get(c.startupProbe.httpGet.path)).status).toBe(200)
      expect((await get(c.livenessProbe.httpGet.path)).status).toBe(200)
      expect((await get(c.readinessProbe.httpGet.path)).status).toBe(503)
      databaseUp = true
      expect((await get(c.readinessProbe.httpGet.path)).status).toBe(200)
      expect((await get(sm.path)).status).toBe(401)
      expect((await get(sm.path, { Authorization: `Bearer ${token}` })).status).toBe(200)
      expect(sm.authorization.type).toBe('Bearer')
    },
  )

  test.each([...OVERLAYS])(
    '%s: each Deployment has its Service, PodDisruptionBudget, autoscaler and ServiceMonitor',
    (o) => {
      expect(k.companionProblems(renders[o], o)).toEqual([])
    },
  )

  test(
    'the companions check fails on one replica in ha, a low autoscaler, a wrong target port, a ServiceMonitor ' +
      'without the token',
    () => {
      const cases: Breakage[] = [
        ['one replica', (x) => (deployment(x).spec.replicas = 1)],
        ['autoscaler', (x) => (named(x, 'HorizontalPodAutoscaler', 'catalog')!.spec.minReplicas = 1)],
        ['target port', (x) => (named(x, 'Service', 'catalog')!.spec.ports[0].targetPort = 8000)],
        ['metrics path', (x) => (named(x, 'ServiceMonitor', 'catalog')!.spec.endpoints[0].path = '/stats')],
        ['no token', (x) => delete named(x, 'ServiceMonitor', 'catalog')!.spec.endpoints[0].authorization],
        ['no budget', (x) => x.splice(x.indexOf(named(x, 'PodDisruptionBudget', 'catalog')!), 1)],
      ]
      expectEachCaught(renders.ha, cases, (x) => k.companionProblems(x, 'ha'))
    },
  )

  test.each([...OVERLAYS])('%s: own databases (CloudNativePG), the broker, and the network policies', (o) => {
    expect(k.dataProblems(renders[o], o, services)).toEqual([])
  })

  test(
    'the data check fails on a single instance in ha, a shared database, too few connections, a' + ' wider network',
    () => {
      const np = (x: k.K8sObject[]) => named(x, 'NetworkPolicy', 'catalog')!.spec
      const cases: Breakage[] = [
        ['instances', (x) => (named(x, 'Cluster', 'order-db')!.spec.instances = 1)],
        ['rabbit', (x) => (ofKind(x, 'RabbitmqCluster')[0]!.spec.replicas = 1)],
        [
          'shared',
          (x) =>
            (container(deployment(x)).env.find(
              (e: { name: string }) => e.name === 'DATABASE_URL',
            ).valueFrom.secretKeyRef.name = 'auth-db-app'),
        ],
        ['connections', (x) => (named(x, 'Cluster', 'catalog-db')!.spec.postgresql.parameters.max_connections = '100')],
        ['other database', (x) => (np(x).egress[0].to[0].podSelector.matchLabels['cnpg.io/cluster'] = 'auth-db')],
        ['any egress', (x) => np(x).egress.push({})],
        ['wider ingress', (x) => np(x).ingress.push({ ports: [{ port: 22 }] })],
        ['broker port', (x) => (np(x).egress[1].ports[0].port = 15672)],
        ['no policy', (x) => x.splice(x.indexOf(named(x, 'NetworkPolicy', 'catalog')!), 1)],
      ]
      expectEachCaught(renders.ha, cases, (x) => k.dataProblems(x, 'ha', services))
    },
  )

  test.each([...OVERLAYS])('%s: the broker users, permissions and topology are what make broker sets up', (o) => {
    const setup = brokerDefinitions({ vhost: '/', passwords: DEV_BROKER_PASSWORDS })
    expect(k.brokerProblems(renders[o], setup)).toEqual([])
    // and what compose's RabbitMQ loads (its administrator aside)
    expect(k.brokerProblems(renders[o], JSON.parse(read('broker/definitions.json')))).toEqual([])
  })

  test(
    'the broker check fails on a missing binding, a wider permission, a user of another name, a queue of another ' +
      'type',
    () => {
      const setup = brokerDefinitions({ vhost: '/', passwords: DEV_BROKER_PASSWORDS })
      const cases: Breakage[] = [
        [
          'binding',
          (x) =>
            x.splice(
              x.findIndex((o) => o.kind === 'Binding'),
              1,
            ),
        ],
        ['permission', (x) => (named(x, 'Permission', 'shop-auth')!.spec.permissions.write = '.*')],
        ['topic permission', (x) => (ofKind(x, 'TopicPermission')[0]!.spec.permissions.write = '^.*$')],
        ['user', (x) => (named(x, 'User', 'shop-order')!.metadata.name = 'order')],
        ['queue type', (x) => (named(x, 'Queue', 'catalog-orders')!.spec.type = 'classic')],
        ['dead letters', (x) => delete named(x, 'Queue', 'order-stock')!.spec.arguments['x-dead-letter-exchange']],
        ['credentials', (x) => (named(x, 'User', 'shop-catalog')!.spec.importCredentialsSecret.name = 'other')],
        ['no dead-letter bound', (x) => x.splice(x.indexOf(named(x, 'Policy', 'shop-dead-letters')!), 1)],
        ['a looser bound', (x) => (named(x, 'Policy', 'shop-dead-letters')!.spec.definition['max-length'] = 1e9)],
      ]
      expectEachCaught(renders.dev, cases, (x) => k.brokerProblems(x, setup))
    },
  )

  test(
    "dev: the /docs pages work through kubectl port-forward: CORS allows the three pages' origins, Authorize logs" +
      ' in at auth',
    () => {
      const ports = ['auth', 'catalog', 'order'].map(
        (s) => container(deployment(renders.dev, s)).ports[0].containerPort,
      )
      for (const s of ['auth', 'catalog', 'order']) {
        const { env } = k.podEnv(renders.dev, deployment(renders.dev, s))
        expect(env.CORS_ORIGINS).toBe(docsOrigins(ports))
        expect(env.AUTH_TOKEN_URL).toBe(`http://localhost:${ports[0]}/api/v1/auth/login`)
      }
    },
  )

  test.each([...OVERLAYS])('%s: the broker takes no message over MAX_MESSAGE_BYTES (its max_message_size)', (o) => {
    const config = String(ofKind(renders[o], 'RabbitmqCluster')[0]!.spec.rabbitmq?.additionalConfig ?? '')
    expect(config.split('\n').map((l) => l.trim())).toContain(`max_message_size = ${MAX_MESSAGE_BYTES}`)
  })

  test(
    'ha: databases of 3 instances with a synchronous standby, on different nodes; RabbitMQ on 3' + ' different nodes',
    () => {
      for (const c of ofKind(renders.ha, 'Cluster')) {
        expect(c.spec.postgresql.synchronous).toMatchObject({ method: 'any', number: 1 })
        expect(c.spec.affinity).toMatchObject({ enablePodAntiAffinity: true, podAntiAffinityType: 'required' })
      }
      const rabbit = ofKind(renders.ha, 'RabbitmqCluster')[0]!
      expect(rabbit.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe(
        'kubernetes.io/hostname',
      )
    },
  )
})
