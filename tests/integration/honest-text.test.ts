import { describe, expect, test } from 'bun:test'
import { ADMIN, api, eventually, type Shop, useServers, withShop } from './harness.ts'

/**
 * Honest text through the real processes: names NFC-normalized, invisible characters refused
 * (422 naming the field), lengths in code points, sibling names compared in their normalized
 * form, an email's domain ASCII or in one script, usernames ASCII.
 */
const run = await useServers()

describe.skipIf(!run)('honest text (real processes)', () => {
  let shop: Shop
  let token: string
  withShop((s) => (shop = s))

  const adminToken = async () => {
    if (token) return token
    const r = await api(shop.auth.url, 'POST', '/api/v1/auth/login', {
      body: { username: ADMIN.username, password: ADMIN.password },
    })
    const t = r.body.access_token as string
    // the admin reaches the catalog by event: an admin-only route answers 404, not 401, once it has
    await eventually(
      async () => (await api(shop.catalog.url, 'DELETE', '/api/v1/category/999999', { token: t })).status === 404,
      'the admin known to the catalog',
    )
    token = t
    return token
  }
  const category = async (body: Record<string, unknown>) =>
    api(shop.catalog.url, 'POST', '/api/v1/category', { token: await adminToken(), body })
  const refusedField = (r: { status: number; body: any }, field: string) => {
    expect(r.status).toBe(422)
    expect(r.body.code).toBe('VALIDATION_FAILED')
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(field)
  }

  test('sibling categories differing only by a zero-width space: the second is refused, naming the field', async () => {
    const root = await category({ name: `Root ${crypto.randomUUID().slice(0, 8)}` })
    expect(root.status).toBe(201)
    expect((await category({ name: 'Books', parent_id: root.body.id })).status).toBe(201)
    const hidden = await category({ name: 'Boo\u200Bks', parent_id: root.body.id })
    refusedField(hidden, 'name')
    expect(hidden.body.errors[0].message).toContain('invisible')
    // bidi controls and other default-ignorables, in names of categories and products, creates and updates
    refusedField(await category({ name: 'evil\u202Etxt.exe' }), 'name')
    refusedField(await category({ name: 'soft\u00ADhyphen' }), 'name')
    const rename = await api(shop.catalog.url, 'PUT', `/api/v1/category/${root.body.id}`, {
      token: await adminToken(),
      body: { name: 'Root\u2060' },
    })
    refusedField(rename, 'name')
    const product = await api(shop.catalog.url, 'POST', '/api/v1/product', {
      token: await adminToken(),
      body: { name: 'Pen\u200D', price: '1.00', category_id: root.body.id },
    })
    refusedField(product, 'name')
    const siblings = await api(shop.catalog.url, 'GET', `/api/v1/categories?parent_id=${root.body.id}`)
    expect(siblings.body.map((c: { name: string }) => c.name)).toEqual(['Books'])
  })

  test('names are stored NFC: a decomposed é names the same category as the precomposed one', async () => {
    const root = await category({ name: `Cafe\u0301 ${crypto.randomUUID().slice(0, 8)}` })
    expect(root.status).toBe(201)
    expect(root.body.name.startsWith('Café ')).toBe(true)
    expect(root.body.name.normalize('NFC')).toBe(root.body.name)
    expect((await category({ name: 'Crème', parent_id: root.body.id })).status).toBe(201)
    const again = await category({ name: 'Cre\u0300me', parent_id: root.body.id })
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('CATEGORY_NAME_TAKEN')
    const product = await api(shop.catalog.url, 'POST', '/api/v1/product', {
      token: await adminToken(),
      body: { name: 'Pa\u0302te\u0301', description: 'Re\u0301sume\u0301', price: '2.00', category_id: root.body.id },
    })
    expect(product.status).toBe(201)
    expect(product.body.name).toBe('Pâté')
    expect(product.body.description).toBe('Résumé')
  })

  test('lengths in code points: 200 emoji fit in 200, 201 do not; emoji sequences are no invisible text', async () => {
    const fits = await category({ name: '😀'.repeat(200) })
    expect(fits.status).toBe(201)
    expect(fits.body.name).toBe('😀'.repeat(200))
    refusedField(await category({ name: '😀'.repeat(201) }), 'name')
    expect((await category({ name: 'Coders 👩‍💻 ❤️ 👍🏽' })).status).toBe(201)
  })

  test("an email's domain: ASCII or one script; a look-alike mix refused; usernames ASCII", async () => {
    const register = (username: string, email: string, extra: Record<string, unknown> = {}) =>
      api(shop.auth.url, 'POST', '/api/v1/auth/register', {
        body: { username, email, password: 'password-123', ...extra },
      })
    const mixed = await register('lookalike', 'admin@\u0430tk.example') // Cyrillic а
    refusedField(mixed, 'email')
    expect(mixed.body.errors[0].message).toContain('single script')
    expect((await register('ascii_domain', 'someone@atk.example')).status).toBe(201)
    expect((await register('punycode', 'someone@xn--80akhbyknj4f.xn--p1ai')).status).toBe(201)
    const cyrillic = await register('cyrillic_domain', 'someone@пример.рф')
    expect(cyrillic.status).toBe(201)
    refusedField(await register('invisible_mail', 'some\u200Bone@example.com'), 'email')
    refusedField(await register('ünïcode', 'u@example.com'), 'username')
    refusedField(await register('bidi_name', 'bidi@example.com', { full_name: 'Ann \u202EnnA' }), 'full_name')
    const nfc = await register('nfc_name', 'nfc@example.com', { full_name: 'Zoe\u0308 ' + '😀'.repeat(190) })
    expect(nfc.status).toBe(201)
    expect(nfc.body.full_name).toBe(`Zoë ${'😀'.repeat(190)}`)
  })
})
