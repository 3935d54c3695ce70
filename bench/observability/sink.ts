/**
 * An OTLP/HTTP sink for bench/observability: takes the services' span exports on /v1/traces and
 * only counts them (a collector's cost is not what is measured; the services' is).
 * GET /stats: { requests, bytes }.
 */
let requests = 0
let bytes = 0
Bun.serve({
  port: Number(process.env.PORT ?? 4318),
  hostname: '127.0.0.1',
  async fetch(req) {
    const path = new URL(req.url).pathname
    if (path === '/v1/traces' && req.method === 'POST') {
      bytes += (await req.arrayBuffer()).byteLength
      requests++
      return Response.json({})
    }
    if (path === '/stats') return Response.json({ requests, bytes })
    if (path === '/health') return new Response('ok')
    return new Response('not found', { status: 404 })
  },
})
