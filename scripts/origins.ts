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
