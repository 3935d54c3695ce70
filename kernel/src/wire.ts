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

// Every row and answer is renamed on the way through: a name is converted once, then looked up
// (the names are the code's own field names; the bound only keeps an unexpected caller from growing it).
const SEEN_MAX = 10_000
function remembered(convert: (s: string) => string): (s: string) => string {
  const seen = new Map<string, string>()
  return (s) => {
    let out = seen.get(s)
    if (out === undefined) {
      out = convert(s)
      if (seen.size < SEEN_MAX) seen.set(s, out)
    }
    return out
  }
}
const toSnake = remembered((s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
const toCamel = remembered((s) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))

export const snakeCase = <S extends string>(s: S): SnakeCase<S> => toSnake(s) as SnakeCase<S>

export const camelCase = <S extends string>(s: S): CamelCase<S> => toCamel(s) as CamelCase<S>

function renamed(o: object, name: (k: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k in o) if (Object.hasOwn(o, k)) out[name(k)] = (o as Record<string, unknown>)[k]
  return out
}

/** The same fields under their snake_case names. */
export const snakeKeys = <T extends object>(o: T): SnakeKeys<T> => renamed(o, snakeCase) as SnakeKeys<T>

/** The same fields under their camelCase names. */
export const camelKeys = <T extends object>(o: T): CamelKeys<T> => renamed(o, camelCase) as CamelKeys<T>

/** A list of field names in snake_case (a column list from a domain's field list), as a typed tuple. */
export const snakeNames = <const N extends readonly string[]>(
  names: N,
): { -readonly [I in keyof N]: SnakeCase<N[I]> } =>
  names.map(snakeCase) as { -readonly [I in keyof N]: SnakeCase<N[I]> }

/**
 * A copy of the fields `pairs` names (`[to, from]`) into a new record, compiled once into the object
 * literal one would write by hand: what a row or an answer costs stays what it cost when each
 * mapper spelled its fields out (a loop adding names one by one was 3× slower on a page of 50
 * products, and so was its JSON). The names are the code's own field names, quoted as JSON, never
 * a caller's data. A field `o` lacks comes out undefined (JSON leaves it out).
 */
function copier(pairs: readonly (readonly [to: string, from: string])[]): (o: object) => Record<string, unknown> {
  const fields = pairs.map(([to, from]) => `${JSON.stringify(to)}: o[${JSON.stringify(from)}]`)
  return new Function('o', `return { ${fields.join(', ')} }`) as (o: object) => Record<string, unknown>
}

/**
 * `pick(r, names)` under camelCase names, as one compiled copy: a row's columns into the core's
 * fields (`toProduct`'s hot path: every listed product).
 */
export function camelPicker<const N extends readonly string[]>(
  names: N,
): <R extends { readonly [K in N[number]]: unknown }>(r: R) => CamelKeys<Pick<R, N[number]>> {
  return copier(names.map((n) => [camelCase(n), n] as const)) as never
}

/** Per response schema (its entries): the compiled copy of its fields from the core's names. */
const answerCopiers = new WeakMap<object, (o: object) => Record<string, unknown>>()

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
  let copy = answerCopiers.get(schema.entries)
  if (!copy) {
    copy = copier(Object.keys(schema.entries).map((k) => [k, camelCase(k)] as const))
    answerCopiers.set(schema.entries, copy)
  }
  return copy(o) as Pick<SnakeKeys<T>, keyof E & keyof SnakeKeys<T>>
}
