import type { DomainEvent, Role } from '@shop/kernel/events'
import { changeVersioned } from '@shop/kernel/fields'
import { codePointLength, hasInvisibleChars, isHonestDomain, normalizeText } from '@shop/kernel/text'

export type { Role }

export interface User {
  readonly id: string
  readonly username: string
  /** Stored lower-case. */
  readonly email: string
  readonly fullName: string | null
  readonly role: Role
  readonly passwordHash: string
  readonly createdAt: Date
  readonly updatedAt: Date
  /** Increases with every change; carried by the user.* events for replicas. */
  readonly version: number
  /** Tokens issued before this time are refused (a password change, "log out everywhere"); null when none. */
  readonly tokensValidAfter: Date | null
}

const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/
export const PASSWORD_MIN_BYTES = 8
/** bcrypt reads only the first 72 bytes; longer passwords are refused rather than silently cut. */
export const PASSWORD_MAX_BYTES = 72
export const FULL_NAME_MAX = 200
export const EMAIL_MAX = 254

// Deliberately simple: one @, a dot in the domain, no spaces and no control characters (PostgreSQL
// text cannot hold NUL). Deliverability is not ours to judge.
const NOT_IN_EMAIL = String.raw`\s\u0000-\u001f\u007f@"<>()[\]\\,;:`
const EMAIL_PATTERN = new RegExp(`^[^${NOT_IN_EMAIL}]+@[^${NOT_IN_EMAIL}]+\\.[^${NOT_IN_EMAIL}.]{2,}$`)

export const isValidUsername = (s: string): boolean => USERNAME_PATTERN.test(s)
/** Trimmed, NFC, lower-case: the form stored and compared. */
export const normalizeEmail = (s: string): string => normalizeText(s.trim()).toLowerCase()
/**
 * Whether an email's domain is honest: ASCII (punycode included) or a single script, never
 * look-alike letters of several (`аtk.example` with a Cyrillic а); no invisible characters anywhere.
 */
export const hasHonestDomain = (s: string): boolean => {
  const e = normalizeEmail(s)
  return !hasInvisibleChars(e) && isHonestDomain(e.slice(e.lastIndexOf('@') + 1))
}
export const isValidEmail = (s: string): boolean =>
  codePointLength(normalizeEmail(s)) <= EMAIL_MAX && EMAIL_PATTERN.test(normalizeEmail(s)) && hasHonestDomain(s)
/** A full name: NFC, at most FULL_NAME_MAX code points, nothing invisible (control characters: see the schema). */
export const isValidFullName = (s: string): boolean =>
  codePointLength(s) <= FULL_NAME_MAX && s === normalizeText(s) && !hasInvisibleChars(s)
/** A password's length as bcrypt counts it: bytes of its UTF-8 encoding (a character takes 1 to 4). */
export const passwordBytes = (s: string): number => new TextEncoder().encode(s).length
export const isValidPassword = (s: string): boolean => {
  const n = passwordBytes(s)
  return n >= PASSWORD_MIN_BYTES && n <= PASSWORD_MAX_BYTES
}
/** Whether bcrypt reads the whole password: a longer one is wrong at login, never matched on its first 72 bytes. */
export const fitsBcrypt = (s: string): boolean => passwordBytes(s) <= PASSWORD_MAX_BYTES

/**
 * The cut-off that revokes every token issued until `now`. Token times are whole seconds (the
 * JWT `iat`), so it is rounded up to one: every token issued before it has an earlier `iat`, and
 * a token is issued after it only once that second has come (the token adapter waits for it).
 */
export const revocationCutoff = (now: Date): Date => new Date(Math.ceil(now.getTime() / 1000) * 1000)

/** Whether a token issued at `iat` (seconds) is refused for this user. */
export const tokenRevoked = (user: Pick<User, 'tokensValidAfter'>, iat: number): boolean =>
  user.tokensValidAfter !== null && iat * 1000 < user.tokensValidAfter.getTime()

/** A login name is an email when it has an @ (usernames cannot). */
export const isEmailLogin = (login: string): boolean => login.includes('@')

/** A user about to be created: `now` becomes both of its timestamps; its email is normalized. */
export type NewUser = Pick<User, 'id' | 'username' | 'email' | 'fullName' | 'role' | 'passwordHash'> & {
  readonly now: Date
}

export const newUser = (u: NewUser): User => ({
  id: u.id,
  username: u.username,
  email: normalizeEmail(u.email),
  fullName: u.fullName,
  role: u.role,
  passwordHash: u.passwordHash,
  createdAt: u.now,
  updatedAt: u.now,
  version: 1,
  tokensValidAfter: null,
})

export interface UserChanges {
  readonly username?: string
  readonly email?: string
  readonly fullName?: string | null
  readonly role?: Role
  readonly passwordHash?: string
  readonly tokensValidAfter?: Date
}

/** Applies changes; returns the same user when nothing actually changes (no version bump, no event). */
export const changeUser = (user: User, changes: UserChanges, now: Date): User =>
  changeVersioned(
    user,
    { ...changes, email: changes.email === undefined ? undefined : normalizeEmail(changes.email) },
    now,
  )

const userData = (u: User) => ({
  id: u.id,
  username: u.username,
  email: u.email,
  role: u.role,
  version: u.version,
  tokens_valid_after: u.tokensValidAfter?.toISOString() ?? null,
})
export const userCreated = (u: User): DomainEvent => ({ type: 'user.created', data: userData(u) })
export const userUpdated = (u: User): DomainEvent => ({ type: 'user.updated', data: userData(u) })
/** A deletion is one more change: its version is the last one plus one. */
export const userDeleted = (u: User): DomainEvent => ({
  type: 'user.deleted',
  data: { id: u.id, version: u.version + 1 },
})
