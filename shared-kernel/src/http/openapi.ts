import type { Hono } from 'hono'
import { toJsonSchema } from '@valibot/to-json-schema'
import type { GenericSchema } from 'valibot'
import { type RouteDoc, type SpecPart, specOf } from './openapi-meta.ts'
import { statusTitle } from './problem.ts'

type Json = Record<string, unknown>

const schemaOf = (schema: GenericSchema, mode: 'input' | 'output'): Json => {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, { target: 'draft-2020-12', typeMode: mode, errorMode: 'ignore' }) as Json
  return rest
}

const problemSchema: Json = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', examples: ['about:blank'] },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'stable machine-readable error code, e.g. ORDER_NOT_FOUND' },
    errors: {
      type: 'array',
      description: 'validation failures (422 only)',
      items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
}

const problemResponse = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
})

export interface OpenApiInfo {
  readonly title: string
  readonly version: string
  readonly description: string
  /** Where the OAuth2 password flow posts (the auth service's login). */
  readonly tokenUrl: string
}

/** Builds the OpenAPI 3.1 document from the metadata that the routes' middlewares carry. */
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
  const paths: Record<string, Record<string, Json>> = {}
  for (const { method, path, parts } of operations.values()) {
    const doc = parts.find((p): p is Extract<SpecPart, { kind: 'doc' }> => p.kind === 'doc')?.doc
    if (!doc) continue // undocumented internals (health, docs)
    const oaPath = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')
    ;(paths[oaPath] ??= {})[method] = operation(doc, parts)
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        OAuth2Password: { type: 'oauth2', flows: { password: { tokenUrl: info.tokenUrl, scopes: {} } } },
        BearerJWT: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  }
}

function operation(doc: RouteDoc, parts: readonly SpecPart[]): Json {
  const op: Json = { summary: doc.summary, tags: doc.tags ?? [] }
  if (doc.description) op.description = doc.description
  const parameters: Json[] = []
  const responses: Record<string, Json> = {}
  let hasBody = false
  let hasInput = false
  let security: { role?: string } | undefined
  for (const part of parts) {
    if (part.kind === 'security') security = part
    if (part.kind !== 'input') continue
    hasInput = true
    const schema = schemaOf(part.schema, 'input')
    if (part.target === 'json') {
      hasBody = true
      const content: Json = { 'application/json': { schema } }
      if (part.form) content['application/x-www-form-urlencoded'] = { schema }
      op.requestBody = { required: true, content }
    } else {
      const props = (schema.properties ?? {}) as Record<string, Json>
      const required = new Set((schema.required ?? []) as string[])
      for (const [name, s] of Object.entries(props)) {
        parameters.push({ name, in: part.target === 'param' ? 'path' : 'query', required: part.target === 'param' || required.has(name), schema: s })
      }
    }
  }
  for (const [name, h] of Object.entries(doc.headers ?? {})) {
    parameters.push({ name, in: 'header', required: false, description: h.description, schema: h.schema ? schemaOf(h.schema, 'input') : { type: 'string' } })
  }
  if (parameters.length) op.parameters = parameters
  for (const [status, r] of Object.entries(doc.responses)) {
    const res: Json = { description: r.description }
    if (r.schema) res.content = { 'application/json': { schema: schemaOf(r.schema, 'output') } }
    if (r.headers) res.headers = Object.fromEntries(Object.entries(r.headers).map(([n, d]) => [n, { description: d, schema: { type: 'string' } }]))
    responses[status] = res
  }
  const errors: Record<number, string> = {}
  if (hasBody) {
    errors[400] = 'malformed JSON body'
    errors[413] = 'body larger than the limit (default 1 MiB)'
    errors[415] = 'Content-Type is neither JSON nor (where accepted) a form'
  }
  if (hasInput) errors[422] = 'validation failed; `errors` lists each field'
  if (security) {
    errors[401] = 'missing, malformed, expired, forged or revoked token'
    if (security.role) errors[403] = `the token's user lacks the ${security.role} role`
  }
  Object.assign(errors, doc.errors ?? {})
  errors[500] = 'unexpected failure (generic detail; the full error is in the log under the request id)'
  for (const [status, description] of Object.entries(errors)) {
    responses[status] = problemResponse(`${statusTitle(Number(status))}: ${description}`)
  }
  op.responses = responses
  if (security) op.security = [{ OAuth2Password: [] }, { BearerJWT: [] }]
  return op
}

/** The interactive docs page (Swagger UI, served from the swagger-ui-dist package, no CDN). */
export function docsHtml(title: string): string {
  const safe = title.replace(/[<>&"]/g, '')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${safe} docs</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', persistAuthorization: true })</script>
</body></html>`
}
