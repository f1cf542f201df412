import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { HttpClient } from '@actions/http-client'
import { AttemptConnections, SwitchedProtocols } from './attempt-connections.js'
import type { ClientCertificate } from './client-certificate.js'
import { ClientTls } from './client-tls.js'
import { formEncode } from '../text/encoding.js'
import { checkRedirect, describeEndpoint } from './endpoint.js'
import { AttemptError } from '../errors.js'
import type { Settings } from '../inputs.js'
import type { Redactor } from '../text/log-text.js'
import type { ProxyEnvironment } from './proxy.js'
import { errorCode, networkError, plainHttpToTls, timeoutError, type NetworkContext } from './network-errors.js'
import { speaksTls } from './tls-probe.js'
import { isRetryableStatus } from './retry.js'
import { USER_AGENT } from '../version.js'

/** A token request ready to send; `derivedSecrets` must be masked before it is. */
export interface TokenRequest {
  url: URL
  /** The input `url` came from, for messages that say what to check. */
  endpointInput: 'base_url' | 'token_url'
  /** Said when the default endpoint redirects elsewhere: Datasaur documents another host too. */
  otherHostHint?: string
  headers: Record<string, string>
  body: string
  /** Values computed from the client secret (its form encoding, the Basic credentials). */
  derivedSecrets: string[]
}

/** What the endpoint answered, with the body read in full (and bounded). */
export interface TokenHttpResponse {
  /** The configured endpoint, the one messages name (also after redirects were followed). */
  url: URL
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** How one attempt is sent: its time limit, what messages must not repeat, the CA file in use. */
export interface SendOptions {
  timeoutMs: number
  redactor: Redactor
  extraCaFile?: string
  /** The TLS client certificate to present (client_certificate). */
  clientCertificate?: ClientCertificate
  /** The proxy variables as read before the first attempt; without them every request goes direct. */
  proxies?: ProxyEnvironment
}

/** Token responses are a few hundred bytes; anything past this is not one and is not read further. */
export const MAX_RESPONSE_BYTES = 64 * 1024
/** Redirect hops followed within one attempt. */
export const MAX_REDIRECTS = 3

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/**
 * Builds the client-credentials request (RFC 6749 §4.4.2). With `client_secret_basic` the id and
 * secret are form-encoded before they are joined and base64-encoded, as RFC 6749 §2.3.1 requires;
 * servers that follow it (oidc-provider among them) reject unencoded reserved characters.
 */
export function buildTokenRequest(settings: Settings): TokenRequest {
  const form = new URLSearchParams({ grant_type: 'client_credentials' })
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json'
  }
  const encodedSecret = formEncode(settings.clientSecret)
  // The form encoding is what the request carries; the URI encoding is how a server echoing the
  // secret in a redirect URL would write it.
  const derivedSecrets = [...new Set([encodedSecret, encodeURIComponent(settings.clientSecret)])].filter(
    value => value !== settings.clientSecret
  )
  if (settings.authMethod === 'client_secret_basic') {
    const credentials = Buffer.from(`${formEncode(settings.clientId)}:${encodedSecret}`).toString('base64')
    headers.Authorization = `Basic ${credentials}`
    derivedSecrets.push(credentials)
  } else {
    form.set('client_id', settings.clientId)
    form.set('client_secret', settings.clientSecret)
  }
  if (settings.scope) form.set('scope', settings.scope)
  return {
    url: settings.tokenUrl,
    endpointInput: settings.endpointInput,
    otherHostHint: settings.otherHostHint,
    headers,
    body: form.toString(),
    derivedSecrets
  }
}

/**
 * Sends one attempt: the POST, up to `MAX_REDIRECTS` safe redirects, and the body, all within
 * `timeoutMs`. Failures become `AttemptError`s that say whether trying again could help. Whatever
 * the outcome, every connection the attempt opened is closed before this returns.
 */
export async function sendTokenRequest(request: TokenRequest, options: SendOptions): Promise<TokenHttpResponse> {
  const connections = new AttemptConnections(options.proxies)
  const clientTls = new ClientTls(options.clientCertificate)
  // Each request is sent with requestRaw, with the agent AttemptConnections chose, so the client's
  // own proxy reading, redirects and retries never apply: they are decided here and in retry.ts.
  const client = new HttpClient(USER_AGENT, undefined, {
    allowRedirects: false,
    socketTimeout: options.timeoutMs
  })
  const exchange = new Exchange(request, options, connections, clientTls)
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(exchange.context(), options.timeoutMs)), options.timeoutMs)
  })
  try {
    return await Promise.race([exchange.run(client), deadline])
  } finally {
    clearTimeout(timer)
    // Nothing of the attempt may outlive it, or a silent proxy or a trickling body would keep the
    // process running long after the step's outcome is known.
    connections.destroyAll()
    client.dispose()
  }
}

/** One attempt's walk along redirects, keeping what the deadline needs to know. */
class Exchange {
  /** The URL being requested now. */
  url: URL

