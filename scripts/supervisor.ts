/**
 * `make start`'s supervisor (scripts/start.ts builds the children): each child a process restarted
 * when it dies on its own (backoff, logged, counted) while the others keep serving; a graceful stop
 * of all on SIGINT/SIGTERM; the rolling restart `make rollout` asks for through the control socket.
 */
import { createConnection } from 'node:net'
import { entriesOf } from './haproxy.ts'

export interface ChildSpec {
  /** e.g. `auth1`; the HAProxy server name when behind HAProxy. */
  readonly id: string
  /** The service it runs (`auth`, ...), or `haproxy`. */
  readonly service: string
  readonly cmd: readonly string[]
  readonly env: Record<string, string | undefined>
  /** Where its /health/ready answers (services); none for HAProxy. */
  readonly readyUrl?: string
}

interface Child {
  readonly spec: ChildSpec
  proc: ReturnType<typeof Bun.spawn>
  startedAt: number
  restarts: number
  /** Being replaced by a rollout: its exit is no crash. */
  replacing: boolean
  pendingRestart?: ReturnType<typeof setTimeout>
}

export interface SupervisorOptions {
  /** A line for the operator (stderr). */
  readonly say: (line: string) => void
  /** First restart delay, doubled at each death in a row, up to maxBackoffMs. */
  readonly backoffMs?: number
  readonly maxBackoffMs?: number
  /** A child that ran this long before dying starts again from backoffMs. */
  readonly stableMs?: number
  /** How long a stopping child may take before SIGKILL. */
  readonly stopTimeoutMs: number
  /** HAProxy's admin socket when the services are behind it: a rollout drains each instance there first. */
  readonly haproxySocket?: string | undefined
}

export interface RolloutStep {
  readonly id: string
  readonly ms: number
}

export interface RolloutReport {
  readonly ms: number
  readonly steps: readonly RolloutStep[]
}

export class Supervisor {
  private readonly children: Child[] = []
  private stopping = false
  private rolling: Promise<RolloutReport> | undefined

  constructor(private readonly o: SupervisorOptions) {}

  start(spec: ChildSpec): void {
    const child: Child = { spec, proc: this.spawn(spec), startedAt: Date.now(), restarts: 0, replacing: false }
    this.children.push(child)
    this.watch(child)
  }

  private spawn(spec: ChildSpec): ReturnType<typeof Bun.spawn> {
    return Bun.spawn([...spec.cmd], { env: spec.env, stdout: 'inherit', stderr: 'inherit' })
  }

  private watch(child: Child): void {
    const proc = child.proc
    void proc.exited.then((code) => {
      if (this.stopping || child.replacing || child.proc !== proc) return
      const ranMs = Date.now() - child.startedAt
      const base = this.o.backoffMs ?? 500
      const streak = ranMs >= (this.o.stableMs ?? 30_000) ? 0 : child.restarts
      const delay = Math.min(this.o.maxBackoffMs ?? 10_000, base * 2 ** Math.min(streak, 10))
      child.restarts++
      this.o.say(
        `start: ${child.spec.id} exited (${proc.signalCode ?? `code ${code}`}) after ${ranMs} ms; ` +
          `restarting it in ${delay} ms (restart ${child.restarts}); the others keep serving`,
      )
      child.pendingRestart = setTimeout(() => {
        child.pendingRestart = undefined
        if (this.stopping || child.replacing) return
        child.proc = this.spawn(child.spec)
        child.startedAt = Date.now()
        this.watch(child)
      }, delay)
    })
  }

  /** Each child: its pid, since when it runs, how often it was restarted after dying. */
  status(): { id: string; service: string; pid: number; running: boolean; up_ms: number; restarts: number }[] {
    return this.children.map((c) => ({
      id: c.spec.id,
      service: c.spec.service,
      pid: c.proc.pid,
      running: c.proc.exitCode === null && c.proc.signalCode === null,
      up_ms: Date.now() - c.startedAt,
      restarts: c.restarts,
    }))
  }

