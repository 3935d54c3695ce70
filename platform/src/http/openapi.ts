import type { Hono } from 'hono'
import { type ConversionConfig, toJsonSchema, toJsonSchemaDefs } from '@valibot/to-json-schema'
import type { GenericSchema } from 'valibot'
import {
  type ExampleBook,
  type JsonSchema,
  type OperationExamples,
  type ProblemExample,
  type RouteDoc,
  type SpecPart,
  specOf,
  wireOf,
} from './openapi-meta.ts'
import { statusTitle } from './problem.ts'
import { INTERNAL_ERROR_DETAIL, STATEMENT_TIMEOUT_DETAIL } from './middleware/errors.ts'
import { HEALTH_EXAMPLES, HEALTH_SCHEMAS } from './middleware/health.ts'
import { TOKEN_EXPIRED_DETAIL } from './auth.ts'

type Json = Record<string, unknown>
type Mode = 'input' | 'output'

const REF = '#/components/schemas/'

const fieldErrorSchema: Json = {
  type: 'object',
  description: 'one failed rule: the field (dotted path, e.g. `items.0.quantity`) and what it expects',
  required: ['path', 'message'],
  properties: { path: { type: 'string' }, message: { type: 'string' } },
}

const problemSchema = (extensions: Json): Json => ({
  type: 'object',
  description:
    'RFC 9457 problem details, with our stable machine-readable ' +
    '`code` and, where they apply, the extension fields below',
  required: ['type', 'title', 'status', 'detail', 'code', 'instance', 'request_id'],
  properties: {
    type: {
      type: 'string',
      description: 'always about:blank: the status and `code` say what happened',
      examples: ['about:blank'],
    },
    title: { type: 'string', description: "the status's reason phrase" },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'what went wrong, for a person' },
    code: {
      type: 'string',
      description: 'stable machine-readable error code, e.g. VALIDATION_FAILED',
      examples: ['VALIDATION_FAILED'],
    },
    instance: {
      type: 'string',
      format: 'uri-reference',
      description: "the request's path: where the problem occurred",
    },
    request_id: {
      type: 'string',
      description: "the request's X-Request-Id (the one it sent, or a new one): quote it when reporting a problem",
    },
    errors: { type: 'array', description: 'each failed rule (422)', items: { $ref: `${REF}FieldError` } },
    checks: {
      type: 'object',
      description: 'NOT_READY: each dependency, up or down',
      additionalProperties: { type: 'string', enum: ['up', 'down'] },
    },
    ...extensions,
  },
})

/** The value schemas of the response headers the services send. */
const HEADER_SCHEMAS: Record<string, Json> = {
  'X-Total-Count': { type: 'integer', minimum: 0 },
  'Retry-After': { type: 'integer', minimum: 1, description: 'seconds' },
  Location: { type: 'string', format: 'uri-reference' },
  'Idempotent-Replayed': { type: 'string', enum: ['true'] },
  // RFC 6750 §3: `Bearer` alone when no token was sent, else the error and its description.
  'WWW-Authenticate': {
    type: 'string',
    pattern: '^Bearer( error="(invalid_token|insufficient_scope)", error_description="[^"\\\\]*")?$',
  },
  ETag: { type: 'string', pattern: '^(W/)?"[\\x21\\x23-\\x7e]*"$' },
}

const headerObjects = (headers: Readonly<Record<string, string>>): Json =>
  Object.fromEntries(
    Object.entries(headers).map(([name, description]) => [
      name,
      { description, schema: HEADER_SCHEMAS[name] ?? { type: 'string' } },
    ]),
  )

/** The example of a parameter many operations share, when the operation's examples give none. */
const SHARED_PARAMETER_EXAMPLES: Record<string, unknown> = {
  limit: 20,
  offset: 0,
  'If-None-Match': 'W/"5f0c1e2a-c12"',
  'Idempotency-Key': '7d9f6a52-3c1b-4e8e-9a41-2f5b8c0d1e77',
}

/** The example request id of every problem example. */
const EXAMPLE_REQUEST_ID = '0b7e1c52-8f3d-4a6e-b1c9-5d2f7a8e4c10'

