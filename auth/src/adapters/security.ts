import { hash, verify } from '@node-rs/bcrypt'
import { signAccessToken, verifyAccessToken } from '@shop/shared-kernel/http/jwt'
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
      const token = await signAccessToken(secret, user, Math.floor(now.getTime() / 1000), ttlSeconds)
      return { token, expiresIn: ttlSeconds }
    },
    async verify(token) {
      const c = await verifyAccessToken(secret, token)
      return c && { userId: c.sub, username: c.username, role: c.role, exp: c.exp }
    },
  }
}
