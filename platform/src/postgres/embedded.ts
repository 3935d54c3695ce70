import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { tmpdir } from 'node:os'

/**
 * The zero-install database: PGlite (Postgres in WASM) served over the wire protocol on a
 * loopback port, so the same postgres.js code runs on it as on a real server.
 *
 * A fresh PGlite runs initdb, which takes seconds; we do that once into a template directory
 * and copy it for every new database (well under a second).
 */
export interface EmbeddedPostgres {
  readonly host: string
  readonly port: number
  close(): Promise<void>
}

// The template depends on the PGlite build: one per installed version.
const PGLITE_VERSION: string = JSON.parse(
  readFileSync(join(dirname(Bun.resolveSync('@electric-sql/pglite', import.meta.dir)), '..', 'package.json'), 'utf8'),
).version

/**
 * A development database holds kilobytes to a few megabytes: PostgreSQL's defaults (128 MB of
 * shared buffers, 4 MB of WAL buffers, 8 MB of temp buffers) made the three of `make dev` hold
 * some 700 MB at rest (bench/dev/memory.ts). Smaller buffers; the WASM memory still grows when a
 * query needs it. The rest of PGlite's start parameters as it gives them.
 */
const SMALL = [
  '-c',
  'shared_buffers=8MB',
  '-c',
  'wal_buffers=256kB',
  '-c',
  'temp_buffers=1MB',
  '-c',
  'work_mem=2MB',
  '-c',
  'maintenance_work_mem=8MB',
]
// PGlite's own defaults (its defaultStartParams), which startParams replaces rather than extends.
const PGLITE_START = [
  '--single',
  '-F',
  '-O',
  '-j',
  '-c',
  'search_path=public',
  '-c',
  'exit_on_error=false',
  '-c',
  'log_checkpoints=false',
  '-c',
  'max_worker_processes=0',
  '-c',
  'max_parallel_workers=0',
  '-c',
  'max_parallel_workers_per_gather=0',
  '-c',
  'io_method=sync',
  '-c',
  'max_parallel_maintenance_workers=0',
]

let templateReady: Promise<string> | undefined

function templateDir(): string {
  const root = process.env.SHOP_PGLITE_TEMPLATE_DIR ?? join(tmpdir(), 'shop-pglite-template')
  return join(root, PGLITE_VERSION)
}

async function ensureTemplate(): Promise<string> {
  const dir = templateDir()
  if (existsSync(join(dir, 'PG_VERSION'))) return dir
  const { PGlite } = await import('@electric-sql/pglite')
  const building = `${dir}.${process.pid}.${Date.now()}`
  mkdirSync(dirname(building), { recursive: true })
  const db = await PGlite.create(building)
  await db.close()
  try {
    renameSync(building, dir)
  } catch {
    // another process made it first; theirs is as good as ours
    rmSync(building, { recursive: true, force: true })
  }
  return dir
}

function isEmptyDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0
}

/**
 * Opens (creating from the template when new) a PGlite database in `dataDir`, or a throwaway one
 * when `dataDir` is `memory://`, and serves it on 127.0.0.1 at a free port.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const { PGlite } = await import('@electric-sql/pglite')
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket')
  templateReady ??= ensureTemplate()
  const template = await templateReady
  // "memory://" is a throwaway copy of the template in the temp dir, removed on close.
  const throwaway = dataDir === 'memory://'
  const dir = throwaway ? `${template}-run-${process.pid}-${crypto.randomUUID()}` : resolve(dataDir)
  if (isEmptyDir(dir)) {
    mkdirSync(dirname(dir), { recursive: true })
    rmSync(dir, { recursive: true, force: true })
    cpSync(template, dir, { recursive: true })
  }
  const db = await PGlite.create(dir, { startParams: [...PGLITE_START, ...SMALL] })
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 })
  await server.start()
  const conn = server.getServerConn()
  const port = Number(conn.slice(conn.lastIndexOf(':') + 1))
  return {
    host: '127.0.0.1',
    port,
    async close() {
      await server.stop()
      await db.close()
      if (throwaway) rmSync(dir, { recursive: true, force: true })
    },
  }
}
