/**
 * The checks of tests/k8s.test.ts, as functions from rendered manifests to a list of problems (empty
 * when all is well), so that the test can run each on the real render and on a copy broken on
 * purpose, and see it fail. There is no cluster here: the manifests are kept honest by these
 * checks against the API schemas (deploy/k8s/schemas) and against the code.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import Ajv from 'ajv'

export const ROOT = join(import.meta.dir, '..')
export const K8S_DIR = join(ROOT, 'deploy', 'k8s')
export const SCHEMA_DIR = join(K8S_DIR, 'schemas')
export const OVERLAYS = ['dev', 'ha'] as const
export type Overlay = (typeof OVERLAYS)[number]

// Rendered manifests are untyped YAML, checked field by field (tests may use any: biome.jsonc).
export type K8sObject = {
  apiVersion: string
  kind: string
  metadata: { name: string; [k: string]: any }
  [k: string]: any
}
type Any = any

export const inCI = () => process.env.CI === 'true'

export function kubectlAvailable(): boolean {
  try {
    return Bun.spawnSync(['kubectl', 'version', '--client'], { stdout: 'ignore', stderr: 'ignore' }).exitCode === 0
  } catch {
    return false
  }
}

/** `kubectl kustomize deploy/k8s/overlays/<overlay>`, parsed: every object `make k8s` renders. */
export function render(overlay: Overlay): K8sObject[] {
  const r = Bun.spawnSync(['kubectl', 'kustomize', join(K8S_DIR, 'overlays', overlay)], { cwd: ROOT })
  if (r.exitCode !== 0) throw new Error(`kubectl kustomize ${overlay} failed: ${r.stderr.toString()}`)
  const docs = Bun.YAML.parse(r.stdout.toString())
  return (Array.isArray(docs) ? docs : [docs]).filter(Boolean) as K8sObject[]
}

export const id = (o: K8sObject) => `${o.kind}/${o.metadata?.name}`
export const ofKind = (objects: readonly K8sObject[], kind: string) => objects.filter((o) => o.kind === kind)
export const named = (objects: readonly K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name)

// ---- schemas ----------------------------------------------------------------------------------

/** Every schema of deploy/k8s/schemas, by `$id` (`/<apiVersion>/<kind>`, and `/definitions`). */
export function schemaFiles(): Record<string, Any> {
  const out: Record<string, Any> = {}
  for (const f of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.yaml'))) {
    const schema = Bun.YAML.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as Any
    out[schema.$id] = schema
  }
  return out
}

