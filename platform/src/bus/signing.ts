import type { Envelope } from '@shop/kernel/events'
import type { EventSignature, OutgoingEvent } from './bus.ts'
import { type Service, SERVICES } from './ownership.ts'

/**
 * Signed events. Every event is signed by the service that owns its type, with its own Ed25519
 * key (WebCrypto), over exactly the bytes of the message body (the envelope's JSON text, as
 * published). The signature and the id of the key travel as two AMQP headers (on the memory bus,
 * beside the body), so the envelope of the contract keeps its fields, and a consumer checks the
 * signature before it decodes or parses anything. Which key belongs to which service is
 * configuration (EVENT_PUBLIC_KEYS); the private key (EVENT_SIGNING_KEY) is each service's own.
 *
 * Settings, as `openssl genpkey -algorithm ed25519` keys are written (DER, base64):
 * - EVENT_SIGNING_KEY: `<key id>:<base64 of the PKCS#8 private key>`
 * - EVENT_PUBLIC_KEYS: `<service>:<key id>:<base64 of the SubjectPublicKeyInfo>`, comma-separated:
 *   one or two keys per service (two during a rotation), key ids unique.
 */

/** The AMQP header holding the signature: base64url, no padding (86 characters). */
export const SIGNATURE_HEADER = 'x-shop-signature'
/** The AMQP header naming the key that made the signature. */
export const KEY_ID_HEADER = 'x-shop-key-id'

const ALGORITHM = { name: 'Ed25519' } as const
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
// The fixed DER prefixes of an Ed25519 key: PKCS#8 (RFC 8410) before the 32-byte seed, SPKI before the 32-byte key.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
/** Keys a service may have at once: the current one and, during a rotation, the next or the previous. */
export const MAX_KEYS_PER_SERVICE = 2

/** WebCrypto's typings want bytes over an ArrayBuffer; ours are. */
const buf = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>
const b64 = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes as Uint8Array).toString('base64')
const b64url = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes as Uint8Array).toString('base64url')

/** DER bytes of a base64 (or base64url) text that must start with `prefix` and hold 32 bytes more, or undefined. */
function der(text: string, prefix: Buffer): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length !== prefix.length + 32 || !bytes.subarray(0, prefix.length).equals(prefix)) return undefined
  return new Uint8Array(bytes)
}

export interface SigningKey {
  readonly keyId: string
  readonly pkcs8: Uint8Array
}

export interface PublicKey {
  readonly service: Service
  readonly keyId: string
  readonly spki: Uint8Array
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string }

/** An EVENT_SIGNING_KEY value, checked for its form (the key itself is imported at start). */
export function parseSigningKey(text: string): Parsed<SigningKey> {
  const i = text.indexOf(':')
  const keyId = text.slice(0, i).trim()
  if (i < 0 || !KEY_ID.test(keyId)) {
    return {
      ok: false,
      reason: 'must be <key id>:<base64 PKCS#8 Ed25519 private key>, the key id 1-64 of A-Z a-z 0-9 . _ -',
    }
  }
  const pkcs8 = der(text.slice(i + 1).trim(), PKCS8_PREFIX)
  if (!pkcs8) return { ok: false, reason: `key ${keyId}: not a base64 PKCS#8 Ed25519 private key (48 bytes DER)` }
  return { ok: true, value: { keyId, pkcs8 } }
}

/** An EVENT_PUBLIC_KEYS value: every service of the shop with one or two keys, key ids unique. */
export function parsePublicKeys(text: string): Parsed<readonly PublicKey[]> {
  const keys: PublicKey[] = []
  const entries = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean)
  for (const entry of entries) {
    const [service, keyId, key, ...rest] = entry.split(':')
    if (!SERVICES.includes(service as Service) || !keyId || !KEY_ID.test(keyId) || key === undefined || rest.length) {
      return {
        ok: false,
        reason:
          `"${entry.slice(0, 40)}" is not <service>:<key id>:<base64 SPKI Ed25519 public key> ` +
          `(service one of ${SERVICES.join(', ')})`,
      }
    }
    const spki = der(key, SPKI_PREFIX)
    if (!spki) return { ok: false, reason: `key ${keyId}: not a base64 SPKI Ed25519 public key (44 bytes DER)` }
    if (keys.some((k) => k.keyId === keyId)) return { ok: false, reason: `key id ${keyId} is given twice` }
    keys.push({ service: service as Service, keyId, spki })
  }
  for (const s of SERVICES) {
    const n = keys.filter((k) => k.service === s).length
    if (n === 0) return { ok: false, reason: `no key for ${s}: its events could not be verified` }
    if (n > MAX_KEYS_PER_SERVICE) {
      return {
        ok: false,
        reason: `${n} keys for ${s}: at most ${MAX_KEYS_PER_SERVICE} (the current and, in a rotation, one more)`,
      }
    }
  }
  return { ok: true, value: keys }
}

function must<T>(p: Parsed<T>, setting: string): T {
  if (!p.ok) throw new Error(`${setting}: ${p.reason}`)
  return p.value
}

/** Signs message bodies with one service's private key. */
export interface EventSigner {
  readonly keyId: string
  sign(body: Uint8Array): Promise<EventSignature>
}

/** What a consumer learns from a signature: the service whose key made it, or why it proves nothing. */
export type Verification =
  | { readonly ok: true; readonly service: Service; readonly keyId: string }
  | { readonly ok: false; readonly reason: string }

