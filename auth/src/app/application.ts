import { bindAll } from '@shop/kernel/app'
import { changeRole } from './change-role.ts'
import { deleteUser } from './delete-user.ts'
import type { AuthDeps } from '../ports.ts'
import { ensureAdmin } from './ensure-admin.ts'
import { listUsers } from './list-users.ts'
import { login } from './login.ts'
import { logoutAll } from './logout-all.ts'
import { me } from './me.ts'
import { register } from './register.ts'
import { updateMe } from './update-me.ts'
import { verify } from './verify.ts'

/** auth's use cases, wired to their adapters: commands change state, queries only read. */
export function authApplication(deps: AuthDeps) {
  return {
    commands: bindAll(deps, { register, login, logoutAll, updateMe, changeRole, deleteUser, ensureAdmin }),
    queries: bindAll(deps, { verify, me, listUsers }),
  }
}

export type AuthApplication = ReturnType<typeof authApplication>