/** A validator of rendered objects against the schema of their apiVersion and kind (none: a problem). */
export function schemaValidator() {
  // strictSchema: a keyword the validator does not know (a typo in a schema) is an error too.
  const ajv = new Ajv({ allErrors: true, strictSchema: true, strictTypes: false, strictRequired: false })
  for (const schema of Object.values(schemaFiles())) ajv.addSchema(schema)
  return (objects: readonly K8sObject[]): string[] =>
    objects.flatMap((o) => {
      const validate = ajv.getSchema(`/${o.apiVersion}/${o.kind}`)
      if (!validate) return [`${id(o)}: no schema for ${o.apiVersion} ${o.kind} in deploy/k8s/schemas`]
      if (validate(o)) return []
      return (validate.errors ?? []).map(
        (e) => `${id(o)}: ${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
      )
    })
}

// ---- the services, as the code has them ---------------------------------------------------------

export interface ServiceCode {
  readonly name: string
  /** The service's config loader (`load<Name>Config(env)`): throws on a missing or bad setting. */
  readonly load: (env: Record<string, string | undefined>) => Record<string, unknown>
  /** Whether the service runs a second pool (generic plans): its connections count twice. */
  readonly pools: number
}

/** Every `config.ts` under a `src/` of the repository (node_modules aside): the settings' schemas. */
export function configFiles(): string[] {
  return [...new Bun.Glob('**/src/config.ts').scanSync({ cwd: ROOT, onlyFiles: true })]
    .filter((f) => !f.split('/').includes('node_modules'))
    .sort()
}

/** The settings the code reads: the keys of the config schemas (as tests/standalone.test.ts reads them). */
export function settingsRead(): Set<string> {
  const names = new Set<string>()
  for (const f of configFiles())
    for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/^\s+([A-Z][A-Z0-9_]*): /gm)) names.add(m[1]!)
  return names
}

/** The services: each config.ts exporting a `load<Name>Config`, by the name of the folder above src/. */
export async function servicesInCode(): Promise<ServiceCode[]> {
  const out: ServiceCode[] = []
  for (const f of configFiles()) {
    const mod = (await import(join(ROOT, f))) as Record<string, unknown>
    const load = Object.entries(mod).find(([k, v]) => /^load[A-Z]\w*Config$/.test(k) && typeof v === 'function')
    if (!load) continue
    const dir = f.slice(0, -'/src/config.ts'.length)
    const name = dir.split('/').at(-1)!
    const sources = [...new Bun.Glob('src/**/*.ts').scanSync({ cwd: join(ROOT, dir) })]
    const generic = sources.some((s) => /\bgenericPlans\b/.test(readFileSync(join(ROOT, dir, s), 'utf8')))
    out.push({ name, load: load[1] as ServiceCode['load'], pools: generic ? 2 : 1 })
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

// ---- what a Deployment gives its container ------------------------------------------------------

/**
 * Environment variables of the pods that are not settings of the code: only used to put AMQP_URL together, and Bun's
 * own.
 */
export const NOT_SETTINGS = new Set(['AMQP_USERNAME', 'AMQP_PASSWORD', 'BUN_RUNTIME_TRANSPILER_CACHE_PATH'])
/** Settings whose value is a secret, or holds one: from a Secret, never a ConfigMap or a literal. */
export const SECRET_SETTINGS = new Set([
  'JWT_SECRET',
  'METRICS_TOKEN',
  'DATABASE_URL',
  'AMQP_URL',
  'ADMIN_PASSWORD',
  'EVENT_SIGNING_KEY',
])

/** The Secret a service's own event signing key comes from (key EVENT_SIGNING_KEY): one per service. */
export const signingKeySecret = (service: string) => `shop-${service}-event-key`

// Stand-ins of the right form for the event keys (the bytes are not a key anyone holds).
const PKCS8_STAND_IN = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32)])
const SPKI_STAND_IN = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.alloc(32, 1)])

export const container = (d: K8sObject): Any => d.spec?.template?.spec?.containers?.[0] ?? {}

/** A stand-in of the right form for a value a Secret gives (the test never sees a real one). */
function secretStandIn(secret: string, key: string): string {
  if (key === 'EVENT_SIGNING_KEY') return `${secret}:${PKCS8_STAND_IN.toString('base64')}`
  if (key === 'EVENT_PUBLIC_KEYS')
    return ['auth', 'catalog', 'order'].map((s) => `${s}:${s}-k:${SPKI_STAND_IN.toString('base64')}`).join(',')
  if (key === 'uri') return `postgresql://owner:pw@${secret.replace(/-app$/, '')}-rw.ns:5432/db`
  if (key === 'username') return secret.replace(/-amqp$/, '')
  return `stand-in-for-${secret}-${key}-0123456789abcdef`
}

export interface PodEnv {
  /**
   * Name to value as the container sees it: ConfigMap entries, literal values ($(VAR) expanded), secrets' stand-ins.
   */
  readonly env: Record<string, string>
  /** Name to where it comes from. */
  readonly source: Record<string, { kind: 'configMap' | 'secret' | 'value'; name?: string; key?: string }>
  readonly problems: string[]
}

/** The environment a Deployment's container gets, as the kubelet builds it (envFrom first, then env in order). */
export function podEnv(objects: readonly K8sObject[], d: K8sObject): PodEnv {
  const c = container(d)
  const env: Record<string, string> = {}
  const source: PodEnv['source'] = {}
  const problems: string[] = []
  for (const from of c.envFrom ?? []) {
    if (from.secretRef) {
      problems.push(`${id(d)}: envFrom a whole Secret (${from.secretRef.name}): name each secret setting instead`)
      continue
    }
    const cm = named(objects, 'ConfigMap', from.configMapRef?.name)
    if (!cm) {
      problems.push(`${id(d)}: envFrom ConfigMap ${from.configMapRef?.name}, which the render does not have`)
      continue
    }
    for (const [k, v] of Object.entries<string>(cm.data ?? {})) {
      env[k] = v
      source[k] = { kind: 'configMap', name: cm.metadata.name }
    }
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef
      env[e.name] = secretStandIn(name, key)
      source[e.name] = { kind: 'secret', name, key }
    } else if (e.valueFrom?.configMapKeyRef) {
      const { name, key } = e.valueFrom.configMapKeyRef
      const v = named(objects, 'ConfigMap', name)?.data?.[key]
      if (v === undefined) problems.push(`${id(d)}: ${e.name} from ConfigMap ${name} key ${key}, which is not there`)
      env[e.name] = v ?? ''
      source[e.name] = { kind: 'configMap', name, key }
    } else {
      // $(VAR) refers to a variable defined before this one; $$ escapes
      env[e.name] = String(e.value ?? '').replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) =>
        m === '$$' ? '$' : v in env ? env[v]! : m,
      )
      source[e.name] = { kind: 'value' }
    }
  }
  return { env, source, problems }
}

