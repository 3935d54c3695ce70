import type { Load, Sample } from './load.ts'

/** Plain-text tables for the test output. */
export function table(rows: readonly Record<string, unknown>[]): string {
  if (!rows.length) return '(none)'
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))]
  const cell = (v: unknown) => (v === undefined ? '' : String(v))
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)))
  const line = (vals: string[]) =>
    vals.map((v, i) => (i === 0 ? v.padEnd(width[i]!) : v.padStart(width[i]!))).join('  ')
  return [
    line(cols),
    line(width.map((n) => '-'.repeat(n))),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n')
}

/** Requests by operation and outcome (status, `down`, `timeout`), with a total row. */
function requestRows(samples: readonly Sample[]): Record<string, unknown>[] {
  const outcomes = [...new Set(samples.map((s) => s.outcome))].sort()
  const ops = [...new Set(samples.map((s) => `${s.svc} ${s.op}`))].sort()
  const rows: Record<string, unknown>[] = ops.map((op) => {
    const mine = samples.filter((s) => `${s.svc} ${s.op}` === op)
    const row: Record<string, unknown> = { request: op }
    for (const o of outcomes) row[o] = mine.filter((s) => s.outcome === o).length || ''
    return row
  })
  const total: Record<string, unknown> = { request: 'total' }
  for (const o of outcomes) total[o] = samples.filter((s) => s.outcome === o).length
  rows.push(total)
  return rows
}

export function printReport(
  title: string,
  load: Load,
  tables: Record<string, Record<string, unknown>[]>,
  extra: Record<string, unknown> = {},
): void {
  const parts = [`\n=== ${title} (seed ${load.seed}) ===`]
  for (const [k, v] of Object.entries(extra)) parts.push(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
  parts.push('', 'requests by outcome', table(requestRows(load.samples)))
  for (const [name, rows] of Object.entries(tables)) parts.push('', name, table(rows))
  console.log(parts.join('\n'))
}

/** Samples that are neither a status the request may get in a healthy shop nor excused by `excuse`. */
export function unexplained(samples: readonly Sample[], excuse: (s: Sample) => boolean = () => false): Sample[] {
  return samples.filter((s) => !s.expected && !excuse(s))
}
