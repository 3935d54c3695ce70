/**
 * The status table (src/domain/status.ts) against itself, the database and the API reference: the
 * orders.status CHECK as the migrated database has it, and the lifecycle's tables in docs/api.md.
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { type Actor, type OrderStatus, ORDER_STATUSES, STATUSES } from '../src/domain/status.ts'
import { MIGRATIONS } from '../src/main.ts'

const ACTORS: readonly Actor[] = ['owner', 'admin', 'system']

/** Every allowed move as "from > to: actor", from the table. */
const tableMoves = (): string[] =>
  ORDER_STATUSES.flatMap((to) =>
    ORDER_STATUSES.flatMap((from) => (STATUSES[to].from[from] ?? []).map((a) => `${from} > ${to}: ${a}`)),
  ).sort()

/** What is only on one side of a comparison: both lists are empty when the two agree. */
function disagreement(table: readonly string[], other: readonly string[], otherName: string) {
  return {
    [`only in ${otherName}`]: other.filter((x) => !table.includes(x)),
    'only in the status table': table.filter((x) => !other.includes(x)),
  }
}
const agreement = (otherName: string) => disagreement([], [], otherName)

describe('the status table is consistent', () => {
  const moves = ORDER_STATUSES.flatMap((to) =>
    ORDER_STATUSES.filter((from) => STATUSES[to].from[from]).map((from) => ({ from, to })),
  )

  test('what the catalog holds follows every move: entering a status takes or gives back the stock', () => {
    const wrong: string[] = []
    for (const { from, to } of moves) {
      const held = STATUSES[from].holdsStock
      const holds = STATUSES[to].holdsStock
      const onEnter = STATUSES[to].onEnter
      const ok = held
        ? holds
          ? onEnter === null
          : onEnter === 'release' || onEnter === 'end'
        : holds
          ? onEnter === 'hold'
          : onEnter !== 'hold' && onEnter !== 'request'
      if (!ok) wrong.push(`${from} (holdsStock ${held}) → ${to} (holdsStock ${holds}, onEnter ${onEnter})`)
    }
    // Out of a status holding stock into one that does not: onEnter 'release' (give it back) or 'end'
    // (sold); between two holding statuses: null; into a holding status from one that is not: 'hold'.
    expect(wrong).toEqual([])
  })

  test("only the status an order is created in asks the catalog ('request'); every status is reachable from it", () => {
    const initial = ORDER_STATUSES.filter((s) => STATUSES[s].onEnter === 'request')
    expect(initial).toEqual(['pending'])
    expect(Object.keys(STATUSES.pending.from)).toEqual([])
    const reached = new Set<OrderStatus>(initial)
    for (let grew = true; grew; ) {
      grew = false
      for (const { from, to } of moves)
        if (reached.has(from) && !reached.has(to)) {
          reached.add(to)
          grew = true
        }
    }
    expect(ORDER_STATUSES.filter((s) => !reached.has(s))).toEqual([])
  })

  test("a user's deletion can cancel every open status (the system moves it to cancelled)", () => {
    const cannot = ORDER_STATUSES.filter((s) => STATUSES[s].open && !STATUSES.cancelled.from[s]?.includes('system'))
    expect(cannot).toEqual([])
  })
})

/** The values of every CHECK on orders.status as the migrated database has them, one list a constraint. */
async function checkedStatuses(): Promise<{ kind: string; checks: string[] }[]> {
  const out: { kind: string; checks: string[] }[] = []
  for (const db of await adapterDatabases('order', MIGRATIONS)) {
    const sql = await db.open()
    const rows = await sql<{ def: string }[]>`
      select pg_get_constraintdef(c.oid) as def
      from pg_constraint c
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
      where c.conrelid = 'orders'::regclass and c.contype = 'c' and a.attname = 'status'
      order by c.conname`
    out.push({ kind: db.kind, checks: rows.map((r) => r.def) })
  }
  return out
}

/**
 * The statuses a CHECK constraint allows, from its definition as PostgreSQL prints it
 * (`CHECK ((status = ANY (ARRAY['a'::text, ...])))`); an error for any other form.
 */
