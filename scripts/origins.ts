/**
 * The origins of the three services' own `/docs` pages (localhost and 127.0.0.1 spellings), which
 * `make dev` and `make start` allow by default (CORS_ORIGINS): Authorize on catalog's or order's
 * page logs in at auth from the browser, a cross-origin request.
 */
export function docsOrigins(ports: readonly (string | number)[]): string {
  return ports.flatMap((p) => [`http://localhost:${p}`, `http://127.0.0.1:${p}`]).join(',')
}

/** Where the `/docs` Authorize button logs in: auth's login, as the browser reaches it. */
export const tokenUrl = (host: string | undefined, authPort: string | number): string =>
  `http://${!host || host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${authPort}/api/v1/auth/login`

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