  /** Stops one process: SIGTERM, then SIGKILL if it is still there after stopTimeoutMs. */
  private async stopProcess(proc: ReturnType<typeof Bun.spawn>): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return
    proc.kill('SIGTERM')
    const killer = setTimeout(() => proc.kill('SIGKILL'), this.o.stopTimeoutMs)
    await proc.exited
    clearTimeout(killer)
  }

  /**
   * Graceful stop of everything: the services first, all at once (each drains: readiness false,
   * in-flight requests finish, consumers settle, the outbox relay's last drain), then the rest
   * (HAProxy). Resolves with whether every service exited cleanly.
   */
  async stopAll(): Promise<boolean> {
    this.stopping = true
    for (const c of this.children) clearTimeout(c.pendingRestart)
    await this.rolling?.catch(() => {})
    const services = this.children.filter((c) => c.spec.readyUrl)
    const others = this.children.filter((c) => !c.spec.readyUrl)
    await Promise.all(services.map((c) => this.stopProcess(c.proc)))
    await Promise.all(others.map((c) => this.stopProcess(c.proc)))
    return services.every((c) => c.proc.exitCode === 0)
  }

  /**
   * Restarts every service instance, one at a time (`make rollout`). Behind HAProxy, for each: its
   * server entries go into maintenance (no new request), its requests in flight there finish, then
   * SIGTERM (readiness false, consumers settle what they hold, the outbox relay's last drain; the
   * other instances' consumers and relays carry on), then the same command starts again on the
   * same port; once it answers ready, HAProxy takes it back, and only once HAProxy sees it up does
   * the next instance go. Without HAProxy the service is away while it restarts.
   */
  rollout(): Promise<RolloutReport> {
    if (this.rolling) return this.rolling
    if (this.stopping) return Promise.reject(new Error('stopping'))
    this.rolling = this.runRollout().finally(() => {
      this.rolling = undefined
    })
    return this.rolling
  }

  get rollingOut(): boolean {
    return this.rolling !== undefined
  }

  private async runRollout(): Promise<RolloutReport> {
    const t0 = Date.now()
    const steps: RolloutStep[] = []
    for (const child of this.children.filter((c) => c.spec.readyUrl)) {
      if (this.stopping) break
      const s0 = Date.now()
      await this.replace(child)
      steps.push({ id: child.spec.id, ms: Date.now() - s0 })
      this.o.say(`rollout: ${child.spec.id} replaced in ${Date.now() - s0} ms`)
    }
    return { ms: Date.now() - t0, steps }
  }

  private async replace(child: Child): Promise<void> {
    const socket = this.o.haproxySocket
    const entries = entriesOf(child.spec.service, child.spec.id)
    child.replacing = true
    clearTimeout(child.pendingRestart)
    try {
      if (socket) {
        for (const e of entries) await haproxyCommand(socket, `set server ${e.backend}/${e.server} state maint`)
        // Requests HAProxy already sent there finish before the process is asked to stop.
        await until(
          async () => (await serverStats(socket, entries)).every((s) => s.scur === 0),
          this.o.stopTimeoutMs,
          `${child.spec.id}: requests in flight to finish`,
        )
      }
      await this.stopProcess(child.proc)
      child.proc = this.spawn(child.spec)
      child.startedAt = Date.now()
      this.watch(child)
      await until(
        () =>
          fetch(child.spec.readyUrl!, { signal: AbortSignal.timeout(2000) }).then(
            (r) => r.ok,
            () => false,
          ),
        60_000,
        `${child.spec.id}: the new process to be ready`,
      )
    } finally {
      child.replacing = false
      if (socket) {
        for (const e of entries) await haproxyCommand(socket, `set server ${e.backend}/${e.server} state ready`)
      }
    }
    if (socket) {
      const checked = entries.filter((e) => !e.server.endsWith('_fallback'))
      await until(
        async () => (await serverStats(socket, checked)).every((s) => s.status.startsWith('UP')),
        30_000,
        `${child.spec.id}: HAProxy to see it up`,
      )
    }
  }
}

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`rollout: waited ${ms} ms for ${what}`)
    await Bun.sleep(100)
  }
}

/** One command on HAProxy's admin socket (its runtime API); resolves with the answer. */
export function haproxyCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = createConnection({ path: socket })
    let out = ''
    conn.setTimeout(5000, () => conn.destroy(new Error(`haproxy: no answer to "${command}"`)))
    conn.on('connect', () => conn.write(`${command}\n`))
    conn.on('data', (d) => {
      out += d.toString()
    })
    conn.on('error', reject)
    conn.on('close', () => resolve(out))
  })
}

export interface ServerStat {
  readonly backend: string
  readonly server: string
  /** Current sessions (requests in flight, one connection per request). */
  readonly scur: number
  /** UP, DOWN, MAINT, ... */
  readonly status: string
}

/** `show stat` for the given server entries. */
export async function serverStats(
  socket: string,
  entries: readonly { backend: string; server: string }[],
): Promise<ServerStat[]> {
  const csv = await haproxyCommand(socket, 'show stat')
  const [header, ...rows] = csv.trim().split('\n')
  const cols = (header ?? '').replace(/^# /, '').split(',')
  const at = (name: string) => cols.indexOf(name)
  const all = rows
    .map((r) => r.split(','))
    .map((f) => ({
      backend: f[at('pxname')] ?? '',
      server: f[at('svname')] ?? '',
      scur: Number(f[at('scur')] ?? 0),
      status: f[at('status')] ?? '',
    }))
  return entries.map(
    (e) =>
      all.find((s) => s.backend === e.backend && s.server === e.server) ?? {
        ...e,
        scur: 0,
        status: 'MISSING',
      },
  )
}
