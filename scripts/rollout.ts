/**
 * `make rollout`: asks the running `make start` (its control socket, DATA_DIR/start.sock) to restart
 * every service instance one at a time (scripts/supervisor.ts says how), waits for it to finish,
 * and prints how long each took. Exit 1 when no `make start` answers or the rollout failed.
 */
import { controlSocket } from './start.ts'

export interface RolloutResult {
  readonly started: string
  readonly ms?: number
  readonly steps?: readonly { id: string; ms: number }[]
  readonly error?: string
}

/** Starts a rollout through `socket` and resolves with its result once the supervisor says it is over. */
export async function rollout(socket: string): Promise<RolloutResult> {
  const r = await fetch('http://start/rollout', { method: 'POST', unix: socket })
  const body = (await r.json()) as { started?: string; error?: string }
  if (r.status !== 202) throw new Error(body.error ?? `the supervisor answered ${r.status}`)
  for (;;) {
    await Bun.sleep(250)
    const s = (await (await fetch('http://start/status', { unix: socket })).json()) as {
      rolling_out: boolean
      last_rollout: RolloutResult | null
    }
    if (!s.rolling_out && s.last_rollout && s.last_rollout.started === body.started) return s.last_rollout
  }
}

if (import.meta.main) {
  const socket = controlSocket(process.env)
  let result: RolloutResult
  try {
    result = await rollout(socket)
  } catch (e) {
    console.error(`rollout: ${(e as Error).message} (is make start running? its control socket: ${socket})`)
    process.exit(1)
  }
  if (result.error) {
    console.error(`rollout: failed: ${result.error}`)
    process.exit(1)
  }
  for (const s of result.steps ?? []) console.log(`  ${s.id.padEnd(10)} ${s.ms} ms`)
  console.log(`rollout: ${result.steps?.length ?? 0} instances restarted one at a time in ${result.ms} ms`)
}
