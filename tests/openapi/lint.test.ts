/**
 * The three OpenAPI documents, as the apps serve them, pass `redocly lint` (recommended rules,
 * redocly.yaml) and `spectral lint` (spectral:oas, .spectral.yaml) with no error and no warning,
 * and are what a client generator needs: named schemas for every body, an operationId and a
 * description on every operation, typed path and query parameters.
 */
import { runToEnd } from '@shop/platform/testing/fixtures'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SERVICES, type Service, openApiDocuments, writeOpenApiDocuments } from '../../scripts/openapi.ts'

const ROOT = join(import.meta.dir, '..', '..')
const LINTED: readonly Service[] = SERVICES

let dir: string
let files: Record<Service, string>
let docs: Record<Service, any>

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shop-openapi-'))
  files = await writeOpenApiDocuments(dir)
  docs = await openApiDocuments()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' }

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, out: stdout, err: stderr } = await runToEnd([process.execPath, '--bun', ...args], { cwd: ROOT, env })
  return { code, stdout, stderr }
}

type Finding = { service: string; rule: string; where: string; message: string; severity: string }

async function redocly(service: Service): Promise<Finding[]> {
  const r = await run([
    join(ROOT, 'node_modules/.bin/redocly'),
    'lint',
    '--config',
    join(ROOT, 'redocly.yaml'),
    '--format=json',
    files[service],
  ])
  let out: {
    totals: { errors: number; warnings: number }
    problems: { ruleId: string; severity: string; message: string; location?: { pointer?: string }[] }[]
  }
  try {
    out = JSON.parse(r.stdout)
  } catch {
    throw new Error(`redocly lint printed no report (exit ${r.code}): ${r.stderr.slice(0, 2000)}`)
  }
  return out.problems.map((p) => ({
    service,
    rule: p.ruleId,
    where: p.location?.[0]?.pointer ?? '',
    message: p.message,
    severity: p.severity,
  }))
}

async function spectral(): Promise<Finding[]> {
  const r = await run([
    join(ROOT, 'node_modules/.bin/spectral'),
    'lint',
    '--ruleset',
    join(ROOT, '.spectral.yaml'),
    '-f',
    'json',
    '--quiet',
    ...LINTED.map((s) => files[s]),
  ])
  let out: { code: string; path: string[]; message: string; severity: number; source: string }[]
  try {
    out = JSON.parse(r.stdout.trim() || '[]')
  } catch {
    throw new Error(
      `spectral lint printed no report (exit ${r.code}): ${r.stdout.slice(0, 1000)} ${r.stderr.slice(0, 1000)}`,
    )
  }
  const severity = ['error', 'warn', 'info', 'hint']
  return out.map((p) => ({
    service: LINTED.find((s) => p.source?.endsWith(`${s}.json`)) ?? p.source,
    rule: p.code,
    where: p.path.join('.'),
    message: p.message,
    severity: severity[p.severity] ?? String(p.severity),
  }))
}

const show = (fs: Finding[]) =>
  fs.map((f) => `${f.service} ${f.severity} ${f.rule} at ${f.where}: ${f.message}`).join('\n')

/**
 * The one finding accepted, where it does not apply: the health operations (GET /health, /health/live,
 * /health/ready) answer 200 or 503 and no 4xx, since nothing a client sends to them can be wrong.
 */
const accepted = (f: Finding) => f.rule === 'operation-4xx-response' && f.where.startsWith('#/paths/~1health')

describe('the OpenAPI documents', () => {
  test('redocly lint (recommended): 0 errors, 0 warnings', async () => {
    const findings = (await Promise.all(LINTED.map(redocly))).flat().filter((f) => !accepted(f))
    expect(show(findings)).toBe('')
  })

  test('spectral lint (spectral:oas): 0 errors, 0 warnings', async () => {
    const findings = (await spectral()).filter((f) => f.severity === 'error' || f.severity === 'warn')
    expect(show(findings)).toBe('')
  })

  for (const service of LINTED) {
    test(`${service}: every body and resource is a named schema; ids, counts and parameters are typed`, () => {
      const doc = docs[service]
      const issues: string[] = []
      const named = (s: any): boolean =>
        typeof s?.$ref === 'string' ||
        (s?.type === 'array' && named(s.items)) ||
        (Array.isArray(s?.anyOf) && s.anyOf.every(named))
      for (const [path, ops] of Object.entries<any>(doc.paths)) {
        for (const [method, op] of Object.entries<any>(ops)) {
          const where = `${method.toUpperCase()} ${path}`
          if (!/^[a-z][A-Za-z0-9]+$/.test(op.operationId ?? '')) issues.push(`${where}: operationId ${op.operationId}`)
          if (!op.description) issues.push(`${where}: no description`)
          if (!Array.isArray(op.security)) issues.push(`${where}: security not declared (public operations say [])`)
          for (const [type, media] of Object.entries<any>(op.requestBody?.content ?? {}))
            if (!named(media.schema)) issues.push(`${where}: ${type} body is not a named schema`)
          for (const [status, res] of Object.entries<any>(op.responses)) {
            for (const media of Object.values<any>(res.content ?? {}))
              if (!named(media.schema)) issues.push(`${where} ${status}: body is not a named schema`)
          }
          for (const p of op.parameters ?? []) {
            if (p.in === 'path' && !(p.schema.type === 'integer' || p.schema.format === 'uuid'))
              issues.push(`${where}: path parameter ${p.name} is ${JSON.stringify(p.schema)}`)
            if (
              p.in !== 'header' &&
              p.schema.type === 'string' &&
              /^\^-?\\d/.test(p.schema.pattern ?? '') &&
              !/price/.test(p.name)
            )
              issues.push(`${where}: ${p.in} parameter ${p.name} is a digit pattern, not an integer`)
          }
          if ('401' in op.responses && !op.responses['401'].headers?.['WWW-Authenticate'])
            issues.push(`${where}: 401 without WWW-Authenticate`)
          if ('429' in op.responses && !op.responses['429'].headers?.['Retry-After'])
            issues.push(`${where}: 429 without Retry-After`)
        }
      }
      // Ids, counts and levels are integers in the resources, never `number`.
      const numbers: string[] = []
      const walk = (s: any, at: string) => {
        if (!s || typeof s !== 'object') return
        if (s.type === 'number' && !/price/.test(at)) numbers.push(at)
        for (const [k, v] of Object.entries(s)) walk(v, `${at}.${k}`)
      }
      walk(doc.components.schemas, 'components.schemas')
      expect([...issues, ...numbers.map((n) => `${n} is a number, not an integer`)]).toEqual([])
      expect(doc.components.schemas.Problem.properties.code).toBeDefined()
      expect(doc.servers.length).toBeGreaterThan(0)
      expect(doc.tags.every((t: any) => t.description)).toBe(true)
      // The licence the documents declare is the repository's (package.json: UNLICENSED, i.e. none granted).
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
      expect(doc.info.license?.identifier).toBe(`LicenseRef-${pkg.license}`)
    })
  }
})
