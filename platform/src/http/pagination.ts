import type { Context } from 'hono'
import * as v from 'valibot'
import type { Page, Paged } from '@shop/kernel/app'
import { intString } from './validate.ts'

const MAX_LIMIT = 100
const MAX_OFFSET = 1_000_000_000

/** `limit` (1..100, default 50) and `offset` (default 0); spread into a query schema's entries. */
export const pageEntries = {
  limit: v.optional(intString('limit', 1, MAX_LIMIT), '50'),
  offset: v.optional(intString('offset', 0, MAX_OFFSET), '0'),
}

/** Sets `X-Total-Count` and an RFC 8288 `Link` with `next`/`prev` where they exist. */
export function setPageHeaders(c: Context, page: Page, total: number): void {
  c.header('X-Total-Count', String(total))
  const links: string[] = []
  const at = (offset: number) => {
    const url = new URL(c.req.url)
    url.searchParams.set('limit', String(page.limit))
    url.searchParams.set('offset', String(offset))
    return `${url.pathname}${url.search}`
  }
  if (page.offset + page.limit < total) links.push(`<${at(page.offset + page.limit)}>; rel="next"`)
  if (page.offset > 0)
    links.push(`<${at(Math.max(0, Math.min(page.offset - page.limit, total - page.limit)))}>; rel="prev"`)
  if (links.length) c.header('Link', links.join(', '))
}

/** A listing's answer: the page's rows, each mapped by `toJson`, with the headers of `setPageHeaders`. */
export function pagedJson<T, J>(c: Context, page: Page, { items, total }: Paged<T>, toJson: (item: T) => J) {
  setPageHeaders(c, page, total)
  return c.json(items.map(toJson))
}

export const pageHeadersDoc = {
  'X-Total-Count': 'total number of items matching the query',
  Link: 'RFC 8288 links with rel="next" and rel="prev" where they exist',
} as const
