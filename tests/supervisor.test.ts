import { describe, expect, test } from 'bun:test'
import { eventually } from '@shop/platform/testing/until'
import { Supervisor } from '../scripts/supervisor.ts'

/**
 * `make start`'s supervisor (scripts/supervisor.ts) on stand-in children: a child that dies is
 * started again with a growing delay, logged and counted, while the others keep running; a stop
 * stops them all gracefully.
 */
const forever = ['bun', '-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)"]
const child = (id: string, cmd = forever) => ({ id, service: id, cmd, env: { PATH: process.env.PATH ?? '' } })

describe('the supervisor of make start', () => {
  test('a child killed with SIGKILL is started again, logged and counted; the other one is untouched', async () => {
    const lines: string[] = []
    const s = new Supervisor({ say: (l) => lines.push(l), backoffMs: 50, stopTimeoutMs: 5000 })
    s.start(child('one'))
    s.start(child('two'))
    const [one, two] = s.status()
    process.kill(one!.pid, 'SIGKILL')
    await eventually(() => s.status()[0]!.restarts === 1 && s.status()[0]!.running, 'one to run again')
    expect(s.status()[0]!.pid).not.toBe(one!.pid)
    expect(s.status()[1]).toMatchObject({ pid: two!.pid, running: true, restarts: 0 })
    expect(lines.some((l) => /one exited \(SIGKILL\).*restarting it in 50 ms \(restart 1\)/.test(l))).toBe(true)
    expect(await s.stopAll()).toBe(true)
    expect(s.status().every((c) => !c.running)).toBe(true)
  })

  test('a child that keeps dying waits longer each time (backoff), and is never given up', async () => {
    const lines: string[] = []
    const s = new Supervisor({ say: (l) => lines.push(l), backoffMs: 20, maxBackoffMs: 200, stopTimeoutMs: 5000 })
    s.start(child('crashy', ['bun', '-e', 'process.exit(3)']))
    s.start(child('steady'))
    await eventually(() => s.status()[0]!.restarts >= 6, 'six restarts')
    const delays = lines.map((l) => Number(/restarting it in (\d+) ms/.exec(l)?.[1])).slice(0, 6)
    expect(delays).toEqual([20, 40, 80, 160, 200, 200])
    expect(lines[0]).toContain('crashy exited (code 3)')
    expect(s.status()[1]).toMatchObject({ running: true, restarts: 0 })
    await s.stopAll()
  })

  test('stopAll: SIGTERM to every child, and no restart after it', async () => {
    const lines: string[] = []
    const s = new Supervisor({ say: (l) => lines.push(l), backoffMs: 10, stopTimeoutMs: 5000 })
    s.start(child('a'))
    s.start(child('b'))
    expect(await s.stopAll()).toBe(true)
    await Bun.sleep(100)
    expect(s.status().map((c) => [c.running, c.restarts])).toEqual([
      [false, 0],
      [false, 0],
    ])
    expect(lines).toEqual([])
  })
})
