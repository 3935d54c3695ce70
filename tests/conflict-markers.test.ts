import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'

// Several branches land on main in parallel: a merge that commits its conflict markers would
// still typecheck when they sit in a README or a YAML file. Every tracked text file is checked.
const root = join(import.meta.dir, '..')

function trackedFiles(): string[] {
  const r = Bun.spawnSync(['git', 'ls-files', '-z'], { cwd: root })
  if (r.exitCode !== 0) throw new Error(`git ls-files failed: ${r.stderr.toString()}`)
  return r.stdout
    .toString()
    .split('\0')
    .filter((f) => f && !f.endsWith('.lock') && !/\.(png|ico|jpg|woff2?)$/.test(f))
}

const MARKER = /^(<<<<<<< |=======$|>>>>>>> )/m

describe('merge hygiene', () => {
  test('no tracked file holds git conflict markers', async () => {
    const files = trackedFiles()
    expect(files.length).toBeGreaterThan(50)
    const bad: string[] = []
    for (const f of files) {
      const file = Bun.file(join(root, f))
      if (!(await file.exists())) continue
      const text = await file.text()
      if (/^<<<<<<< /m.test(text) && />>>>>>> /m.test(text) && MARKER.test(text)) bad.push(f)
    }
    expect(bad).toEqual([])
  })
})
