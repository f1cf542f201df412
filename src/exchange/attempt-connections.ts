import type { ClientRequest, RequestOptions } from 'node:http'
import type { Socket } from 'node:net'
import type { RequestHandler } from '@actions/http-client/lib/interfaces'
import { sharedLookup } from './lookup.js'

/**
 * The part of the `tunnel` agent that `@actions/http-client` uses for proxies which this module
 * touches. `tunnel` issues the CONNECT with `agent.request`, which the client does not expose, and
 * `client.dispose()` does not close the connections it makes.
 */
interface TunnelAgent {
  proxyOptions: { host?: string; port?: number | string; proxyAuth?: string }
  request: (options: RequestOptions) => ClientRequest
}

/** What both kinds of agent do with every request: http.Agent's and `tunnel`'s take different arguments after it. */
interface RequestAgent {
  addRequest: (request: ClientRequest, ...rest: unknown[]) => void
}

/**
 * The server switched protocols (101 with an Upgrade header). Node hands such an answer only to an
 * `upgrade` listener, and without one closes the connection without telling the request, which would
 * then wait out the whole deadline: a token endpoint never answers that way.
 */
export class SwitchedProtocols extends Error {}

/** http-client gives a direct request an http(s).Agent, and a proxied one a `tunnel` agent. */
function isTunnelAgent(agent: unknown): agent is TunnelAgent {
  return (agent as Partial<TunnelAgent>).proxyOptions !== undefined
}

/**
 * The connections one attempt opens through a proxy, so that its end (an answer, an error or the
 * deadline) can close them: a proxy that never answers the CONNECT, or opens the tunnel and relays
 * nothing, would otherwise keep the process alive long after the step has failed.
 *
 * It is an http-client request handler, which sees every request's options after the agent is chosen
 * and before anything connects. It also passes an IPv6 literal to a direct request without the URL's
 * brackets, which `http.request` would otherwise look up in DNS as a name (through a proxy the
 * brackets stay: the CONNECT target needs them). The proxy's credentials are sent as a
 * `Proxy-Authorization` header built here, because `tunnel` builds it with the deprecated
 * `new Buffer()`, which prints a warning into the step log.
 */
export class AttemptConnections implements RequestHandler {
  /** The sockets to the proxy, which carry the tunnels (and the TLS connections inside them). */
  private readonly proxySockets: Socket[] = []
  private readonly otherSockets: Socket[] = []
  /** `host:port` of the proxy the attempt goes through, if any. */
  proxy: string | undefined
  /**
   * Why the connection to the proxy failed, as Node reported it: `tunnel` passes on only its message,
   * which loses the code (a certificate problem of an https proxy, say).
   */
  proxyFailure: unknown
  /** Rejects with `SwitchedProtocols` when a request of the attempt is answered 101; it never resolves. */
  readonly switchedProtocols: Promise<never>
  private switchProtocols: (error: Error) => void = () => undefined
  private readonly watched = new WeakSet<object>()

  constructor() {
    this.switchedProtocols = new Promise<never>((_, reject) => (this.switchProtocols = reject))
    // Raced against each request; unobserved when no server switches protocols.
    // Stryker disable next-line CallExpression: every hop races it before a 101 can reject it.
    this.switchedProtocols.catch(() => undefined)
  }

  prepareRequest(options: RequestOptions): void {
    this.watchUpgrades(options.agent as unknown as RequestAgent)
    if (isTunnelAgent(options.agent)) return this.ownTunnel(options.agent)
    if (String(options.host).startsWith('[')) options.host = String(options.host).slice(1, -1)
    options.lookup = sharedLookup
  }

  /**
   * Every request reaches its agent's `addRequest`, the one place a handler can see the request
   * itself; the agent serves every hop of the attempt, so it is wrapped once.
   */
  private watchUpgrades(agent: RequestAgent): void {
    // Stryker disable next-line ConditionalExpression,BlockStatement: a second wrap only listens twice.
    if (this.watched.has(agent)) return
    // Stryker disable next-line CallExpression: a second wrap only listens twice.
    this.watched.add(agent)
    const add = agent.addRequest
    agent.addRequest = (request, ...rest) => {
      request.on('upgrade', (_response: unknown, socket: Socket) => {
        socket.destroy()
        this.switchProtocols(new SwitchedProtocols())
      })
      add.call(agent, request, ...rest)
    }
  }

  private ownTunnel(agent: TunnelAgent): void {
    const { proxyAuth, ...proxyOptions } = agent.proxyOptions
    agent.proxyOptions = proxyOptions
    this.proxy = proxyOptions.port ? `${proxyOptions.host}:${proxyOptions.port}` : proxyOptions.host
    const authorization = proxyAuth
      ? { 'Proxy-Authorization': `Basic ${Buffer.from(proxyAuth).toString('base64')}` }
      : {}
    const request = agent.request
    agent.request = options => {
      const connect = request({ ...options, lookup: sharedLookup, headers: { ...options.headers, ...authorization } })
      connect.on('socket', socket => this.proxySockets.push(socket))
      connect.once('error', error => (this.proxyFailure ??= error))
      return connect
    }
  }

  // Stryker disable all: http-client asks these on a 401; this handler never takes one over, and an
  // empty body (undefined) says no as well, so handleAuthentication is never called.
  canHandleAuthentication(): boolean {
    return false
  }

  handleAuthentication(): Promise<never> {
    return Promise.reject(new Error('not supported'))
  }
  // Stryker restore all

  /**
   * Closes the proxy connections the attempt opened, whatever state they are in: waiting for the
   * CONNECT answer, or carrying a tunnel. (Direct connections belong to the client's own agent,
   * which `client.dispose()` closes.)
   */
  destroyAll(): void {
    for (const socket of this.proxySockets) socket.destroy()
    for (const socket of this.otherSockets) socket.destroy()
  }

  /** Another connection the attempt opened itself (a probe), to be closed with the rest. */
  track(socket: Socket): void {
    this.otherSockets.push(socket)
  }
}
