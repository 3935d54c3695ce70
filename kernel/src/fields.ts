/**
 * Fields of plain records, named once: a type's field list checked against the type, picking and
 * leaving out fields by name, defaults, and a change applied field by field. What lets a mapper or
 * a rule carry every field of a type without naming each one.
 */

/** The fields of T that `names` leaves out (never when the list is whole). */
export type Missing<T, N extends readonly unknown[]> = Exclude<keyof T, N[number]>

/**
 * `fieldNames<ProductFields>()('name', 'price', ...)`: the names of T's fields as a value, checked
 * both ways: a name T does not have, or a field of T left out, fails to compile.
 */
export function fieldNames<T>() {
  return <const N extends readonly (keyof T & string)[]>(
    ...names: N & ([Missing<T, N>] extends [never] ? unknown : { missing: Missing<T, N> })
  ): N => names
}

/** The fields of `o` named by `keys`, in the order of `keys` (those `o` lacks stay absent). */
export function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>
  for (const k of keys) if (k in o) out[k] = o[k]
  return out
}

/** `o` without the fields named by `keys`. */
export function omit<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Omit<T, K> {
  const out = { ...o }
  for (const k of keys) delete out[k]
  return out
}

/** A record of `null` under each name: what a tombstone holds in place of the fields it lost. */
export const nulls = <K extends string>(keys: readonly K[]): Record<K, null> =>
  Object.fromEntries(keys.map((k) => [k, null])) as Record<K, null>

/** `o` without its undefined fields (an optional one left unset): what spreads over defaults without erasing them. */
export const defined = <T extends object>(o: T): Defined<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Defined<T>
type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>
}

/** Two values of a field are the same: by value for dates, by identity otherwise. */
export const sameValue = (a: unknown, b: unknown): boolean =>
  a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b

/** How a field's values are compared, where identity is not the rule (money: by amount). */
export type Sameness<T> = { readonly [K in keyof T]?: (a: T[K], b: T[K]) => boolean }

/**
 * `changes` applied to `entity`, field by field: an undefined change leaves the field as it is,
 * `null` sets it to null. The same `entity` when no field really changes, so a caller can tell a
 * no-op (no version bump, no event) by identity.
 */
export function applyChanges<T extends object>(
  entity: T,
  changes: { readonly [K in keyof T]?: T[K] },
  same: Sameness<T> = {},
): T {
  let next: T | undefined
  for (const k of Object.keys(changes) as (keyof T)[]) {
    const value = changes[k]
    if (value === undefined) continue
    const equal = same[k] ?? sameValue
    if (equal(value as T[typeof k], entity[k])) continue
    next ??= { ...entity }
    next[k] = value as T[typeof k]
  }
  return next ?? entity
}

/** A record whose changes are counted: `applyChanges`, then, when anything changed, the next version. */
export function changeVersioned<T extends { readonly updatedAt: Date; readonly version: number }>(
  entity: T,
  changes: { readonly [K in keyof T]?: T[K] },
  now: Date,
  same: Sameness<T> = {},
): T {
  const next = applyChanges(entity, changes, same)
  return next === entity ? entity : { ...next, updatedAt: now, version: entity.version + 1 }
}
