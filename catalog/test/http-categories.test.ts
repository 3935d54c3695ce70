import { describe, expect, test } from 'bun:test'
import { ADMIN, USER, catalogTestApp, expectAdminOnly } from './support.ts'
import { expectProblem } from '@shop/platform/testing/problem'
import { expectReply, rawBody } from '@shop/platform/testing/http'

const CATEGORY_KEYS = ['created_at', 'description', 'id', 'level', 'name', 'parent_id', 'updated_at']

describe('POST /api/v1/category', () => {
  const t = catalogTestApp()
  test(
    '201: a root, then a child one level down; Location; ' + 'id, level and timestamps in the body are ignored',
    async () => {
      const r = await t.admin('POST', '/api/v1/category', {
        name: '  Electronics ',
        description: 'All things electric',
        id: 999,
        level: 7,
        created_at: '2000-01-01T00:00:00Z',
      })
      expectReply(r, 201, {
        name: 'Electronics',
        description: 'All things electric',
        parent_id: null,
        level: 0,
      })
      expect(Object.keys(r.body).sort()).toEqual(CATEGORY_KEYS)
      expect(r.body.id).not.toBe(999)
      expect(r.body.created_at).not.toBe('2000-01-01T00:00:00.000Z')
      expect(r.headers.get('Location')).toBe(`/api/v1/categories/${r.body.id}`)
      const child = await t.admin('POST', '/api/v1/category', { name: 'Phones', parent_id: r.body.id, level: 0 })
      expect(child.status).toBe(201)
      expect(child.body).toMatchObject({ parent_id: r.body.id, level: 1, description: null })
      expect((await t.admin('POST', '/api/v1/category', { name: 'Explicit root', parent_id: null })).body.level).toBe(0)
    },
  )
  test('409 for a name taken among siblings, regardless of case; the same name elsewhere is fine', async () => {
    const p = await t.category('Siblings')
    await t.category('Books', p.id)
    expectProblem(
      await t.admin('POST', '/api/v1/category', { name: 'BOOKS', parent_id: p.id }),
      409,
      'CATEGORY_NAME_TAKEN',
    )
    expect((await t.admin('POST', '/api/v1/category', { name: 'Books' })).status).toBe(201)
    expectProblem(await t.admin('POST', '/api/v1/category', { name: 'books' }), 409, 'CATEGORY_NAME_TAKEN')
  })
  test('422 for an unknown parent, naming the field', async () => {
    const r = await t.admin('POST', '/api/v1/category', { name: 'Orphan', parent_id: 424242 })
    expectProblem(r, 422, 'UNKNOWN_PARENT')
    expect(r.body.errors).toEqual([{ path: 'parent_id', message: 'parent category 424242 does not exist' }])
  })
  test('422 with per-field errors for invalid bodies', async () => {
    const bad: [unknown, string[]][] = [
      [{}, ['name']],
      [{ name: '' }, ['name']],
      [{ name: '   ' }, ['name']],
      [{ name: 'x'.repeat(201) }, ['name']],
      [{ name: 'a\u0000b' }, ['name']],
      [{ name: 42 }, ['name']],
      [{ name: 'ok', parent_id: '1' }, ['parent_id']],
      [{ name: 'ok', parent_id: 0 }, ['parent_id']],
      [{ name: 'ok', parent_id: 1.5 }, ['parent_id']],
      [{ name: 'ok', parent_id: -3 }, ['parent_id']],
      [{ name: 'ok', description: 5 }, ['description']],
      [{ name: 'ok', description: 'x'.repeat(5001) }, ['description']],
    ]
    for (const [body, paths] of bad) {
      const r = await t.admin('POST', '/api/v1/category', body)
      expectProblem(r, 422, 'VALIDATION_FAILED')
      expect(r.body.errors.map((e: any) => e.path)).toEqual(paths)
    }
  })
  test('400 malformed JSON, 415 another media type, 413 over the body limit, 422 not an object', async () => {
    const post = (raw: string, contentType?: string) =>
      t.req('POST', '/api/v1/category', { token: ADMIN, ...rawBody(raw, contentType) })
    expectProblem(await post('{"name": '), 400, 'MALFORMED_JSON')
    expectProblem(await post('name=x', 'application/x-www-form-urlencoded'), 415)
    const small = catalogTestApp({ bodyLimit: 100 })
    expectProblem(
      await small.admin('POST', '/api/v1/category', { name: 'x', description: 'y'.repeat(200) }),
      413,
      'BODY_TOO_LARGE',
    )
    for (const raw of ['[]', '"x"', 'null', '7']) expectProblem(await post(raw), 422)
  })
  test('401 without or with a bad token, 403 for a USER', async () => {
    await expectAdminOnly(t, 'POST', '/api/v1/category', { name: 'Nope' })
  })
})

