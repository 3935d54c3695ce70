/**
 * The repository stands alone: nothing in it points outside it, and its documents tell a newcomer
 * what the code really does: the README is short (read in five minutes) and shows the banner `make dev` really
 * prints; docs/operations.md names every setting the code reads; docs/architecture.md lists every script.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { plannedBanner } from '../scripts/dev.ts'
import { openApiDocuments } from '../scripts/openapi.ts'

const ROOT = join(import.meta.dir, '..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')
const README = read('README.md')
const OPERATIONS = read('docs/operations.md')
const ARCHITECTURE = read('docs/architecture.md')

/** The repository's files: tracked ones and new ones not ignored (so a file is checked before its first commit). */
function repositoryFiles(): string[] {
  const r = Bun.spawnSync(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT })
  if (r.exitCode !== 0) throw new Error(`git ls-files failed: ${r.stderr.toString()}`)
  return [...new Set(r.stdout.toString().split('\0').filter(Boolean))].filter((f) => existsSync(join(ROOT, f)))
}

/** Every `a/**\/*.ts` under `dir` (tests excluded: they are not the code). */
function sources(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(join(ROOT, d), { withFileTypes: true })) {
      const p = `${d}/${e.name}`
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.ts')) out.push(p)
    }
  }
  walk(dir)
  return out
}

describe('nothing points outside the repository', () => {
  // Written in pieces, so this file does not name them itself.
  const outside = [
    { what: `a path into ${'..'}/shared`, re: /\.\.\/shared(?![-\w])/ },
    { what: `${'API'}.md`, re: new RegExp(`\\b${'API'}\\.md\\b`) },
    { what: `${'ARCHITECTURE'}.md`, re: new RegExp(`\\b${'ARCHITECTURE'}\\.md\\b`) },
  ]

  test('no file links or refers to the design documents kept outside it', () => {
    const files = repositoryFiles()
    expect(files.length).toBeGreaterThan(100)
    const found: string[] = []
    for (const f of files) {
      const bytes = readFileSync(join(ROOT, f))
      if (bytes.includes(0)) continue // binary
      const lines = bytes.toString('utf8').split('\n')
      lines.forEach((line, i) => {
        for (const o of outside) if (o.re.test(line)) found.push(`${f}:${i + 1}: ${o.what}`)
      })
    }
    expect(found).toEqual([])
  })

  test('the check finds what it looks for', () => {
    // Put together from parts, so that this file itself names nothing outside the repository.
    const up = ['..', ['sha', 'red'].join('')].join('/')
    const sample = [`see ${up}/${'des' + 'ign'}/${'API'}.md`, `the ${'ARCHITECTURE'}.md rules`]
    expect(sample.map((s) => outside.filter((o) => o.re.test(s)).map((o) => o.what))).toEqual([
      [outside[0]!.what, outside[1]!.what],
      [outside[2]!.what],
    ])
    expect(outside.some((o) => o.re.test(`import "${up}-kernel/src/app.ts"; docs/api.md`))).toBe(false)
  })
})

