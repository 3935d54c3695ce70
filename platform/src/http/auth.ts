import type { MiddlewareHandler } from 'hono'
import { HttpProblem } from './problem.ts'
import { withSpec } from './openapi-meta.ts'
import { type Role, verifyAccessToken } from './jwt.ts'

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

export interface AuthOptions {
  readonly secret: string
  readonly lookup?: UserLookup
}

const unauthenticated = (detail: string) => new HttpProblem(401, 'UNAUTHENTICATED', detail)

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined
  const m = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header)
  return m?.[1]
}

/** Resolves a token to a principal, honouring deletions and role changes the service has seen. */
async function principalFromToken(opts: AuthOptions, token: string): Promise<Principal | undefined> {
  const claims = await verifyAccessToken(opts.secret, token)
  if (!claims) return undefined
  const known = opts.lookup ? await opts.lookup(claims.sub) : undefined
  if (known?.deleted) return undefined
  // Revoked (a password change, "log out everywhere"): issued before the user's cut-off.
  if (known?.tokensValidAfter != null && claims.iat * 1000 < known.tokensValidAfter) return undefined
  return {
    id: claims.sub,
    username: known ? known.username : claims.username,
    role: known ? known.role : claims.role,
    tokenExp: claims.exp,
    tokenIat: claims.iat,
  }
}

/** Requires a valid bearer token (401 otherwise) and sets `principal`; `role` also requires that role (403). */
export function authenticate(
  opts: AuthOptions,
  role?: Role,
): MiddlewareHandler<{ Variables: { principal: Principal } }> {
  return withSpec(
    async (c, next) => {
      const token = bearerToken(c.req.header('Authorization'))
      if (!token) throw unauthenticated('a bearer token is required')
      const principal = await principalFromToken(opts, token)
      if (!principal) throw unauthenticated('the token is invalid, expired or revoked')
      if (role && principal.role !== role) throw new HttpProblem(403, 'FORBIDDEN', `this needs the ${role} role`)
      c.set('principal', principal)
      await next()
    },
    { kind: 'security', ...(role ? { role } : {}) },
  )
}
