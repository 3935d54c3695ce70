import { afterAll, beforeAll } from 'bun:test'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import { type TracingHandle, startTracing } from '../src/observability/tracing.ts'

/** In a describe block: tracing on as `service` while its tests run, their spans kept in the exporter returned. */
export function useTracing(service: string): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter()
  let tracing: TracingHandle | undefined
  beforeAll(() => {
    tracing = startTracing({ service, exporter })
  })
  afterAll(() => tracing?.shutdown())
  return exporter
}
