/**
 * Every response a test receives through `call()` is checked against the OpenAPI document of the
 * app that answered (the document its `/openapi.json` serves, read without a request): the operation must declare the
 * status, the body
 * must match the schema declared for that status and media type (JSON Schema 2020-12, with
 * formats, by ajv), and the typed headers it declares (X-Total-Count, Retry-After, ...) must parse.
 * A mismatch throws, so the test that received it fails. Paths the document does not describe
 * (health, docs, a test's own routes, unknown paths) are not checked.
 */
import type { Hono } from 'hono'
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { openApiTextOf } from '../src/http/openapi.ts'

type Json = Record<string, any>

interface Operation {
  readonly re: RegExp
  readonly method: string
  readonly where: string
  readonly responses: Json
}

interface Checker {
  readonly operations: readonly Operation[]
  readonly validator: (schema: Json) => ValidateFunction
}

/** How many responses were checked, and what did not match (each also failed its test). */
export const responseChecks = { validated: 0, mismatches: [] as string[] }

const DOC_ID = 'urn:shop:openapi'

/** A validator of values against schemas of `doc` (JSON Schema 2020-12 with formats; `$ref`s to its components). */
export function schemaValidator(doc: Json): (schema: Json) => ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
  addFormats(ajv)
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite)
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          k,
          k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', `${DOC_ID}#/$defs/`) : rewrite(v),
        ]),
      )
    }
    return value
  }
  ajv.addSchema({ $id: DOC_ID, $defs: rewrite(doc.components?.schemas ?? {}) as Json })
  const compiled = new Map<string, ValidateFunction>()
  return (schema: Json) => {
    const key = JSON.stringify(schema)
    let fn = compiled.get(key)
    if (!fn) {
      fn = ajv.compile(rewrite(schema) as Json)
      compiled.set(key, fn)
    }
    return fn
  }
}

function checkerFor(doc: Json): Checker {
  const validator = schemaValidator(doc)
  const operations: Operation[] = []
  for (const [path, ops] of Object.entries<Json>(doc.paths ?? {})) {
    const source = path
      .split('/')
      .map((seg) => (/^\{.+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')
    for (const [method, op] of Object.entries<Json>(ops)) {
      operations.push({
        re: new RegExp(`^${source}/?$`),
        method: method.toUpperCase(),
        where: `${method.toUpperCase()} ${path}`,
        responses: op.responses ?? {},
      })
    }
  }
  return { operations, validator }
}

const byDocument = new Map<string, Checker>()

function checkerOf(app: Hono<any, any, any>): Checker | undefined {
  const text = openApiTextOf(app)
  if (text === undefined) return undefined
  let checker = byDocument.get(text)
  if (!checker) {
    checker = checkerFor(JSON.parse(text))
    byDocument.set(text, checker)
  }
  return checker
}

/** Checks one response; returns the mismatches (empty when it matches or is not described). */
export function checkResponse(
  app: Hono<any, any, any>,
  method: string,
  url: string,
  status: number,
  headers: Headers,
  text: string,
): string[] {
  const checker = checkerOf(app)
  if (!checker) return []
  const path = new URL(url, 'http://x').pathname
  const op = checker.operations.find((o) => o.method === method.toUpperCase() && o.re.test(path))
  if (!op) return []
  responseChecks.validated++
  const where = `${op.where} → ${status}`
  const declared = op.responses[String(status)] ?? op.responses.default
  if (!declared) return [`${where}: the operation does not declare this status (body: ${text.slice(0, 200)})`]
  const issues: string[] = []
  const type = (headers.get('Content-Type') ?? '').split(';')[0]!.trim()
  const content: Json = declared.content ?? {}
  if (text === '') {
    if (Object.keys(content).length && method.toUpperCase() !== 'HEAD')
      issues.push(`${where}: empty body, but a body is declared`)
  } else {
    const media = content[type]
    if (!media)
      issues.push(
        `${where}: a ${type || 'untyped'} body, but the operation ` +
          `declares ${Object.keys(content).join(', ') || 'none'}`,
      )
    else if (media.schema) {
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        issues.push(`${where}: the body is not JSON`)
      }
      const validate = checker.validator(media.schema)
      if (body !== undefined && !validate(body)) {
        issues.push(
          `${where}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')} ` +
            `(body: ${text.slice(0, 300)})`,
        )
      }
    }
  }
  for (const [name, h] of Object.entries<Json>(declared.headers ?? {})) {
    const value = headers.get(name)
    if (value === null || !h.schema) continue
    const parsed = h.schema.type === 'integer' ? (/^-?\d+$/.test(value) ? Number(value) : value) : value
    const validate = checker.validator(h.schema)
    if (!validate(parsed))
      issues.push(
        `${where}: header ${name}: ${JSON.stringify(value)} ` +
          `${(validate.errors ?? []).map((e) => e.message).join('; ')}`,
      )
  }
  responseChecks.mismatches.push(...issues)
  return issues
}
