/**
 * Reads a Prometheus exposition text: the sum of the samples of `name` whose labels include all
 * of `labels` (0 when no such series exists yet: a counter that never moved).
 */
export function sample(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let found = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const got: Record<string, string> = {}
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      got[pair[1]!] = pair[2]!.replace(/\\(.)/g, '$1')
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) found += Number(m[3])
  }
  return found
}

/** How many requests `text` counts for one method, route template and status (the duration histogram's count). */
export const requestCount = (text: string, method: string, route: string, status: number | string): number =>
  sample(text, 'http_server_request_duration_seconds_count', {
    http_request_method: method,
    http_route: route,
    http_response_status_code: String(status),
  })

/**
 * How many requests were counted between two scrapes, for each `'METHOD route status'` of `keys`
 * (compare with `toEqual` to see every difference at once).
 */
export function requestsBetween(before: string, after: string, keys: readonly string[]): Record<string, number> {
  return Object.fromEntries(
    keys.map((k) => {
      const [method, route, status] = k.split(' ') as [string, string, string]
      return [k, requestCount(after, method, route, status) - requestCount(before, method, route, status)]
    }),
  )
}

/** How many messages `text` counts as taken from `queue` (with `outcome` only, when given). */
export const consumedCount = (text: string, queue: string, outcome?: string): number =>
  sample(text, 'messaging_client_consumed_messages_total', {
    messaging_destination_name: queue,
    ...(outcome ? { outcome } : {}),
  })

/** How many messages of `queue` `text` timed the handling of (the process duration histogram's count). */
export const processedCount = (text: string, queue: string): number =>
  sample(text, 'messaging_process_duration_seconds_count', { messaging_destination_name: queue })
