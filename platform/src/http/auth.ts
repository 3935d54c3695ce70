import type { MiddlewareHandler } from 'hono'
import { HttpProblem } from './problem.ts'
import { withSpec } from './openapi-meta.ts'
import { type Role, checkAccessToken } from './jwt.ts'

export interface Principal {
  readonly id: string
  readonly username: string
  readonly role: Role
  readonly tokenExp: number
  /** When the token was issued (`iat`, seconds; 0 when it has none). */
  readonly tokenIat: number
}

/**
 * What a service knows of a user, from its own table (auth) or its replica (catalog, order).
 * `undefined` means "never heard of them": the token is trusted as issued.
 */
export type KnownUser =
  | { readonly deleted: true }
  | {
      readonly deleted: false
      readonly role: Role
      readonly username: string
      /** Tokens issued (`iat`) before this time, in ms since the epoch, are refused; null or absent when none. */
      readonly tokensValidAfter?: number | null
    }
export type UserLookup = (id: string) => Promise<KnownUser | undefined>

/** A replica's row as a KnownUser: a user first heard of through a partial event is a USER with no name yet. */
export function knownUserOf(row: {
  deleted: boolean
  role: Role | null | undefined
  username: string | null | undefined
  tokensValidAfter: number | null
}): KnownUser {
  if (row.deleted) return { deleted: true }
  return {
    deleted: false,
    role: row.role ?? 'USER',
    username: row.username ?? '',
    ...(row.tokensValidAfter !== null ? { tokensValidAfter: row.tokensValidAfter } : {}),
  }
}

export interface AuthOptions {
  readonly secret: string
  readonly lookup?: UserLookup
}

export const TOKEN_EXPIRED_DETAIL = 'the token has expired: log in again'

/** Why a request's token is refused: none sent, or one that is malformed or forged, expired, or revoked. */
export type TokenRefusal = 'missing' | 'invalid' | 'expired' | 'revoked'

const refusals: Record<Exclude<TokenRefusal, 'missing'>, { code: string; detail: string }> = {
  invalid: {
    code: 'TOKEN_INVALID',
    detail: 'the token is malformed, or its signature, algorithm, issuer, audience or claims are not ours',
  },
  expired: { code: 'TOKEN_EXPIRED', detail: TOKEN_EXPIRED_DETAIL },
  revoked: {
    code: 'TOKEN_REVOKED',
    detail: 'the token was revoked (signed out everywhere, password changed, or the user deleted): log in again',
  },
}

/**
 * The 401 for a refused token, with the challenge of RFC 6750 §3: `Bearer` alone when no token was sent, else
 * `error="invalid_token"` and a description telling expired, revoked and invalid apart (as the problem's `code`).
 */
export function tokenProblem(why: TokenRefusal): HttpProblem {
  if (why === 'missing')
    return new HttpProblem(401, 'UNAUTHENTICATED', 'a bearer token is required', {
      headers: { 'WWW-Authenticate': 'Bearer' },
    })
  const { code, detail } = refusals[why]
  return new HttpProblem(401, code, detail, {
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${detail}"` },
  })
}

/** The 403 for a token whose user lacks the role (RFC 6750 §3: `insufficient_scope`). */
export function roleProblem(role: Role): HttpProblem {
  const detail = `this needs the ${role} role`
  return new HttpProblem(403, 'FORBIDDEN', detail, {
    headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", error_description="${detail}"` },
  })
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined
  const m = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header)
  return m?.[1]
}

/** Resolves a token to a principal, honouring deletions and role changes the service has seen; else why not. */
async function principalFromToken(
  opts: AuthOptions,
  token: string,
): Promise<{ ok: true; principal: Principal } | { ok: false; why: TokenRefusal }> {
  const checked = await checkAccessToken(opts.secret, token)
  if (!checked.ok) return { ok: false, why: checked.reason }
  const { claims } = checked
  const known = opts.lookup ? await opts.lookup(claims.sub) : undefined
  if (known?.deleted) return { ok: false, why: 'revoked' }
  // Revoked (a password change, "log out everywhere"): issued before the user's cut-off.
  if (known?.tokensValidAfter != null && claims.iat * 1000 < known.tokensValidAfter)
    return { ok: false, why: 'revoked' }
  const principal: Principal = {
    id: claims.sub,
    username: known ? known.username : claims.username,
    role: known ? known.role : claims.role,
    tokenExp: claims.exp,
    tokenIat: claims.iat,
  }
  return { ok: true, principal }
}

/** Requires a valid bearer token (401 otherwise) and sets `principal`; `role` also requires that role (403). */
export function authenticate(
  opts: AuthOptions,
  role?: Role,
): MiddlewareHandler<{ Variables: { principal: Principal } }> {
  return withSpec(
    async (c, next) => {
      const token = bearerToken(c.req.header('Authorization'))
      // A Bearer credential we cannot even read is an invalid token; no credential, or another scheme, is none.
      if (!token) throw tokenProblem(/^Bearer\b/i.test(c.req.header('Authorization') ?? '') ? 'invalid' : 'missing')
      const r = await principalFromToken(opts, token)
      if (!r.ok) throw tokenProblem(r.why)
      if (role && r.principal.role !== role) throw roleProblem(role)
      c.set('principal', r.principal)
      await next()
    },
    { kind: 'security', ...(role ? { role } : {}) },
  )
}
