import * as v from 'valibot'
import { noControlChars, uuidString } from '@shop/platform/http/validate'
import {
  EMAIL_MAX,
  FULL_NAME_MAX,
  PASSWORD_MAX_BYTES,
  PASSWORD_MIN_BYTES,
  hasHonestDomain,
  isValidEmail,
  isValidPassword,
  isValidFullName,
  isValidUsername,
  passwordBytes,
} from '../../domain/user.ts'
import { hasInvisibleChars, normalizeText } from '@shop/kernel/text'
import { INVISIBLE } from '@shop/platform/http/validate'

const username = v.pipe(
  v.string('username must be a string'),
  v.metadata({ minLength: 3, maxLength: 32, pattern: '^[A-Za-z0-9_.-]{3,32}$' }),
  v.check(isValidUsername, 'username must be 3 to 32 characters of letters, digits, "_", "." or "-"'),
)
const email = v.pipe(
  v.string('email must be a string'),
  v.metadata({
    format: 'email',
    maxLength: EMAIL_MAX,
    description:
      'kept NFC and lower-case; unique without regard to case; its domain ASCII (punycode) or in a single ' +
      'script (Unicode TS #39 "highly restrictive"), no invisible characters',
  }),
  v.check(
    hasHonestDomain,
    "email's domain must be ASCII (punycode) or written in a single script, without invisible characters",
  ),
  v.check(isValidEmail, 'email must be a valid email address'),
)
// The rule is in bytes (bcrypt reads 72 at most); JSON Schema counts characters, of 1 to 4 bytes
// each in UTF-8. So the declared character bounds are the ones no valid password breaks (8 bytes
// can be 2 characters, 72 bytes at most 72), and the description states the byte rule.
const password = v.pipe(
  v.string('password must be a string'),
  v.metadata({
    minLength: Math.ceil(PASSWORD_MIN_BYTES / 4),
    maxLength: PASSWORD_MAX_BYTES,
    description:
      `${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes in UTF-8, ` +
      `not characters (bcrypt reads no more than ${PASSWORD_MAX_BYTES} bytes): ` +
      `a character takes 1 to 4 bytes ("a" 1, "é" 2, "€" 3, most emoji 4), ` +
      `so ${PASSWORD_MAX_BYTES} ASCII characters fit but ${PASSWORD_MAX_BYTES / 3 + 1} "€" do not. ` +
      `minLength and maxLength are only the character bounds that follow; the server counts bytes.`,
  }),
  v.check(
    isValidPassword,
    (issue) =>
      `password must be ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes in UTF-8 (not characters: ` +
      `"é" takes 2 bytes, "€" 3); this one is ${passwordBytes(String(issue.input))} bytes`,
  ),
)
const fullName = v.nullable(
  v.pipe(
    v.string('full_name must be a string or null'),
    v.metadata({
      maxLength: FULL_NAME_MAX,
      description:
        `at most ${FULL_NAME_MAX} characters (code points) after trimming, kept NFC; ` + 'no invisible characters',
    }),
    v.trim(),
    v.transform(normalizeText),
    noControlChars('full_name'),
    v.check((s) => !hasInvisibleChars(s), INVISIBLE('full_name')),
    v.check(isValidFullName, `full_name must be at most ${FULL_NAME_MAX} characters`),
  ),
)

export const RegisterBody = v.object({
  username,
  email,
  password,
  full_name: v.optional(fullName),
})

export const LoginBody = v.object({
  // Looked up and used as a throttle key: a NUL would reach PostgreSQL (a 500), so it is refused here.
  username: v.pipe(
    v.string('username must be a string'),
    v.minLength(1, 'username is required'),
    v.maxLength(254, 'username must be at most 254 characters'),
    noControlChars('username'),
  ),
  password: v.pipe(
    v.string('password must be a string'),
    v.maxLength(1024, 'password must be at most 1024 characters'),
  ),
})

export const VerifyBody = v.object({
  token: v.optional(
    v.pipe(v.string('token must be a string'), v.maxLength(8192, 'token must be at most 8192 characters')),
  ),
})

export const UpdateMeBody = v.object({
  username: v.optional(username),
  email: v.optional(email),
  full_name: v.optional(fullName),
  password: v.optional(password),
  current_password: v.optional(
    v.pipe(
      v.string('current_password must be a string'),
      v.maxLength(1024, 'current_password must be at most 1024 characters'),
    ),
  ),
})

export const RoleBody = v.object({ role: v.picklist(['USER', 'ADMIN'], 'role must be USER or ADMIN') })

export const UserIdParam = v.object({ id: uuidString('id') })

// Response shapes, for the OpenAPI document.
const timestamp = v.pipe(v.string(), v.isoTimestamp())
const Role = v.picklist(['USER', 'ADMIN'])
export const UserOut = v.object({
  id: v.pipe(v.string(), v.uuid()),
  username: v.string(),
  email: v.string(),
  full_name: v.nullable(v.string()),
  role: Role,
  created_at: timestamp,
  updated_at: timestamp,
})
export const TokenOut = v.object({
  access_token: v.pipe(
    v.string(),
    v.description('an HS256 JWT, sent as `Authorization: Bearer <token>` to every shop service'),
  ),
  token_type: v.literal('bearer'),
  expires_in: v.pipe(v.number(), v.integer(), v.minValue(1), v.description('seconds until the token expires')),
})
export const VerifyOut = v.object({
  valid: v.literal(true),
  user_id: v.pipe(v.string(), v.uuid()),
  username: v.string(),
  role: Role,
  exp: v.pipe(v.number(), v.integer(), v.minValue(0), v.description('expiry, in seconds since the Unix epoch')),
})

/** The named schemas of the OpenAPI document: a generated client's type names. */
export const authSchemas = {
  RegisterRequest: RegisterBody,
  LoginRequest: LoginBody,
  VerifyRequest: VerifyBody,
  UpdateMeRequest: UpdateMeBody,
  RoleChangeRequest: RoleBody,
  User: UserOut,
  Role,
  Token: TokenOut,
  TokenCheck: VerifyOut,
}
