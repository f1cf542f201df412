import http, { type ClientRequest, type OutgoingHttpHeaders, type RequestOptions } from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'
import type { RequestInfo } from '@actions/http-client/lib/interfaces'
import * as tunnel from 'tunnel'
import { sharedLookup } from './lookup.js'
import { proxyFor, type Proxy, type ProxyEnvironment } from './proxy.js'

/** The tunnel agent for each scheme of the endpoint, by whether the proxy itself speaks TLS. */
const TUNNELS = {
  'https:': { overHttp: tunnel.httpsOverHttp, overHttps: tunnel.httpsOverHttps },
  'http:': { overHttp: tunnel.httpOverHttp, overHttps: tunnel.httpOverHttps }
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

/**
 * The connections one attempt opens, and the choice of how each request goes: through the proxy
 * that applies to its host, read once from the environment (proxy.ts), or direct. The agent is
 * chosen here and handed to `@actions/http-client` with the request; the client never reads the
 * proxy variables itself, since it connects directly when it cannot parse one.
 *
 * The end of the attempt (an answer, an error or the deadline) closes everything it opened: a proxy
 * that never answers the CONNECT, or opens the tunnel and relays nothing, would otherwise keep the
 * process alive long after the step has failed. A direct request to an IPv6 literal gets the address
 * without the URL's brackets, which `http.request` would otherwise look up in DNS as a name (through
 * a proxy the brackets stay: the CONNECT target needs them). The proxy's credentials are sent as a
 * `Proxy-Authorization` header built here, because `tunnel` builds it with the deprecated
 * `new Buffer()`, which prints a warning into the step log.
 */
export class AttemptConnections {
  /** The sockets to the proxy, which carry the tunnels (and the TLS connections inside them). */
  private readonly proxySockets: Socket[] = []
  /** The agents of direct requests, one per request (none keeps a connection open after its answer). */
  private readonly directAgents: http.Agent[] = []
  /** The proxy the attempt went through last, if any. */
  proxyInUse: Proxy | undefined
  /**
   * Why the connection to the proxy failed, as Node reported it: `tunnel` passes on only its message,
   * which loses the code (a certificate problem of an https proxy, say).
   */
  proxyFailure: unknown
  /** Other connections the attempt opened itself (a probe), closed with the rest. */
  private readonly otherSockets: Socket[] = []
  /** Rejects with `SwitchedProtocols` when a request of the attempt is answered 101; it never resolves. */
  readonly switchedProtocols: Promise<never>
  private switchProtocols: (error: Error) => void = () => undefined

  constructor(private readonly proxies?: ProxyEnvironment) {
    this.switchedProtocols = new Promise<never>((_, reject) => (this.switchProtocols = reject))
    // Raced against each request; unobserved when no server switches protocols.
    // Stryker disable next-line CallExpression: every hop races it before a 101 can reject it.
    this.switchedProtocols.catch(() => undefined)
  }

  /** `host:port` of the proxy the attempt goes through, if any. */
  get proxy(): string | undefined {
    return this.proxyInUse?.address
  }

  /** What `HttpClient.requestRaw` sends: the request to `url`, with the agent that takes it there. */
  requestInfo(method: string, url: URL, headers: OutgoingHttpHeaders): RequestInfo {
    const secure = url.protocol === 'https:'
    const options: RequestOptions = {
      host: url.hostname,
      port: url.port ? Number(url.port) : secure ? 443 : 80,
      path: `${url.pathname}${url.search}`,
      method,
      headers
    }
    const proxy = proxyFor(this.proxies, url)
    if (proxy) {
      this.proxyInUse = proxy
      options.agent = this.tunnel(proxy, url.protocol as 'http:' | 'https:') as unknown as http.Agent
    } else {
      const agent = secure ? new https.Agent() : new http.Agent()
      this.directAgents.push(agent)
      options.agent = agent
      if (url.hostname.startsWith('[')) options.host = url.hostname.slice(1, -1)
      options.lookup = sharedLookup
    }
    this.watchUpgrades(options.agent as unknown as RequestAgent)
    return { options, parsedUrl: url, httpModule: secure ? https : http }
  }

  /**
   * Every request reaches its agent's `addRequest`, the one place a handler can see the request
   * itself; each request has an agent of its own.
   */
  private watchUpgrades(agent: RequestAgent): void {
    const add = agent.addRequest
    agent.addRequest = (request, ...rest) => {
      request.on('upgrade', (_response: unknown, socket: Socket) => {
        socket.destroy()
        this.switchProtocols(new SwitchedProtocols())
      })
      add.call(agent, request, ...rest)
    }
  }

  private tunnel(proxy: Proxy, protocol: 'http:' | 'https:'): tunnel.TunnelingAgent {
    const kinds = TUNNELS[protocol]
    const create = proxy.protocol === 'https:' ? kinds.overHttps : kinds.overHttp
    const agent = create({ proxy: { host: proxy.hostname, port: proxy.port } })
    const authorization = proxy.auth
      ? { 'Proxy-Authorization': `Basic ${Buffer.from(proxy.auth).toString('base64')}` }
      : {}
    const request = agent.request
    agent.request = options => {
      const connect = request({ ...options, lookup: sharedLookup, headers: { ...options.headers, ...authorization } })
      connect.on('socket', socket => this.proxySockets.push(socket))
      connect.once('error', error => (this.proxyFailure ??= error))
      return connect
    }
    return agent
  }

  /**
   * Closes every connection the attempt opened, whatever state it is in: to the proxy (waiting for
   * the CONNECT answer, or carrying a tunnel) and direct.
   */
  destroyAll(): void {
    for (const socket of this.proxySockets) socket.destroy()
    for (const agent of this.directAgents) agent.destroy()
    for (const socket of this.otherSockets) socket.destroy()
  }

  /** Another connection the attempt opened itself (a probe), to be closed with the rest. */
  track(socket: Socket): void {
    this.otherSockets.push(socket)
  }
}
