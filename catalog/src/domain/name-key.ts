import { codePointLength, isHonestName, normalizeText } from '@shop/kernel/text'

/**
 * Case-insensitive names, decided here rather than by the database: SQL lower() follows the
 * database's collation (ASCII only under "C", as on PGlite), so the same rule would differ
 * between the embedded database, a server and the memory adapter.
 */
export const nameKey = (name: string): string => name.normalize('NFC').toLowerCase()

/** Code point order, which is what Postgres's collation "C" gives for UTF-8 text. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; ) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(i)!
    if (x !== y) return x < y ? -1 : 1
    i += x > 0xffff ? 2 : 1
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0
}

export const NAME_MAX = 200
export const DESCRIPTION_MAX = 5000

// Postgres text cannot hold NUL, and control characters in a name are never intended.
// biome-ignore lint/suspicious/noControlCharactersInRegex: it finds control characters, to reject them
const CONTROL = /[\u0000-\u001f\u007f]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: it finds control characters, to reject them
const CONTROL_BUT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/
/** 1 to NAME_MAX code points (an emoji is one), NFC, no control and no invisible characters (kernel text). */
export const isValidName = (s: string): boolean => isHonestName(s, NAME_MAX) && !CONTROL.test(s)
/** At most DESCRIPTION_MAX code points, NFC; tabs and line breaks allowed. */
export const isValidDescription = (s: string): boolean =>
  codePointLength(s) <= DESCRIPTION_MAX && s === normalizeText(s) && !CONTROL_BUT_WHITESPACE.test(s)
