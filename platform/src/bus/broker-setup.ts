import { BROKER_USERS, consumedTypes, ownedFamilies, type Service, SERVICES } from './ownership.ts'
import {
  DEAD_LETTER_EXCHANGE,
  DEAD_QUEUE_ARGUMENTS,
  deadLetterPolicy,
  EXCHANGE,
  MAX_MESSAGE_BYTES,
  queueArguments,
  queueName,
  TOPOLOGY,
} from './topology.ts'

/**
 * The broker set-up of the shop, as RabbitMQ definitions (the JSON `rabbitmqctl
 * import_definitions` and a node's `load_definitions` read): one user per service with least
 * privilege, and the whole topology, in one vhost.
 *
 * - configure: only the service's own queues (and their `.dead` queues); the exchanges are the
 *   set-up's, the services only check they exist.
 * - write: `shop.events` (publishing), the dead-letter exchange (a dead letter with its reason),
 *   and its own queues (binding them).
 * - read: the two exchanges (binding from them) and its own queues (consuming).
 * - topic permissions on `shop.events`: write only the routing keys it owns (OWNERS), read
 *   (bind) only those its queues take.
 *
 * - a policy bounding every `<queue>.dead` (DEAD_LETTER_LIMITS, overflow reject-publish).
 *
 * Applying it is idempotent: users get their password (hash) again, existing queues and
 * bindings stay as they are.
 */
export interface BrokerSetup {
  readonly vhost: string
  /** Password of each service's user (BROKER_USERS). */
  readonly passwords: Readonly<Record<Service, string>>
  /** Extra users with every permission on the vhost (an administrator, the tests' `guest`). */
  readonly admins?: readonly { readonly name: string; readonly password?: string }[]
  /** The bound of the dead-letter queues; DEAD_LETTER_LIMITS unless a test wants a small one. */
  readonly deadLetterLimits?: { readonly maxLength: number; readonly maxLengthBytes: number }
}

