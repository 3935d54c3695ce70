/**
 * The typed openapi-fetch client of each service (the types generated from the services' OpenAPI documents by
 * openapi-typescript: `make client` writes generated/), sharing a bearer token, and the paging headers read.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch'
import type { components as AuthComponents, paths as AuthPaths } from './generated/auth.js'
import type { components as CatalogComponents, paths as CatalogPaths } from './generated/catalog.js'
import type { components as OrderComponents, paths as OrderPaths } from './generated/order.js'

export type { AuthComponents, AuthPaths, CatalogComponents, CatalogPaths, OrderComponents, OrderPaths }

export type User = AuthComponents['schemas']['User']
export type Token = AuthComponents['schemas']['Token']
export type Category = CatalogComponents['schemas']['Category']
export type CategoryNode = CatalogComponents['schemas']['CategoryNode']
export type Product = CatalogComponents['schemas']['Product']
export type Order = OrderComponents['schemas']['Order']
export type OrderStatus = OrderComponents['schemas']['OrderStatus']
export type StatusChange = OrderComponents['schemas']['StatusChange']
export interface ShopUrls {
  readonly auth: string
  readonly catalog: string
  readonly order: string
}

export interface ShopClientOptions {
  /** A bearer token to send from the start (see `signIn`). */
  readonly token?: string
  readonly fetch?: (request: Request) => Promise<Response>
}

export interface ShopClient {
  readonly auth: Client<AuthPaths>
  readonly catalog: Client<CatalogPaths>
  readonly order: Client<OrderPaths>
  /** Every later request of the three clients carries this token (`undefined`: none). */
  signIn(token: string | undefined): void
}

/** One client per service, sharing the bearer token. */
export function createShopClient(urls: ShopUrls, o: ShopClientOptions = {}): ShopClient {
  let token = o.token
  const bearer: Middleware = {
    onRequest({ request }) {
      if (token !== undefined) request.headers.set('Authorization', `Bearer ${token}`)
      return request
    },
  }
  const base = o.fetch ? { fetch: o.fetch } : {}
  const auth = createClient<AuthPaths>({ baseUrl: urls.auth, ...base })
  const catalog = createClient<CatalogPaths>({ baseUrl: urls.catalog, ...base })
  const order = createClient<OrderPaths>({ baseUrl: urls.order, ...base })
  for (const c of [auth, catalog, order]) c.use(bearer)
  return {
    auth,
    catalog,
    order,
    signIn(t) {
      token = t
    },
  }
}

export interface PageInfo {
  /** `X-Total-Count`: every item the query matches. */
  readonly total: number
  /** The `limit`/`offset` of the next and previous pages, from the RFC 8288 `Link` header. */
  readonly next?: { readonly limit: number; readonly offset: number }
  readonly prev?: { readonly limit: number; readonly offset: number }
}

/** Reads the paging headers of a list answer. */
export function pageInfo(response: Response): PageInfo {
  const total = Number(response.headers.get('X-Total-Count'))
  if (!Number.isInteger(total) || total < 0) throw new Error(`no X-Total-Count on ${response.url}`)
  const links: { next?: PageInfo['next']; prev?: PageInfo['prev'] } = {}
  for (const part of (response.headers.get('Link') ?? '').split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="(next|prev)"/.exec(part)
    if (!m) continue
    const url = new URL(m[1]!, 'http://link.invalid')
    links[m[2] === 'next' ? 'next' : 'prev'] = {
      limit: Number(url.searchParams.get('limit')),
      offset: Number(url.searchParams.get('offset')),
    }
  }
  return { total, ...links }
}
