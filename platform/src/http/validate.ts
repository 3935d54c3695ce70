import type { Context, MiddlewareHandler } from 'hono'
import * as v from 'valibot'
import { type FieldError, HttpProblem } from './problem.ts'
import { wire, withSpec } from './openapi-meta.ts'
import { hasControlChars } from '@shop/kernel/text'

export { hasControlChars }

/** valibot's own text ("Invalid key: Expected \"password\" but received undefined") never reaches a client. */
const VALIBOT_TEXT = /^Invalid [\w ]+: (Expected [\s\S]* but r|R)eceived /

/** `"USER" | "ADMIN"` → `USER, ADMIN`. */
const options = (expected: string | null) =>
  (expected ?? '')
    .split(' | ')
    .map((o) => o.replace(/^"(.*)"$/, '$1'))
    .join(', ')

const typeWords: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'an array',
  object: 'a JSON object',
  loose_object: 'a JSON object',
  strict_object: 'a JSON object',
  date: 'a date',
  null: 'null',
}

/**
 * Our words for an issue that carries none of its own: the field (or `the request body`), then what is expected. Every
 * schema of the services names its fields' rules itself; this covers what valibot checks before
 * them (a missing key, a wrong JSON type, a value given twice in a query string).
 */
export function issueWords(issue: v.BaseIssue<unknown>, field: string): string {
  const subject = field
  if (issue.kind === 'schema') {
    if (issue.received === 'undefined') return `${subject} is required`
    if (issue.type === 'strict_object' && issue.expected === 'never') return `${subject} is not a known field`
    if (issue.type === 'string' && Array.isArray(issue.input)) return `${subject} must be given once`
    if (issue.type === 'picklist' || issue.type === 'enum')
      return `${subject} must be one of ${options(issue.expected)}`
    if (issue.type === 'literal') return `${subject} must be ${issue.expected}`
    const words = typeWords[issue.type]
    return words ? `${subject} must be ${words}` : `${subject} has the wrong type`
  }
  const req = (issue as { requirement?: unknown }).requirement
  switch (issue.type) {
    case 'min_length':
      return Array.isArray(issue.input)
        ? `${subject} must have at least ${req} items`
        : `${subject} must be at least ${req} characters`
    case 'max_length':
      return Array.isArray(issue.input)
        ? `${subject} must have at most ${req} items`
        : `${subject} must be at most ${req} characters`
    case 'min_value':
      return `${subject} must be at least ${req}`
    case 'max_value':
      return `${subject} must be at most ${req}`
    case 'integer':
      return `${subject} must be an integer`
    case 'uuid':
      return `${subject} must be a UUID`
    case 'email':
      return `${subject} must be an email address`
    default:
      return `${subject} is not valid`
  }
}

/** Each issue as `{path, message}`; an issue at the root (path '') is about `the <what>`. */
export function issuesToErrors(issues: readonly v.BaseIssue<unknown>[], what = 'request'): FieldError[] {
  return issues.map((i) => {
    const path = i.path?.map((p) => String(p.key)).join('.') ?? ''
    return { path, message: VALIBOT_TEXT.test(i.message) ? issueWords(i, path || `the ${what}`) : i.message }
  })
}

export function invalid(issues: readonly v.BaseIssue<unknown>[], what = 'request'): HttpProblem {
  return new HttpProblem(422, 'VALIDATION_FAILED', `the ${what} is invalid`, { errors: issuesToErrors(issues, what) })
}