/** Dev-only passwords: `make start`, compose and the tests use them unless <SERVICE>_AMQP_URL says otherwise. */
export const DEV_BROKER_PASSWORDS: Readonly<Record<Service, string>> = {
  auth: 'shop-auth-dev-password',
  catalog: 'shop-catalog-dev-password',
  order: 'shop-order-dev-password',
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const alternatives = (xs: readonly string[]) => (xs.length ? `^(${xs.map(escapeRegExp).join('|')})$` : '^$')

export interface Permissions {
  readonly configure: string
  readonly write: string
  readonly read: string
  readonly topicWrite: string
  readonly topicRead: string
}

export function permissionsOf(service: Service): Permissions {
  const queues = TOPOLOGY.filter((q) => q.service === service).map((q) => queueName('', q))
  const dead = queues.map((q) => `${q}.dead`)
  const exchanges = queues.length ? [EXCHANGE, DEAD_LETTER_EXCHANGE] : [EXCHANGE]
  const families = ownedFamilies(service)
  return {
    configure: alternatives([...queues, ...dead]),
    write: alternatives([...exchanges, ...queues, ...dead]),
    read: alternatives([...(queues.length ? [EXCHANGE, DEAD_LETTER_EXCHANGE] : []), ...queues]),
    topicWrite: families.length ? `^(${families.map(escapeRegExp).join('|')})\\.[a-z_]+$` : '^$',
    topicRead: alternatives(consumedTypes(service)),
  }
}

/** RabbitMQ's default password hashing (rabbit_password_hashing_sha256): base64(salt ‖ sha256(salt ‖ password)). */
export function passwordHash(password: string, salt: Uint8Array = crypto.getRandomValues(new Uint8Array(4))): string {
  const digest = new Bun.CryptoHasher('sha256').update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest()
  return Buffer.concat([salt, digest]).toString('base64')
}

export function passwordMatches(password: string, hash: string): boolean {
  const raw = Buffer.from(hash, 'base64')
  return passwordHash(password, raw.subarray(0, 4)) === hash
}

export function brokerDefinitions(o: BrokerSetup) {
  const vhost = o.vhost
  const user = (name: string, password: string, tags: string[]) => ({
    name,
    password_hash: passwordHash(password),
    hashing_algorithm: 'rabbit_password_hashing_sha256',
    tags,
  })
  const all = { configure: '.*', write: '.*', read: '.*' }
  return {
    users: [
      ...SERVICES.map((s) => user(BROKER_USERS[s], o.passwords[s], [])),
      ...(o.admins ?? []).flatMap((a) =>
        a.password === undefined ? [] : [user(a.name, a.password, ['administrator'])],
      ),
    ],
    vhosts: [{ name: vhost }],
    permissions: [
      ...SERVICES.map((s) => {
        const p = permissionsOf(s)
        return { user: BROKER_USERS[s], vhost, configure: p.configure, write: p.write, read: p.read }
      }),
      ...(o.admins ?? []).map((a) => ({ user: a.name, vhost, ...all })),
    ],
    topic_permissions: SERVICES.map((s) => {
      const p = permissionsOf(s)
      return { user: BROKER_USERS[s], vhost, exchange: EXCHANGE, write: p.topicWrite, read: p.topicRead }
    }),
    exchanges: [
      { name: EXCHANGE, vhost, type: 'topic', durable: true, auto_delete: false, internal: false, arguments: {} },
      {
        name: DEAD_LETTER_EXCHANGE,
        vhost,
        type: 'direct',
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
      },
    ],
    queues: TOPOLOGY.flatMap((q) => {
      const name = queueName('', q)
      return [
        { name, vhost, durable: true, auto_delete: false, arguments: queueArguments(name, DEAD_LETTER_EXCHANGE) },
        { name: `${name}.dead`, vhost, durable: true, auto_delete: false, arguments: DEAD_QUEUE_ARGUMENTS },
      ]
    }),
    policies: [deadLetterPolicy(vhost, o.deadLetterLimits)],
    bindings: TOPOLOGY.flatMap((q) => {
      const name = queueName('', q)
      const bind = (source: string, destination: string, routing_key: string) => ({
        source,
        vhost,
        destination,
        destination_type: 'queue',
        routing_key,
        arguments: {},
      })
      return [...q.topics.map((t) => bind(EXCHANGE, name, t)), bind(DEAD_LETTER_EXCHANGE, `${name}.dead`, name)]
    }),
  }
}

export type BrokerDefinitions = ReturnType<typeof brokerDefinitions>

async function run(cmd: string[], input?: string): Promise<{ code: number; out: string }> {
  let p: ReturnType<typeof Bun.spawn>
  try {
    p = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe', stdin: input === undefined ? 'ignore' : new Blob([input]) })
  } catch (e) {
    return { code: 127, out: (e as Error).message }
  }
  const [out, err] = await Promise.all([
    new Response(p.stdout as ReadableStream).text(),
    new Response(p.stderr as ReadableStream).text(),
  ])
  return { code: await p.exited, out: `${out}${err}`.trim() }
}

/** Whether `rabbitmqctl` can reach the local node (the set-up needs it). */
export async function rabbitmqctlAvailable(): Promise<boolean> {
  return (await run(['rabbitmqctl', '-q', 'status'])).code === 0
}

/**
 * Applies the set-up to the broker rabbitmqctl reaches (the local node): one
 * `import_definitions`, which creates or updates users, the vhost, permissions, topic
 * permissions, exchanges, queues, bindings and the dead-letter policy; then the node's largest
 * message (setMaxMessageSize). Throws with rabbitmqctl's words when it fails.
 */
export async function applyBrokerSetup(o: BrokerSetup): Promise<void> {
  // On stdin: rabbitmqctl may run as another OS user (the broker's), who cannot read our files.
  const r = await run(
    ['rabbitmqctl', '-q', 'import_definitions', '--format', 'json'],
    JSON.stringify(brokerDefinitions(o)),
  )
  if (r.code !== 0) throw new Error(`rabbitmqctl import_definitions failed (exit ${r.code}): ${r.out || 'no output'}`)
  await setMaxMessageSize()
}

/**
 * The local node's `max_message_size`, at run time (definitions cannot hold it; rabbitmq.conf is
 * the node's own file): channels opened from now on refuse a bigger publish (406
 * PRECONDITION_FAILED). It lasts until the node restarts; make broker sets it again. Node-wide:
 * every vhost of the node gets it.
 */
export async function setMaxMessageSize(bytes = MAX_MESSAGE_BYTES): Promise<void> {
  const r = await run(['rabbitmqctl', '-q', 'eval', `application:set_env(rabbit, max_message_size, ${bytes}).`])
  if (r.code !== 0 || r.out !== 'ok')
    throw new Error(`rabbitmqctl eval max_message_size failed (exit ${r.code}): ${r.out}`)
}

/**
 * The AMQP URL a service connects with: `<SERVICE>_AMQP_URL` when set, else `base` (default the
 * local broker, vhost `/`) as the service's own user with its dev password.
 */
export function serviceAmqpUrl(
  service: Service,
  env: Record<string, string | undefined> = process.env,
  base = 'amqp://127.0.0.1:5672',
): string {
  const given = env[`${service.toUpperCase()}_AMQP_URL`]
  if (given) return given
  const u = new URL(base)
  u.username = BROKER_USERS[service]
  u.password = DEV_BROKER_PASSWORDS[service]
  return u.toString()
}

/** The vhost of an AMQP URL (`/` when the path is empty). */
export function vhostOf(url: string): string {
  const path = new URL(url).pathname
  return path.length > 1 ? decodeURIComponent(path.slice(1)) : '/'
}

/** The password of each service's user in the URLs `serviceAmqpUrl` gives. */
export function passwordsOf(urls: Readonly<Record<Service, string>>): Record<Service, string> {
  const out = {} as Record<Service, string>
  for (const s of SERVICES) {
    const u = new URL(urls[s])
    if (decodeURIComponent(u.username) !== BROKER_USERS[s]) {
      throw new Error(
        `${s.toUpperCase()}_AMQP_URL must connect as "${BROKER_USERS[s]}" (consumers ` +
          `accept ${s}'s events from that user only), not "${decodeURIComponent(u.username)}"`,
      )
    }
    out[s] = decodeURIComponent(u.password)
  }
  return out
}
