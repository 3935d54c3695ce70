// Test-wide defaults. bcrypt at cost 4 keeps password hashing out of the test time.
process.env.BCRYPT_COST ??= '4'

// After the whole run: how many responses were checked against their OpenAPI documents.
import { afterAll } from 'bun:test'
import { responseChecks } from './openapi-check.ts'

afterAll(() => {
  if (responseChecks.validated) {
    console.log(
      `openapi: ${responseChecks.validated} responses checked against ` +
        `their documents, ${responseChecks.mismatches.length} mismatches`,
    )
  }
})