const jsonType = /^application\/([\w.-]+\+)?json$/i
const mediaType = (c: Context) => (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()

/** Reads the body as JSON (or as an urlencoded form when `form` is set). 400 when malformed. */
async function readBody(c: Context, form: boolean, optional = false): Promise<unknown> {
  const type = mediaType(c)
  if (form && (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data')) {
    let data: FormData
    try {
      data = await c.req.formData()
    } catch {
      throw new HttpProblem(400, 'MALFORMED_BODY', 'the form body could not be parsed')
    }
    const out: Record<string, unknown> = {}
    data.forEach((value, key) => {
      out[key] = typeof value === 'string' ? value : undefined
    })
    return out
  }
  // A client that omits Content-Type still gets its JSON read; any other declared type is refused.
  if (type !== '' && !jsonType.test(type)) {
    throw new HttpProblem(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be application/json${form ? ' or application/x-www-form-urlencoded' : ''}`,
    )
  }
  const text = await c.req.text()
  if (text.trim() === '' && optional) return {}
  if (text.trim() === '') throw new HttpProblem(400, 'MALFORMED_JSON', 'the request body must be a JSON document')
  try {
    return JSON.parse(text)
  } catch {
    throw new HttpProblem(400, 'MALFORMED_JSON', 'the request body is not valid JSON')
  }
}

type Target = 'json' | 'query' | 'param'

function validator<S extends v.GenericSchema, T extends Target>(
  target: T,
  schema: S,
  read: (c: Context) => Promise<unknown> | unknown,
  what: string,
  form = false,
  // biome-ignore lint/suspicious/noExplicitAny: usable in a route of any app, whatever its env
): MiddlewareHandler<any, string, { in: { [K in T]: v.InferInput<S> }; out: { [K in T]: v.InferOutput<S> } }> {
  return withSpec(
    async (c, next) => {
      const result = v.safeParse(schema, await read(c))
      if (!result.success) throw invalid(result.issues, what)
      c.req.addValidatedData(target, result.output as never)
      await next()
    },
    { kind: 'input', target, schema, form },
  )
}

/**
 * Validates the JSON body; `form` also accepts urlencoded forms (OAuth2 password flow);
 * `optional` reads an empty body as `{}`.
 */
export const body = <S extends v.GenericSchema>(schema: S, opts: { form?: boolean; optional?: boolean } = {}) =>
  validator(
    'json',
    schema,
    (c) => readBody(c, opts.form ?? false, opts.optional ?? false),
    'request body',
    opts.form ?? false,
  )

export const query = <S extends v.GenericSchema>(schema: S) =>
  validator(
    'query',
    schema,
    (c) =>
      Object.fromEntries(Object.entries(c.req.queries()).map(([k, vals]) => [k, vals.length === 1 ? vals[0] : vals])),
    'query string',
  )

export const params = <S extends v.GenericSchema>(schema: S) => validator('param', schema, (c) => c.req.param(), 'path')

/**
 * A check for a free-text field (see text.ts): no control characters (with `lineBreaks`, tabs and line breaks are
 * allowed).
 */
export const noControlChars = (name: string, opts: { lineBreaks?: boolean } = {}) =>
  v.check<string, string>(
    (s) => !hasControlChars(s, opts),
    `${name} must not contain control characters${opts.lineBreaks ? ' other than tabs and line breaks' : ''}`,
  )

/** The message of a name holding an invisible character (kernel text: hasInvisibleChars). */
export const INVISIBLE = (name: string): string =>
  `${name} must not contain invisible characters (zero-width, bidi controls or other default-ignorable code points)`

// Schemas for values that arrive as strings in paths and query strings. Each also says (`wire`)
// what the OpenAPI document declares: the value a client sends (an integer, a boolean), not a pattern.

/** The largest id a path, query or body may name (15 digits: exact in a JS number, within a Postgres bigint). */
export const ID_MAX = 999_999_999_999_999

/**
 * A positive integer id (path segment or query value), at most the range of a Postgres bigint we use (int8 safe in JS).
 */
export const idString = (name = 'id') =>
  wire(
    v.pipe(
      v.string(`${name} must be given once`),
      v.regex(/^[1-9]\d{0,14}$/, `${name} must be a positive integer of at most 15 digits`),
      v.transform(Number),
    ),
    { type: 'integer', minimum: 1, maximum: ID_MAX },
  )

/** A positive integer id in a JSON body, in the same range as ids in paths (idString). */
export const idNumber = (name: string) => {
  const words = `${name} must be a positive integer of at most 15 digits`
  return v.pipe(v.number(words), v.integer(words), v.minValue(1, words), v.maxValue(ID_MAX, words))
}

/** An id in a response body, for the OpenAPI document: a positive integer in the range ids are read in. */
export const IdOut = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(ID_MAX))

export const intString = (name: string, min: number, max: number) => {
  const words = `${name} must be an integer from ${min} to ${max}`
  return wire(
    v.pipe(
      v.string(`${name} must be given once`),
      v.regex(/^-?\d{1,16}$/, words),
      v.transform(Number),
      v.minValue(min, words),
      v.maxValue(max, words),
    ),
    { type: 'integer', minimum: min, maximum: max },
  )
}

export const boolString = (name: string) =>
  wire(
    v.pipe(
      v.picklist(['true', 'false', '1', '0'], `${name} must be true or false`),
      v.transform((s) => s === 'true' || s === '1'),
    ),
    { type: 'boolean' },
  )

export const uuidString = (name = 'id') =>
  wire(
    v.pipe(
      v.string(`${name} must be given once`),
      v.uuid(`${name} must be a UUID`),
      v.transform((s) => s.toLowerCase()),
    ),
    {
      type: 'string',
      format: 'uuid',
    },
  )
