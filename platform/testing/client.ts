/** What the integration tests and the benchmarks both use to drive services over HTTP. */

/** A small JSON client: `body` is sent as JSON, a JSON answer is parsed into `body`, `text` is always there. */
export async function api(
  base: string,
  method: string,
  path: string,
  o: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...(o.headers ?? {}) }
  if (o.token) headers.Authorization = `Bearer ${o.token}`
  if (o.body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  })
  const text = await res.text()
  const body = text && /json/.test(res.headers.get('Content-Type') ?? '') ? JSON.parse(text) : undefined
  return { status: res.status, headers: res.headers, body, text }
}

export { eventually } from './until.ts'
