/**
 * @shop/client is a package people install: built as `make client` builds it (ESM JavaScript and .d.ts in
 * client/dist, with the repository's TypeScript), packed with `npm pack`, installed from the tarball into projects
 * outside the repository with npm and with bun, compiled there under strict tsc (tests/client-package/story.ts, no
 * cast), and run, with Node and with Bun, against `make dev` (scripts/dev.ts as a process on free ports).
 */
import { runToEnd } from '@shop/platform/testing/fixtures'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Running, startScript } from './browser/harness.ts'
import { root } from './integration/harness.ts'

const CLIENT = join(root, 'client')
const STORY = join(root, 'tests/client-package/story.ts')
const TSC = join(root, 'node_modules/.bin/tsc')

async function sh(cmd: string[], cwd: string, env: Record<string, string> = {}) {
  const { code, out, err } = await runToEnd(cmd, { cwd, env: { ...process.env, ...env } })
  if (code !== 0)
    throw new Error(`${cmd.join(' ')} (in ${cwd}) exited ${code}:\n${out.slice(-3000)}\n${err.slice(-3000)}`)
  return out
}

/** A project outside the repository: its package.json, a strict tsconfig, the story. */
function project(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `shop-client-${name}-`))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `outside-${name}`, private: true, type: 'module' }))
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        types: [],
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        outDir: 'out',
      },
      files: ['story.ts'],
    }),
  )
  copyFileSync(STORY, join(dir, 'story.ts'))
  return dir
}

const dirs: string[] = []
let tarball: string
let shop: Running
let dataDir: string

beforeAll(async () => {
  // make client's build (the types are checked against the documents by client/test/generated.test.ts)
  rmSync(join(CLIENT, 'dist'), { recursive: true, force: true })
  await sh([TSC, '-p', 'tsconfig.build.json'], CLIENT)
  const packDir = mkdtempSync(join(tmpdir(), 'shop-client-pack-'))
  dirs.push(packDir)
  await sh(['npm', 'pack', '--pack-destination', packDir], CLIENT)
  tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!)
  dataDir = mkdtempSync(join(tmpdir(), 'shop-client-dev-'))
  shop = await startScript(join(root, 'scripts/dev.ts'), { DATA_DIR: dataDir })
}, 180_000)

afterAll(async () => {
  await shop?.stop()
  for (const d of [...dirs, dataDir]) if (d) rmSync(d, { recursive: true, force: true })
})

const expected = {
  wrongLogin: '401 INVALID_CREDENTIALS /api/v1/auth/login id',
  me: true,
  pages: 3,
  names: ['Bulb', 'Clip lamp', 'Desk lamp', 'Floor lamp', 'Shade'],
  inStock: ['Floor lamp', 'Desk lamp', 'Bulb', 'Shade'],
  tree: ['Lamps', '-Desk lamps'],
  placed: 'pending',
  settled: 'confirmed',
  cancelled: 'cancelled',
  history: ['pending', 'confirmed', 'cancelled'],
  again: '409 TRANSITION_NOT_ALLOWED',
  refused: 'TOKEN_INVALID',
}

describe('@shop/client from its tarball, outside the repository', () => {
  test('the tarball holds the built package only: ESM JavaScript, .d.ts, the README, package.json', async () => {
    const list = (await sh(['tar', 'tzf', tarball], root)).trim().split('\n').sort()
    expect(list).toContain('package/dist/index.js')
    expect(list).toContain('package/dist/index.d.ts')
    expect(list).toContain('package/README.md')
    expect(list.filter((f) => !/^package\/(dist\/.*\.(js|d\.ts)|README\.md|package\.json)$/.test(f))).toEqual([])
    const pkg = JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8'))
    expect(pkg.private).toBeUndefined()
    expect(JSON.stringify(pkg)).not.toContain('typescript')
  })

  test('the story has no cast', () => {
    const source = readFileSync(STORY, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '')
    expect(source.match(/[\w)\]}]\s+as\s+[\w{[(]|(?:[=(,:?]|return)\s*<[A-Z]\w*>/g) ?? []).toEqual([])
  })

  const args = () => [shop.urls.auth, shop.urls.catalog, shop.urls.order]

  test('installed with npm: strict tsc compiles the story, Node runs it against make dev', async () => {
    const dir = project('npm')
    dirs.push(dir)
    await sh(['npm', 'install', '--no-audit', '--no-fund', '--prefer-offline', tarball], dir)
    await sh([TSC, '-p', 'tsconfig.json'], dir)
    const out = await sh(['node', join(dir, 'out/story.js'), ...args()], dir)
    expect(JSON.parse(out)).toEqual(expected)
  }, 180_000)

  test('installed with bun: strict tsc compiles the story, Bun runs it against make dev', async () => {
    const dir = project('bun')
    dirs.push(dir)
    await sh(['bun', 'add', tarball], dir)
    await sh([TSC, '-p', 'tsconfig.json', '--noEmit'], dir)
    const out = await sh(['bun', join(dir, 'story.ts'), ...args()], dir)
    expect(JSON.parse(out)).toEqual(expected)
  }, 180_000)
})
