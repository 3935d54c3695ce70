import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export type Level = 'debug' | 'info' | 'warn' | 'error'
export type Fields = Record<string, unknown>

export interface Logger {
  debug(msg: string, fields?: Fields): void
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
  /** A logger that adds `fields` (e.g. `request_id`) to every line. */
  child(fields: Fields): Logger
}

const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** A size-rotated append-only file: `name`, `name.1`, ... `name.<keep-1>`. */
class RotatingFile {
  private fd: number
  private size: number
  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.fd = openSync(path, 'a')
    this.size = fstatSync(this.fd).size
  }
  write(line: string): void {
    const bytes = Buffer.byteLength(line)
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate()
    writeSync(this.fd, line)
    this.size += bytes
  }
  private rotate(): void {
    closeSync(this.fd)
    const oldest = `${this.path}.${this.keep - 1}`
    if (this.keep <= 1) rmSync(this.path, { force: true })
    else {
      if (existsSync(oldest)) rmSync(oldest)
      for (let i = this.keep - 2; i >= 1; i--)
        if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`)
      renameSync(this.path, `${this.path}.1`)
    }
    this.fd = openSync(this.path, 'a')
    this.size = 0
  }
  close(): void {
    closeSync(this.fd)
  }
}

export interface LoggerOptions {
  service: string
  level?: Level
  /** Also write `<service>.log` (info and above) and `<service>.error.log` (errors) here. */
  dir?: string | undefined
  maxBytes?: number
  files?: number
  /** Where lines go besides the files; defaults to stdout. Tests pass a collector or `null`. */
  sink?: ((line: string) => void) | null
}

export interface RootLogger extends Logger {
  close(): void
}

function serialize(value: unknown): unknown {
  if (value instanceof Error) {
    return {
      name: value.name,
      message: value.message,
      stack: value.stack,
      ...(value.cause ? { cause: serialize(value.cause) } : {}),
    }
  }
  return value
}

/**
 * Fields every line written in the current context gets (tracing sets it: `trace_id` and
 * `span_id` of the active span). Unset, nothing is looked up.
 */
let contextFields: (() => Fields | undefined) | undefined
export function setLogContext(fn: (() => Fields | undefined) | undefined): void {
  contextFields = fn
}

/** JSON-lines logger: one object per line with time, level, service, msg and the given fields. */
export function createLogger(opts: LoggerOptions): RootLogger {
  const min = rank[opts.level ?? 'info']
  const sink = opts.sink === undefined ? (line: string) => process.stdout.write(line) : opts.sink
  let main: RotatingFile | undefined
  let errors: RotatingFile | undefined
  if (opts.dir) {
    mkdirSync(opts.dir, { recursive: true })
    const max = opts.maxBytes ?? 10 * 1024 * 1024
    const keep = opts.files ?? 5
    main = new RotatingFile(join(opts.dir, `${opts.service}.log`), max, keep)
    errors = new RotatingFile(join(opts.dir, `${opts.service}.error.log`), max, keep)
  }
  const emit = (level: Level, bound: Fields, msg: string, fields?: Fields) => {
    if (rank[level] < min) return
    const entry: Fields = {
      time: new Date().toISOString(),
      level,
      service: opts.service,
      msg,
      ...bound,
      ...contextFields?.(),
    }
    if (fields) for (const [k, value] of Object.entries(fields)) entry[k] = serialize(value)
    let line: string
    try {
      line = JSON.stringify(entry) + '\n'
    } catch {
      line =
        JSON.stringify({ time: entry.time, level, service: opts.service, msg, note: 'fields not serializable' }) + '\n'
    }
    sink?.(line)
    if (rank[level] >= rank.info) main?.write(line)
    if (level === 'error') errors?.write(line)
  }
  const make = (bound: Fields): Logger => ({
    debug: (m, f) => emit('debug', bound, m, f),
    info: (m, f) => emit('info', bound, m, f),
    warn: (m, f) => emit('warn', bound, m, f),
    error: (m, f) => emit('error', bound, m, f),
    child: (f) => make({ ...bound, ...f }),
  })
  return {
    ...make({}),
    close() {
      main?.close()
      errors?.close()
    },
  }
}

/** A logger that drops everything (unit tests, embedding tools). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
}