function allowedBy(def: string): string[] {
  if (!/^CHECK \(\(status = ANY \(ARRAY\[('[^']*'::text(, )?)+\]\)\)\)$/.test(def))
    throw new Error(`orders.status has a CHECK this test cannot read (expected "status in (...)"): ${def}`)
  return [...def.matchAll(/'([^']*)'::text/g)].map((m) => m[1]!)
}

describe('the database allows exactly the statuses of the table', () => {
  test('orders.status CHECK after all migrations (PGlite, and the server when reachable)', async () => {
    for (const { kind, checks } of await checkedStatuses()) {
      if (!checks.length) throw new Error(`${kind}: orders.status has no CHECK constraint`)
      // Several CHECKs all hold: the database allows what every one of them allows.
      const allowed = checks.map(allowedBy).reduce((a, b) => a.filter((s) => b.includes(s)))
      expect({ kind, ...disagreement(ORDER_STATUSES, allowed, 'the database') }).toEqual({
        kind,
        ...agreement('the database'),
      })
    }
  })

  test('the check reads a constraint and says what disagrees', () => {
    const def = "CHECK ((status = ANY (ARRAY['pending'::text, 'confirmed'::text, 'on_hold'::text])))"
    expect(allowedBy(def)).toEqual(['pending', 'confirmed', 'on_hold'])
    expect(disagreement(['pending', 'confirmed', 'paid'], allowedBy(def), 'the database')).toEqual({
      'only in the database': ['on_hold'],
      'only in the status table': ['paid'],
    })
    expect(() => allowedBy("CHECK ((status <> 'x'::text))")).toThrow(/cannot read/)
  })
})

/** The markdown tables of a section: each a list of rows, each a list of trimmed cells (separator rows dropped). */
function tables(section: string): string[][][] {
  const out: string[][][] = []
  let current: string[][] | undefined
  for (const line of section.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined
      continue
    }
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split('|')
      .map((c) => c.trim())
    if (cells.every((c) => /^-+$/.test(c))) continue
    if (!current) {
      current = []
      out.push(current)
    }
    current.push(cells)
  }
  return out
}

/** The lifecycle of docs/api.md as data: its moves, each status's rules, and the statuses it calls final. */
function docsLifecycle(api: string) {
  const start = api.indexOf('### The order lifecycle')
  if (start < 0) throw new Error('docs/api.md has no "### The order lifecycle" section')
  const rest = api.slice(start + 1)
  const end = rest.search(/\n##/)
  const section = end < 0 ? rest : rest.slice(0, end)
  const all = tables(section)
  const moveTable = all.find((t) => t[0]?.[0] === 'from')
  const statusTable = all.find((t) => t[0]?.[0] === 'status')
  if (!moveTable || !statusTable)
    throw new Error('the lifecycle in docs/api.md needs a table headed "from | to | who" and one headed "status | ..."')
  const list = (cell: string) => cell.split(/,\s*|\s+and\s+/).map((s) => s.replace(/`/g, '').trim())
  const actors = (who: string): Actor[] =>
    ACTORS.filter((a) => new RegExp(a === 'system' ? '\\b(system|catalog)' : `\\b${a}`).test(who))
  const moves = moveTable
    .slice(1)
    .flatMap(([from = '', to = '', who = '']) =>
      list(from).flatMap((f) => list(to).flatMap((t) => actors(who).map((a) => `${f} > ${t}: ${a}`))),
    )
    .sort()
  const yes = (cell = '') => cell.startsWith('yes')
  const statuses = statusTable
    .slice(1)
    .map(([status = '', holds, open, deletable]) =>
      [
        status.replace(/`/g, ''),
        `holdsStock ${yes(holds)}`,
        `open ${yes(open)}`,
        `ownerDeletable ${yes(deletable)}`,
      ].join(', '),
    )
  const finalSentence = section.match(/((?:`\w+`(?:, | and )?)+) are final/)
  const final = finalSentence ? [...finalSentence[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!) : []
  return { moves, statuses, final }
}

const tableStatuses = () =>
  ORDER_STATUSES.map((s) => {
    const r = STATUSES[s]
    return `${s}, holdsStock ${r.holdsStock}, open ${r.open}, ownerDeletable ${r.ownerDeletable}`
  })
const tableFinal = () => ORDER_STATUSES.filter((from) => ORDER_STATUSES.every((to) => !STATUSES[to].from[from]))

describe("docs/api.md's lifecycle agrees with the table", () => {
  const docs = docsLifecycle(readFileSync(join(import.meta.dir, '..', '..', 'docs', 'api.md'), 'utf8'))

  test('the moves ("from | to | who": owner, admin, system or the catalog)', () => {
    expect(disagreement(tableMoves(), docs.moves, 'docs/api.md')).toEqual(agreement('docs/api.md'))
  })
  test('each status with its rules ("status | holds stock | deletion cancels | owner may delete"), in order', () => {
    expect(disagreement(tableStatuses(), docs.statuses, 'docs/api.md')).toEqual(agreement('docs/api.md'))
    expect({ 'order in docs/api.md': docs.statuses.map((s) => s.split(',')[0]) }).toEqual({
      'order in docs/api.md': [...ORDER_STATUSES],
    })
  })
  test('the statuses it calls final ("`a`, `b` and `c` are final") are those with no move out', () => {
    expect(disagreement(tableFinal(), docs.final, 'docs/api.md')).toEqual(agreement('docs/api.md'))
  })

  test('the check says what disagrees', () => {
    const sample = [
      '### The order lifecycle',
      '| from | to | who |',
      '| --- | --- | --- |',
      '| pending, paid | on_hold | an admin |',
      '',
      '| status | holds | deletion | delete |',
      '|---|---|---|---|',
      '| `on_hold` | yes (kept) | no | no |',
      '`pending` and `on_hold` are final.',
      '## Events',
      '| from | to | who |',
    ].join('\n')
    const d = docsLifecycle(sample)
    expect(d).toEqual({
      moves: ['paid > on_hold: admin', 'pending > on_hold: admin'],
      statuses: ['on_hold, holdsStock true, open false, ownerDeletable false'],
      final: ['pending', 'on_hold'],
    })
    expect(disagreement(['paid > on_hold: admin', 'paid > shipped: admin'], d.moves, 'docs/api.md')).toEqual({
      'only in docs/api.md': ['pending > on_hold: admin'],
      'only in the status table': ['paid > shipped: admin'],
    })
    expect(() => docsLifecycle('## Order\n| from | to | who |')).toThrow(/no "### The order lifecycle"/)
  })
})
