/**
 * Ceiling: a bare Hono app on Bun.serve returning a small JSON document, with nothing else (no
 * middleware, no database). What the services' HTTP stack costs is measured against this.
 *   PORT=18100 bun bench/ceilings/hono.ts
 */
import { Hono } from 'hono'

const app = new Hono()
app.get('/health/ready', (c) => c.json({ status: 'ok' }))
app.get('/json', (c) => c.json({ id: 1, name: 'bench', price: '19.90', ok: true }))

Bun.serve({ port: Number(process.env.PORT ?? 18_100), hostname: '127.0.0.1', fetch: app.fetch })
