/**
 * Measuring tools shared by the benchmarks: wrk with a JSON summary, peak memory of processes,
 * machine load, percentiles.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const WRK = {
  threads: Number(process.env.BENCH_WRK_THREADS ?? 2),
  connections: Number(process.env.BENCH_WRK_CONNECTIONS ?? 32),
  seconds: Number(process.env.BENCH_WRK_SECONDS ?? 15),
  warmup: Number(process.env.BENCH_WRK_WARMUP ?? 3),
}

export interface WrkResult {
  /** e.g. "2 threads, 32 connections, 15 s" */
  readonly settings: string
  readonly requests: number
  readonly seconds: number
  readonly requests_per_second: number
  readonly p50_ms: number
  readonly p90_ms: number
  readonly p99_ms: number
  readonly max_ms: number
  /** Responses with a status outside 2xx/3xx. */
  readonly non_2xx: number
  /** Socket errors: connect, read, write, timeout. */
  readonly socket_errors: number
}

// Printed by every script's done(): the summary as one JSON line, latencies in microseconds.
const DONE =
  `
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nWRKJSON {"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,` +
  `"write":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`

/**
 * Runs wrk against `url` with an optional Lua script (request generation); a done() that prints
 * the summary as JSON is appended. Returns throughput, latency percentiles and errors.
 */
export async function wrk(
  url: string,
  o: { script?: string; connections?: number; threads?: number; seconds?: number; timeoutS?: number } = {},
): Promise<WrkResult> {
  const connections = o.connections ?? WRK.connections
  const threads = Math.min(o.threads ?? WRK.threads, connections)
  const seconds = o.seconds ?? WRK.seconds
  const dir = join(tmpdir(), 'shop-bench')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `wrk-${process.pid}-${Math.random().toString(36).slice(2)}.lua`)
  writeFileSync(file, `${o.script ?? ''}\n${DONE}`)
  const run = Bun.spawn(
    ['wrk', `-t${threads}`, `-c${connections}`, `-d${seconds}s`, `--timeout`, `${o.timeoutS ?? 10}s`, '-s', file, url],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  const out = await new Response(run.stdout).text()
  const err = await new Response(run.stderr).text()
  if ((await run.exited) !== 0) throw new Error(`wrk failed: ${err}\n${out}`)
  const line = /WRKJSON (\{.*\})/.exec(out)?.[1]
  if (!line) throw new Error(`no summary in wrk output:\n${out}\n${err}`)
  if (err.trim()) process.stderr.write(`wrk: ${err.trim().slice(0, 500)}\n`)
  const j = JSON.parse(line) as Record<string, number>
  const ms = (us: number) => Math.round(us / 10) / 100
  const secs = j.duration_us! / 1e6
  return {
    settings: `${threads} threads, ${connections} connections, ${seconds} s`,
    requests: j.requests!,
    seconds: Math.round(secs * 100) / 100,
    requests_per_second: Math.round((j.requests! / secs) * 10) / 10,
    p50_ms: ms(j.p50!),
    p90_ms: ms(j.p90!),
    p99_ms: ms(j.p99!),
    max_ms: ms(j.max!),
    non_2xx: j.status!,
    socket_errors: j.connect! + j.read! + j.write! + j.timeout!,
  }
}

/** A Lua string literal. */
export const lua = (s: string) => JSON.stringify(s)

export interface MachineLoad {
  /** /proc/loadavg's 1-minute figure just before the scenario. */
  readonly loadavg_1m: number
  /** Share of both cores busy during one idle second just before the scenario (others' work). */
  readonly cpu_busy_pct: number
}

function cpuTimes(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const idle = f[3]! + (f[4] ?? 0)
  const total = f.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}

/** The machine's load before a scenario: load average, and CPU use over one quiet second. */
export async function machineLoad(): Promise<MachineLoad> {
  const a = cpuTimes()
  await Bun.sleep(1000)
  const b = cpuTimes()
  const loadavg = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])
  return {
    loadavg_1m: loadavg,
    cpu_busy_pct: Math.round(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 1000) / 10,
  }
}

export const cores = () =>
  readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('processor')).length

function status(pid: number): Record<string, number> {
  try {
    const out: Record<string, number> = {}
    for (const l of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const m = /^(VmRSS|VmHWM):\s+(\d+) kB/.exec(l)
      if (m) out[m[1]!] = Number(m[2])
    }
    return out
  } catch {
    return {}
  }
}

