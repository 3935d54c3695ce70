// Sends an oversized JSON body to a URL with Node's own fetch, `tries` times one after the other, and prints one JSON
// line: each try's status (or the error fetch threw) and the problem's code. Run by tests/body-limit.test.ts.
const [url, bytes = '2097152', tries = '20'] = process.argv.slice(2)
const body = JSON.stringify({ username: 'x'.repeat(Number(bytes)), email: 'a@example.com', password: 'password-123' })
const results = []
for (let i = 0; i < Number(tries); i++) {
  try {
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })
    const problem = await r.json().catch(() => undefined)
    results.push({ status: r.status, code: problem?.code })
  } catch (e) {
    results.push({ error: `${e.message}${e.cause ? `: ${e.cause.code ?? e.cause.message}` : ''}` })
  }
}
console.log(JSON.stringify(results))
