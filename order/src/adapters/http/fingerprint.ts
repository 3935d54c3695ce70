import { createHash } from 'node:crypto'

/** JSON with object keys sorted at every level: equal values give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** What an Idempotency-Key is bound to: the sha256 of the canonical JSON of the validated body. */
export const fingerprint = (validatedBody: unknown): string =>
  createHash('sha256').update(canonicalJson(validatedBody)).digest('hex')
