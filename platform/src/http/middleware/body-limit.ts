import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'
import { problemResponse } from '../problem.ts'

/**
 * How much of a refused body is read and discarded before the 413 is sent, as a multiple of the limit: a client
 * still sending when the server answers and closes gets a broken connection (Node's fetch: `fetch failed`, EPIPE)
 * instead of the answer. Past this the server stops reading and answers with `Connection: close`. The HTTP server's
 * own cap (Bun's `maxRequestBodySize`, see `service.ts`) sits just above it.
 */
export const DRAIN_FACTOR = 8

/** Reads and drops the rest of `body`, at most `max` bytes in all (`seen` already read); true if it all came. */
async function drain(body: ReadableStream<Uint8Array>, seen: number, max: number): Promise<boolean> {
  const reader = body.getReader()
  let total = seen
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return true
      total += value.length
      if (total > max) return false
    }
  } catch {
    return false
  } finally {
    reader.releaseLock()
  }
}

/**
 * A body larger than `maxBytes` is refused with 413 in problem+json before any route reads it: by its
 * `Content-Length`, or, sent in chunks, once more than that has arrived. The rest of the body is read and discarded
 * (up to `DRAIN_FACTOR` × the limit) before answering, so the client that sent too much reads the 413.
 */
export function limitBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  const drainMax = maxBytes * DRAIN_FACTOR
  const tooLarge = async (c: Context<AppEnv>, body: ReadableStream<Uint8Array>, seen: number) => {
    const drained = await drain(body, seen, drainMax)
    return problemResponse(
      c,
      413,
      'BODY_TOO_LARGE',
      `the request body exceeds ${maxBytes} bytes`,
      {},
      drained ? {} : { Connection: 'close' },
    )
  }
  return async (c, next) => {
    const body = c.req.raw.body
    if (!body) return next()
    const length = c.req.raw.headers.get('content-length')
    if (length !== null && !c.req.raw.headers.has('transfer-encoding')) {
      const declared = Number.parseInt(length, 10)
      if (declared > maxBytes) return tooLarge(c, body, 0)
      return next()
    }
    // No length given: read it here, counting, and hand the route what came.
    const reader = body.getReader()
    const chunks: Uint8Array[] = []
    let size = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.length
      if (size > maxBytes) {
        reader.releaseLock()
        return tooLarge(c, body, size)
      }
      chunks.push(value)
    }
    c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks, size) })
    return next()
  }
}