/** The problem of each status as most operations answer it; an operation's examples say where its own differ. */
const STATUS_PROBLEMS: Record<number, ProblemExample> = {
  400: { code: 'MALFORMED_JSON', detail: 'the request body is not valid JSON' },
  401: { code: 'TOKEN_EXPIRED', detail: TOKEN_EXPIRED_DETAIL },
  403: { code: 'FORBIDDEN', detail: 'this needs the ADMIN role' },
  413: { code: 'BODY_TOO_LARGE', detail: 'the request body exceeds 1048576 bytes' },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Content-Type must be application/json' },
  500: { code: 'INTERNAL_ERROR', detail: INTERNAL_ERROR_DETAIL },
  503: { code: 'NOT_READY', detail: 'not ready: database down', checks: { database: 'down', broker: 'up' } },
}

/** The 503 of an operation that declares none of its own: its statement ran past STATEMENT_TIMEOUT_MS. */
const STATEMENT_TIMEOUT_PROBLEM: ProblemExample = { code: 'STATEMENT_TIMEOUT', detail: STATEMENT_TIMEOUT_DETAIL }

/** A 422's example from the operation's first parameter or body field, when the operation gives none. */
function validationProblem(op: Json): ProblemExample {
  const params = (op.parameters as Json[] | undefined) ?? []
  const param = params.find((p) => p.in === 'path') ?? params.find((p) => p.in === 'query')
  if (param && !op.requestBody) {
    const what = param.in === 'path' ? 'path' : 'query string'
    const message =
      param.in === 'path' ? `${param.name} must be a positive integer` : `${param.name} is not a valid value`
    return { code: 'VALIDATION_FAILED', detail: `the ${what} is invalid`, errors: [{ path: param.name, message }] }
  }
  return {
    code: 'VALIDATION_FAILED',
    detail: 'the request body is invalid',
    errors: [{ path: '', message: 'the request body must be a JSON object' }],
  }
}

export interface OpenApiTag {
  readonly name: string
  readonly description: string
}

export interface OpenApiInfo {
  readonly title: string
  readonly version: string
  readonly description: string
  /** Where the OAuth2 password flow posts (the auth service's login). */
  readonly tokenUrl: string
  /** The tags the operations use, each described. */
  readonly tags?: readonly OpenApiTag[]
  /**
   * Named component schemas: every request body and resource, by the name a generated client
   * gives its type. Wherever one of these schemas is used, the document refers to it by name.
   */
  readonly schemas?: Readonly<Record<string, GenericSchema>>
  /** The service's extension fields of a problem (besides `code` and `errors`), by name. */
  readonly problemFields?: Readonly<Record<string, GenericSchema>>
  readonly servers?: readonly { readonly url: string; readonly description: string }[]
  /** Examples of each operation by operationId, from the seed's data. */
  readonly examples?: ExampleBook
}

/** Every `$ref` to a component schema inside a JSON value. */
function refsIn(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, into)
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(REF)) into.add(v.slice(REF.length))
      else refsIn(v, into)
    }
  }
  return into
}

/**
 * valibot → JSON Schema 2020-12, with the named schemas as references. A component is converted
 * in the mode it is used in (a request body as input, a resource as output); one name used both
 * ways must convert the same way.
 */
function schemaConverter(named: Readonly<Record<string, GenericSchema>>) {
  const config = (mode: Mode): ConversionConfig => ({
    target: 'draft-2020-12',
    typeMode: mode,
    errorMode: 'ignore',
    definitions: { ...named },
    overrideRef: ({ referenceId }) => `${REF}${referenceId}`,
  })
  const used: { name: string; mode: Mode }[] = []
  const note = (json: Json, mode: Mode) => {
    for (const name of refsIn(json, new Set())) if (name in named) used.push({ name, mode })
  }
  const convert = (schema: GenericSchema, mode: Mode): Json => {
    const { $schema: _s, $defs: _d, ...rest } = toJsonSchema(schema, config(mode)) as Json
    note(rest, mode)
    return rest
  }
  const components = (): Json => {
    const defs: Partial<Record<Mode, Json>> = {}
    const defsOf = (mode: Mode) => {
      const { definitions: _all, ...rest } = config(mode)
      defs[mode] ??= toJsonSchemaDefs({ ...named }, rest) as Json
      return defs[mode]
    }
    const out: Record<string, Json> = {}
    const seen = new Set<string>()
    for (let i = 0; i < used.length; i++) {
      const { name, mode } = used[i]!
      if (seen.has(`${mode} ${name}`)) continue
      seen.add(`${mode} ${name}`)
      const json = defsOf(mode)[name] as Json
      if (out[name] && JSON.stringify(out[name]) !== JSON.stringify(json)) {
        throw new Error(
          `the schema named ${name} reads differently as a request and as a response: give each its own name`,
        )
      }
      out[name] = json
      note(json, mode)
    }
    return Object.fromEntries(
      Object.keys(out)
        .sort()
        .map((k) => [k, out[k]]),
    )
  }
  return { convert, components }
}