/**
 * Peak resident memory of processes over a scenario: their high-water mark is reset at start
 * (`/proc/<pid>/clear_refs` 5) and read at the end (VmHWM), and VmRSS is also polled every
 * 100 ms as a fallback where the reset is not allowed. Figures in MiB.
 */
export class MemorySampler {
  private readonly peak = new Map<string, number>()
  private timer: ReturnType<typeof setInterval> | undefined
  constructor(private readonly procs: Record<string, number>) {}

  start(): this {
    for (const [name, pid] of Object.entries(this.procs)) {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5')
      } catch {
        // not allowed: the polled VmRSS still gives a (slightly lower) peak
      }
      this.peak.set(name, status(pid).VmRSS ?? 0)
    }
    this.timer = setInterval(() => this.poll(), 100)
    return this
  }

  private poll() {
    for (const [name, pid] of Object.entries(this.procs)) {
      const s = status(pid)
      this.peak.set(name, Math.max(this.peak.get(name) ?? 0, s.VmRSS ?? 0, s.VmHWM ?? 0))
    }
  }

  /** Peak RSS per process, MiB. */
  stop(): Record<string, number> {
    clearInterval(this.timer)
    this.poll()
    return Object.fromEntries([...this.peak].map(([k, kb]) => [k, Math.round((kb / 1024) * 10) / 10]))
  }
}

export function percentiles(samples: number[]): {
  n: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
} {
  const s = [...samples].sort((a, b) => a - b)
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN
  const r = (x: number) => Math.round(x * 100) / 100
  return {
    n: s.length,
    p50: r(at(50)),
    p90: r(at(90)),
    p99: r(at(99)),
    max: r(s.at(-1) ?? NaN),
    mean: r(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  }
}

export const RESULTS = join(import.meta.dir, '..', 'results')
export function writeResult(name: string, data: unknown): string {
  mkdirSync(RESULTS, { recursive: true })
  const file = join(RESULTS, `${name}.json`)
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n')
  return file
}

/** CPU time (user + system, in 1/100 s clock ticks) a process has used so far; 0 once it is gone. */
export function cpuTicks(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return Number(f[11]) + Number(f[12])
  } catch {
    return 0
  }
}

/**
 * Waits until the processes are idle (below 5% of a core over 300 ms), at most `maxMs`: after a
 * wrk run a server may still be working off requests wrk gave up on (a login's queued bcrypt
 * verifications, say), which would otherwise be charged to the next measurement. With
 * `machineBelowPct`, also until the whole machine is that idle: a server's own process is idle
 * while the database still works off the queries queued in its pool (a slow ceiling's recursive
 * CTEs went on for seconds into the next endpoint's run).
 */
export async function settle(
  pids: readonly number[],
  maxMs = 30_000,
  o: { machineBelowPct?: number } = {},
): Promise<number> {
  const t0 = performance.now()
  while (performance.now() - t0 < maxMs) {
    const a = pids.reduce((n, p) => n + cpuTicks(p), 0)
    const ma = cpuTimes()
    await Bun.sleep(300)
    const b = pids.reduce((n, p) => n + cpuTicks(p), 0)
    const mb = cpuTimes()
    // clock ticks are 1/100 s: 300 ms at 5% of a core is 1.5 ticks
    const machineIdle =
      o.machineBelowPct === undefined ||
      ((mb.busy - ma.busy) / Math.max(1, mb.total - ma.total)) * 100 < o.machineBelowPct
    if (b - a <= 1 && machineIdle) break
  }
  return Math.round(performance.now() - t0)
}

/**
 * One wrk measurement of a shop: 2 s of warm-up, the machine let settle, then `seconds` of load,
 * with the CPU time the given service processes spent per request (it depends much less on the
 * machine's other load than req/s does).
 */
export async function measureWithCpu(pids: readonly number[], url: string, script: string, seconds: number) {
  await wrk(url, { script, seconds: 2 })
  await settle(pids)
  const load = await machineLoad()
  const t0 = pids.reduce((n, p) => n + cpuTicks(p), 0)
  const r = await wrk(url, { script, seconds })
  const cpu = pids.reduce((n, p) => n + cpuTicks(p), 0) - t0
  await settle(pids)
  return {
    ...r,
    service_cpu_ms_per_request: Math.round(((cpu * 10) / Math.max(1, r.requests)) * 1000) / 1000,
    machine_load_before: load,
  }
}

/** The median, to 2 decimals. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length / 2
  return Math.round((s.length % 2 ? s[Math.floor(m)]! : (s[m - 1]! + s[m]!) / 2) * 100) / 100
}
