/**
 * The shop's broker set-up on Kubernetes: the Messaging Topology Operator's objects (User,
 * Permission, TopicPermission, Exchange, Queue, Binding, and the dead-letter exchange, queues and
 * bindings, and the Policy bounding the dead-letter queues), generated from the very definitions
 * `make broker` applies and broker/definitions.json holds (brokerDefinitions: the bus's TOPOLOGY and
 * ownership tables), so the three can never disagree. `bun scripts/k8s-broker.ts` writes them to
 * deploy/k8s/base/broker/ (one file a kind, and the kustomization listing them); `--check` writes
 * nothing and exits 1 when the committed files differ from what it would write. tests/k8s.test.ts checks the same.
 *
 * Passwords are not in these objects: each User imports its credentials (username and password)
 * from a Secret `<user>-amqp` that the operator of the shop creates (see deploy/k8s/README.md).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brokerDefinitions } from '@shop/platform/bus/broker-setup'
import { BROKER_USERS, type Service, SERVICES } from '@shop/platform/bus/ownership'

export const BROKER_DIR = join(import.meta.dir, '..', 'deploy', 'k8s', 'base', 'broker')
/** The RabbitmqCluster every object belongs to (deploy/k8s/base/rabbitmq). */
export const RABBITMQ_CLUSTER = 'shop-rabbitmq'
/** The Secret a service's broker user takes its credentials from (keys `username` and `password`). */
export const amqpSecretName = (user: string) => `${user}-amqp`

const API_VERSION = 'rabbitmq.com/v1beta1'

type Yaml = string | number | boolean | null | readonly Yaml[] | { readonly [k: string]: Yaml | undefined }

/** A Kubernetes object name (DNS-1123) from a broker name: lower case, dots to dashes. */
const objectName = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')

/** The MTO objects of the broker set-up, by kind, in the order of the definitions. */
export function brokerObjects() {
  // The passwords are not used: the objects carry no credentials (the Users import theirs).
  const passwords = Object.fromEntries(SERVICES.map((s) => [s, 'unused'])) as Record<Service, string>
  const defs = brokerDefinitions({ vhost: '/', passwords })
  const object = (kind: string, name: string, spec: Record<string, Yaml | undefined>) => ({
    apiVersion: API_VERSION,
    kind,
    metadata: { name },
    spec: { ...spec, rabbitmqClusterReference: { name: RABBITMQ_CLUSTER } },
  })
  const args = (a: Record<string, unknown>) => {
    const rest = Object.fromEntries(Object.entries(a).filter(([k]) => k !== 'x-queue-type')) as Record<string, Yaml>
    return Object.keys(rest).length ? rest : undefined
  }
  const permissions = new Map(defs.permissions.map((p) => [p.user, p]))
  return {
    users: defs.users.map((u) =>
      object('User', u.name, {
        ...(u.tags.length ? { tags: u.tags } : {}),
        importCredentialsSecret: { name: amqpSecretName(u.name) },
      }),
    ),
    permissions: defs.users.map((u) => {
      const p = permissions.get(u.name)!
      return object('Permission', u.name, {
        vhost: p.vhost,
        user: u.name,
        permissions: { configure: p.configure, write: p.write, read: p.read },
      })
    }),
    'topic-permissions': defs.topic_permissions.map((t) =>
      object('TopicPermission', `${t.user}-${objectName(t.exchange)}`, {
        vhost: t.vhost,
        user: t.user,
        permissions: { exchange: t.exchange, write: t.write, read: t.read },
      }),
    ),
    exchanges: defs.exchanges.map((e) =>
      object('Exchange', objectName(e.name), {
        name: e.name,
        vhost: e.vhost,
        type: e.type,
        durable: e.durable,
        autoDelete: e.auto_delete,
        arguments: args(e.arguments),
      }),
    ),
    queues: defs.queues.map((q) =>
      object('Queue', objectName(q.name), {
        name: q.name,
        vhost: q.vhost,
        type: String(q.arguments['x-queue-type']),
        durable: q.durable,
        autoDelete: q.auto_delete,
        arguments: args(q.arguments),
        // Deleting the object (a prune, an uninstall) must not drop the events waiting in the queue.
        deletionPolicy: 'retain',
      }),
    ),
    policies: defs.policies.map((p) =>
      object('Policy', objectName(p.name), {
        name: p.name,
        vhost: p.vhost,
        pattern: p.pattern,
        applyTo: p['apply-to'],
        priority: p.priority,
        definition: p.definition,
      }),
    ),
    bindings: defs.bindings.map((b) =>
      object('Binding', `${objectName(b.destination)}--${objectName(b.routing_key)}`, {
        vhost: b.vhost,
        source: b.source,
        destination: b.destination,
        destinationType: b.destination_type,
        routingKey: b.routing_key,
        arguments: args(b.arguments),
      }),
    ),
  }
}

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i

