import type { Logger } from '../log.ts'
import type { Principal } from './auth.ts'

/** What every request of a service carries: its id and logger (request-id), its caller (auth), the socket. */
export type AppEnv = {
  Variables: { requestId: string; log: Logger; principal: Principal }
  Bindings: { requestIP?: (req: Request) => { address: string } | null }
}
