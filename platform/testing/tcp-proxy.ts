import type { Socket, TCPSocketListener } from 'bun'

/**
 * A TCP proxy in front of a real server, which a test can cut and restore: "the broker is down"
 * without stopping the broker other tests use.
 */
export class TcpProxy {
  private listener: TCPSocketListener<{ upstream?: Socket<unknown>; buffered: Uint8Array[] }> | undefined
  private readonly sockets = new Set<Socket<unknown>>()
  /** While stalled: connections are taken and never answered, as a broker that is stuck does. */
  private stalled = false
  port = 0

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    const sockets = this.sockets
    const isStalled = () => this.stalled
    const targetHost = this.targetHost
    const targetPort = this.targetPort
    this.listener = Bun.listen<{ upstream?: Socket<unknown>; buffered: Uint8Array[] }>({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(client) {
          client.data = { buffered: [] }
          sockets.add(client as Socket<unknown>)
          if (isStalled()) return // taken, never answered
          void Bun.connect({
            hostname: targetHost,
            port: targetPort,
            socket: {
              open(up) {
                client.data.upstream = up as Socket<unknown>
                sockets.add(up as Socket<unknown>)
                for (const b of client.data.buffered) up.write(b)
                client.data.buffered = []
              },
              data(_up, chunk) {
                client.write(chunk)
              },
              close() {
                client.end()
              },
              error() {
                client.end()
              },
            },
          }).catch(() => client.end())
        },
        data(client, chunk) {
          if (client.data.upstream) client.data.upstream.write(chunk)
          else client.data.buffered.push(new Uint8Array(chunk))
        },
        close(client) {
          client.data.upstream?.end()
        },
        error(client) {
          client.data.upstream?.end()
        },
      },
    })
    this.port = this.listener.port
    return this.port
  }

  /** Drops every connection and refuses new ones until `start()` again on the same port. */
  cut(): void {
    this.listener?.stop(true)
    this.listener = undefined
    for (const s of this.sockets) s.terminate()
    this.sockets.clear()
  }

  /**
   * Drops every connection; new ones are then taken (TCP succeeds) but never answered, and stay
   * so even after `unstall()`: a broker that accepts and hangs, rather than one that is down.
   */
  stall(): void {
    for (const s of this.sockets) s.terminate()
    this.sockets.clear()
    this.stalled = true
  }

  /** New connections reach the server again (those taken while stalled stay unanswered). */
  unstall(): void {
    this.stalled = false
  }

  async restore(): Promise<void> {
    await this.start(this.port)
  }

  stop(): void {
    this.cut()
  }
}