/** Verifies signatures against the public keys of every service (EVENT_PUBLIC_KEYS). */
export interface EventKeyring {
  verify(body: Uint8Array, signature: Partial<EventSignature> | undefined): Promise<Verification>
}

/** The signer of an EVENT_SIGNING_KEY value. */
export async function createSigner(setting: string): Promise<EventSigner> {
  const { keyId, pkcs8 } = must(parseSigningKey(setting), 'EVENT_SIGNING_KEY')
  const key = await crypto.subtle.importKey('pkcs8', buf(pkcs8), ALGORITHM, false, ['sign'])
  return {
    keyId,
    async sign(body) {
      return { keyId, value: b64url(await crypto.subtle.sign(ALGORITHM, key, buf(body))) }
    },
  }
}

/** The keyring of an EVENT_PUBLIC_KEYS value. */
export async function createKeyring(setting: string): Promise<EventKeyring> {
  const keys = new Map<string, { service: Service; key: CryptoKey }>()
  for (const k of must(parsePublicKeys(setting), 'EVENT_PUBLIC_KEYS')) {
    keys.set(k.keyId, {
      service: k.service,
      key: await crypto.subtle.importKey('spki', buf(k.spki), ALGORITHM, false, ['verify']),
    })
  }
  return {
    async verify(body, signature) {
      const keyId = signature?.keyId
      const value = signature?.value
      if (typeof keyId !== 'string' || typeof value !== 'string') {
        return { ok: false, reason: `not signed (no ${SIGNATURE_HEADER} and ${KEY_ID_HEADER} headers)` }
      }
      const known = keys.get(keyId)
      if (!known) return { ok: false, reason: `signed with an unknown key ${JSON.stringify(keyId.slice(0, 64))}` }
      // An Ed25519 signature is 64 bytes: 86 base64url characters.
      const sig = /^[A-Za-z0-9_-]{86}$/.test(value) ? Buffer.from(value, 'base64url') : undefined
      const good = sig ? await crypto.subtle.verify(ALGORITHM, known.key, buf(new Uint8Array(sig)), buf(body)) : false
      if (!good) return { ok: false, reason: `bad signature: it does not verify with ${known.service}'s key ${keyId}` }
      return { ok: true, service: known.service, keyId }
    },
  }
}

/** The public half (base64 SPKI) of an EVENT_SIGNING_KEY value. */
export async function publicKeyOf(setting: string): Promise<string> {
  const { pkcs8 } = must(parseSigningKey(setting), 'EVENT_SIGNING_KEY')
  const key = await crypto.subtle.importKey('pkcs8', buf(pkcs8), ALGORITHM, true, ['sign'])
  const { x } = (await crypto.subtle.exportKey('jwk', key)) as { x?: string }
  return b64(Buffer.concat([SPKI_PREFIX, Buffer.from(x ?? '', 'base64url')]))
}

/**
 * At start: the service's signing key must be among the public keys, under its own name and key
 * id; else every consumer would dead-letter its events (and say why only there).
 */
export async function checkOwnKey(service: Service, signingKey: string, publicKeys: string): Promise<void> {
  const { keyId } = must(parseSigningKey(signingKey), 'EVENT_SIGNING_KEY')
  const entry = must(parsePublicKeys(publicKeys), 'EVENT_PUBLIC_KEYS').find((k) => k.keyId === keyId)
  if (!entry || entry.service !== service) {
    throw new Error(
      `EVENT_SIGNING_KEY's key id ${keyId} is not one of ${service}'s keys in EVENT_PUBLIC_KEYS: ` +
        `consumers would refuse every event this service publishes`,
    )
  }
  if (b64(entry.spki) !== (await publicKeyOf(signingKey))) {
    throw new Error(`EVENT_PUBLIC_KEYS: ${service}'s key ${keyId} is not the public half of EVENT_SIGNING_KEY`)
  }
}

/** A new key pair: the EVENT_SIGNING_KEY value and the public key (base64 SPKI) for EVENT_PUBLIC_KEYS. */
export async function generateEventKey(keyId: string): Promise<{ signingKey: string; publicKey: string }> {
  if (!KEY_ID.test(keyId))
    throw new Error(`key id ${keyId}: 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit`)
  const pair = (await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair
  return {
    signingKey: `${keyId}:${b64(await crypto.subtle.exportKey('pkcs8', pair.privateKey))}`,
    publicKey: b64(await crypto.subtle.exportKey('spki', pair.publicKey)),
  }
}

/** One EVENT_PUBLIC_KEYS entry. */
export const publicKeyEntry = (service: Service, keyId: string, publicKey: string) => `${service}:${keyId}:${publicKey}`

/**
 * Envelopes as they are published: their JSON text, the bytes signed, and the signature. What is
 * signed is exactly what travels: the bus sends these bytes as they are.
 */
export async function signEvents(
  signer: EventSigner,
  envelopes: readonly Envelope[],
  traceparents?: readonly (string | null)[],
): Promise<OutgoingEvent[]> {
  const encoder = new TextEncoder()
  return Promise.all(
    envelopes.map(async (envelope, i) => {
      const body = encoder.encode(JSON.stringify(envelope))
      return { envelope, body, signature: await signer.sign(body), traceparent: traceparents?.[i] ?? null }
    }),
  )
}