  constructor(
    private readonly request: TokenRequest,
    private readonly options: SendOptions,
    private readonly connections: AttemptConnections,
    private readonly clientTls: ClientTls
  ) {
    this.url = request.url
  }

  context(): NetworkContext {
    return {
      endpoint: this.request.url,
      url: this.url,
      endpointInput: this.request.endpointInput,
      proxy: this.connections.proxy,
      proxyVariable: this.connections.proxyInUse?.variable,
      proxyFailure: this.connections.proxyFailure,
      extraCaFile: this.options.extraCaFile,
      clientCertificateSet: this.options.clientCertificate !== undefined,
      certificateRequested: this.clientTls.certificateRequested
    }
  }

  async run(client: HttpClient): Promise<TokenHttpResponse> {
    const { request } = this
    for (let hop = 0; ; hop++) {
      let message: IncomingMessage
      try {
        const info = this.connections.requestInfo('POST', this.url, this.headers(client))
        this.clientTls.prepareRequest(info.options)
        const sent = client.requestRaw(info, request.body)
        message = (await Promise.race([sent, this.connections.switchedProtocols])).message
      } catch (error) {
        if (error instanceof SwitchedProtocols) throw this.switchedProtocols()
        throw await this.connectionError(error)
      }
      const status = message.statusCode ?? 0
      // Without an Upgrade header Node passes the 101 on as an answer. Other 1xx are interim (RFC 9110
      // §15.2): Node reads past them to the final answer, which the deadline bounds.
      if (status === 101) throw this.switchedProtocols()
      if (!REDIRECT_STATUSES.has(status)) {
        const body = await this.readBody(status, message)
        return { url: request.url, status, headers: message.headers, body }
      }
      const decision = checkRedirect(this.url, status, message.headers.location, text =>
        this.options.redactor.mentions(text)
      )
      const where = describeEndpoint(request.url)
      const fix = `Set '${request.endpointInput}' to the endpoint's final address.`
      if (!decision.follow) {
        const hint = request.otherHostHint ? ` ${request.otherHostHint}` : ''
        throw new AttemptError(
          `The token endpoint ${where} ${decision.reason}; the request was not sent there. ${fix}${hint}`,
          { retryable: false, reason: `HTTP ${status}` }
        )
      }
      if (hop >= MAX_REDIRECTS) {
        throw new AttemptError(`The token endpoint ${where} redirected more than ${MAX_REDIRECTS} times. ${fix}`, {
          retryable: false,
          reason: `HTTP ${status}`
        })
      }
      this.url = decision.url
    }
  }

  /** The request's headers, with the client's User-Agent (which names the job's orchestration id). */
  private headers(client: HttpClient): Record<string, string> {
    return { ...this.request.headers, 'User-Agent': String(client.userAgent) }
  }

  /**
   * The message for a failed request. A reset of a plain-http request is what a TLS server answers it
   * with, so the port is asked whether it speaks TLS before the reset counts as passing. (Plain http
   * goes to loopback only, which http-client never sends through a proxy.)
   */
  private async connectionError(error: unknown): Promise<AttemptError> {
    const context = this.context()
    if (this.url.protocol === 'http:' && errorCode(error) === 'ECONNRESET') {
      if (await speaksTls(this.url, socket => this.connections.track(socket))) {
        return plainHttpToTls(context, 'it closed the connection, ECONNRESET', 'ECONNRESET')
      }
    }
    return networkError(error, context)
  }

  /** A 101 Switching Protocols: a token endpoint answers the POST itself, so the address is wrong. */
  private switchedProtocols(): AttemptError {
    return new AttemptError(
      `The token endpoint ${describeEndpoint(this.request.url)} answered 101 Switching Protocols: it is not a ` +
        `token endpoint (a WebSocket or other upgrade service answers so). Check '${this.request.endpointInput}'.`,
      { retryable: false, reason: 'HTTP 101' }
    )
  }

  /**
   * Reads the body up to `MAX_RESPONSE_BYTES`; a longer one is not buffered, and the end of the
   * attempt, which follows at once, closes its connection.
   */
  private readBody(status: number, message: IncomingMessage): Promise<string> {
    const tooLarge = (): AttemptError =>
      new AttemptError(
        `The token endpoint ${describeEndpoint(this.request.url)} answered HTTP ${status} with a body larger than ` +
          `${MAX_RESPONSE_BYTES / 1024} KiB, which is not a token response.`,
        { retryable: isRetryableStatus(status), reason: `HTTP ${status}, oversized body` }
      )
    return new Promise((resolve, reject) => {
      if (Number(message.headers['content-length']) > MAX_RESPONSE_BYTES) {
        reject(tooLarge())
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      message.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_RESPONSE_BYTES) {
          reject(tooLarge())
        } else {
          chunks.push(chunk)
        }
      })
      message.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      // An answer has begun, so the server accepted the connection: a reset now is no verdict on a certificate.
      message.on('error', error => reject(networkError(error, { ...this.context(), certificateRequested: false })))
    })
  }
}
