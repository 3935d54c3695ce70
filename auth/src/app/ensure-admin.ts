import { type Result, ok } from '@shop/kernel/result'
import type { Conflict } from '../domain/errors.ts'
import { type User, newUser, normalizeEmail } from '../domain/user.ts'
import type { AuthDeps } from '../ports.ts'
import { saveNewUser } from './support/save-user.ts'
import { changeRole } from './change-role.ts'

export interface AdminAccount {
  readonly username: string
  readonly email: string
  readonly password: string
}

export type AdminEnsured = { readonly user: User; readonly action: 'created' | 'promoted' | 'unchanged' }

type Deps = Pick<AuthDeps, 'store' | 'hasher' | 'clock' | 'ids'>

/**
 * Makes sure the configured admin exists: created when missing, promoted when it exists as a
 * USER; its password is set only on creation. Safe to run at every start, and by several
 * instances starting at once: the one whose insert loses the race finds the winner's admin.
 */
export async function ensureAdmin(deps: Deps, a: AdminAccount): Promise<Result<AdminEnsured, Conflict>> {
  const first = await ensureOnce(deps, a)
  return first.ok ? first : ensureOnce(deps, a)
}

async function ensureOnce(deps: Deps, a: AdminAccount): Promise<Result<AdminEnsured, Conflict>> {
  const { store, hasher, clock, ids } = deps
  const existing = (await store.users.byUsername(a.username)) ?? (await store.users.byEmail(normalizeEmail(a.email)))
  if (existing) {
    if (existing.role === 'ADMIN') return ok({ user: existing, action: 'unchanged' })
    const promoted = await changeRole(deps, existing.id, 'ADMIN')
    if (promoted.ok) return ok({ user: promoted.value, action: 'promoted' })
    // Deleted meanwhile: fall through and create it.
  }
  const passwordHash = await hasher.hash(a.password)
  const user = newUser({
    id: ids.uuid(),
    username: a.username,
    email: a.email,
    fullName: null,
    role: 'ADMIN',
    passwordHash,
    now: clock.now(),
  })
  return store.transact(async (tx): Promise<Result<AdminEnsured, Conflict>> => {
    const inserted = await saveNewUser(tx, user, null)
    return inserted.ok ? ok({ user: inserted.value, action: 'created' }) : inserted
  })
}
