import { hash, verify } from '@node-rs/bcrypt'
import { signAccessToken, verifyAccessToken } from '@shop/platform/http/jwt'
import type { PasswordHasher, Tokens } from '../ports.ts'

export function bcryptHasher(cost: number): PasswordHasher {
  return {
    hash: (password) => hash(password, { cost }),
    verify: (password, h) => verify(password, h),
  }
}

export function jwtTokens(secret: string, ttlSeconds: number): Tokens {
  return {
    async issue(user, now) {
      // `iat` is in whole seconds, and a revocation cut-off is a whole second just ahead of the
      // revocation: a token issued before that second comes would carry an iat it refuses. So
      // wait for it (under a second, and only right after a revocation).
      const cutoff = user.tokensValidAfter?.getTime() ?? 0
      const early = cutoff - Date.now()
      if (early > 0) await Bun.sleep(Math.min(early, 1000))
      const token = await signAccessToken(secret, user, Math.floor(Math.max(now.getTime(), cutoff) / 1000), ttlSeconds)
      return { token, expiresIn: ttlSeconds }
    },
    async verify(token) {
      const c = await verifyAccessToken(secret, token)
      return c && { userId: c.sub, username: c.username, role: c.role, iat: c.iat, exp: c.exp }
    },
  }
}
