import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  context,
  trace,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace'
import { setLogContext } from '../log.ts'

/**
 * Traces, with the OpenTelemetry API and SDK, W3C `traceparent` everywhere. Spans are opened
 * explicitly at the shop's own seams (the HTTP middleware, the use cases, database transactions,
 * the outbox relay's publish, the consumers): no auto-instrumentation, which patches Node modules
 * Bun does not load the same way.
 *
 * Off unless started with an exporter (`OTEL_EXPORTER_OTLP_ENDPOINT`): then every helper here
 * returns at once, no span, no context, no id is made: near-zero cost.
 *
 * One tracer per process (one service per process with `make start` and compose). `make dev` runs
 * the three services in one process: the first to start names the resource (`service.name`).
 */
let tracer: Tracer | undefined
let provider: TracerProvider | undefined
let users = 0
const w3c = new W3CTraceContextPropagator()
let contextManager: AsyncLocalStorageContextManager | undefined

export { SpanKind }
export type { Span }

export interface TracingOptions {
  readonly service: string
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<endpoint>/v1/traces`. */
  readonly endpoint?: string | undefined
  /** Tests: an exporter of their own (spans exported one by one, at once). */
  readonly exporter?: SpanExporter
}

export interface TracingHandle {
  readonly on: boolean
  /** Flushes what is buffered and stops (the last user of the process' tracer stops it). */
  shutdown(): Promise<void>
}

const off: TracingHandle = { on: false, shutdown: async () => {} }

export function startTracing(o: TracingOptions): TracingHandle {
  if (!o.endpoint && !o.exporter) return off
  if (!provider) {
    if (!contextManager) {
      contextManager = new AsyncLocalStorageContextManager().enable()
      context.setGlobalContextManager(contextManager)
    }
    const processor = o.exporter
      ? new SimpleSpanProcessor({ exporter: o.exporter })
      : new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: `${o.endpoint!.replace(/\/+$/, '')}/v1/traces` }),
          scheduledDelayMillis: 1000,
        })
    provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': o.service }),
      spanProcessors: [processor],
    })
    tracer = provider.getTracer('shop')
    setLogContext(traceFields)
  }
  users++
  let stopped = false
  return {
    on: true,
    async shutdown() {
      if (stopped) return
      stopped = true
      if (--users > 0) return
      const p = provider
      tracer = undefined
      provider = undefined
      setLogContext(undefined)
      await p?.shutdown()
    },
  }
}

/** Whether spans are being made (an exporter is configured). */
export const tracingOn = (): boolean => tracer !== undefined

export interface SpanOptions {
  readonly kind?: SpanKind
  readonly attributes?: Attributes
  /** The parent: a `traceparent` received (HTTP header, AMQP header, outbox row); default: the active span. */
  readonly traceparent?: string | null | undefined
}

function parentContext(traceparent: string | null | undefined): Context {
  if (traceparent === undefined) return context.active()
  if (!traceparent) return ROOT_CONTEXT
  return w3c.extract(
    ROOT_CONTEXT,
    { traceparent },
    { get: (c, k) => c[k as 'traceparent'], keys: () => ['traceparent'] },
  )
}

/**
 * Runs `fn` inside a new active span (its children and log lines see it); the span ends when
 * `fn` settles and records an exception when it throws. When tracing is off, just runs `fn`.
 */
export function inSpan<T>(name: string, o: SpanOptions, fn: (span: Span | undefined) => Promise<T>): Promise<T> {
  const t = tracer
  if (!t) return fn(undefined)
  return t.startActiveSpan(
    name,
    { kind: o.kind ?? SpanKind.INTERNAL, ...(o.attributes ? { attributes: o.attributes } : {}) },
    parentContext(o.traceparent),
    async (span) => {
      try {
        return await fn(span)
      } catch (e) {
        failed(span, e)
        throw e
      } finally {
        span.end()
      }
    },
  )
}

/** A span that is not made active (the relay's publish: many at once, ended together). */
export function openSpan(name: string, o: SpanOptions): Span | undefined {
  return tracer?.startSpan(
    name,
    { kind: o.kind ?? SpanKind.INTERNAL, ...(o.attributes ? { attributes: o.attributes } : {}) },
    parentContext(o.traceparent),
  )
}

export function failed(span: Span | undefined, e: unknown): void {
  if (!span) return
  span.recordException(e instanceof Error ? e : String(e))
  span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) })
}

/** The W3C `traceparent` of a span, or of the active one; null when there is none. */
export function traceparentOf(span?: Span): string | null {
  if (!tracer) return null
  const ctx = span ? trace.setSpan(ROOT_CONTEXT, span) : context.active()
  const carrier: { traceparent?: string } = {}
  w3c.inject(ctx, carrier, {
    set: (c, k, v) => {
      ;(c as Record<string, string>)[k] = v
    },
  })
  return carrier.traceparent ?? null
}

/** `trace_id` and `span_id` of the active span, for log lines. */
function traceFields(): Record<string, string> | undefined {
  const sc = trace.getSpanContext(context.active())
  return sc ? { trace_id: sc.traceId, span_id: sc.spanId } : undefined
}

/**
 * The use cases of an application, each in a span named `<service>.<use case>` (the composition
 * root wraps the application it hands to HTTP and consumers); groups (`commands`, `queries`,
 * `events`) are plain objects and are walked. When tracing is off the object is returned as is.
 */
export function traced<T extends object>(service: string, core: T): T {
  const t = tracer
  if (!t) return core
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(core)) {
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      out[key] = traced(service, value)
      continue
    }
    if (typeof value !== 'function') {
      out[key] = value
      continue
    }
    const name = `${service}.${key}`
    out[key] = (...args: unknown[]) =>
      t.startActiveSpan(name, (span) => {
        const end = <V>(v: V): V => {
          span.end()
          return v
        }
        const fail = (e: unknown): never => {
          failed(span, e)
          span.end()
          throw e
        }
        try {
          const r: unknown = (value as (...a: unknown[]) => unknown).apply(core, args)
          return r instanceof Promise ? r.then(end, fail) : end(r)
        } catch (e) {
          return fail(e)
        }
      })
  }
  return out as T
}