type Converter = ReturnType<typeof schemaConverter>
type Structural = {
  type: string
  entries?: Record<string, Structural>
  wrapped?: Structural
  default?: unknown
  pipe?: Structural[]
}

/** A value given as the default of a string-parsed parameter, as the wire schema types it. */
const wireDefault = (wire: JsonSchema, value: unknown): unknown =>
  typeof value !== 'string'
    ? value
    : wire.type === 'integer'
      ? Number(value)
      : wire.type === 'boolean'
        ? value === 'true' || value === '1'
        : value

/** The parameters of a query or path schema (an object, possibly in a pipe), one per entry. */
function parametersOf(part: Extract<SpecPart, { kind: 'input' }>, conv: Converter): Json[] {
  let object = part.schema as unknown as Structural
  if (object.pipe) object = object.pipe[0]!
  const out: Json[] = []
  for (const [name, entry] of Object.entries(object.entries ?? {})) {
    const optional = entry.type === 'optional' || entry.type === 'exact_optional' || entry.type === 'nullish'
    const inner = optional ? entry.wrapped! : entry
    const wired = wireOf(inner as unknown as GenericSchema)
    const schema: Json = wired ? { ...wired } : conv.convert(inner as unknown as GenericSchema, 'input')
    if (optional && entry.default !== undefined)
      schema.default = wired ? wireDefault(wired, entry.default) : entry.default
    const param: Json = {
      name,
      in: part.target === 'param' ? 'path' : 'query',
      required: part.target === 'param' || !optional,
    }
    if (typeof schema.description === 'string') {
      param.description = schema.description
      delete schema.description
    }
    param.schema = schema
    out.push(param)
  }
  return out
}

/** The app's document as text, without a request (for tests that check responses against it). */
export const OPENAPI_DOCUMENT = Symbol.for('shop.openapi.document')

export const openApiTextOf = (app: object): string | undefined => {
  const get = (app as { [OPENAPI_DOCUMENT]?: () => string })[OPENAPI_DOCUMENT]
  return typeof get === 'function' ? get() : undefined
}

/** Builds the OpenAPI 3.1 document from the metadata that the routes' middlewares carry. */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its env, routes and base path
export function buildOpenApi(app: Hono<any, any, any>, info: OpenApiInfo): Json {
  const operations = new Map<string, { method: string; path: string; parts: SpecPart[] }>()
  for (const r of app.routes) {
    if (r.method === 'ALL') continue
    const path = r.path.length > 1 ? r.path.replace(/\/$/, '') : r.path
    const key = `${r.method} ${path}`
    const op = operations.get(key) ?? { method: r.method.toLowerCase(), path, parts: [] }
    const part = specOf(r.handler)
    if (part) op.parts.push(part)
    operations.set(key, op)
  }
  const conv = schemaConverter({ ...HEALTH_SCHEMAS, ...info.schemas })
  const examples: ExampleBook = { ...HEALTH_EXAMPLES, ...info.examples }
  const paths: Record<string, Record<string, Json>> = {}
  const ids = new Set<string>()
  for (const { method, path, parts } of operations.values()) {
    const doc = parts.find((p): p is Extract<SpecPart, { kind: 'doc' }> => p.kind === 'doc')?.doc
    if (!doc) continue // undocumented internals (health, docs)
    if (ids.has(doc.operationId)) throw new Error(`operationId ${doc.operationId} is used twice`)
    ids.add(doc.operationId)
    const oaPath = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')
    paths[oaPath] ??= {}
    paths[oaPath][method] = operation(doc, parts, conv, oaPath, examples[doc.operationId] ?? {})
  }
  const problemFields = Object.fromEntries(
    Object.entries(info.problemFields ?? {}).map(([k, s]) => [k, conv.convert(s, 'output')]),
  )
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description:
        `${info.description}\n\nErrors are RFC 9457 problems (\`application/problem+json\`, schema Problem). ` +
        `A method a path does not have is answered 405 with an \`Allow\` header; an unknown path 404.`,
      contact: { name: 'the shop team' },
      // package.json says "license": "UNLICENSED" (npm's word for: no licence is granted; all rights reserved).
      license: {
        name: 'UNLICENSED (proprietary: no licence granted, all rights reserved)',
        identifier: 'LicenseRef-UNLICENSED',
      },
    },
    servers: info.servers ?? [{ url: '/', description: 'the server that serves this document' }],
    tags: [
      ...(info.tags ?? []),
      { name: 'health', description: 'Whether the service runs (liveness) and can serve (readiness)' },
    ],
    paths,
    components: {
      schemas: { ...conv.components(), FieldError: fieldErrorSchema, Problem: problemSchema(problemFields) },
      securitySchemes: {
        OAuth2Password: {
          type: 'oauth2',
          description: 'log in with a username and password at the auth service',
          flows: { password: { tokenUrl: info.tokenUrl, scopes: {} } },
        },
        BearerJWT: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'an access token from the auth service',
        },
      },
    },
  }
}

