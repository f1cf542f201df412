import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { HttpClient } from '@actions/http-client'
import { checkRedirect, describeEndpoint } from './endpoint.js'
import { AttemptError } from './errors.js'
import type { Settings } from './inputs.js'
import { isRetryableStatus } from './retry.js'
import { USER_AGENT } from './version.js'

/** A token request ready to send; `derivedSecrets` must be masked before it is. */
export interface TokenRequest {
  url: URL
  headers: Record<string, string>
  body: string
  /** Values computed from the client secret (its form encoding, the Basic credentials). */
  derivedSecrets: string[]
  /** The secret and every value derived from it: never to be quoted in a message. */
  secrets: string[]
}

/** What the endpoint answered, with the body read in full (and bounded). */
export interface TokenHttpResponse {
  /** The configured endpoint, the one messages name. */
  url: URL
  /** Where the answer came from, after any redirects followed. */
  finalUrl: URL
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** Token responses are a few hundred bytes; anything past this is not one and is not read further. */
export const MAX_RESPONSE_BYTES = 64 * 1024
/** Redirect hops followed within one attempt. */
export const MAX_REDIRECTS = 3

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/** A value encoded as `application/x-www-form-urlencoded`, exactly as URLSearchParams writes it. */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}

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
    headers,
    body: form.toString(),
    derivedSecrets,
    secrets: [settings.clientSecret, ...derivedSecrets]
  }
}

/**
 * Sends one attempt: the POST, up to `MAX_REDIRECTS` safe redirects, and the body, all within
 * `timeoutMs`. Failures become `AttemptError`s that say whether trying again could help.
 */
export async function sendTokenRequest(request: TokenRequest, timeoutMs: number): Promise<TokenHttpResponse> {
  // http-client's own redirects and retries are off: both are decided here and in retry.ts.
  const client = new HttpClient(USER_AGENT, [], {
    allowRedirects: false,
    allowRetries: false,
    keepAlive: false,
    socketTimeout: timeoutMs
  })
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(request.url, timeoutMs)), timeoutMs)
  })
  const inFlight: InFlight = {}
  try {
    return await Promise.race([postFollowingRedirects(client, request, inFlight), deadline])
  } finally {
    clearTimeout(timer)
    // Nothing of a timed-out attempt may outlive it, or a trickling body would keep the step
    // running. dispose() closes the client's direct sockets but not a proxy tunnel, so the
    // response being read is destroyed as well, which closes whichever socket carries it.
    inFlight.message?.destroy()
    client.dispose()
  }
}

/** The response currently being read, so the deadline can cut it off. */
interface InFlight {
  message?: IncomingMessage
}

async function postFollowingRedirects(
  client: HttpClient,
  request: TokenRequest,
  inFlight: InFlight
): Promise<TokenHttpResponse> {
  let url = request.url
  for (let hop = 0; ; hop++) {
    let message: IncomingMessage
    try {
      message = (await client.request('POST', url.href, request.body, request.headers)).message
      inFlight.message = message
    } catch (error) {
      throw networkError(request.url, url, error)
    }
    const status = message.statusCode ?? 0
    if (!REDIRECT_STATUSES.has(status)) {
      const body = await readBody(request.url, status, message)
      return { url: request.url, finalUrl: url, status, headers: message.headers, body }
    }
    message.destroy()
    const decision = checkRedirect(url, status, message.headers.location, target =>
      mentionsSecret(target, request.secrets) ? 'a Location that contains the client secret' : describeEndpoint(target)
    )
    if (!decision.follow) {
      throw new AttemptError(
        `The token endpoint ${describeEndpoint(request.url)} ${decision.reason}; the request was not sent there. ` +
          "Set 'base_url' or 'token_url' to the endpoint's final address.",
        { retryable: false, reason: `HTTP ${status}` }
      )
    }
    if (hop >= MAX_REDIRECTS) {
      throw new AttemptError(
        `The token endpoint ${describeEndpoint(request.url)} redirected more than ${MAX_REDIRECTS} times. ` +
          "Set 'base_url' or 'token_url' to the endpoint's final address.",
        { retryable: false, reason: `HTTP ${status}` }
      )
    }
    url = decision.url
  }
}

/** Reads the body up to `MAX_RESPONSE_BYTES`; a longer one is cut off, not buffered. */
function readBody(url: URL, status: number, message: IncomingMessage): Promise<string> {
  const tooLarge = (): AttemptError =>
    new AttemptError(
      `The token endpoint ${describeEndpoint(url)} answered HTTP ${status} with a body larger than ` +
        `${MAX_RESPONSE_BYTES / 1024} KiB, which is not a token response.`,
      { retryable: isRetryableStatus(status), reason: `HTTP ${status}, oversized body` }
    )
  return new Promise((resolve, reject) => {
    if (Number(message.headers['content-length']) > MAX_RESPONSE_BYTES) {
      message.destroy()
      reject(tooLarge())
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    message.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_RESPONSE_BYTES) {
        message.destroy()
        reject(tooLarge())
      } else {
        chunks.push(chunk)
      }
    })
    message.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    message.on('error', error => reject(networkError(url, url, error)))
  })
}

/** Certificate problems are configuration, not weather: retrying cannot fix them. */
const CERTIFICATE_ERRORS = new Set([
  'CERT_CHAIN_TOO_LONG',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
])

/** `endpoint` is the configured endpoint, which the message names; `url` is the one that failed. */
function networkError(endpoint: URL, url: URL, error: unknown): AttemptError {
  const code = errorCode(error)
  const where = describeEndpoint(endpoint)
  if (CERTIFICATE_ERRORS.has(code)) {
    return new AttemptError(
      `The TLS certificate of ${url.host} was not accepted (${code}). If the server uses a private or ` +
        'corporate CA, set NODE_EXTRA_CA_CERTS in the env of this step to the path of the CA certificate (PEM).',
      { retryable: false, reason: code }
    )
  }
  return new AttemptError(`Could not reach the token endpoint ${where} (${code}).`, { retryable: true, reason: code })
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code
  // http-client reports its socket timeout as a plain Error without a code.
  if (error instanceof Error && error.message.startsWith('Request timeout')) return 'ETIMEDOUT'
  return 'network error'
}

function timedOut(url: URL, timeoutMs: number): AttemptError {
  return new AttemptError(
    `The token endpoint ${describeEndpoint(url)} did not answer within ${timeoutMs / 1000} s (timeout_seconds).`,
    { retryable: true, reason: `timed out after ${timeoutMs / 1000} s` }
  )
}

/**
 * Whether a redirect target repeats the secret in any form a server might echo it: as sent, URL- or
 * form-encoded, decoded, or lowercased by the URL parser in a host name.
 */
function mentionsSecret(target: URL, secrets: string[]): boolean {
  const texts = [target.href, safeDecode(target.href)].map(text => text.toLowerCase())
  return secrets.some(secret => secret && texts.some(text => text.includes(secret.toLowerCase())))
}

/** Decodes each run of valid %XX escapes, leaving stray '%' signs as they are. */
function safeDecode(text: string): string {
  return text.replace(/(%[0-9A-Fa-f]{2})+/g, run => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
}
