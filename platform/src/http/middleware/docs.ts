import { dirname, join } from 'node:path'
import { type Context, Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { OPENAPI_DOCUMENT, type OpenApiInfo, buildOpenApi, docsHtml, redocHtml } from '../openapi.ts'
import { problemResponse } from '../problem.ts'

const swaggerDir = dirname(Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir))
// ReDoc's standalone bundle (the `redoc` package: everything in one script, no fonts fetched). Its one request
// elsewhere, the logo beside "API docs by Redocly" from Redocly's CDN, is pointed at our own icon instead.
const redocBundle = join(dirname(Bun.resolveSync('redoc/package.json', import.meta.dir)), 'bundles/redoc.standalone.js')
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg'
const CACHED = 'public, max-age=86400'

/**
 * A text served as it is, or gzip-compressed to a client that accepts it (Swagger UI's script is
 * 1.7 MB, 0.46 MB compressed; ReDoc's 0.94 MB, 0.29 MB). The compressed copy is made once, on first
 * need, and kept: it costs no CPU per request. A file is read from disk as it is; a computed text
 * is kept.
 */
class StaticText {
  private plain?: Promise<Blob>
  private gzip?: Promise<Uint8Array>
  constructor(
    private readonly load: () => Blob | Promise<string> | string,
    private readonly headers: Record<string, string>,
  ) {}

  private source(): Promise<Blob> {
    if (this.plain) return this.plain
    const loaded = this.load()
    if (loaded instanceof Blob) return Promise.resolve(loaded)
    this.plain = Promise.resolve(loaded).then((t) => new Blob([t]))
    return this.plain
  }

  async respond(c: Context<AppEnv>): Promise<Response> {
    const headers = { ...this.headers, Vary: 'Accept-Encoding' }
    if (!acceptsGzip(c.req.header('Accept-Encoding'))) return new Response(await this.source(), { headers })
    this.gzip ??= this.source().then((b) => new Response(b.stream().pipeThrough(new CompressionStream('gzip'))).bytes())
    return new Response(await this.gzip, { headers: { ...headers, 'Content-Encoding': 'gzip' } })
  }
}

/** Whether an Accept-Encoding header allows gzip (named, or `*`, with a q above 0). */
export function acceptsGzip(header: string | undefined): boolean {
  let gzip: boolean | undefined
  let any = false
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...params] = part.split(';').map((x) => x.trim().toLowerCase())
    const q = params.find((p) => p.startsWith('q='))
    const allowed = q === undefined || Number(q.slice(2)) > 0
    if (name === 'gzip' || name === 'x-gzip') gzip = allowed
    else if (name === '*') any = allowed
  }
  return gzip ?? any
}

const swaggerText = (file: string, type: string) =>
  new StaticText(() => Bun.file(join(swaggerDir, file)), { 'Content-Type': type, 'Cache-Control': CACHED })
const texts = new Map([
  ['swagger-ui.css', swaggerText('swagger-ui.css', 'text/css; charset=utf-8')],
  ['swagger-ui-bundle.js', swaggerText('swagger-ui-bundle.js', 'text/javascript; charset=utf-8')],
])
const redocScript = new StaticText(
  async () => (await Bun.file(redocBundle).text()).replaceAll(REDOC_CDN_LOGO, '/docs/assets/favicon-16x16.png'),
  { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': CACHED },
)
const images = new Set(['favicon-32x32.png', 'favicon-16x16.png'])

const image = (file: string) =>
  new Response(Bun.file(join(swaggerDir, file)), { headers: { 'Content-Type': 'image/png', 'Cache-Control': CACHED } })

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
  const openapi = new StaticText(text, { 'Content-Type': 'application/json; charset=utf-8' })
  app.get('/openapi.json', (c) => openapi.respond(c))
  app.get('/docs', (c) => c.html(docsHtml(info.title)))
  app.get('/docs/assets/:file', (c) => {
    const file = c.req.param('file')
    if (images.has(file)) return image(file)
    const found = texts.get(file)
    if (!found) return problemResponse(c, 404, 'NOT_FOUND', `no resource at ${c.req.path}`)
    return found.respond(c)
  })
  app.get('/redoc', (c) => c.html(redocHtml(info.title)))
  app.get('/redoc/assets/redoc.standalone.js', (c) => redocScript.respond(c))
  app.get('/favicon.ico', () => image('favicon-32x32.png'))
  return app
}
