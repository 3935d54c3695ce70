/**
 * The wire's and the tables' snake_case against the core's camelCase, field names renamed by rule
 * (`categoryId` ⇄ `category_id`), at the type level as at run time. A mapper then names only the
 * fields that are more than renamed (a date as text, a nested shape, a derived column).
 */

/** `categoryId` → `category_id`. */
export type SnakeCase<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}`
  : S

/** `category_id` → `categoryId`. */
export type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S

export type SnakeKeys<T> = { [K in keyof T as K extends string ? SnakeCase<K> : K]: T[K] }
export type CamelKeys<T> = { [K in keyof T as K extends string ? CamelCase<K> : K]: T[K] }

export const snakeCase = <S extends string>(s: S): SnakeCase<S> =>
  s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) as SnakeCase<S>

export const camelCase = <S extends string>(s: S): CamelCase<S> =>
  s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) as CamelCase<S>

/** The same fields under their snake_case names. */
export const snakeKeys = <T extends object>(o: T): SnakeKeys<T> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [snakeCase(k), v])) as SnakeKeys<T>

/** The same fields under their camelCase names. */
export const camelKeys = <T extends object>(o: T): CamelKeys<T> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [camelCase(k), v])) as CamelKeys<T>

/** A list of field names in snake_case (a column list from a domain's field list), as a typed tuple. */
export const snakeNames = <const N extends readonly string[]>(
  names: N,
): { -readonly [I in keyof N]: SnakeCase<N[I]> } =>
  names.map(snakeCase) as { -readonly [I in keyof N]: SnakeCase<N[I]> }

/** The field names a valibot object schema declares, in its order (what an answer of that schema holds). */
export const entryNames = <E extends object>(schema: { readonly entries: E }): (keyof E & string)[] =>
  Object.keys(schema.entries) as (keyof E & string)[]

/**
 * `o` as an answer of `schema` (a valibot object schema): its fields under their snake_case names,
 * those the schema declares only (nothing the API does not show leaks), in the schema's order. A
 * field that is more than renamed (a date, a nested shape) is then written over by the caller.
 */
export function wireOf<E extends object, T extends object>(
  schema: { readonly entries: E },
  o: T,
): Pick<SnakeKeys<T>, keyof E & keyof SnakeKeys<T>> {
  const wire: Record<string, unknown> = snakeKeys(o)
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(schema.entries)) if (k in wire) out[k] = wire[k]
  return out as Pick<SnakeKeys<T>, keyof E & keyof SnakeKeys<T>>
}
