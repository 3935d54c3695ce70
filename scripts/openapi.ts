/**
 * The three services' OpenAPI documents, taken from their HTTP apps (`app.request('/openapi.json')`):
 * no server, no database (each app is built on its in-memory adapters).
 *
 *   bun scripts/openapi.ts [dir]   writes <dir>/{auth,catalog,order}.json (default: .data/openapi)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { authTestApp } from '../auth/test/support.ts'
import { catalogTestApp } from '../catalog/test/support.ts'
import { orderTestApp } from '../order/test/support.ts'

export const SERVICES = ['auth', 'catalog', 'order'] as const
export type Service = (typeof SERVICES)[number]

const apps = { auth: () => authTestApp().app, catalog: () => catalogTestApp().app, order: () => orderTestApp().app }

export async function openApiDocument(service: Service): Promise<Record<string, unknown>> {
  const res = await apps[service]().request('/openapi.json')
  if (res.status !== 200) throw new Error(`${service}: /openapi.json answered ${res.status}`)
  return (await res.json()) as Record<string, unknown>
}

export async function openApiDocuments(): Promise<Record<Service, Record<string, unknown>>> {
  const [auth, catalog, order] = await Promise.all(SERVICES.map(openApiDocument))
  return { auth: auth!, catalog: catalog!, order: order! }
}

/** Writes each document to `<dir>/<service>.json` and returns the paths. */
export async function writeOpenApiDocuments(dir: string): Promise<Record<Service, string>> {
  mkdirSync(dir, { recursive: true })
  const docs = await openApiDocuments()
  const paths = {} as Record<Service, string>
  for (const s of SERVICES) {
    paths[s] = join(dir, `${s}.json`)
    writeFileSync(paths[s], `${JSON.stringify(docs[s], null, 2)}\n`)
  }
  return paths
}

if (import.meta.main) {
  const paths = await writeOpenApiDocuments(process.argv[2] ?? '.data/openapi')
  for (const p of Object.values(paths)) console.log(p)
}
