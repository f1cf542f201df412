import { clientCertificateError } from './client-certificate-errors.js'
import { describeEndpoint } from './endpoint.js'
import { AttemptError } from '../errors.js'
import { logSafe } from '../text/log-text.js'

/** What a message about a failed connection needs to know besides the error. */
export interface NetworkContext {
  /** The configured endpoint, which messages name. */
  endpoint: URL
  /** The URL that failed (the endpoint, or a redirect target on the same host). */
  url: URL
  /** The input the endpoint came from. */
  endpointInput: 'base_url' | 'token_url'
  /** `host:port` of the proxy in use, if any. */
  proxy?: string
  /** The variable that proxy was read from (https_proxy, HTTPS_PROXY, all_proxy...). */
  proxyVariable?: string
  /** The error the connection to the proxy failed with, if it did. */
  proxyFailure?: unknown
  /** The file NODE_EXTRA_CA_CERTS names, if set (already checked to hold PEM certificates). */
  extraCaFile?: string
  /** Whether client_certificate is set. */
  clientCertificateSet?: boolean
  /** Whether the server asked for a client certificate on the connection that failed, before any answer. */
  certificateRequested?: boolean
}

/**
 * Errors worth another attempt: the network or the server may be different in a moment. Anything
 * else (a name that does not resolve, a certificate, a malformed answer, a wrong scheme) fails at
 * once, because repeating the request only delays the message that says what to fix.
 */
const TRANSIENT_CODES = new Set([
  'EAI_AGAIN',
  'ECONNABORTED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ENETUNREACH',
  'EPIPE',
  'EPROTO',
  'ETIMEDOUT'
])

type CertificateProblem = 'wrong name' | 'expired' | 'not yet valid' | 'unknown issuer' | 'invalid'

/** Certificate verification codes (OpenSSL's, and Node's for the host name), by what to tell the user. */
export const CERTIFICATE_PROBLEMS: Readonly<Record<string, CertificateProblem>> = {
  ERR_TLS_CERT_ALTNAME_INVALID: 'wrong name',
  HOSTNAME_MISMATCH: 'wrong name',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not yet valid',
  CERT_UNTRUSTED: 'unknown issuer',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown issuer',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown issuer',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown issuer',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown issuer',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown issuer',
  CERT_CHAIN_TOO_LONG: 'invalid',
  CERT_REJECTED: 'invalid',
  CERT_REVOKED: 'invalid',
  CERT_SIGNATURE_FAILURE: 'invalid',
  INVALID_CA: 'invalid',
  INVALID_PURPOSE: 'invalid',
  PATH_LENGTH_EXCEEDED: 'invalid',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'invalid',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'invalid'
}

/** Turns a failed connection into the message a user reads, and whether to try again. */
export function networkError(error: unknown, context: NetworkContext): AttemptError {
  const code = errorCode(error)
  // Stryker disable next-line StringLiteral: any text that matches none of the patterns below reads the same.
  const message = error instanceof Error ? error.message : ''
  const where = describeEndpoint(context.endpoint)
  const host = context.url.host

  if (/^(tunneling socket could not be established|got illegal response body from proxy)/.test(message)) {
    return proxyError(message, code, context)
  }
  const clientCertificate = clientCertificateError(error, context)
  if (clientCertificate) return clientCertificate
  const problem = CERTIFICATE_PROBLEMS[code]
  if (problem) return final(certificateMessage(problem, code, context), code)
  if (code === 'ENOTFOUND') {
    return final(
      `Could not resolve the host ${context.url.hostname} of the token endpoint ${where} (ENOTFOUND): check the ` +
        `spelling of '${context.endpointInput}', that the runner has DNS and network access to it, and ` +
        'https_proxy if the runner must go through a proxy.',
      code
    )
  }
  // Node 24 has a code for it; earlier versions report EPROTO with OpenSSL's words.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message)) {
    return final(
      `${host} did not answer with TLS (${code}): it may serve plain http on this port; check the scheme and ` +
        `port of '${context.endpointInput}'.`,
      code
    )
  }
  if (code.startsWith('HPE_') && context.url.protocol === 'http:' && isTlsRecord(error)) {
    return plainHttpToTls(context, `it answered with a TLS alert, ${code}`, code)
  }
  if (code.startsWith('HPE_')) {
    return final(
      `The token endpoint ${where} answered with something that is not HTTP (${code}): check that ` +
        `'${context.endpointInput}' points at the Datasaur server and not at another service.`,
      code
    )
  }
  // An error without a code says nothing about its cause; it is treated as passing.
  if (!TRANSIENT_CODES.has(code) && code !== NO_CODE) {
    return final(`Could not reach the token endpoint ${where} (${code}).`, code)
  }
  const hint =
    code === 'ECONNREFUSED'
      ? ` Nothing accepted the connection to ${host}: check the port in '${context.endpointInput}' and that the server is running.`
      : code === 'ETIMEDOUT'
        ? ` Check that the runner can reach ${context.url.hostname} (a firewall may drop the traffic).`
        : ''
  return new AttemptError(`Could not reach the token endpoint ${where} (${code}).${hint}`, {
    retryable: true,
    reason: code
  })
}

/**
 * What Node's HTTP parser choked on, when it is a TLS record (RFC 8446 §5.1: content type 21, an
 * alert, or 22, a handshake, then the major version 3): a TLS server answering a plain-http request.
 */
