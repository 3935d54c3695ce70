import { sign, verify } from 'hono/jwt'

export type Role = 'USER' | 'ADMIN'

export const JWT_ISSUER = 'shop-auth'
export const JWT_AUDIENCE = 'shop'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface AccessClaims {
  readonly sub: string
  readonly username: string
  readonly role: Role
  readonly iat: number
  readonly exp: number
}

/** Signs an HS256 access token with the contract's claims (sub, username, role, iss, aud, iat, exp). */
export async function signAccessToken(
  secret: string,
  user: { id: string; username: string; role: Role },
  nowSeconds: number,
  ttlSeconds: number,
): Promise<string> {
  return sign(
    {
      sub: user.id,
      username: user.username,
      role: user.role,
      iat: nowSeconds,
      exp: nowSeconds + ttlSeconds,
      iss: JWT_ISSUER,
      aud: JWT_AUDIENCE,
    },
    secret,
    'HS256',
  )
}

/** A token checked: its claims, or why it is refused (`expired` only for a token that is otherwise good). */
export type TokenCheck =
  | { readonly ok: true; readonly claims: AccessClaims }
  | { readonly ok: false; readonly reason: 'expired' | 'invalid' }

/**
 * Checks an access token: HS256 pinned, signature, `iss` and `aud` checked, and `exp`, `sub` (a UUID), `username`
 * and `role` required. The expiry is checked last, by this function (hono/jwt would check it before the
 * signature, and enforces it only when present): a forged or malformed token is `invalid` whatever its `exp` says,
 * and only a token we issued is told `expired`.
 */
export async function checkAccessToken(
  secret: string,
  token: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<TokenCheck> {
  const invalid = { ok: false, reason: 'invalid' } as const
  let payload: Record<string, unknown>
  try {
    payload = await verify(token, secret, { alg: 'HS256', iss: JWT_ISSUER, aud: JWT_AUDIENCE, exp: false })
  } catch {
    return invalid
  }
  const { sub, username, role, iat, exp } = payload
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return invalid
  // User ids are UUIDs (the contract says so); anything else would reach a uuid column of a lookup and fail there.
  if (typeof sub !== 'string' || !UUID.test(sub) || typeof username !== 'string') return invalid
  if (role !== 'USER' && role !== 'ADMIN') return invalid
  if (exp <= nowSeconds) return { ok: false, reason: 'expired' }
  return { ok: true, claims: { sub, username, role, iat: typeof iat === 'number' ? iat : 0, exp } }
}

/** The claims of an acceptable access token (see `checkAccessToken`), or undefined. */
export async function verifyAccessToken(secret: string, token: string): Promise<AccessClaims | undefined> {
  const r = await checkAccessToken(secret, token)
  return r.ok ? r.claims : undefined
}