// ---- checks ---------------------------------------------------------------------------------------

const port = (c: Any, ref: string | number): number | undefined =>
  typeof ref === 'number' ? ref : c.ports?.find((p: Any) => p.name === ref)?.containerPort

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v)

/**
 * Settings against the code: the container's environment loads with the service's own config loader
 * (every required setting there, every value valid), DATABASE_URL and AMQP_URL are set (not the
 * embedded database and the in-memory bus), every variable set is a setting the code reads, and
 * every setting the code reads is set or has a default (the loader still loads without it).
 */
export function settingProblems(objects: readonly K8sObject[], services: readonly ServiceCode[]): string[] {
  const problems: string[] = []
  const read = settingsRead()
  for (const svc of services) {
    const d = named(objects, 'Deployment', svc.name)
    if (!d) {
      problems.push(`no Deployment for the service ${svc.name}`)
      continue
    }
    const { env, problems: envProblems } = podEnv(objects, d)
    problems.push(...envProblems)
    let config: Record<string, unknown>
    try {
      config = svc.load(env)
    } catch (e) {
      problems.push(`${svc.name}: its settings do not load: ${(e as Error).message}`)
      continue
    }
    for (const k of ['DATABASE_URL', 'AMQP_URL'])
      if (!config[k]) problems.push(`${svc.name}: ${k} is not set (the service would run embedded)`)
    for (const k of Object.keys(env))
      if (!read.has(k) && !NOT_SETTINGS.has(k)) problems.push(`${svc.name}: ${k} is set, but no config.ts reads it`)
    // Every setting it reads and the environment lacks has a default or is optional: it loaded without them.
  }
  for (const d of ofKind(objects, 'Deployment'))
    if (!services.some((s) => s.name === d.metadata.name))
      problems.push(`${id(d)}: no service of that name in the code`)
  return problems
}

/**
 * Secrets: referenced, never written. No Secret object, no secret setting from a ConfigMap or a literal, no credentials
 * in a value.
 */
export function secretProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = []
  for (const o of ofKind(objects, 'Secret'))
    problems.push(`${id(o)}: a Secret in the manifests (its value would be too)`)
  for (const cm of ofKind(objects, 'ConfigMap')) {
    for (const [k, v] of Object.entries<string>(cm.data ?? {})) {
      if (SECRET_SETTINGS.has(k)) problems.push(`${id(cm)}: ${k} is a secret, in a ConfigMap`)
      if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(v))
        problems.push(`${id(cm)}: ${k} has credentials in a URL`)
    }
  }
  for (const d of ofKind(objects, 'Deployment')) {
    const c = container(d)
    const { source } = podEnv(objects, d)
    for (const k of SECRET_SETTINGS) {
      const s = source[k]
      if (!s || s.kind === 'secret') continue
      if (k === 'AMQP_URL' && s.kind === 'value') {
        // Put together from Secret values only: amqp://$(USER):$(PASSWORD)@host:port
        const value = String(c.env.find((e: Any) => e.name === k)?.value ?? '')
        const m = /^amqps?:\/\/\$\(([A-Z_]+)\):\$\(([A-Z_]+)\)@[^:/@]+(:\d+)?(\/.*)?$/.exec(value)
        if (m && source[m[1]!]?.kind === 'secret' && source[m[2]!]?.kind === 'secret') continue
      }
      problems.push(`${id(d)}: ${k} comes from a ${s.kind}${s.name ? ` (${s.name})` : ''}, not a Secret`)
    }
    // each service signs with a key of its own: never another service's Secret
    const key = source.EVENT_SIGNING_KEY
    if (key?.kind === 'secret' && key.name !== signingKeySecret(d.metadata.name))
      problems.push(`${id(d)}: EVENT_SIGNING_KEY from ${key.name}, not its own ${signingKeySecret(d.metadata.name)}`)
  }
  return problems
}

