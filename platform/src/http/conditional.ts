import type { Context } from 'hono'
import { HttpProblem } from './problem.ts'

/**
 * Conditional reads (RFC 9110 §8.8.3, §13.1.2, §15.4.5): an `ETag` on a 200, and a 304 with no
 * body when the request's `If-None-Match` names the current tag. What a tag is made of is the
 * service's business (change counters, a digest of the body); this module parses the header,
 * compares and answers.
 */

/**
 * Public reads: any cache may store them, but must ask again (revalidate) before every use, so
 * a client never shows a stale catalog for longer than one round trip, and the round trip is a
 * cheap 304 when nothing changed.
 */
export const REVALIDATE = 'public, no-cache'

/** A weak entity tag (`W/"..."`): equal tags mean an equivalent representation, not equal bytes. */
export function weakTag(opaque: string): string {
  if (!/^[\x21\x23-\x7e]+$/.test(opaque))
    throw new Error(`not the characters of an entity tag: ${JSON.stringify(opaque)}`)
  return `W/"${opaque}"`
}

/** A weak tag digesting `text` (a representation), for resources that are cheap to read again. */
export const digestTag = (text: string): string => weakTag(Bun.hash(text).toString(36))

const LIST_ITEM = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/

/**
 * `If-None-Match`: `*`, or the opaque parts of the listed entity tags (weak or strong: the
 * comparison is weak), or undefined when the field is absent. Empty list elements are allowed
 * (RFC 9110 §5.6.1); anything else that is not an entity tag is refused with 400, never ignored.
 */
export function parseIfNoneMatch(value: string | undefined): '*' | string[] | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (trimmed === '*') return '*'
  const opaque: string[] = []
  // An entity tag cannot hold a comma or a quote inside, so splitting on commas is exact.
  for (const raw of trimmed.split(',')) {
    const item = raw.trim()
    if (item === '') continue
    const m = LIST_ITEM.exec(item)
    if (!m) {
      throw new HttpProblem(
        400,
        'INVALID_PRECONDITION',
        'If-None-Match must be "*" or a comma-separated list of entity tags, each quoted, e.g. W/"1a2b" or "1a2b"',
      )
    }
    opaque.push(m[2]!)
  }
  if (!opaque.length)
    throw new HttpProblem(400, 'INVALID_PRECONDITION', 'If-None-Match is empty: send "*" or at least one entity tag')
  return opaque
}

/** True when the request's `If-None-Match` is `*` or lists `etag` (weak comparison): answer 304. */
export function noneMatchFails(c: Context, etag: string): boolean {
  const wanted = parseIfNoneMatch(c.req.header('If-None-Match'))
  if (wanted === undefined) return false
  if (wanted === '*') return true
  const own = etag.startsWith('W/') ? etag.slice(3, -1) : etag.slice(1, -1)
  return wanted.includes(own)
}

/** 304 Not Modified: no body, no Content-Type; the validator and the caching rule it would have had. */
export const notModified = (c: Context, etag: string): Response =>
  c.body(null, 304, { ETag: etag, 'Cache-Control': REVALIDATE })

/** Puts the validator and caching rule on a 200 (an error keeps neither: it is not the resource). */
export function tagged(res: Response, etag: string): Response {
  if (res.status === 200) {
    res.headers.set('ETag', etag)
    res.headers.set('Cache-Control', REVALIDATE)
  }
  return res
}

/**
 * A read whose tag is known before it runs (e.g. from a change counter): 304 without running
 * `render` when the caller holds the tag, else `render`'s answer, tagged.
 */
export async function conditionalRead(
  c: Context,
  etag: string,
  render: () => Response | Promise<Response>,
): Promise<Response> {
  if (noneMatchFails(c, etag)) return notModified(c, etag)
  return tagged(await render(), etag)
}

/**
 * For a read that reports the tag of the state it read (a listing with its change counters): a
 * conditional request looks the current tag up first (`currentTag`, one cheap read) and is
 * answered 304 when it matches, the read never running; undefined otherwise (an unconditional
 * request costs no lookup at all), and the caller answers with `tagged(read's answer, read's tag)`.
 */
export async function notModifiedFirst(c: Context, currentTag: () => Promise<string>): Promise<Response | undefined> {
  if (c.req.header('If-None-Match') === undefined) return undefined
  const etag = await currentTag()
  return noneMatchFails(c, etag) ? notModified(c, etag) : undefined
}

/** A JSON resource tagged by a digest of its body: the read runs, a 304 saves the transfer. */
export function digestedJson(c: Context, value: unknown): Response {
  const text = JSON.stringify(value)
  const etag = digestTag(text)
  if (noneMatchFails(c, etag)) return notModified(c, etag)
  return tagged(c.body(text, 200, { 'Content-Type': 'application/json' }), etag)
}

/** The OpenAPI side of a conditional read: spread into a route's `describeRoute`. */
export const conditionalDoc = {
  /** The request header. */
  headers: {
    'If-None-Match': {
      description:
        'entity tags from earlier answers (comma-separated, weak or strong; compared ' +
        'weakly), or `*`: when one is the current tag the answer is 304 with no body',
    },
  },
  /** The response headers of the 200. */
  tagHeaders: {
    ETag: 'weak entity tag of this answer: send it back in If-None-Match to revalidate',
    'Cache-Control': `${REVALIDATE}: any cache may keep the answer but must revalidate it before every use`,
  },
  /** The 304 response. */
  notModified: {
    description: 'Not Modified: the tag sent in If-None-Match is current; no body',
    headers: {
      ETag: 'the current entity tag (the one matched)',
      'Cache-Control': `${REVALIDATE}`,
    },
  },
  /** The 400 of a malformed If-None-Match. */
  badPrecondition: 'If-None-Match is neither `*` nor a list of quoted entity tags (code INVALID_PRECONDITION)',
} as const
