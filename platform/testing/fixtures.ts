import { type DomainEvent, type Envelope, makeEnvelope } from '@shop/kernel/events'
import type { Result } from '@shop/kernel/result'

/** The value of an ok result; a test fails with the error otherwise. */
export function must<T>(r: Result<T, unknown>): T {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`)
  return r.value
}

/** A clock that moves `stepMs` per reading (from 2026-01-01): "newest first" is then deterministic. */
export function steppingClock(stepMs = 1, start = Date.UTC(2026, 0, 1)) {
  let t = start
  return {
    now: () => {
      const d = new Date(t)
      t += stepMs
      return d
    },
  }
}

/** `event` in a fresh envelope from `source`: a new id, written now, with no correlation id unless given. */
export const envelope = <E extends DomainEvent>(
  source: Envelope['source'],
  event: E,
  correlationId: string | null = null,
): Envelope<E['type']> => makeEnvelope(source, event, correlationId, crypto.randomUUID(), new Date())

/**
 * A user event as auth publishes it (bob, unless `username` says otherwise; tokens all valid unless
 * `tokensValidAfter` says from when).
 */
export type UserEnvelope = Envelope<'user.created'> | Envelope<'user.updated'> | Envelope<'user.deleted'>
export const userEvent = (
  type: 'user.created' | 'user.updated',
  id: string,
  version: number,
  role: 'USER' | 'ADMIN' = 'USER',
  username = 'bob',
  tokensValidAfter: string | null = null,
): UserEnvelope =>
  envelope('auth', {
    type,
    data: { id, username, email: `${username}@example.com`, role, version, tokens_valid_after: tokensValidAfter },
  }) as UserEnvelope
export const userDeleted = (id: string, version: number): UserEnvelope =>
  envelope('auth', { type: 'user.deleted', data: { id, version } }) as UserEnvelope

/** Runs `argv` to its end (stdout and stderr read whole); `env` is all it gets (PATH from here unless given). */
export async function runToEnd(
  argv: readonly string[],
  o: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([...argv], {
    ...(o.cwd ? { cwd: o.cwd } : {}),
    env: { PATH: process.env.PATH ?? '', ...o.env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()])
  return { code, out, err }
}

/** An envelope as plain data, `data` unchecked (as a producer of another version, or a broken one, sends it). */
export const rawEnvelope = (type: string, source: string, data: unknown) => ({
  id: crypto.randomUUID(),
  type,
  version: 1,
  occurred_at: new Date().toISOString(),
  source,
  correlation_id: null,
  data,
})

/**
 * The three services made by `make` (auth told which admin to create), started together: what the
 * integration tests' shop and the benchmarks' shop both do.
 */
export async function startThree<S extends { start(): Promise<unknown> }>(
  make: (service: 'auth' | 'catalog' | 'order', extra?: Record<string, string>) => S,
  admin: { readonly username: string; readonly email: string; readonly password: string },
): Promise<{ auth: S; catalog: S; order: S }> {
  const auth = make('auth', {
    ADMIN_USERNAME: admin.username,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  })
  const catalog = make('catalog')
  const order = make('order')
  await Promise.all([auth.start(), catalog.start(), order.start()])
  return { auth, catalog, order }
}

/** Order lines as the domain and the stock events hold them: `stockLines([9, 1], [2, 3])` is 1 of product 9, 3 of 2. */
export const stockLines = (...lines: readonly (readonly [productId: number, quantity: number])[]) =>
  lines.map(([productId, quantity]) => ({ productId, quantity }))
