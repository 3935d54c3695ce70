/**
 * The outcome of an operation that can fail in an expected way: use cases return errors as values
 * (typed, in the domain's words), and each service maps them to HTTP in one place.
 */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E }

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value })
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error })
