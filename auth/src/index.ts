/**
 * @shop/auth for tools that embed the core: the use cases, the domain rules, and the in-memory
 * adapters. Importing this starts nothing and touches no database.
 */
export { makeAuth, type Auth, type AuthDeps } from './auth.ts'
export * from './domain/user.ts'
export type { AuthError } from './domain/errors.ts'
export type * from './ports.ts'
export { memoryAuthStore } from './adapters/memory/store.ts'
export { bcryptHasher, jwtTokens } from './adapters/security.ts'