function scalar(x: string | number | boolean | null): string {
  if (typeof x === 'string') return PLAIN.test(x) && !RESERVED.test(x) ? x : JSON.stringify(x)
  return String(x)
}

/** Block-style YAML of plain data (maps, lists, strings, numbers, booleans), keys in the given order. */
export function toYaml(value: Yaml, indent = ''): string {
  if (Array.isArray(value)) {
    if (!value.length) return '[]'
    return value
      .map((item) => {
        const body = toYaml(item, `${indent}  `)
        return `${indent}- ${typeof item === 'object' && item !== null ? body.trimStart() : body}`
      })
      .join('\n')
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined) as [string, Yaml][]
    if (!entries.length) return '{}'
    return entries
      .map(([k, v]) => {
        const key = `${indent}${scalar(k)}:`
        if (typeof v === 'object' && v !== null && (Array.isArray(v) ? v.length : Object.keys(v).length))
          return `${key}\n${toYaml(v, Array.isArray(v) ? indent : `${indent}  `)}`
        return `${key} ${toYaml(v, indent)}`
      })
      .join('\n')
  }
  return scalar(value as string | number | boolean | null)
}

const HEADER = [
  '# Generated by `bun scripts/k8s-broker.ts` from the broker set-up `make broker` applies and',
  "# broker/definitions.json holds (the bus's TOPOLOGY and ownership tables). Do not edit: change",
  '# the tables and run the script again (tests/k8s.test.ts fails while this file differs from its output).',
]

/** Every file of deploy/k8s/base/broker/, by name, as the generator writes it. */
export function brokerFiles(): Record<string, string> {
  const files: Record<string, string> = {}
  const objects = brokerObjects()
  for (const [kind, list] of Object.entries(objects)) {
    files[`${kind}.yaml`] = `${[...HEADER, ...list.map((o) => `---\n${toYaml(o)}`)].join('\n')}\n`
  }
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: Object.keys(files),
  }
  files['kustomization.yaml'] = `${[...HEADER, toYaml(kustomization)].join('\n')}\n`
  return files
}

/** The files of the directory that differ from the generator's (missing, changed, or not generated at all). */
export function staleBrokerFiles(dir = BROKER_DIR): string[] {
  const want = brokerFiles()
  const have = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')) : []
  const changed = Object.entries(want)
    .filter(([f, text]) => !have.includes(f) || readFileSync(join(dir, f), 'utf8') !== text)
    .map(([f]) => f)
  return [...changed, ...have.filter((f) => !(f in want))].sort()
}

if (import.meta.main) {
  // Keeps the users in step with the services: one User per service, named as boot insists.
  const users = brokerObjects().users.map((u) => u.metadata.name)
  if (users.join() !== SERVICES.map((s) => BROKER_USERS[s]).join()) throw new Error(`unexpected users ${users}`)
  const stale = staleBrokerFiles()
  if (process.argv.includes('--check')) {
    if (stale.length) {
      console.error(`k8s-broker: out of date: ${stale.join(', ')} (run bun scripts/k8s-broker.ts)`)
      process.exit(1)
    }
    console.log('k8s-broker: deploy/k8s/base/broker is up to date')
    process.exit(0)
  }
  mkdirSync(BROKER_DIR, { recursive: true })
  const want = brokerFiles()
  for (const f of readdirSync(BROKER_DIR)) if (f.endsWith('.yaml') && !(f in want)) rmSync(join(BROKER_DIR, f))
  for (const [f, text] of Object.entries(want)) writeFileSync(join(BROKER_DIR, f), text)
  console.log(`k8s-broker: wrote ${Object.keys(want).length} files to deploy/k8s/base/broker (${stale.length} changed)`)
}
