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