describe('GET /api/v1/categories', () => {
  const t = catalogTestApp()
  // Garden (0) ─ tools (1) ─ Rakes (2)
  //            └ Plants (1) ─ roses (2)
  //                        └ Cacti (2)
  // appliances (0) ─ Ovens (1)
  let ids: Record<string, number>
  const setup = (async () => {
    const garden = await t.category('Garden')
    const tools = await t.category('tools', garden.id)
    const plants = await t.category('Plants', garden.id)
    const rakes = await t.category('Rakes', tools.id)
    const roses = await t.category('roses', plants.id)
    const cacti = await t.category('Cacti', plants.id)
    const appliances = await t.category('appliances')
    const ovens = await t.category('Ovens', appliances.id)
    ids = {
      garden: garden.id,
      tools: tools.id,
      plants: plants.id,
      rakes: rakes.id,
      roses: roses.id,
      cacti: cacti.id,
      appliances: appliances.id,
      ovens: ovens.id,
    }
  })()

  test(
    '200: depth-first, each parent before its children, ' + 'siblings by name (case-insensitive), anyone may read',
    async () => {
      await setup
      const r = await t.req('GET', '/api/v1/categories')
      expect(r.status).toBe(200)
      expect(r.body.map((c: any) => c.name)).toEqual([
        'appliances',
        'Ovens',
        'Garden',
        'Plants',
        'Cacti',
        'roses',
        'tools',
        'Rakes',
      ])
      expect(r.body.map((c: any) => c.level)).toEqual([0, 1, 0, 1, 2, 2, 1, 2])
      expect(Object.keys(r.body[0]).sort()).toEqual(CATEGORY_KEYS)
      expect(r.headers.get('X-Total-Count')).toBe('8')
      expect(r.headers.get('Link')).toBeNull()
      expect((await t.req('GET', '/api/v1/categories', { token: USER })).status).toBe(200)
    },
  )
  test('parent_id: the subtree below that category, itself excluded; unknown: empty', async () => {
    await setup
    const r = await t.req('GET', `/api/v1/categories?parent_id=${ids.garden}`)
    expect(r.body.map((c: any) => c.name)).toEqual(['Plants', 'Cacti', 'roses', 'tools', 'Rakes'])
    expect(r.headers.get('X-Total-Count')).toBe('5')
    const none = await t.req('GET', '/api/v1/categories?parent_id=987654')
    expect(none.status).toBe(200)
    expect(none.body).toEqual([])
    expect(none.headers.get('X-Total-Count')).toBe('0')
  })
  test('pagination: limit/offset with X-Total-Count and Link next/prev', async () => {
    await setup
    const r = await t.req('GET', '/api/v1/categories?limit=3&offset=3')
    expect(r.body.map((c: any) => c.name)).toEqual(['Plants', 'Cacti', 'roses'])
    expect(r.headers.get('X-Total-Count')).toBe('8')
    expect(r.headers.get('Link')).toBe(
      '</api/v1/categories?limit=3&offset=6>; rel="next", </api/v1/categories?limit=3&offset=0>; rel="prev"',
    )
    const last = await t.req('GET', '/api/v1/categories?limit=3&offset=6')
    expect(last.body.length).toBe(2)
    expect(last.headers.get('Link')).toBe('</api/v1/categories?limit=3&offset=3>; rel="prev"')
  })
  test('tree=true: nested children arrays; pagination and the total apply to the top categories', async () => {
    await setup
    const r = await t.req('GET', '/api/v1/categories?tree=true')
    expect(r.status).toBe(200)
    expect(r.body.map((c: any) => c.name)).toEqual(['appliances', 'Garden'])
    const garden = r.body[1]
    expect(garden.children.map((c: any) => c.name)).toEqual(['Plants', 'tools'])
    expect(garden.children[0].children.map((c: any) => [c.name, c.level, c.children])).toEqual([
      ['Cacti', 2, []],
      ['roses', 2, []],
    ])
    expect(r.headers.get('X-Total-Count')).toBe('2')
    const paged = await t.req('GET', '/api/v1/categories?tree=true&limit=1&offset=1')
    expect(paged.body.map((c: any) => c.name)).toEqual(['Garden'])
    expect(paged.body[0].children.length).toBe(2)
    expect(paged.headers.get('Link')).toContain('rel="prev"')
    const sub = await t.req('GET', `/api/v1/categories?tree=true&parent_id=${ids.garden}`)
    expect(sub.body.map((c: any) => [c.name, c.children.length])).toEqual([
      ['Plants', 2],
      ['tools', 1],
    ])
    expect(sub.headers.get('X-Total-Count')).toBe('2')
    expect((await t.req('GET', '/api/v1/categories?tree=false')).body.length).toBe(8)
  })
  test('the tree is bounded by depth (1 to 100): nodes on the last level come without their children', async () => {
    await setup
    for (const path of ['/api/v1/categories?tree=true&depth=2', '/api/v1/categories/tree?depth=2']) {
      const r = await t.req('GET', path)
      expect(r.status).toBe(200)
      const garden = r.body.find((c: any) => c.name === 'Garden')
      expect(garden.children.map((c: any) => [c.name, c.children])).toEqual([
        ['Plants', []],
        ['tools', []],
      ])
    }
    const one = await t.req('GET', '/api/v1/categories/tree?depth=1')
    expect(one.body.every((c: any) => c.children.length === 0)).toBe(true)
    for (const depth of ['0', '101', 'x'])
      expectProblem(await t.req('GET', `/api/v1/categories/tree?depth=${depth}`), 422, 'VALIDATION_FAILED')
  })
  test('GET /categories/tree answers what ?tree=true does: the same nodes, total, links and tag', async () => {
    await setup
    for (const q of ['', '?limit=1&offset=1', `?parent_id=${ids.garden}`, '?parent_id=999999']) {
      const viaQuery = await t.req('GET', `/api/v1/categories${q ? `${q}&` : '?'}tree=true`)
      const own = await t.req('GET', `/api/v1/categories/tree${q}`)
      expect(own.status).toBe(200)
      expect(own.body).toEqual(viaQuery.body)
      for (const h of ['X-Total-Count', 'ETag']) expect(own.headers.get(h)).toBe(viaQuery.headers.get(h))
      expect(own.headers.get('Link')).toBe(
        viaQuery.headers.get('Link')?.replaceAll('categories?', 'categories/tree?').replaceAll('&tree=true', '') ??
          null,
      )
    }
    expectProblem(await t.req('GET', '/api/v1/categories/tree?limit=0'), 422, 'VALIDATION_FAILED')
  })
  test('422 for bad query values', async () => {
    for (const q of [
      'limit=101',
      'limit=0',
      'offset=-1',
      'limit=abc',
      'parent_id=0',
      'parent_id=x',
      'tree=yes',
      'limit=1&limit=2',
    ]) {
      expectProblem(await t.req('GET', `/api/v1/categories?${q}`), 422, 'VALIDATION_FAILED')
    }
  })
})

