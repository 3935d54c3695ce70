import { columns } from '@shop/platform/postgres/columns'
import type { User } from '../../domain/user.ts'

// Each table's columns and its row mappers, here once: the statements in this folder read rows
// through these lists only.

export interface UserRow {
  id: string
  username: string
  email: string
  full_name: string | null
  role: User['role']
  password_hash: string
  created_at: Date
  updated_at: Date
  version: number
  tokens_valid_after: Date | null
}

export const userColumns = columns<UserRow>()(
  'id',
  'username',
  'email',
  'full_name',
  'role',
  'password_hash',
  'created_at',
  'updated_at',
  'version',
  'tokens_valid_after',
)

export const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  email: r.email,
  fullName: r.full_name,
  role: r.role,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  version: r.version,
  tokensValidAfter: r.tokens_valid_after,
})

export const userRow = (u: User): UserRow => ({
  id: u.id,
  username: u.username,
  email: u.email,
  full_name: u.fullName,
  role: u.role,
  password_hash: u.passwordHash,
  created_at: u.createdAt,
  updated_at: u.updatedAt,
  version: u.version,
  tokens_valid_after: u.tokensValidAfter,
})
