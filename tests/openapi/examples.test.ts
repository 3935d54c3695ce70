/**
 * Every example of the three OpenAPI documents is there and is right: each request body (every media type), each
 * parameter (path, query, header), each response body and each error status has one, written from the seed's data,
 * and each is valid against the schema it illustrates (ajv, JSON Schema 2020-12 with formats). An error's example is
 * a problem of that very status (a 401 shows a 401). The run prints the count.
 */
import { expect, test } from 'bun:test'
import { schemaValidator } from '@shop/platform/testing/openapi-check'
import { openApiDocuments } from '../../scripts/openapi.ts'

type Json = Record<string, any>

test('every request body, parameter, response and error status has an example valid against its schema', async () => {
  const docs = await openApiDocuments()
  const missing: string[] = []
  const invalid: string[] = []
  let validated = 0
  for (const [service, doc] of Object.entries(docs) as [string, Json][]) {
    const validator = schemaValidator(doc)
    const check = (where: string, schema: Json, example: unknown) => {
      if (example === undefined) return void missing.push(where)
      const validate = validator(schema)
      if (validate(example)) validated++
      else invalid.push(`${where}: ${JSON.stringify(validate.errors?.slice(0, 3))}`)
    }
    for (const [path, ops] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(ops)) {
        const at = `${service} ${method.toUpperCase()} ${path}`
        for (const p of op.parameters ?? []) check(`${at} parameter ${p.name}`, p.schema, p.example)
        for (const [type, media] of Object.entries<Json>(op.requestBody?.content ?? {}))
          check(`${at} request ${type}`, media.schema, media.example)
        for (const [status, res] of Object.entries<Json>(op.responses)) {
          for (const [type, media] of Object.entries<Json>(res.content ?? {})) {
            check(`${at} ${status} ${type}`, media.schema, media.example)
            if (type === 'application/problem+json' && media.example?.status !== Number(status))
              invalid.push(`${at} ${status}: the example is a ${media.example?.status}`)
          }
        }
      }
    }
  }
  console.log(`openapi examples: ${validated} validated against their schemas, ${invalid.length} invalid`)
  expect(missing).toEqual([])
  expect(invalid).toEqual([])
  expect(validated).toBeGreaterThan(200)
})
