/**
 * The event keys of the shop (see the README's trust model): each service's EVENT_SIGNING_KEY and
 * everyone's EVENT_PUBLIC_KEYS.
 *
 *   bun scripts/event-keys.ts                  a new set, as .env lines (a deployment's: keep each
 *                                              EVENT_SIGNING_KEY secret, give it to its service only)
 *   bun scripts/event-keys.ts --key <service>  one new key pair for a rotation: the service's new
 *                                              EVENT_SIGNING_KEY and its EVENT_PUBLIC_KEYS entry
 *   bun scripts/event-keys.ts --export         what `make up` hands compose: `export` lines of the
 *                                              keys `make start` uses (below)
 *
 * `make dev` and `make start` (and `make up`) use `eventKeys()`: AUTH_EVENT_SIGNING_KEY,
 * CATALOG_EVENT_SIGNING_KEY, ORDER_EVENT_SIGNING_KEY and EVENT_PUBLIC_KEYS from the environment
 * (or .env) when set; else dev keys made once and kept in DATA_DIR/event-keys.json, as JWT_SECRET
 * is in DATA_DIR/jwt-secret. EVENT_PUBLIC_KEYS unset: the public halves of the three signing keys.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { type Service, SERVICES } from '@shop/platform/bus/ownership'
import { generateEventKey, parseSigningKey, publicKeyEntry, publicKeyOf } from '@shop/platform/bus/signing'

type Env = Record<string, string | undefined>

export interface EventKeys {
  /** EVENT_SIGNING_KEY of each service. */
  readonly signingKeys: Readonly<Record<Service, string>>
  /** EVENT_PUBLIC_KEYS. */
  readonly publicKeys: string
}

const root = join(import.meta.dir, '..')

/** A new key id: the service and the day (rotations on one day: add a suffix by hand, e.g. auth-2026-12-06b). */
export const newKeyId = (service: Service, now = new Date()) => `${service}-${now.toISOString().slice(0, 10)}`

/** EVENT_PUBLIC_KEYS for the given signing keys: each one's public half, under its service and key id. */
export async function publicKeysOf(signingKeys: Readonly<Record<Service, string>>): Promise<string> {
  const entries: string[] = []
  for (const s of SERVICES) {
    const parsed = parseSigningKey(signingKeys[s])
    if (!parsed.ok) throw new Error(`${s.toUpperCase()}_EVENT_SIGNING_KEY ${parsed.reason}`)
    entries.push(publicKeyEntry(s, parsed.value.keyId, await publicKeyOf(signingKeys[s])))
  }
  return entries.join(',')
}

/** A new set of keys, one per service (nothing written). */
export async function newEventKeys(now = new Date()): Promise<EventKeys> {
  const signingKeys = {} as Record<Service, string>
  for (const s of SERVICES) signingKeys[s] = (await generateEventKey(newKeyId(s, now))).signingKey
  return { signingKeys, publicKeys: await publicKeysOf(signingKeys) }
}

/**
 * The keys `make dev`, `make start` and `make up` run with: from `env` where set, else the dev keys
 * kept in DATA_DIR/event-keys.json (made the first time, readable by this user only).
 */
export async function eventKeys(
  env: Env = process.env,
  dataDir = resolve(root, env.DATA_DIR || '.data'),
): Promise<EventKeys> {
  const given = Object.fromEntries(SERVICES.map((s) => [s, env[`${s.toUpperCase()}_EVENT_SIGNING_KEY`]]))
  let kept: Record<string, string> = {}
  if (SERVICES.some((s) => !given[s])) {
    const file = join(dataDir, 'event-keys.json')
    if (existsSync(file)) kept = JSON.parse(readFileSync(file, 'utf8'))
    if (SERVICES.some((s) => !kept[s])) {
      kept = { ...(await newEventKeys()).signingKeys, ...kept }
      mkdirSync(dataDir, { recursive: true })
      writeFileSync(file, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 })
      console.error(`event keys: none set; using dev keys generated once and kept in ${file}`)
    }
  }
  const signingKeys = Object.fromEntries(SERVICES.map((s) => [s, given[s] || kept[s]!])) as Record<Service, string>
  return { signingKeys, publicKeys: env.EVENT_PUBLIC_KEYS || (await publicKeysOf(signingKeys)) }
}

const envLines = (k: EventKeys, prefix = '') => [
  ...SERVICES.map((s) => `${prefix}${s.toUpperCase()}_EVENT_SIGNING_KEY='${k.signingKeys[s]}'`),
  `${prefix}EVENT_PUBLIC_KEYS='${k.publicKeys}'`,
]

if (import.meta.main) {
  const args = process.argv.slice(2)
  if (args[0] === '--export') {
    console.log(envLines(await eventKeys(), 'export ').join('\n'))
  } else if (args[0] === '--key') {
    const service = args[1] as Service
    if (!SERVICES.includes(service)) {
      console.error(`event-keys: --key takes a service: ${SERVICES.join(', ')}`)
      process.exit(1)
    }
    const keyId = args[2] ?? newKeyId(service)
    const k = await generateEventKey(keyId)
    console.log(`# ${service}'s new key. First add the entry to EVENT_PUBLIC_KEYS everywhere (beside the old one),`)
    console.log(
      `# then give ${service} the new EVENT_SIGNING_KEY; drop the old entry once no event signed with it waits.`,
    )
    console.log(`EVENT_SIGNING_KEY='${k.signingKey}'`)
    console.log(`# EVENT_PUBLIC_KEYS entry: ${publicKeyEntry(service, keyId, k.publicKey)}`)
  } else {
    console.log('# Event keys: give each service its own EVENT_SIGNING_KEY (secret); EVENT_PUBLIC_KEYS to all three.')
    console.log(envLines(await newEventKeys()).join('\n'))
  }
}