describe('GET /api/v1/categories/{id}', () => {
  const t = catalogTestApp()
  test('200 with the path of ancestors, root first, the category itself excluded', async () => {
    let parent: number | undefined
    const chain: any[] = []
    for (let i = 0; i < 12; i++) {
      const c = await t.category(`Level ${i}`, parent)
      chain.push(c)
      parent = c.id
    }
    const r = await t.req('GET', `/api/v1/categories/${parent}`)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ id: parent, name: 'Level 11', level: 11 })
    expect(r.body.path).toEqual(chain.slice(0, 11).map((c) => ({ id: c.id, name: c.name, level: c.level })))
    expect((await t.req('GET', `/api/v1/categories/${chain[0].id}`)).body.path).toEqual([])
  })
  test('404 for an unknown id; 422 for a malformed one', async () => {
    expectProblem(await t.req('GET', '/api/v1/categories/777777'), 404, 'CATEGORY_NOT_FOUND')
    for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999'])
      expectProblem(await t.req('GET', `/api/v1/categories/${id}`), 422)
  })
})

describe('PUT /api/v1/category/{id}', () => {
  const t = catalogTestApp()
  test('200: rename and describe; fields not allowed are ignored', async () => {
    const c = await t.category('Old')
    const r = await t.admin('PUT', `/api/v1/category/${c.id}`, {
      name: 'New',
      description: 'described',
      level: 5,
      id: 1,
      created_at: '2000-01-01T00:00:00Z',
    })
    expectReply(r, 200, {
      id: c.id,
      name: 'New',
      description: 'described',
      level: 0,
      parent_id: null,
      created_at: c.created_at,
    })
    expect(r.body.updated_at >= c.updated_at).toBe(true)
    expect((await t.admin('PUT', `/api/v1/category/${c.id}`, { description: null })).body.description).toBeNull()
    const same = await t.admin('PUT', `/api/v1/category/${c.id}`, {})
    expect(same.status).toBe(200)
    expect(same.body.name).toBe('New')
  })
  test('200: parent_id moves the whole subtree; every level follows; null makes a root', async () => {
    const a = await t.category('Move A')
    const b = await t.category('Move B', a.id)
    const c = await t.category('Move C', b.id)
    const d = await t.category('Move D', c.id)
    const dest = await t.category('Dest')
    const dest2 = await t.category('Dest 2', dest.id)
    const r = await t.admin('PUT', `/api/v1/category/${b.id}`, { parent_id: dest2.id })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ parent_id: dest2.id, level: 2 })
    expect((await t.req('GET', `/api/v1/categories/${c.id}`)).body.level).toBe(3)
    const deep = await t.req('GET', `/api/v1/categories/${d.id}`)
    expect(deep.body.level).toBe(4)
    expect(deep.body.path.map((p: any) => p.name)).toEqual(['Dest', 'Dest 2', 'Move B', 'Move C'])
    const root = await t.admin('PUT', `/api/v1/category/${c.id}`, { parent_id: null })
    expect(root.body).toMatchObject({ parent_id: null, level: 0 })
    expect((await t.req('GET', `/api/v1/categories/${d.id}`)).body.level).toBe(1)
  })
  test('409 for a move under itself or a descendant, and for a taken name; 422 for an unknown parent', async () => {
    const a = await t.category('Cycle A')
    const b = await t.category('Cycle B', a.id)
    const c = await t.category('Cycle C', b.id)
    expectProblem(await t.admin('PUT', `/api/v1/category/${a.id}`, { parent_id: a.id }), 409, 'CATEGORY_CYCLE')
    expectProblem(await t.admin('PUT', `/api/v1/category/${a.id}`, { parent_id: c.id }), 409, 'CATEGORY_CYCLE')
    await t.category('Taken', a.id)
    expectProblem(await t.admin('PUT', `/api/v1/category/${b.id}`, { name: 'TAKEN' }), 409, 'CATEGORY_NAME_TAKEN')
    const other = await t.category('Cycle B')
    expectProblem(await t.admin('PUT', `/api/v1/category/${other.id}`, { parent_id: a.id }), 409, 'CATEGORY_NAME_TAKEN')
    const unknown = await t.admin('PUT', `/api/v1/category/${b.id}`, { parent_id: 999_999 })
    expectProblem(unknown, 422, 'UNKNOWN_PARENT')
    expect(unknown.body.errors[0].path).toBe('parent_id')
    // nothing changed
    expect((await t.req('GET', `/api/v1/categories/${c.id}`)).body.path.map((p: any) => p.id)).toEqual([a.id, b.id])
  })
  test('404 for an unknown category; 422 for invalid fields; 401/403', async () => {
    expectProblem(await t.admin('PUT', '/api/v1/category/888888', { name: 'x' }), 404, 'CATEGORY_NOT_FOUND')
    const c = await t.category('Guarded')
    for (const body of [{ name: '' }, { name: null }, { parent_id: 'x' }, { parent_id: 0 }, { description: 3 }]) {
      expectProblem(await t.admin('PUT', `/api/v1/category/${c.id}`, body), 422, 'VALIDATION_FAILED')
    }
    expectProblem(await t.admin('PUT', '/api/v1/category/abc', { name: 'x' }), 422)
    await expectAdminOnly(t, 'PUT', `/api/v1/category/${c.id}`, { name: 'Hacked' })
    expect((await t.req('GET', `/api/v1/categories/${c.id}`)).body.name).toBe('Guarded')
  })
})