type ErrorDoc = { description: string; headers?: Readonly<Record<string, string>> }

function operation(
  doc: RouteDoc,
  parts: readonly SpecPart[],
  conv: Converter,
  path: string,
  examples: OperationExamples,
): Json {
  const op: Json = {
    operationId: doc.operationId,
    summary: doc.summary,
    description: doc.description,
    tags: [...(doc.tags ?? [])],
  }
  const parameters: Json[] = []
  const responses: Record<string, Json> = {}
  let hasBody = false
  let hasInput = false
  let security: { role?: string } | undefined
  for (const part of parts) {
    if (part.kind === 'security') security = part
    if (part.kind !== 'input') continue
    hasInput = true
    if (part.target === 'json') {
      hasBody = true
      const schema = conv.convert(part.schema, 'input')
      const content: Json = { 'application/json': { schema } }
      if (part.form) content['application/x-www-form-urlencoded'] = { schema }
      op.requestBody = { required: true, content }
    } else parameters.push(...parametersOf(part, conv))
  }
  for (const [name, h] of Object.entries(doc.headers ?? {})) {
    parameters.push({
      name,
      in: 'header',
      required: false,
      description: h.description,
      schema: h.schema ? conv.convert(h.schema, 'input') : { type: 'string' },
    })
  }
  for (const p of parameters) {
    const example = examples.parameters?.[p.name as string] ?? SHARED_PARAMETER_EXAMPLES[p.name as string]
    if (example !== undefined) p.example = example
  }
  if (parameters.length) op.parameters = parameters
  if (op.requestBody && examples.request !== undefined) {
    for (const media of Object.values((op.requestBody as Json).content as Record<string, Json>))
      media.example = examples.request
  }
  for (const [status, r] of Object.entries(doc.responses)) {
    const res: Json = { description: r.description }
    if (r.headers) res.headers = headerObjects(r.headers)
    if (r.schema) {
      const media: Json = { schema: conv.convert(r.schema, 'output') }
      const example = examples.responses?.[Number(status)]
      if (example !== undefined) media.example = example
      res.content = { 'application/json': media }
    }
    responses[status] = res
  }
  // The path of the examples, for the problems' instance.
  const instance = path.replace(/\{([^}]+)\}/g, (_, name: string) => String(examples.parameters?.[name] ?? name))
  const errors: Record<number, ErrorDoc> = {}
  if (hasBody) {
    errors[400] = { description: 'malformed JSON body' }
    errors[413] = { description: 'body larger than the limit (default 1 MiB)' }
    errors[415] = { description: 'Content-Type is neither JSON nor (where accepted) a form' }
  }
  if (hasInput) errors[422] = { description: 'validation failed; `errors` lists each field' }
  if (security) {
    errors[401] = {
      description:
        'no token (`UNAUTHENTICATED`), or a malformed or forged one (`TOKEN_INVALID`), an expired one ' +
        '(`TOKEN_EXPIRED`), a revoked one (`TOKEN_REVOKED`); `WWW-Authenticate` says which (RFC 6750)',
    }
    if (security.role)
      errors[403] = {
        description: `the token's user lacks the ${security.role} role`,
        headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope" and what is missing' },
      }
  }
  for (const [status, e] of Object.entries(doc.errors ?? {}))
    errors[Number(status)] = typeof e === 'string' ? { description: e } : e
  errors[500] = {
    description: 'unexpected failure (generic detail; the full error is in the log under the request id)',
  }
  // The API's operations run statements; health, metrics and docs have their own answers.
  const own503 = errors[503] !== undefined
  if (!own503 && path.startsWith('/api/'))
    errors[503] = {
      description:
        'a database statement ran past STATEMENT_TIMEOUT_MS (default 5 s) and was cancelled (`STATEMENT_TIMEOUT`); ' +
        'nothing was changed; try again later',
      headers: { 'Retry-After': 'seconds to wait before trying again (1)' },
    }
  for (const [status, e] of Object.entries(errors)) {
    const headers: Record<string, string> = { ...(e.headers ?? {}) }
    if (status === '401')
      headers['WWW-Authenticate'] ??= 'Bearer, with error="invalid_token" and a description when a token was refused'
    if (status === '429') headers['Retry-After'] ??= 'seconds until a new attempt may succeed'
    const res: Json = { description: `${statusTitle(Number(status))}: ${e.description}` }
    if (Object.keys(headers).length) res.headers = headerObjects(headers)
    const s = Number(status)
    const problem =
      examples.problems?.[s] ??
      (s === 503 && !own503 ? STATEMENT_TIMEOUT_PROBLEM : STATUS_PROBLEMS[s]) ??
      (s === 422 ? validationProblem(op) : undefined)
    const media: Json = { schema: { $ref: `${REF}Problem` } }
    if (problem) {
      const { code, detail, ...extensions } = problem
      media.example = {
        type: 'about:blank',
        title: statusTitle(s),
        status: s,
        detail,
        code,
        instance,
        request_id: EXAMPLE_REQUEST_ID,
        ...extensions,
      }
    }
    res.content = { 'application/problem+json': media }
    responses[status] = res
  }
  op.responses = responses
  op.security = security ? [{ OAuth2Password: [] }, { BearerJWT: [] }] : []
  return op
}

