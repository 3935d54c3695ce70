import type { AuthDeps } from './deps.ts'
import { ensureAdmin } from './ensure-admin.ts'
import { login } from './login.ts'
import { logoutAll } from './logout-all.ts'
import { me } from './me.ts'
import { register } from './register.ts'
import { updateMe } from './update-me.ts'
import { changeRole, deleteUser, listUsers } from './users.ts'
import { verify } from './verify.ts'

/** auth's use cases, wired to their adapters: commands change state, queries only read. */
export function authApplication(deps: AuthDeps) {
  return {
    commands: {
      register: register(deps),
      login: login(deps),
      logoutAll: logoutAll(deps),
      updateMe: updateMe(deps),
      changeRole: changeRole(deps),
      deleteUser: deleteUser(deps),
      ensureAdmin: ensureAdmin(deps),
    },
    queries: {
      verify: verify(deps),
      me: me(deps),
      listUsers: listUsers(deps),
    },
  }
}

export type AuthApplication = ReturnType<typeof authApplication>
