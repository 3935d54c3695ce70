import { type Result, err, ok } from '@shop/shared-kernel/result'
import type { AuthError, Conflict } from './domain/errors.ts'
import { type ThrottleRule, retryAfter } from './domain/throttle.ts'
import {
  type Role,
  type User,
  type UserChanges,
  changeUser,
  isEmailLogin,
  newUser,
  normalizeEmail,
  userCreated,
  userDeleted,
  userUpdated,
} from './domain/user.ts'
import type { AuthStore, Clock, Ids, Page, PasswordHasher, Tokens } from './ports.ts'

export interface AuthDeps {
  readonly store: AuthStore
  readonly hasher: PasswordHasher
  readonly tokens: Tokens
  readonly clock: Clock
  readonly ids: Ids
  readonly throttle: { readonly perUsername: ThrottleRule; readonly perAddress: ThrottleRule }
}

/** Who asks, for the events they cause (`correlation_id`). */
export interface Ctx {
  readonly correlationId?: string | null
}

export interface Registration {
  readonly username: string
  readonly email: string
  readonly password: string
  readonly fullName?: string | null
}

export interface ProfileChanges {
  readonly username?: string
  readonly email?: string
  readonly fullName?: string | null
  readonly password?: string
  readonly currentPassword?: string
}

export type KnownUser = { readonly deleted: true } | { readonly deleted: false; readonly role: Role; readonly username: string }

const corr = (ctx: Ctx) => ctx.correlationId ?? null