function isTlsRecord(error: unknown): boolean {
  const raw = (error as { rawPacket?: unknown }).rawPacket
  return Buffer.isBuffer(raw) && (raw[0] === 0x15 || raw[0] === 0x16) && raw[1] === 0x03
}

/** Plain http sent to a server that speaks TLS (`how` says how that showed): final, with the fix. */
export function plainHttpToTls(context: NetworkContext, how: string, reason: string): AttemptError {
  return final(
    `The server at ${context.url.host} speaks TLS, but the token endpoint ${describeEndpoint(context.endpoint)} ` +
      `was asked in plain http (${how}): use https:// in '${context.endpointInput}'.`,
    reason
  )
}

/** The attempt ran out of `timeout_seconds` before the answer was complete. */
export function timeoutError(context: NetworkContext, timeoutMs: number): AttemptError {
  const via = context.proxy ? ` through the proxy ${context.proxy}` : ''
  return new AttemptError(
    `The token endpoint ${describeEndpoint(context.endpoint)} did not answer within ${timeoutMs / 1000} s ` +
      `(timeout_seconds)${via}. Check that the runner can reach ${context.url.hostname}, or raise ` +
      'timeout_seconds if the server is slow.',
    { retryable: true, reason: `timed out after ${timeoutMs / 1000} s` }
  )
}

function final(message: string, reason: string): AttemptError {
  return new AttemptError(message, { retryable: false, reason })
}

function certificateMessage(problem: CertificateProblem, code: string, context: NetworkContext): string {
  const { hostname } = context.url
  const subject = `The TLS certificate of ${context.url.host}`
  switch (problem) {
    case 'wrong name':
      return (
        `${subject} is for another name (${code}): check the host in '${context.endpointInput}'; it must be ` +
        'a name the certificate lists.'
      )
    case 'expired':
      return (
        `${subject} has expired (${code}): the server's certificate must be renewed; if it should still be ` +
        "valid, check the runner's clock."
      )
    case 'not yet valid':
      return (
        `${subject} is not valid yet (${code}): check the runner's clock, or the certificate's start date on ` +
        'the server.'
      )
    case 'unknown issuer':
      return context.extraCaFile
        ? `${subject} was issued by a CA that is not trusted (${code}): the file NODE_EXTRA_CA_CERTS names ` +
            `(${logSafe(context.extraCaFile, 200)}) was loaded but does not contain the issuer of this certificate; add the ` +
            `CA certificate that issued the certificate of ${hostname}.`
        : `${subject} was issued by a CA that is not trusted (${code}). If the server uses a private or ` +
            'corporate CA, set NODE_EXTRA_CA_CERTS in the env of this step to the path of the CA certificate (PEM).'
    case 'invalid':
      return `${subject} was not accepted (${code}): the server's certificate chain must be fixed.`
  }
}

/**
 * `tunnel`, which http-client uses for proxies, reports a CONNECT the proxy refused as an error whose
 * message carries `statusCode=NNN`, and a failure to reach the proxy as `cause=<error message>`, both
 * with the code ECONNRESET; the status or the cause is what the user needs.
 */
function proxyError(message: string, code: string, context: NetworkContext): AttemptError {
  const variable = context.proxyVariable ?? 'https_proxy'
  const proxy = context.proxy ?? `configured in ${variable}`
  const target = context.url.host
  const status = Number(/statusCode=(\d{3})\b/.exec(message)?.[1])
  if (status === 407) {
    return final(
      `The proxy ${proxy} asked for authentication (407): check the user and password in ${variable}.`,
      'proxy HTTP 407'
    )
  }
  if (status === 403) {
    return final(
      `The proxy ${proxy} refused to connect to ${target} (403): ask for it to be allowed, or add it to no_proxy ` +
        'if it is reachable directly.',
      'proxy HTTP 403'
    )
  }
  if (status === 502 || status === 503 || status === 504) {
    return new AttemptError(
      `The proxy ${proxy} answered HTTP ${status} to the tunnel to ${target}: the proxy could not reach the token ` +
        `endpoint ${describeEndpoint(context.endpoint)}.`,
      { retryable: true, reason: `proxy HTTP ${status}` }
    )
  }
  if (status) {
    return final(
      `The proxy ${proxy} refused the tunnel to ${target} (HTTP ${status}): check ${variable}.`,
      `proxy HTTP ${status}`
    )
  }
  // Whatever failed on the way to the proxy, with the code Node gave it.
  const cause = context.proxyFailure === undefined ? code : errorCode(context.proxyFailure)
  if (CERTIFICATE_PROBLEMS[cause]) {
    return final(
      `The TLS certificate of the proxy ${proxy} was not accepted (${cause}): if the proxy's certificate is issued ` +
        'by a private or corporate CA, set NODE_EXTRA_CA_CERTS in the env of this step to the path of that CA (PEM).',
      `proxy ${cause}`
    )
  }
  if (cause === 'ENOTFOUND') {
    return final(`Could not resolve the host of the proxy ${proxy} (ENOTFOUND): check ${variable}.`, cause)
  }
  return new AttemptError(`Could not connect to the proxy ${proxy} (${cause}): check ${variable}.`, {
    retryable: TRANSIENT_CODES.has(cause) || cause === NO_CODE,
    reason: `proxy ${cause}`
  })
}

export function errorCode(error: unknown): string {
  const code = String((error as { code?: unknown } | undefined)?.code)
  return /^[A-Z0-9_]+$/.test(code) ? code : NO_CODE
}

const NO_CODE = 'network error'
