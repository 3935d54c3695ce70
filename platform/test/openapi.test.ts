import { describe, expect, test } from 'bun:test'
import * as v from 'valibot'
import { createHttpApp } from '../src/http/app.ts'
import { authenticate } from '../src/http/auth.ts'
import { buildOpenApi } from '../src/http/openapi.ts'
import { describeRoute } from '../src/http/openapi-meta.ts'
import { pageEntries } from '../src/http/pagination.ts'
import { body, idString, params, query } from '../src/http/validate.ts'
import { silentLogger } from '../src/log.ts'

const Thing = v.object({ id: v.pipe(v.number(), v.integer(), v.minValue(1)), name: v.string() })
const NewThing = v.object({ name: v.pipe(v.string(), v.maxLength(10)) })
const info = {
  title: 't',
  version: '1',
  description: 'd',
  tokenUrl: '/login',
  tags: [{ name: 'things', description: 'things' }],
  schemas: { Thing, NewThing },
}

function appWith(
  o: {
    operationIds?: [string, string]
    schemas?: { Thing: v.GenericSchema; NewThing: v.GenericSchema; [name: string]: v.GenericSchema }
  } = {},
) {
  const out = o.schemas?.Thing ?? Thing
  const input = o.schemas?.NewThing ?? NewThing
  const app = createHttpApp({
    service: 't',
    log: silentLogger,
    bodyLimit: 1000,
    docs: { ...info, ...(o.schemas ? { schemas: o.schemas } : {}) },
  })
  const [first, second] = o.operationIds ?? ['listThings', 'createThing']
  app.get(
    '/things/:id',
    describeRoute({
      operationId: first,
      summary: 's',
      description: 'd',
      tags: ['things'],
      responses: { 200: { description: 'a thing', schema: out } },
    }),
    params(v.object({ id: idString() })),
    query(v.object(pageEntries)),
    (c) => c.json({ id: 1, name: 'x' }),
  )
  app.post(
    '/things',
    describeRoute({
      operationId: second,
      summary: 's',
      description: 'd',
      tags: ['things'],
      responses: { 201: { description: 'made', schema: out, headers: { Location: 'where' } } },
      errors: { 429: 'slow down' },
    }),
    authenticate({ secret: 'x'.repeat(32) }),
    body(input),
    (c) => c.json({ id: 1, name: 'x' }, 201),
  )
  return app
}

describe('the OpenAPI document', () => {
  const doc: any = buildOpenApi(appWith(), info)
  const get = doc.paths['/things/{id}'].get
  const post = doc.paths['/things'].post

  test('path and query values are declared as a client sends them, with their bounds and defaults', () => {
    expect(get.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: 999_999_999_999_999 } },
      {
        name: 'limit',
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
        example: 20,
      },
      {
        name: 'offset',
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 },
        example: 0,
      },
    ])
  })

  test('named schemas are referred to by name, in the mode they are used in', () => {
    expect(get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Thing' })
    expect(post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/NewThing' })
    expect(doc.components.schemas.Thing.properties.id).toEqual({ type: 'integer', minimum: 1 })
    expect(doc.components.schemas.NewThing.properties.name).toEqual({ type: 'string', maxLength: 10 })
    expect(Object.keys(doc.components.schemas).sort()).toEqual([
      'FieldError',
      'Health',
      'NewThing',
      'Problem',
      'Readiness',
      'Thing',
    ])
  })

  test(
    'public operations say security: []; a secured one has 401 with ' +
      'WWW-Authenticate; 429 has Retry-After; every error is a Problem',
    () => {
      expect(get.security).toEqual([])
      expect(post.security).toEqual([{ OAuth2Password: [] }, { BearerJWT: [] }])
      const challenge = new RegExp(post.responses['401'].headers['WWW-Authenticate'].schema.pattern)
      expect(
        ['Bearer', 'Bearer error="invalid_token", error_description="the token has expired"'].map((h) =>
          challenge.test(h),
        ),
      ).toEqual([true, true])
      expect(challenge.test('Basic')).toBe(false)
      expect(post.responses['429'].headers['Retry-After'].schema.type).toBe('integer')
      expect(post.responses['201'].headers.Location.schema).toEqual({ type: 'string', format: 'uri-reference' })
      for (const status of ['400', '401', '413', '415', '422', '429', '500']) {
        expect(post.responses[status].content['application/problem+json'].schema).toEqual({
          $ref: '#/components/schemas/Problem',
        })
      }
      expect(doc.tags).toEqual([...info.tags, expect.objectContaining({ name: 'health' })])
      expect(doc.servers.length).toBe(1)
    },
  )

  test('an operationId used twice is refused', () => {
    expect(() => buildOpenApi(appWith({ operationIds: ['same', 'same'] }), info)).toThrow(
      'operationId same is used twice',
    )
  })

  test('one name that reads differently as a request and as a response is refused', () => {
    const Money = v.pipe(v.string(), v.transform(Number), v.number())
    const schemas = { Thing: v.object({ id: v.number(), price: Money }), NewThing: v.object({ price: Money }), Money }
    expect(() => buildOpenApi(appWith({ schemas }), { ...info, schemas })).toThrow(
      'the schema named Money reads differently',
    )
  })
})
