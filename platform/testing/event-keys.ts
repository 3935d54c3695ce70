import type { Envelope } from '@shop/kernel/events'
import type { OutgoingEvent } from '../src/bus/bus.ts'
import { ownerOf, type Service, SERVICES } from '../src/bus/ownership.ts'
import {
  createKeyring,
  createSigner,
  type EventKeyring,
  type EventSigner,
  generateEventKey,
  publicKeyEntry,
  signEvents,
} from '../src/bus/signing.ts'

/**
 * Event keys for tests: a key pair per service, made at random once per test process (nothing
 * to keep or leak), as settings (what a service's environment gets) and as ready signers and a
 * keyring.
 */
export interface TestEventKeys {
  /** EVENT_SIGNING_KEY of each service. */
  readonly signingKeys: Readonly<Record<Service, string>>
  /** EVENT_PUBLIC_KEYS: the three public keys. */
  readonly publicKeys: string
  readonly signers: Readonly<Record<Service, EventSigner>>
  readonly keyring: EventKeyring
  /** The two settings of `service`. */
  env(service: Service): { EVENT_SIGNING_KEY: string; EVENT_PUBLIC_KEYS: string }
  /** Envelopes signed by their owner (the service whose key signs each is its type's owner). */
  sign(envelopes: readonly Envelope[], traceparents?: readonly (string | null)[]): Promise<OutgoingEvent[]>
}

export async function makeTestEventKeys(suffix = 'test'): Promise<TestEventKeys> {
  const pairs = {} as Record<Service, { signingKey: string; publicKey: string }>
  for (const s of SERVICES) pairs[s] = await generateEventKey(`${s}-${suffix}`)
  const signingKeys = Object.fromEntries(SERVICES.map((s) => [s, pairs[s].signingKey])) as Record<Service, string>
  const publicKeys = SERVICES.map((s) => publicKeyEntry(s, `${s}-${suffix}`, pairs[s].publicKey)).join(',')
  const signers = {} as Record<Service, EventSigner>
  for (const s of SERVICES) signers[s] = await createSigner(signingKeys[s])
  return {
    signingKeys,
    publicKeys,
    signers,
    keyring: await createKeyring(publicKeys),
    env: (service) => ({ EVENT_SIGNING_KEY: signingKeys[service], EVENT_PUBLIC_KEYS: publicKeys }),
    async sign(envelopes, traceparents) {
      const out: OutgoingEvent[] = []
      for (const [i, e] of envelopes.entries()) {
        out.push(...(await signEvents(signers[ownerOf(e.type)], [e], [traceparents?.[i] ?? null])))
      }
      return out
    },
  }
}

/** The test process's keys (made once). */
export const TEST_EVENT_KEYS: TestEventKeys = await makeTestEventKeys()
