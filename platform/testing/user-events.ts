import { type Envelope, makeEnvelope } from '@shop/kernel/events'

/** The user events a replica applies, as auth publishes them. */
export type UserEnv = Envelope<'user.created'> | Envelope<'user.updated'> | Envelope<'user.deleted'>

/** user.created or user.updated at a version, with a role and a name (the email follows the name). */
export const userEvent = (
  type: 'user.created' | 'user.updated',
  id: string,
  version: number,
  role: 'USER' | 'ADMIN' = 'USER',
  username = 'bob',
): UserEnv =>
  makeEnvelope(
    'auth',
    { type, data: { id, username, email: `${username}@example.com`, role, version, tokens_valid_after: null } },
    null,
    crypto.randomUUID(),
    new Date(),
  ) as UserEnv

/** user.deleted at a version. */
export const userDeleted = (id: string, version: number): UserEnv =>
  makeEnvelope(
    'auth',
    { type: 'user.deleted', data: { id, version } },
    null,
    crypto.randomUUID(),
    new Date(),
  ) as UserEnv
