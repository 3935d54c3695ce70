/**
 * @shop/auth for tools that embed it: the application (its use cases), the domain rules, and the
 * in-memory adapters. Importing this starts nothing and touches no database.
 */
export { authApplication, type AuthApplication } from './app/application.ts'
export type { AuthDeps } from './ports.ts'
export * from './domain/user.ts'
export type { AuthError } from './domain/errors.ts'
export type * from './ports.ts'
export { memoryAuthStore } from './adapters/memory/store.ts'
export { bcryptHasher, jwtTokens } from './adapters/security.ts'