/**
 * Each Deployment as the issue asks: probes on the liveness and readiness routes of its HTTP port,
 * a grace period longer than SHUTDOWN_TIMEOUT_MS (and the preStop pause), requests and limits,
 * non-root, read-only root filesystem with emptyDirs where it writes, no service-account token.
 */
export function deploymentProblems(objects: readonly K8sObject[], services: readonly ServiceCode[]): string[] {
  const problems: string[] = []
  for (const d of ofKind(objects, 'Deployment')) {
    const p = (s: string) => problems.push(`${id(d)}: ${s}`)
    const pod = d.spec.template.spec
    const c = container(d)
    if (pod.containers.length !== 1) p('one container expected')
    const svc = services.find((s) => s.name === d.metadata.name)
    const { env } = podEnv(objects, d)
    let config: Record<string, unknown> = {}
    try {
      config = svc?.load(env) ?? {}
    } catch {
      // settingProblems says why
    }
    const listen = Number(config.PORT)
    const defaultPort = (() => {
      try {
        const { PORT: _, ...rest } = env
        return Number(svc?.load(rest).PORT)
      } catch {
        return NaN
      }
    })()
    if (listen !== defaultPort) p(`listens on ${listen}, not its port ${defaultPort}`)
    const http = c.ports?.find((x: Any) => x.name === 'http')
    if (http?.containerPort !== listen)
      p(`container port http is ${http?.containerPort}, the service listens on ${listen}`)
    const probe = (which: string, path: string) => {
      const pr = c[which]?.httpGet
      if (pr?.path !== path) p(`${which} is not GET ${path} (${pr?.path})`)
      if (port(c, pr?.port) !== listen) p(`${which} probes port ${pr?.port}, not ${listen}`)
    }
    probe('startupProbe', '/health/live')
    probe('livenessProbe', '/health/live')
    // readiness without the broker: its outage must not empty the Service (the outbox holds the events)
    probe('readinessProbe', '/health/serving')
    const shutdownS = Number(config.SHUTDOWN_TIMEOUT_MS ?? NaN) / 1000
    const pause = Number(c.lifecycle?.preStop?.sleep?.seconds ?? 0)
    if (!(Number(pod.terminationGracePeriodSeconds) > shutdownS + pause))
      p(
        `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} is not longer than ` +
          `the preStop pause ${pause} s + SHUTDOWN_TIMEOUT_MS ${shutdownS} s`,
      )
    for (const r of ['requests', 'limits'])
      for (const k of r === 'requests' ? ['cpu', 'memory'] : ['memory'])
        if (!c.resources?.[r]?.[k]) p(`no resources.${r}.${k}`)
    const sc = { ...pod.securityContext, ...c.securityContext }
    if (sc.runAsNonRoot !== true || !(Number(sc.runAsUser) > 0)) p('not run as a non-root user')
    if (c.securityContext?.readOnlyRootFilesystem !== true) p('root filesystem not read-only')
    if (c.securityContext?.allowPrivilegeEscalation !== false) p('privilege escalation allowed')
    if (!c.securityContext?.capabilities?.drop?.includes('ALL')) p('capabilities not all dropped')
    if (sc.seccompProfile?.type !== 'RuntimeDefault') p('no RuntimeDefault seccomp profile')
    if (pod.automountServiceAccountToken !== false) p('the pod mounts a service-account token')
    const sa = named(objects, 'ServiceAccount', pod.serviceAccountName)
    if (sa?.automountServiceAccountToken !== false)
      p(`service account ${pod.serviceAccountName} missing or mounting its token`)
    if (pod.enableServiceLinks !== false) p('service links on (<SERVICE>_PORT=tcp://... in the environment)')
    const mounts: Any[] = c.volumeMounts ?? []
    for (const m of mounts) {
      const v = pod.volumes?.find((x: Any) => x.name === m.name)
      if (!v?.emptyDir) p(`volume ${m.name} at ${m.mountPath} is not an emptyDir`)
    }
    const writable = (dir: string) => mounts.some((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath}/`))
    if (!writable('/tmp')) p('/tmp is not writable (an emptyDir)')
    if (typeof config.LOG_DIR === 'string' && !writable(config.LOG_DIR)) p(`LOG_DIR ${config.LOG_DIR} is not writable`)
    for (const [k, v] of Object.entries(env))
      if (v.startsWith('/') && k.endsWith('_PATH') && !writable(v)) p(`${k} ${v} is not writable`)
  }
  return problems
}

/** Service, PodDisruptionBudget, HorizontalPodAutoscaler and ServiceMonitor of each Deployment, wired to it. */
export function companionProblems(objects: readonly K8sObject[], overlay: Overlay): string[] {
  const problems: string[] = []
  const minimum = overlay === 'ha' ? 2 : 1
  for (const d of ofKind(objects, 'Deployment')) {
    const p = (s: string) => problems.push(`${id(d)}: ${s}`)
    const name = d.metadata.name
    const labels = d.spec.template.metadata.labels
    const c = container(d)
    const listen = c.ports?.find((x: Any) => x.name === 'http')?.containerPort
    if (!selects(d.spec.selector.matchLabels, labels)) p('its selector does not select its own pods')
    if (overlay === 'ha' ? d.spec.replicas < 2 : d.spec.replicas !== 1) p(`${d.spec.replicas} replicas in ${overlay}`)
    const svc = ofKind(objects, 'Service').find((s) => selects(s.spec.selector, labels))
    const sp = svc?.spec.ports?.[0]
    if (!svc) p('no Service selects its pods')
    else if (sp.port !== listen || port(c, sp.targetPort) !== listen)
      p(`Service ${svc.metadata.name} port ${sp.port} → ${sp.targetPort}, not ${listen}`)
    const pdb = ofKind(objects, 'PodDisruptionBudget').find((x) => selects(x.spec.selector?.matchLabels, labels))
    if (!pdb) p('no PodDisruptionBudget')
    else if (overlay === 'ha' && !(pdb.spec.maxUnavailable >= 1 && pdb.spec.maxUnavailable < d.spec.replicas))
      p(`PodDisruptionBudget lets ${pdb.spec.maxUnavailable} of ${d.spec.replicas} go`)
    const hpa = ofKind(objects, 'HorizontalPodAutoscaler').find(
      (h) => h.spec.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === name,
    )
    if (!hpa) p('no HorizontalPodAutoscaler')
    else {
      if (hpa.spec.minReplicas < minimum) p(`autoscaled down to ${hpa.spec.minReplicas} in ${overlay}`)
      if (hpa.spec.minReplicas !== d.spec.replicas)
        p(`replicas ${d.spec.replicas}, autoscaler minimum ${hpa.spec.minReplicas}`)
      if (!(hpa.spec.maxReplicas >= hpa.spec.minReplicas)) p('autoscaler maximum below its minimum')
    }
    const sm = ofKind(objects, 'ServiceMonitor').find(
      (m) => svc && selects(m.spec.selector?.matchLabels, svc.metadata.labels),
    )
    const ep = sm?.spec.endpoints?.[0]
    if (!sm) p('no ServiceMonitor selects its Service')
    else {
      if (ep?.port !== sp?.name || (ep?.path ?? '/metrics') !== '/metrics')
        p(`ServiceMonitor scrapes ${ep?.port} ${ep?.path}, not ${sp?.name} /metrics`)
      const token = c.env?.find((e: Any) => e.name === 'METRICS_TOKEN')?.valueFrom?.secretKeyRef
      const cred = ep?.authorization?.credentials
      if (token && !(ep?.authorization?.type === 'Bearer' && cred?.name === token.name && cred?.key === token.key))
        p('ServiceMonitor does not send the METRICS_TOKEN the service requires')
    }
  }
  return problems
}

const DNS_PORT = 53
export const POSTGRES_PORT = 5432
export const AMQP_PORT = 5672

/**
 * The databases and the broker: one CloudNativePG Cluster per service (3 instances in ha, 1 in dev)
 * whose app Secret gives DATABASE_URL; its connections within max_connections; AMQP_URL to the
 * RabbitmqCluster (3 replicas in ha); each service's NetworkPolicy lets it reach its own database,
 * the broker and DNS, nothing else, and be reached on its HTTP port only.
 */
export function dataProblems(
  objects: readonly K8sObject[],
  overlay: Overlay,
  services: readonly ServiceCode[],
): string[] {
  const problems: string[] = []
  const instances = overlay === 'ha' ? 3 : 1
  const rabbits = ofKind(objects, 'RabbitmqCluster')
  if (rabbits.length !== 1) problems.push(`${rabbits.length} RabbitmqClusters, one expected`)
  const rabbit = rabbits[0]
  if (rabbit && (rabbit.spec?.replicas ?? 1) !== instances)
    problems.push(`${id(rabbit)}: ${rabbit.spec?.replicas} replicas in ${overlay}`)
  const clusters = ofKind(objects, 'Cluster')
  for (const d of ofKind(objects, 'Deployment')) {
    const p = (s: string) => problems.push(`${id(d)}: ${s}`)
    const name = d.metadata.name
    const { source, env } = podEnv(objects, d)
    const db = source.DATABASE_URL
    const cluster = db?.kind === 'secret' ? clusters.find((c) => `${c.metadata.name}-app` === db.name) : undefined
    if (!cluster || db?.key !== 'uri')
      p(`DATABASE_URL is not the uri of a CloudNativePG Cluster's app Secret (${db?.name} ${db?.key})`)
    else {
      if (cluster.spec.instances !== instances)
        p(`database ${cluster.metadata.name} has ${cluster.spec.instances} instances in ${overlay}`)
      if (cluster.spec.bootstrap?.initdb?.database !== `shop_${name}`)
        p(`database ${cluster.metadata.name} is not shop_${name}`)
      if (
        ofKind(objects, 'Deployment').some((o) => o !== d && podEnv(objects, o).source.DATABASE_URL?.name === db?.name)
      )
        p(`shares its database ${cluster.metadata.name}`)
      const svc = services.find((s) => s.name === name)
      const hpa = ofKind(objects, 'HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === name)
      const poolMax = Number(svc?.load(env).DATABASE_POOL_MAX ?? NaN)
      const maxConnections = Number(cluster.spec.postgresql?.parameters?.max_connections ?? 100)
      // Room for the operator, replication, and a superuser's reserved connections.
      const reserve = 10
      const peak = Number(hpa?.spec.maxReplicas ?? d.spec.replicas) * poolMax * (svc?.pools ?? 1)
      if (!(peak + reserve <= maxConnections))
        p(
          `up to ${peak} connections (${hpa?.spec.maxReplicas} pods x ${poolMax} x ${svc?.pools} pools) ` +
            `+ ${reserve}, over max_connections ${maxConnections}`,
        )
    }
    const amqp = env.AMQP_URL ? new URL(env.AMQP_URL) : undefined
    if (!rabbit || amqp?.hostname !== rabbit.metadata.name || Number(amqp?.port || AMQP_PORT) !== AMQP_PORT)
      p(`AMQP_URL reaches ${amqp?.host}, not the RabbitmqCluster's Service ${rabbit?.metadata.name}:${AMQP_PORT}`)

    const labels = d.spec.template.metadata.labels
    const policies = ofKind(objects, 'NetworkPolicy').filter((n) => selects(n.spec.podSelector?.matchLabels, labels))
    if (policies.length !== 1) {
      p(`${policies.length} NetworkPolicies select its pods, one expected`)
      continue
    }
    const np = policies[0]!
    const listen = container(d).ports?.find((x: Any) => x.name === 'http')?.containerPort
    const types = [...(np.spec.policyTypes ?? [])].sort().join()
    if (types !== 'Egress,Ingress') p(`NetworkPolicy ${np.metadata.name} restricts ${types}, not both directions`)
    const ingress: Any[] = np.spec.ingress ?? []
    const inPorts = ingress
      .flatMap((r) => r.ports ?? [{ port: 'any' }])
      .map((x: Any) => `${port(container(d), x.port) ?? x.port}/${x.protocol ?? 'TCP'}`)
    if (inPorts.join() !== `${listen}/TCP`) p(`reached on ${inPorts.join(', ') || 'nothing'}, not ${listen}/TCP alone`)
    const rules = (np.spec.egress ?? []).map((r: Any) => ({
      to: r.to ?? [],
      ports: (r.ports ?? [])
        .map((x: Any) => `${x.port}/${x.protocol ?? 'TCP'}`)
        .sort()
        .join(),
    }))
    const reaches = (want: (peer: Any) => boolean, ports: string) =>
      rules.some((r: Any) => r.to.length > 0 && r.to.every(want) && r.ports === ports)
    const ownDb = (peer: Any) =>
      !peer.namespaceSelector &&
      !peer.ipBlock &&
      peer.podSelector?.matchLabels?.['cnpg.io/cluster'] === cluster?.metadata.name
    const broker = (peer: Any) =>
      !peer.namespaceSelector &&
      !peer.ipBlock &&
      peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === rabbit?.metadata.name
    const dns = (peer: Any) =>
      peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system' &&
      peer.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns'
    if (!reaches(ownDb, `${POSTGRES_PORT}/TCP`)) p(`cannot reach its database on ${POSTGRES_PORT}`)
    if (!reaches(broker, `${AMQP_PORT}/TCP`)) p(`cannot reach the broker on ${AMQP_PORT}`)
    if (!reaches(dns, `${DNS_PORT}/TCP,${DNS_PORT}/UDP`)) p('cannot reach DNS')
    const other = rules.filter(
      (r: Any) => !(r.to.length > 0 && (r.to.every(ownDb) || r.to.every(broker) || r.to.every(dns))),
    )
    const wide = rules.filter(
      (r: Any) =>
        (r.to.every(ownDb) && r.ports !== `${POSTGRES_PORT}/TCP`) ||
        (r.to.every(broker) && r.ports !== `${AMQP_PORT}/TCP`) ||
        (r.to.every(dns) && r.ports !== `${DNS_PORT}/TCP,${DNS_PORT}/UDP`),
    )
    if (other.length || wide.length)
      p(`NetworkPolicy ${np.metadata.name} lets it reach more: ${JSON.stringify([...other, ...wide])}`)
  }
  return problems
}

// ---- the broker ---------------------------------------------------------------------------------

/** The MTO objects of a render, as RabbitMQ definitions (the form of broker/definitions.json). */
export function brokerSetupOf(objects: readonly K8sObject[]) {
  const spec = (kind: string) => ofKind(objects, kind).filter((o) => o.apiVersion.startsWith('rabbitmq.com/'))
  const vhost = (s: Any) => s.vhost ?? '/'
  const queueArgs = (s: Any) => ({ ...(s.type ? { 'x-queue-type': s.type } : {}), ...(s.arguments ?? {}) })
  return {
    users: spec('User').map((u) => ({
      name: u.metadata.name,
      tags: u.spec.tags ?? [],
      secret: u.spec.importCredentialsSecret?.name,
    })),
    permissions: spec('Permission').map((o) => ({
      user: o.spec.user ?? o.spec.userReference?.name,
      vhost: o.spec.vhost,
      ...o.spec.permissions,
    })),
    topic_permissions: spec('TopicPermission').map((o) => ({
      user: o.spec.user ?? o.spec.userReference?.name,
      vhost: o.spec.vhost,
      exchange: o.spec.permissions.exchange,
      write: o.spec.permissions.write,
      read: o.spec.permissions.read,
    })),
    exchanges: spec('Exchange').map((o) => ({
      name: o.spec.name,
      vhost: vhost(o.spec),
      type: o.spec.type ?? 'direct',
      durable: o.spec.durable ?? false,
      auto_delete: o.spec.autoDelete ?? false,
      internal: false,
      arguments: o.spec.arguments ?? {},
    })),
    queues: spec('Queue').map((o) => ({
      name: o.spec.name,
      vhost: vhost(o.spec),
      durable: o.spec.durable ?? false,
      auto_delete: o.spec.autoDelete ?? false,
      arguments: queueArgs(o.spec),
    })),
    policies: spec('Policy').map((o) => ({
      vhost: vhost(o.spec),
      name: o.spec.name,
      pattern: o.spec.pattern,
      'apply-to': o.spec.applyTo ?? 'all',
      priority: o.spec.priority ?? 0,
      definition: o.spec.definition,
    })),
    bindings: spec('Binding').map((o) => ({
      source: o.spec.source,
      vhost: vhost(o.spec),
      destination: o.spec.destination,
      destination_type: o.spec.destinationType,
      routing_key: o.spec.routingKey,
      arguments: o.spec.arguments ?? {},
    })),
    clusters: [
      ...new Set(
        objects.filter((o) => o.spec?.rabbitmqClusterReference).map((o) => o.spec.rabbitmqClusterReference.name),
      ),
    ],
  }
}

/** JSON with the keys of every object sorted: a comparison blind to key order (kustomize sorts them). */
export const canon = (x: unknown): string =>
  JSON.stringify(x, (_, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  )

/**
 * A definitions document without what the Kubernetes objects cannot hold (password hashes) or leave to the cluster
 * (administrators, the vhost).
 */
export function comparableDefinitions(defs: Any) {
  const admins = new Set<string>(
    defs.users.filter((u: Any) => u.tags.includes('administrator')).map((u: Any) => u.name),
  )
  const byJson = (a: unknown, b: unknown) => canon(a).localeCompare(canon(b))
  return {
    users: defs.users
      .filter((u: Any) => !admins.has(u.name))
      .map((u: Any) => ({ name: u.name, tags: u.tags }))
      .sort(byJson),
    permissions: defs.permissions.filter((p: Any) => !admins.has(p.user)).sort(byJson),
    topic_permissions: [...defs.topic_permissions].sort(byJson),
    exchanges: [...defs.exchanges].sort(byJson),
    queues: [...defs.queues].sort(byJson),
    bindings: [...defs.bindings].sort(byJson),
    policies: [...(defs.policies ?? [])].sort(byJson),
  }
}

/** The broker objects of a render against a definitions document, and wired to the cluster and the Deployments. */
export function brokerProblems(objects: readonly K8sObject[], expected: Any): string[] {
  const problems: string[] = []
  const setup = brokerSetupOf(objects)
  const got = comparableDefinitions({ ...setup, users: setup.users.map(({ name, tags }) => ({ name, tags })) })
  const want = comparableDefinitions(expected)
  for (const key of Object.keys(want) as (keyof typeof want)[]) {
    const g: string[] = got[key].map(canon)
    const w: string[] = want[key].map(canon)
    for (const x of w.filter((x) => !g.includes(x))) problems.push(`${key}: missing ${x}`)
    for (const x of g.filter((x) => !w.includes(x))) problems.push(`${key}: not in make broker's set-up: ${x}`)
  }
  const rabbit = ofKind(objects, 'RabbitmqCluster')[0]?.metadata.name
  if (setup.clusters.join() !== String(rabbit))
    problems.push(`broker objects refer to ${setup.clusters.join(', ')}, not ${rabbit}`)
  // Each service connects with the credentials its broker user imports.
  for (const d of ofKind(objects, 'Deployment')) {
    const { source } = podEnv(objects, d)
    const user = setup.users.find((u) => u.name === `shop-${d.metadata.name}`)
    for (const k of ['AMQP_USERNAME', 'AMQP_PASSWORD'])
      if (!user || source[k]?.kind !== 'secret' || source[k]?.name !== user.secret)
        problems.push(`${id(d)}: ${k} is not from ${user?.secret ?? 'its broker user'}'s Secret`)
  }
  return problems
}

/** Paths of the files under deploy/k8s, for messages. */
export const rel = (p: string) => relative(ROOT, p)
export const exists = (p: string) => existsSync(join(ROOT, p))
