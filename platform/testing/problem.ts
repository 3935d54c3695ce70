import { expect } from 'bun:test'
import type { Sql } from '../src/postgres/connect.ts'

type Answer = { readonly status: number; readonly headers: Headers; readonly body: any }

/**
 * What is wrong with `r` as the problem+json answer `status` (and `code`, when given): our
 * problems are `about:blank` with a title and a detail; a 422 lists its field `errors`, a 401
 * asks for a Bearer token.
 */
export function problemShapeIssues(r: Answer, status: number, code?: string): string[] {
  const issues: string[] = []
  if (r.status !== status) issues.push(`status ${r.status} != ${status}: ${JSON.stringify(r.body)}`)
  if (!(r.headers.get('Content-Type') ?? '').includes('application/problem+json')) issues.push('not problem+json')
  if (r.body?.status !== status) issues.push('body.status')
  if (r.body?.type !== 'about:blank') issues.push('body.type')
  if (typeof r.body?.title !== 'string' || typeof r.body?.detail !== 'string') issues.push('title/detail')
  if (code && r.body?.code !== code) issues.push(`code ${r.body?.code} != ${code}`)
  if (status === 422 && !Array.isArray(r.body?.errors)) issues.push('422 without errors')
  if (status === 401 && r.headers.get('WWW-Authenticate') !== 'Bearer')
    issues.push('401 without WWW-Authenticate: Bearer')
  return issues
}

export const expectProblem = (r: Answer, status: number, code?: string): void =>
  expect(problemShapeIssues(r, status, code)).toEqual([])

/** The database itself refuses a NUL in text: what the services' control-character checks prevent. */
export async function expectNulRefusedBy(sql: Sql): Promise<void> {
  let failed = false
  try {
    await sql`select ${'a\u0000b'}::text as t`
  } catch {
    failed = true
  }
  expect(failed).toBe(true)
}
