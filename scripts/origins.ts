/**
 * The origins of the three services' own `/docs` pages (localhost and 127.0.0.1 spellings), which
 * `make dev` and `make start` allow by default (CORS_ORIGINS): Authorize on catalog's or order's
 * page logs in at auth from the browser, a cross-origin request.
 */
export function docsOrigins(ports: readonly (string | number)[]): string {
  return ports.flatMap((p) => [`http://localhost:${p}`, `http://127.0.0.1:${p}`]).join(',')
}

/** A listening address as a client reaches it: the wildcard addresses are this machine, IPv6 in brackets. */
const reachableHost = (host: string | undefined): string =>
  !host?.trim() || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host

/** Where the `/docs` Authorize button logs in: auth's login, as the browser reaches it. */
export const tokenUrl = (host: string | undefined, authPort: string | number): string =>
  `http://${reachableHost(host)}:${authPort}/api/v1/auth/login`

/** The default port of each service, as `make dev` and `make start` listen when `<SERVICE>_PORT` is unset. */
export const DEFAULT_PORTS = { auth: '8000', catalog: '8001', order: '8002' } as const

/**
 * Where the scripts that call a running shop (`make seed`) find it: `AUTH_URL`, `CATALOG_URL`, `ORDER_URL` when
 * set, else the address `make dev` and `make start` listen on for the same environment (`HOST`, `AUTH_PORT`,
 * `CATALOG_PORT`, `ORDER_PORT`).
 */
export function shopUrls(env: Record<string, string | undefined> = process.env) {
  const url = (service: keyof typeof DEFAULT_PORTS) => {
    const S = service.toUpperCase()
    const port = env[`${S}_PORT`]?.trim() || DEFAULT_PORTS[service]
    return (env[`${S}_URL`]?.trim() || `http://${reachableHost(env.HOST)}:${port}`).replace(/\/+$/, '')
  }
  return { auth: url('auth'), catalog: url('catalog'), order: url('order') }
}

/**
 * CORS_ORIGINS and AUTH_TOKEN_URL for `make dev` and `make start`: the environment's when set to
 * something, else the docs pages' origins and this auth's login. An empty value (a `.env` copied
 * from `.env.example` has `CORS_ORIGINS=`) counts as unset, so it never turns CORS off behind
 * the docs' back.
 */
export function docsSettings(
  ports: readonly (string | number)[],
  authPort: string | number,
  env: Record<string, string | undefined> = process.env,
) {
  return {
    CORS_ORIGINS: env.CORS_ORIGINS?.trim() || docsOrigins(ports),
    AUTH_TOKEN_URL: env.AUTH_TOKEN_URL?.trim() || tokenUrl(env.HOST, authPort),
  }
}