describe('the README and docs/', () => {
  /**
   * The settings the code reads: the keys of the config schemas, and every environment read of the scripts and
   * services.
   */
  function settingsRead(): Map<string, string> {
    const names = new Map<string, string>()
    const configs = ['platform/src/config.ts', 'auth/src/config.ts', 'catalog/src/config.ts', 'order/src/config.ts']
    for (const f of configs) for (const m of read(f).matchAll(/^\s+([A-Z][A-Z0-9_]*): /gm)) names.set(m[1]!, f)
    const code = [
      ...readdirSync(join(ROOT, 'scripts'))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `scripts/${f}`),
      ...['kernel', 'platform', 'auth', 'catalog', 'order'].flatMap((s) => sources(`${s}/src`)),
    ]
    for (const f of code) {
      const text = read(f)
      for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.set(m[1]!, f)
      // env[`${service}_SUFFIX`]: one per service
      for (const m of text.matchAll(/\benv\[`\$\{[^}]+\}(_[A-Z0-9_]+)`\]/g))
        for (const s of ['AUTH', 'CATALOG', 'ORDER']) names.set(`${s}${m[1]}`, f)
    }
    return names
  }

  test('the README is read in five minutes: at most 200 lines, and it links every document under docs/', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(200)
    const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))
    expect(docs).toEqual(expect.arrayContaining(['api.md', 'operations.md', 'architecture.md', 'benchmarks.md']))
    expect(docs.filter((f) => !README.includes(`](docs/${f})`))).toEqual([])
  })

  test('docs/operations.md names every environment variable the code reads', () => {
    const names = settingsRead()
    // the ones this test must see, or its reading of the code is broken
    for (const n of [
      'JWT_SECRET',
      'PORT',
      'DATA_DIR',
      'BCRYPT_COST',
      'AUTH_PORT',
      'AUTH_URL',
      'ORDER_URL',
      'CATALOG_DATABASE_URL',
      'ORDER_AMQP_URL',
      'POSTGRES_URL',
    ])
      expect(names.has(n)).toBe(true)
    const missing = [...names]
      .filter(([n]) => !new RegExp(`\\b${n}\\b`).test(OPERATIONS))
      .map(([n, f]) => `${n} (read in ${f})`)
    expect(missing).toEqual([])
  })

  test('shows the banner `make dev` prints, as it prints it', async () => {
    const block = README.match(/`make dev` prints:\n\n```\n([\s\S]*?)\n```/)
    expect(block).not.toBeNull()
    expect(block![1]!.split('\n')).toEqual((await plannedBanner({})).trim().split('\n'))
  })

  test('lists every script, links the API reference, and says what installing and resetting need', () => {
    for (const f of readdirSync(join(ROOT, 'scripts')))
      expect({ script: f, listed: ARCHITECTURE.includes(f) }).toEqual({ script: f, listed: true })
    expect(README).toContain('](docs/api.md)')
    expect(existsSync(join(ROOT, 'docs/api.md'))).toBe(true)
    expect(README).toContain('npm install -g bun')
    expect(read('Makefile')).toContain('npm install -g bun')
    // make reset deletes DATA_DIR, and the README says so
    expect(read('Makefile')).toMatch(/^reset:\n(\t.*\n)*\trm -rf "\$\(DATA_DIR\)"/m)
    expect(README).toMatch(/`make reset`[^.]*`DATA_DIR`/)
  })
})

describe('docs/api.md', () => {
  const API = read('docs/api.md')

  test('names every operation of the three OpenAPI documents', async () => {
    const docs = await openApiDocuments()
    const missing: string[] = []
    let n = 0
    for (const [service, doc] of Object.entries(docs)) {
      for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
        for (const method of Object.keys(ops)) {
          n++
          const op = `${method.toUpperCase()} ${path}`
          if (!API.includes(`\`${op}\``)) missing.push(`${service}: ${op}`)
        }
      }
    }
    expect(n).toBeGreaterThanOrEqual(24)
    expect(missing).toEqual([])
  })

  test('names every problem code the services answer with', () => {
    // A code as the first string argument of the calls that answer with one (line breaks allowed).
    const calls = [
      String.raw`HttpProblem\(\s*\d{3},\s*`,
      String.raw`problemResponse\(\s*c,\s*(?:\d{3}|e\.status),\s*`,
      String.raw`problemBody\(\s*\d{3},\s*`,
      String.raw`fieldProblem\(\s*`,
    ]
    const PROBLEM_CODE = new RegExp(`(?:${calls.join('|')})'([A-Z][A-Z_]+)'`, 'g')
    const codes = new Set<string>()
    for (const f of ['kernel', 'platform', 'auth', 'catalog', 'order'].flatMap((s) => sources(`${s}/src`))) {
      const text = read(f)
      for (const m of text.matchAll(PROBLEM_CODE)) codes.add(m[1]!)
    }
    for (const c of [
      'VALIDATION_FAILED',
      'ORDER_NOT_FOUND',
      'STATUS_CHANGE_FORBIDDEN',
      'TOO_MANY_ATTEMPTS',
      'NOT_READY',
    ])
      expect(codes.has(c)).toBe(true)
    expect([...codes].filter((c) => !API.includes(`\`${c}\``)).sort()).toEqual([])
  })
})
