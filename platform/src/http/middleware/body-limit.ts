import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AppEnv } from '../env.ts'
import { problemResponse } from '../problem.ts'

/** A body larger than `maxBytes` is refused with 413 in problem+json before any route reads it. */
export function limitBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => problemResponse(c, 413, 'BODY_TOO_LARGE', `the request body exceeds ${maxBytes} bytes`),
  })
}
