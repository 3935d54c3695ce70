/**
 * Control characters in free text. PostgreSQL text (and jsonb) cannot hold NUL: an insert fails,
 * which an edge must answer with a 422 (or a dead letter), never a 500. No other C0 control
 * character or DEL belongs in a name, a key or an address either; line breaks and tabs are
 * allowed where text may span lines.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: it finds control characters, to reject them
const CONTROL = /[\u0000-\u001f\u007f]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: it finds control characters, to reject them
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

export const hasControlChars = (s: string, opts: { lineBreaks?: boolean } = {}): boolean =>
  (opts.lineBreaks ? CONTROL_BUT_LINES : CONTROL).test(s)

/**
 * Honest text: what a person reads is what is stored and compared. Names (of categories,
 * products, people) are NFC-normalized, measured in code points (what a person counts as
 * characters far more often than UTF-16 units: an emoji is one, not two), and refuse the
 * characters nobody sees (zero-width, bidi controls and the other default-ignorable code points),
 * which would make two names that look the same different, or one look like another.
 */
export const normalizeText = (s: string): string => s.normalize('NFC')

/** The length in code points (U+1F600 is 1; a UTF-16 `length` says 2). */
export function codePointLength(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

// Inside an emoji sequence some default-ignorable code points are the sequence itself, not a
// hidden character: a variation selector after an emoji (☺️), a zero-width joiner between two
// (👩‍💻), the tags of a subdivision flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿). Only those uses are allowed.
const EMOJI_VARIATION = /(?<=\p{Emoji})[\uFE0E\uFE0F]/gu
const EMOJI_JOINER = /(?<=\p{Emoji}[\u{1F3FB}-\u{1F3FF}\uFE0F]?)\u200D(?=\p{Extended_Pictographic})/gu
const EMOJI_TAGS = /(?<=\u{1F3F4}[\u{E0020}-\u{E007E}]*)[\u{E0020}-\u{E007F}]/gu
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u

/**
 * Whether `s` holds a code point nobody sees: a default-ignorable one (zero-width space and
 * joiners, soft hyphen, word joiner, variation selectors, tags, …) or a bidi control (LRM, RLO,
 * isolates, …), outside the emoji sequences that need them.
 */
export const hasInvisibleChars = (s: string): boolean =>
  INVISIBLE.test(s.replace(EMOJI_VARIATION, '').replace(EMOJI_JOINER, '').replace(EMOJI_TAGS, ''))

/** A name: NFC, 1 to `max` code points, no control and no invisible characters. */
export const isHonestName = (s: string, max: number): boolean => {
  const n = codePointLength(s)
  return n >= 1 && n <= max && s === normalizeText(s) && !hasControlChars(s) && !hasInvisibleChars(s)
}

// The scripts a domain name may be written in. A letter of none of them (a script not listed)
// is refused in a non-ASCII domain: better a refusal than a look-alike let through.
const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Georgian',
  'Hangul',
  'Ethiopic',
  'Cherokee',
  'Khmer',
  'Mongolian',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Han',
  'Yi',
  'Tifinagh',
  'Nko',
  'Canadian_Aboriginal',
  'Javanese',
  'Balinese',
  'Sundanese',
].map((name) => ({ name, re: new RegExp(`^\\p{Script=${name}}$`, 'u') }))
const NEUTRAL = /^[\p{Script=Common}\p{Script=Inherited}]$/u

/** The scripts of the letters of `s` (Common and Inherited ones, digits, `.` and `-` say none); `?`: unknown. */
export function scriptsOf(s: string): Set<string> {
  const found = new Set<string>()
  for (const ch of s) {
    if (NEUTRAL.test(ch)) continue
    found.add(SCRIPTS.find((x) => x.re.test(ch))?.name ?? '?')
  }
  return found
}

// Unicode TS #39's "highly restrictive" level: one script, or Latin with the scripts written
// beside it in Japanese, Chinese or Korean text.
const ALLOWED_MIXES = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
]

/**
 * Whether a domain name is honest: all ASCII (as written, or punycode `xn--`), or written in a
 * single script (Unicode TS #39 "highly restrictive" as the reference), so that `аtk.example`
 * with a Cyrillic `а` among Latin letters is refused. No invisible characters, NFC.
 */
export function isHonestDomain(domain: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is exactly U+0000 to U+007F
  if (/^[\u0000-\u007f]*$/.test(domain)) return true
  if (domain !== normalizeText(domain) || hasInvisibleChars(domain)) return false
  // only letters, marks, digits, dots and hyphens outside ASCII: no symbols, no look-alike punctuation
  if (!/^[\p{L}\p{M}\p{Nd}.-]+$/u.test(domain)) return false
  const scripts = [...scriptsOf(domain)]
  if (scripts.includes('?')) return false
  return scripts.length <= 1 || ALLOWED_MIXES.some((mix) => scripts.every((s) => mix.includes(s)))
}
