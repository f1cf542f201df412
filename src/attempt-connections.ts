import type { ClientRequest, RequestOptions } from 'node:http'
import type { RequestOptions as TlsRequestOptions } from 'node:https'
import type { Socket } from 'node:net'
import type { RequestHandler } from '@actions/http-client/lib/interfaces'

/**
 * The part of the `tunnel` agent that `@actions/http-client` uses for proxies which this module
 * touches. `tunnel` issues the CONNECT with `agent.request`, which the client does not expose, and
 * `client.dispose()` does not close the connections it makes.
 */
interface TunnelAgent {
  options: { rejectUnauthorized?: boolean }
  proxyOptions: { host?: string; port?: number | string; proxyAuth?: string }
  request: (options: RequestOptions) => ClientRequest
}

function isTunnelAgent(agent: unknown): agent is TunnelAgent {
  return typeof agent === 'object' && agent !== null && 'proxyOptions' in agent && 'request' in agent
}

/**
 * The connections one attempt opens through a proxy, so that its end (an answer, an error or the
 * deadline) can close them: a proxy that never answers the CONNECT, or opens the tunnel and relays
 * nothing, would otherwise keep the process alive long after the step has failed.
 *
 * It is an http-client request handler, which sees every request's options after the agent is chosen
 * and before anything connects. It also applies two rules to every request:
 * - TLS certificates are always verified, whatever NODE_TLS_REJECT_UNAUTHORIZED says, through a
 *   proxy too (`tunnel` builds the TLS connection from its agent's options, not the request's);
 * - an IPv6 literal reaches `http.request` without the URL's brackets, which would otherwise be
 *   looked up in DNS as a name.
 * The proxy's credentials are sent as a `Proxy-Authorization` header built here, because `tunnel`
 * builds it with the deprecated `new Buffer()`, which prints a warning into the step log.
 */
export class AttemptConnections implements RequestHandler {
  /** The sockets to the proxy, which carry the tunnels (and the TLS connections inside them). */
  private readonly proxySockets: Socket[] = []
  /** `host:port` of the proxy the attempt goes through, if any. */
  proxy: string | undefined

  prepareRequest(options: RequestOptions): void {
    if (options.host?.startsWith('[')) options.host = options.host.slice(1, -1)
    ;(options as TlsRequestOptions).rejectUnauthorized = true
    if (isTunnelAgent(options.agent)) this.ownTunnel(options.agent)
  }

  private ownTunnel(agent: TunnelAgent): void {
    agent.options.rejectUnauthorized = true
    const { proxyAuth, ...proxyOptions } = agent.proxyOptions
    agent.proxyOptions = proxyOptions
    this.proxy = `${proxyOptions.host}:${proxyOptions.port}`
    const authorization = proxyAuth
      ? { 'Proxy-Authorization': `Basic ${Buffer.from(proxyAuth).toString('base64')}` }
      : {}
    const request = agent.request
    agent.request = options => {
      const connect = request({ ...options, headers: { ...options.headers, ...authorization } })
      connect.on('socket', socket => this.proxySockets.push(socket))
      return connect
    }
  }

  canHandleAuthentication(): boolean {
    return false
  }

  handleAuthentication(): Promise<never> {
    return Promise.reject(new Error('not supported'))
  }

  /**
   * Closes the proxy connections the attempt opened, whatever state they are in: waiting for the
   * CONNECT answer, or carrying a tunnel. (Direct connections belong to the client's own agent,
   * which `client.dispose()` closes.)
   */
  destroyAll(): void {
    for (const socket of this.proxySockets) socket.destroy()
  }
}
