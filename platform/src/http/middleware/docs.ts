import { dirname, join } from 'node:path'
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { OPENAPI_DOCUMENT, type OpenApiInfo, buildOpenApi, docsHtml, redocHtml } from '../openapi.ts'
import { problemResponse } from '../problem.ts'

const swaggerDir = dirname(Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir))
// ReDoc's standalone bundle (the `redoc` package: everything in one script, no fonts fetched). Its one request
// elsewhere, the logo beside "API docs by Redocly" from Redocly's CDN, is pointed at our own icon instead.
const redocBundle = join(dirname(Bun.resolveSync('redoc/package.json', import.meta.dir)), 'bundles/redoc.standalone.js')
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg'
let redocScript: Promise<string> | undefined
const redocText = () =>
  (redocScript ??= Bun.file(redocBundle)
    .text()
    .then((s) => s.replaceAll(REDOC_CDN_LOGO, '/docs/assets/favicon-16x16.png')))
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
}

const asset = (file: string, type: string) =>
  new Response(Bun.file(join(swaggerDir, file)), {
    headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=86400' },
  })

/**
 * `/openapi.json`, built from `documented`'s routes on the first request (when every route is
 * registered) and kept; `/docs`, the interactive page, and its Swagger UI assets (script, styles,
 * icons); `/redoc`, the same document as a reference page (ReDoc), and its script; `/favicon.ico`, Swagger UI's
 * icon, for a browser that asks for it (no 404 in its console).
 * Mounted at `/`.
 */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its env, routes and base path
export function docs(documented: Hono<any, any, any>, info: OpenApiInfo): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  let document: string | undefined
  const text = () => (document ??= JSON.stringify(buildOpenApi(documented, info)))
  // Also readable without a request (tests check every response against it).
  Object.defineProperty(documented, OPENAPI_DOCUMENT, { value: text, enumerable: false })
  app.get('/openapi.json', (c) => c.body(text(), 200, { 'Content-Type': 'application/json; charset=utf-8' }))
  app.get('/docs', (c) => c.html(docsHtml(info.title)))
  app.get('/docs/assets/:file', (c) => {
    const type = assets[c.req.param('file')]
    if (!type) return problemResponse(c, 404, 'NOT_FOUND', `no resource at ${c.req.path}`)
    return asset(c.req.param('file'), type)
  })
  app.get('/redoc', (c) => c.html(redocHtml(info.title)))
  app.get(
    '/redoc/assets/redoc.standalone.js',
    async () =>
      new Response(await redocText(), {
        headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=86400' },
      }),
  )
  app.get('/favicon.ico', () => asset('favicon-32x32.png', 'image/png'))
  return app
}
