/**
 * A small OTLP/HTTP trace receiver for tests: services started with
 * `OTEL_EXPORTER_OTLP_ENDPOINT=<url>` post their spans to `<url>/v1/traces` (OTLP JSON, what the
 * OpenTelemetry JS exporter sends); the receiver keeps them as flat records.
 */
export interface ReceivedSpan {
  readonly service: string
  readonly traceId: string
  readonly spanId: string
  /** Empty for a root span. */
  readonly parentSpanId: string
  readonly name: string
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number
  readonly attributes: Readonly<Record<string, string | number | boolean>>
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
type KeyValue = { key: string; value: AnyValue }
type OtlpJson = {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] }
    scopeSpans?: {
      spans?: {
        traceId: string
        spanId: string
        parentSpanId?: string
        name: string
        kind: number
        attributes?: KeyValue[]
      }[]
    }[]
  }[]
}

const value = (v: AnyValue): string | number | boolean =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue ?? ''))
const attrs = (kvs: KeyValue[] | undefined) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, value(kv.value)]))

export interface OtlpReceiver {
  readonly url: string
  readonly spans: ReceivedSpan[]
  /** Resolves with the spans once `pick` finds what it needs in them; rejects after `ms`. */
  waitFor<T>(pick: (spans: readonly ReceivedSpan[]) => T | undefined, ms?: number): Promise<T>
  stop(): void
}

export function startOtlpReceiver(): OtlpReceiver {
  const spans: ReceivedSpan[] = []
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      if (req.method !== 'POST' || new URL(req.url).pathname !== '/v1/traces')
        return new Response('not found', { status: 404 })
      if (!(req.headers.get('content-type') ?? '').includes('json'))
        return new Response('only OTLP JSON here', { status: 415 })
      const body = (await req.json()) as OtlpJson
      for (const rs of body.resourceSpans ?? []) {
        const service = String(attrs(rs.resource?.attributes)['service.name'] ?? '')
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
              attributes: attrs(s.attributes),
            })
          }
        }
      }
      return Response.json({})
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    spans,
    async waitFor(pick, ms = 15_000) {
      const end = Date.now() + ms
      for (;;) {
        const found = pick(spans)
        if (found !== undefined) return found
        if (Date.now() > end)
          throw new Error(
            `the spans expected did not arrive within ${ms} ms; got:\n` +
              spans.map((s) => `${s.service} ${s.name} ${s.traceId}/${s.spanId}<-${s.parentSpanId}`).join('\n'),
          )
        await Bun.sleep(50)
      }
    },
    stop: () => void server.stop(true),
  }
}
