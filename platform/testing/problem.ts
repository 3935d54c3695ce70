import { expect } from 'bun:test'
import type { Sql } from '../src/postgres/connect.ts'

type Answer = { readonly status: number; readonly headers: Headers; readonly body: any }

/** The codes of a refused token, each with `WWW-Authenticate: Bearer error="invalid_token", ...` (RFC 6750 §3). */
export const TOKEN_CODES = ['TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED'] as const

/**
 * What is wrong with `r` as the problem+json answer `status` (and `code`, when given): our
 * problems are `about:blank` with a title, a detail, the request's path as `instance` and its
 * `request_id` (the `X-Request-Id` answered); a 422 lists its field `errors`; a 401 asks for a
 * Bearer token: without an error when none was sent (`UNAUTHENTICATED`), with
 * `error="invalid_token"` when one was refused; a 403 for a role says `insufficient_scope`.
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
  if (typeof r.body?.instance !== 'string' || !r.body.instance.startsWith('/')) issues.push('body.instance')
  if (typeof r.body?.request_id !== 'string' || r.body.request_id !== r.headers.get('X-Request-Id'))
    issues.push('body.request_id is not the X-Request-Id')
  const challenge = r.headers.get('WWW-Authenticate') ?? ''
  if (status === 401) {
    const refused = (TOKEN_CODES as readonly string[]).includes(r.body?.code)
    if (!challenge.startsWith('Bearer')) issues.push('401 without WWW-Authenticate: Bearer')
    else if (refused && !challenge.startsWith('Bearer error="invalid_token", error_description="'))
      issues.push(`${r.body?.code} without error="invalid_token": ${challenge}`)
    else if (r.body?.code === 'UNAUTHENTICATED' && challenge !== 'Bearer')
      issues.push(`no token sent, yet an error in the challenge: ${challenge}`)
  }
  if (status === 403 && r.body?.code === 'FORBIDDEN' && !challenge.startsWith('Bearer error="insufficient_scope"'))
    issues.push(`403 FORBIDDEN without error="insufficient_scope": ${challenge}`)
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