export function makeAuth(deps: AuthDeps) {
  const { store, hasher, tokens, clock, ids } = deps
  // Unknown users still cost one bcrypt verification, so timing does not reveal who exists.
  let decoy: Promise<string> | undefined
  const decoyHash = () => (decoy ??= hasher.hash(`decoy-${ids.uuid()}`))

  // One counter per account, whichever name reaches it (username or email, any case), so the two
  // doors do not double the attempts; a login that names no account counts under that name.
  const keysFor = (login: string, user: User | undefined, address: string) => ({
    user: user ? `user:${user.id}` : `login:${login.trim().toLowerCase()}`,
    address: `addr:${address}`,
  })

  async function findByLogin(login: string): Promise<User | undefined> {
    return isEmailLogin(login) ? store.users.byEmail(normalizeEmail(login)) : store.users.byUsername(login)
  }

  const api = {
    async register(r: Registration, ctx: Ctx = {}): Promise<Result<User, Conflict>> {
      const passwordHash = await hasher.hash(r.password)
      const user = newUser({
        id: ids.uuid(),
        username: r.username,
        email: r.email,
        fullName: r.fullName ?? null,
        role: 'USER',
        passwordHash,
        now: clock.now(),
      })
      return store.transact(async (tx) => {
        const inserted = await tx.users.insert(user)
        if (inserted.ok) await tx.events.add(userCreated(inserted.value), corr(ctx))
        return inserted
      })
    },

    /** `login` is a username or an email; `address` is the client's, for the per-address limit. */
    async login(login: string, password: string, address: string): Promise<Result<{ token: string; expiresIn: number; user: User }, AuthError>> {
      const now = clock.now()
      const user = await findByLogin(login)
      const keys = keysFor(login, user, address)
      const windows = await store.throttle.windows([keys.user, keys.address])
      const wait = Math.max(
        retryAfter(windows.get(keys.user), deps.throttle.perUsername, now),
        retryAfter(windows.get(keys.address), deps.throttle.perAddress, now),
      )
      if (wait > 0) return err({ type: 'TooManyAttempts', retryAfterSeconds: wait })
      const good = user ? await hasher.verify(password, user.passwordHash) : (await hasher.verify(password, await decoyHash()), false)
      if (!user || !good) {
        await store.throttle.fail(
          [
            { key: keys.user, windowSeconds: deps.throttle.perUsername.windowSeconds },
            { key: keys.address, windowSeconds: deps.throttle.perAddress.windowSeconds },
          ],
          now,
        )
        return err({ type: 'InvalidCredentials' })
      }
      if (windows.has(keys.user)) await store.throttle.clear(keys.user)
      const issued = await tokens.issue(user, now)
      return ok({ ...issued, user })
    },

    /** A token is valid when it verifies and its user still exists; the answer carries the user's current role. */
    async verify(token: string): Promise<Result<{ user: User; exp: number }, AuthError>> {
      const claims = await tokens.verify(token)
      if (!claims) return err({ type: 'InvalidToken' })
      const user = await store.users.byId(claims.userId)
      if (!user) return err({ type: 'InvalidToken' })
      return ok({ user, exp: claims.exp })
    },

    /** For the auth middleware: auth is the source of truth, so an unknown id is a deleted user. */
    async lookup(id: string): Promise<KnownUser> {
      const user = await store.users.byId(id)
      return user ? { deleted: false, role: user.role, username: user.username } : { deleted: true }
    },

    async me(id: string): Promise<Result<User, AuthError>> {
      const user = await store.users.byId(id)
      return user ? ok(user) : err({ type: 'InvalidToken' })
    },

    async updateMe(id: string, changes: ProfileChanges, ctx: Ctx = {}): Promise<Result<User, AuthError>> {
      const current = await store.users.byId(id)
      if (!current) return err({ type: 'InvalidToken' })
      const patch: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {}
      if (changes.username !== undefined) patch.username = changes.username
      if (changes.email !== undefined) patch.email = changes.email
      if (changes.fullName !== undefined) patch.fullName = changes.fullName
      if (changes.password !== undefined) {
        if (changes.currentPassword === undefined) return err({ type: 'CurrentPasswordRequired' })
        if (!(await hasher.verify(changes.currentPassword, current.passwordHash))) return err({ type: 'WrongCurrentPassword' })
        patch.passwordHash = await hasher.hash(changes.password)
      }
      return store.transact(async (tx) => {
        const user = await tx.users.byId(id, true)
        if (!user) return err({ type: 'InvalidToken' } as AuthError)
        // The password was checked against the row read before; refuse if it changed meanwhile.
        if (patch.passwordHash && user.passwordHash !== current.passwordHash) return err({ type: 'WrongCurrentPassword' } as AuthError)
        const next = changeUser(user, patch, clock.now())
        if (next === user) return ok(user)
        const saved = await tx.users.update(next)
        if (saved.ok) await tx.events.add(userUpdated(saved.value), corr(ctx))
        return saved
      })
    },

    listUsers(page: Page): Promise<{ items: User[]; total: number }> {
      return store.users.list(page)
    },

    async changeRole(id: string, role: Role, ctx: Ctx = {}): Promise<Result<User, AuthError>> {
      return store.transact(async (tx) => {
        const user = await tx.users.byId(id, true)
        if (!user) return err({ type: 'UserNotFound', id } as AuthError)
        const next = changeUser(user, { role }, clock.now())
        if (next === user) return ok(user)
        const saved = await tx.users.update(next)
        if (saved.ok) await tx.events.add(userUpdated(saved.value), corr(ctx))
        return saved
      })
    },

    async deleteUser(actorId: string, id: string, ctx: Ctx = {}): Promise<Result<null, AuthError>> {
      if (actorId === id) return err({ type: 'CannotDeleteSelf' })
      return store.transact(async (tx) => {
        const user = await tx.users.byId(id, true)
        if (!user) return err({ type: 'UserNotFound', id } as AuthError)
        await tx.users.remove(id)
        await tx.events.add(userDeleted(user), corr(ctx))
        return ok(null)
      })
    },

    /**
     * Makes sure the configured admin exists: created when missing, promoted when it exists as a
     * USER; its password is set only on creation. Safe to run at every start.
     */
    async ensureAdmin(a: { username: string; email: string; password: string }): Promise<Result<{ user: User; action: 'created' | 'promoted' | 'unchanged' }, Conflict>> {
      const existing = (await store.users.byUsername(a.username)) ?? (await store.users.byEmail(normalizeEmail(a.email)))
      if (existing) {
        if (existing.role === 'ADMIN') return ok({ user: existing, action: 'unchanged' })
        const promoted = await api.changeRole(existing.id, 'ADMIN')
        if (promoted.ok) return ok({ user: promoted.value, action: 'promoted' })
        // Deleted meanwhile: fall through and create it.
      }
      const passwordHash = await hasher.hash(a.password)
      const user = newUser({ id: ids.uuid(), username: a.username, email: a.email, fullName: null, role: 'ADMIN', passwordHash, now: clock.now() })
      return store.transact(async (tx) => {
        const inserted = await tx.users.insert(user)
        if (!inserted.ok) return inserted
        await tx.events.add(userCreated(inserted.value), null)
        return ok({ user: inserted.value, action: 'created' as const })
      })
    },
  }
  return api
}

export type Auth = ReturnType<typeof makeAuth>
