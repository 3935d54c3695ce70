import type { Page, Paged } from '@shop/kernel/app'
import type { User } from '../domain/user.ts'
import type { AuthDeps } from '../ports.ts'

/** Every account, oldest first (the admin's listing). */
export function listUsers({ store }: Pick<AuthDeps, 'store'>, page: Page): Promise<Paged<User>> {
  return store.users.list(page)
}
