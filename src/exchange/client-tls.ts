import type { RequestOptions } from 'node:http'
import type { Socket } from 'node:net'
import type { ConnectionOptions, TLSSocket } from 'node:tls'
import type { RequestHandler } from '@actions/http-client/lib/interfaces'
import type { ClientCertificate } from './client-certificate.js'

type CertificateOptions = Pick<ConnectionOptions, 'cert' | 'key' | 'pfx' | 'passphrase'>

/**
 * The agent http-client gives a request: an http(s).Agent, which makes connections with
 * `createConnection`, or for a proxy `tunnel`'s agent, which has `proxyOptions` and makes the TLS
 * socket inside the CONNECT tunnel with `createSocket`, from its own `options`.
 */
interface Agent {
  options: CertificateOptions
  proxyOptions?: object
  createSocket: (options: unknown, done: (socket: Socket) => void) => void
  createConnection: (...args: unknown[]) => Socket
}

/** The TLS options that present the client certificate. */
export function certificateOptions(certificate: ClientCertificate | undefined): CertificateOptions {
  if (!certificate) return {}
  const { cert, key, pfx, passphrase } = certificate
  return pfx ? { pfx: Buffer.from(pfx, 'base64'), passphrase } : { cert, key, passphrase }
}

/**
 * An http-client request handler that presents the client certificate on every connection of an
 * attempt, direct or through a proxy, and notes whether the server asked for one. It sees each
 * request after the agent is chosen: a direct request takes TLS options from the request, but a
 * tunnelled one gets its TLS socket from `tunnel`, which reads only the agent's options, so there
 * the certificate goes on the agent.
 */
export class ClientTls implements RequestHandler {
  /**
   * Whether the server sent a CertificateRequest in the handshake of the latest connection. Only
   * that message gives a client the server's signature algorithms, so a client sees shared ones
   * (`getSharedSigalgs`) exactly when a certificate was asked for.
   */
  // Stryker disable next-line BooleanLiteral: every connection sets it afresh before it can fail.
  certificateRequested = false
  private readonly options: CertificateOptions
  private readonly wrapped = new WeakSet<object>()

  constructor(certificate: ClientCertificate | undefined) {
    this.options = certificateOptions(certificate)
  }

  prepareRequest(options: RequestOptions): void {
    const agent = options.agent as unknown as Agent
    const tunnel = agent.proxyOptions !== undefined
    Object.assign(tunnel ? agent.options : options, this.options)
    // A direct request's agent serves every hop of the attempt; it is wrapped once (wrapping it again
    // would only watch each connection twice).
    // Stryker disable next-line ConditionalExpression
    if (this.wrapped.has(agent)) return
    // Stryker disable next-line CallExpression
    this.wrapped.add(agent)
    if (tunnel) {
      const create = agent.createSocket
      agent.createSocket = (opts, done) => create.call(agent, opts, socket => done(this.watch(socket)))
    } else {
      const create = agent.createConnection
      agent.createConnection = (...args) => this.watch(create.apply(agent, args))
    }
  }

  /**
   * Watches a new connection's handshake. A CertificateRequest comes before the key material a
   * client logs next (TLS 1.2: before its key exchange; TLS 1.3: before the server's Finished), so
   * each `keylog` event is the moment to look; the lines themselves are secrets and are not read.
   */
  private watch(socket: Socket): Socket {
    this.certificateRequested = false
    // A plain connection (http to a loopback endpoint) has no handshake, and never logs keys.
    const tls = socket as TLSSocket
    tls.on('keylog', () => {
      if (tls.getSharedSigalgs().length > 0) this.certificateRequested = true
    })
    return socket
  }

  // Stryker disable all: http-client asks these on a 401, which this handler never takes over.
  canHandleAuthentication(): boolean {
    return false
  }

  handleAuthentication(): Promise<never> {
    return Promise.reject(new Error('not supported'))
  }
  // Stryker restore all
}
