import { describe, expect, test } from 'bun:test'
import { Hono } from 'hono'
import { conditionalRead, digestTag, digestedJson, parseIfNoneMatch, weakTag } from '../src/http/conditional.ts'
import { HttpProblem } from '../src/http/problem.ts'

describe('If-None-Match', () => {
  test('absent, *, and lists of weak and strong tags (their opaque parts)', () => {
    expect(parseIfNoneMatch(undefined)).toBeUndefined()
    expect(parseIfNoneMatch('*')).toBe('*')
    expect(parseIfNoneMatch('  *  ')).toBe('*')
    expect(parseIfNoneMatch('"a"')).toEqual(['a'])
    expect(parseIfNoneMatch('W/"a", "b",W/"c"')).toEqual(['a', 'b', 'c'])
    expect(parseIfNoneMatch(', "a" ,, W/"" ,')).toEqual(['a', ''])
  })
  test('anything else is a 400 problem, never ignored', () => {
    for (const bad of [
      '',
      ' ',
      ',',
      'a',
      'w/"a"',
      'W/ "a"',
      '"a" "b"',
      '"a',
      'a"',
      '"a"b',
      '*, "a"',
      '**',
      '"a\u0001"',
    ]) {
      let thrown: unknown
      try {
        parseIfNoneMatch(bad)
      } catch (e) {
        thrown = e
      }
      expect(thrown, bad).toBeInstanceOf(HttpProblem)
      expect((thrown as HttpProblem).status).toBe(400)
      expect((thrown as HttpProblem).code).toBe('INVALID_PRECONDITION')
    }
  })
  test('tags: weak, of tag characters only; digests of different texts differ, of equal texts agree', () => {
    expect(weakTag('abc-1.2')).toBe('W/"abc-1.2"')
    expect(() => weakTag('a"b')).toThrow()
    expect(() => weakTag('')).toThrow()
    expect(digestTag('{"a":1}')).toBe(digestTag('{"a":1}'))
    expect(digestTag('{"a":1}')).not.toBe(digestTag('{"a":2}'))
  })
})

describe('conditional answers', () => {
  let rendered = 0
  const app = new Hono()
    .get('/list', (c) =>
      conditionalRead(c, 'W/"v7"', () => {
        rendered++
        return c.json([1, 2])
      }),
    )
    .get('/missing', (c) => conditionalRead(c, 'W/"v7"', () => c.json({ error: 'gone' }, 404)))
    .get('/one', (c) => digestedJson(c, { id: 1 }))
  const get = (path: string, inm?: string) =>
    app.request(path, inm === undefined ? {} : { headers: { 'If-None-Match': inm } })

  test('200 tagged; 304 with no body and no Content-Type, without rendering; a non-200 untagged', async () => {
    const ok = await get('/list')
    expect(ok.status).toBe(200)
    expect(ok.headers.get('ETag')).toBe('W/"v7"')
    expect(ok.headers.get('Cache-Control')).toBe('public, no-cache')
    expect(rendered).toBe(1)
    for (const inm of ['W/"v7"', '"v7"', '"v6", W/"v7"', '*']) {
      const r = await get('/list', inm)
      expect(r.status).toBe(304)
      expect(await r.text()).toBe('')
      expect(r.headers.get('Content-Type')).toBeNull()
      expect(r.headers.get('ETag')).toBe('W/"v7"')
      expect(r.headers.get('Cache-Control')).toBe('public, no-cache')
    }
    expect(rendered).toBe(1)
    expect((await get('/list', '"v6"')).status).toBe(200)
    expect(rendered).toBe(2)
    const missing = await get('/missing')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('ETag')).toBeNull()
    expect(missing.headers.get('Cache-Control')).toBeNull()
  })
  test('a digested body: tagged by its bytes, 304 when they are what the caller holds', async () => {
    const first = await get('/one')
    expect(await first.json()).toEqual({ id: 1 })
    expect(first.headers.get('Content-Type')).toStartWith('application/json')
    const tag = first.headers.get('ETag')!
    expect(tag).toBe(digestTag('{"id":1}'))
    expect((await get('/one', tag)).status).toBe(304)
    expect((await get('/one', 'W/"other"')).status).toBe(200)
  })
})
