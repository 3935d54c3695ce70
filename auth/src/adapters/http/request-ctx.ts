import type { Ctx } from '@shop/shared-kernel/app'

/** The request id becomes the correlation id of the events a request causes. */
export const requestCtx = (c: { get(key: 'requestId'): string }): Ctx => ({ correlationId: c.get('requestId') })
