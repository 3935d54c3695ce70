import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { GENERATED_DIR, generatedClientTypes } from '../scripts/generate.ts'
import { SERVICES } from '../../scripts/openapi.ts'

test('the committed client types are those of the current OpenAPI documents (else: make client)', async () => {
  const types = await generatedClientTypes()
  for (const s of SERVICES) {
    const committed = readFileSync(join(GENERATED_DIR, `${s}.ts`), 'utf8')
    if (committed !== types[s])
      throw new Error(
        `client/src/generated/${s}.ts is not what ${s}'s OpenAPI ` +
          `document generates: run \`make client\` and commit the result`,
      )
    expect(committed).toBe(types[s])
  }
})
