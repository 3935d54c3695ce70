import * as v from 'valibot'
import { commonSettings, loadConfig, settings } from '@shop/platform/config'
import { isValidEmail, isValidPassword, isValidUsername } from './domain/user.ts'

const AuthSettings = v.pipe(
  v.object({
    ...commonSettings(8000),
    BCRYPT_COST: settings.int('BCRYPT_COST', 10, 4, 15),
    JWT_TTL_SECONDS: settings.int('JWT_TTL_SECONDS', 1800, 60, 7 * 24 * 3600),
    ADMIN_USERNAME: v.optional(
      v.pipe(v.string(), v.check(isValidUsername, 'ADMIN_USERNAME must be 3 to 32 of [A-Za-z0-9_.-]')),
    ),
    ADMIN_EMAIL: v.optional(v.pipe(v.string(), v.check(isValidEmail, 'ADMIN_EMAIL must be an email address'))),
    ADMIN_PASSWORD: v.optional(
      v.pipe(
        v.string(),
        v.check(
          isValidPassword,
          'ADMIN_PASSWORD must be 8 to 72 bytes in UTF-8 (not characters: "é" takes 2 bytes, "€" 3)',
        ),
      ),
    ),
    LOGIN_MAX_FAILURES: settings.int('LOGIN_MAX_FAILURES', 5, 1, 1000),
    LOGIN_MAX_FAILURES_PER_ADDRESS: settings.int('LOGIN_MAX_FAILURES_PER_ADDRESS', 20, 1, 100000),
    LOGIN_MAX_FAILURES_PER_ACCOUNT: settings.int('LOGIN_MAX_FAILURES_PER_ACCOUNT', 50, 1, 100000),
    LOGIN_WINDOW_SECONDS: settings.int('LOGIN_WINDOW_SECONDS', 900, 1, 86400),
    REGISTER_MAX_PER_ADDRESS: settings.int('REGISTER_MAX_PER_ADDRESS', 10, 1, 1000000),
    REGISTER_WINDOW_SECONDS: settings.int('REGISTER_WINDOW_SECONDS', 3600, 1, 86400),
    TRUST_PROXY: settings.trustProxy(),
  }),
  v.check(
    (c) =>
      [c.ADMIN_USERNAME, c.ADMIN_EMAIL, c.ADMIN_PASSWORD].every((x) => x === undefined) ||
      [c.ADMIN_USERNAME, c.ADMIN_EMAIL, c.ADMIN_PASSWORD].every((x) => x !== undefined),
    'ADMIN_USERNAME, ADMIN_EMAIL and ADMIN_PASSWORD go together: set all three or none',
  ),
)

export type AuthConfig = v.InferOutput<typeof AuthSettings>

export const loadAuthConfig = (env: Record<string, string | undefined> = process.env): AuthConfig =>
  loadConfig(AuthSettings, env)
