/**
 * Lines of at most 120 characters in every tracked code and config file (`make lint`): TypeScript, SQL,
 * shell, Makefile, Dockerfile, YAML, JSON, TOML, .env.example and .ci/run. Generated and data files are
 * left out (client/src/generated, bench/baseline, the Grafana dashboards, broker/definitions.json,
 * bun.lock), and so is Markdown. Lists each longer line as file:line (its length) and exits 1.
 *
 *   bun scripts/check-lines.ts
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const MAX = 120

const ROOT = join(import.meta.dir, '..')

const CHECKED = [
  /\.(ts|sql|sh|ya?ml|jsonc?|toml)$/,
  /(^|\/)Makefile$/,
  /(^|\/)Dockerfile$/,
  /(^|\/)\.env\.example$/,
  /^\.ci\/run$/,
]
const EXEMPT = [
  /^client\/src\/generated\//,
  /^bench\/baseline\//,
  /^observability\/grafana\/dashboards\//,
  /^broker\/definitions\.json$/,
  /^bun\.lock$/,
]

export const isChecked = (path: string): boolean =>
  CHECKED.some((re) => re.test(path)) && !EXEMPT.some((re) => re.test(path))

/** The lines of `text` longer than MAX characters (code points), as `file:line (length)`. */
export function longLines(file: string, text: string): string[] {
  const out: string[] = []
  text.split('\n').forEach((line, i) => {
    const length = [...line.replace(/\r$/, '')].length
    if (length > MAX) out.push(`${file}:${i + 1} (${length})`)
  })
  return out
}

function trackedFiles(): string[] {
  const git = Bun.spawnSync(['git', 'ls-files', '-z'], { cwd: ROOT })
  if (git.exitCode !== 0) throw new Error(`git ls-files failed: ${git.stderr.toString()}`)
  return git.stdout.toString().split('\0').filter(Boolean)
}

if (import.meta.main) {
  const found = trackedFiles()
    .filter(isChecked)
    .flatMap((f) => longLines(f, readFileSync(join(ROOT, f), 'utf8')))
  if (found.length) {
    console.error(`${found.length} line(s) longer than ${MAX} characters:\n${found.join('\n')}`)
    process.exit(1)
  }
}