/**
 * The Authorize dialog shows only what the password flow needs: the shop has no OAuth2 clients, so
 * client_id, client_secret and where to send them (and the scopes blurb: there are none) are hidden.
 */
const DOCS_CSS =
  [
    '.auth-container .wrapper:has(> label[for="password_type"])',
    '.auth-container .wrapper:has(> label[for="client_id_password"])',
    '.auth-container .wrapper:has(> label[for="client_secret_password"])',
    '.auth-container .scope-def',
  ].join(',\n') + ' { display: none }'

/**
 * Swagger UI's password flow sends the (empty) client credentials as `Authorization: Basic` by
 * default; in the request body, empty ones are left out, so the login gets the username and
 * password only.
 */
const DOCS_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json', dom_id: '#ui', persistAuthorization: true,
  plugins: [{ statePlugins: { auth: { wrapActions: {
    authorizePassword: (authorize) => (auth) => authorize(Object.assign({}, auth, { passwordType: 'request-body' })),
  } } } }],
})`

/** The interactive docs page (Swagger UI, served from the swagger-ui-dist package, no CDN). */
export function docsHtml(title: string): string {
  const safe = title.replace(/[<>&"]/g, '')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${safe} docs</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<style>
${DOCS_CSS}
</style></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
${DOCS_SCRIPT}
</script>
</body></html>`
}

/** The reference page (ReDoc's standalone bundle, served from the `redoc` package, no CDN). */
export function redocHtml(title: string): string {
  const safe = title.replace(/[<>&"]/g, '')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${safe} reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<style>body { margin: 0 }</style></head>
<body><div id="redoc"></div>
<script src="/redoc/assets/redoc.standalone.js"></script>
<script>
Redoc.init('/openapi.json', { hideDownloadButton: false, expandResponses: '200,201' }, document.getElementById('redoc'))
</script>
</body></html>`
}
