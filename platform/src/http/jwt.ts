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

/**
 * Verifies an access token: HS256 pinned, signature, `iss` and `aud` checked, and `exp`, `sub`
 * (a UUID), `username` and `role` required (hono/jwt enforces `exp` only when present). Returns undefined
 * for any token that is not acceptable; why is not the caller's business.
 */
export async function verifyAccessToken(secret: string, token: string): Promise<AccessClaims | undefined> {
  let payload: Record<string, unknown>
  try {
    payload = await verify(token, secret, { alg: 'HS256', iss: JWT_ISSUER, aud: JWT_AUDIENCE })
  } catch {
    return undefined
  }
  const { sub, username, role, iat, exp } = payload
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined
  // User ids are UUIDs (the contract says so); anything else would reach a uuid column of a lookup and fail there.
  if (typeof sub !== 'string' || !UUID.test(sub) || typeof username !== 'string') return undefined
  if (role !== 'USER' && role !== 'ADMIN') return undefined
  return { sub, username, role, iat: typeof iat === 'number' ? iat : 0, exp }
}