describe('DELETE /api/v1/category/{id}', () => {
  const t = catalogTestApp()
  test('204, then 404; 409 while it has subcategories or products', async () => {
    const p = await t.category('Doomed')
    const kid = await t.category('Kid', p.id)
    const prod = await t.product('Thing', kid.id)
    expectProblem(await t.admin('DELETE', `/api/v1/category/${p.id}`), 409, 'CATEGORY_HAS_CHILDREN')
    expectProblem(await t.admin('DELETE', `/api/v1/category/${kid.id}`), 409, 'CATEGORY_HAS_PRODUCTS')
    expect((await t.admin('DELETE', `/api/v1/product/${prod.id}`)).status).toBe(204)
    const r = await t.admin('DELETE', `/api/v1/category/${kid.id}`)
    expect(r.status).toBe(204)
    expect(r.text).toBe('')
    expect((await t.admin('DELETE', `/api/v1/category/${p.id}`)).status).toBe(204)
    expectProblem(await t.admin('DELETE', `/api/v1/category/${p.id}`), 404, 'CATEGORY_NOT_FOUND')
    expectProblem(await t.req('GET', `/api/v1/categories/${p.id}`), 404)
  })
  test('401/403; 422 for a malformed id', async () => {
    const c = await t.category('Protected')
    await expectAdminOnly(t, 'DELETE', `/api/v1/category/${c.id}`)
    expect((await t.req('GET', `/api/v1/categories/${c.id}`)).status).toBe(200)
    expectProblem(await t.admin('DELETE', '/api/v1/category/x1'), 422)
  })
})
