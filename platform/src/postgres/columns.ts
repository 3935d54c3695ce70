import type { PendingQuery, Row } from 'postgres'
import type { Q } from './connect.ts'

/**
 * The columns a table's rows are read from, named in one place: every statement that selects or
 * returns such rows takes them from here (`select ${users.of(sql)} from users`), and the row
 * mapper takes exactly this row type. A new column is then one line here and one in the mapper,
 * whatever the number of statements.
 */
export interface Columns<R> {
  readonly names: readonly (keyof R & string)[]
  /** The list as a piece of a statement on `q`, each name qualified by `alias` when given (`p.id, p.name`). */
  of(q: Q, alias?: string): PendingQuery<Row[]>
}

type Missing<R, N extends readonly unknown[]> = Exclude<keyof R, N[number]>

/**
 * `columns<ProductRow>()('id', 'name', ...)`: the names are checked against the row type, both
 * ways: a name the row does not have, or a field of the row left out, fails to compile.
 */
export function columns<R>() {
  return <const N extends readonly (keyof R & string)[]>(
    ...names: N & ([Missing<R, N>] extends [never] ? unknown : { missing: Missing<R, N> })
  ): Columns<R> => {
    const qualified = new Map<string, string[]>()
    const named = (alias: string) => {
      const known = qualified.get(alias)
      if (known) return known
      const list = names.map((n) => `${alias}.${n}`)
      qualified.set(alias, list)
      return list
    }
    return {
      names,
      // A fragment of its own: postgres.js escapes a list of names as identifiers only where no
      // keyword before it (insert, values, update...) asks for another of its helpers.
      of: (q, alias) => q`${q(alias ? named(alias) : [...names])}`,
    }
  }
}
