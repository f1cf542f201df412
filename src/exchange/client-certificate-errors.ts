import { AttemptError } from '../errors.js'
import { describeEndpoint } from './endpoint.js'
import type { NetworkContext } from './network-errors.js'

/** What a server's TLS alert says about the client certificate it was sent, by the alert's name. */
const VERDICTS: Readonly<Record<string, string>> = {
  CERTIFICATE_REQUIRED:
    'the server received none: its key type or signature algorithm may be one the server does not accept',
  HANDSHAKE_FAILURE: 'the server ended the handshake after receiving it',
  UNKNOWN_CA:
    "it was not issued by a CA the server trusts: ask the server's operators which CA issues its client " +
    'certificates, and add any intermediate certificates to client_certificate',
  BAD_CERTIFICATE: "the server found it invalid (by the server's clock it may not be valid yet)",
  UNSUPPORTED_CERTIFICATE:
    'the server does not accept this kind of certificate: it must be one for TLS client authentication',
  CERTIFICATE_EXPIRED: "it has expired by the server's clock: renew it",
  CERTIFICATE_REVOKED: 'it has been revoked: ask for a new one',
  CERTIFICATE_UNKNOWN: 'the server could not verify it: add any intermediate certificates to client_certificate',
  ACCESS_DENIED: "the certificate is valid but not allowed here: ask the server's operators to authorise it",
  DECRYPT_ERROR: 'its signature did not verify: client_key must be the key of this certificate'
}

const SET_BOTH = 'set client_certificate and client_key to the certificate and key issued for this client.'

/**
 * The server's verdict on the client certificate, when the failed connection carries one: a TLS
 * alert (read as Node 20 and 24 spell them, in the code or in OpenSSL's message), or a reset right
 * after a handshake in which the server asked for a certificate, which is how a TLS 1.3 server's
 * rejection often arrives (it is sent after the client has finished its handshake). Final, and it
 * names the inputs: trying again cannot make a certificate appear or become acceptable.
 */
export function clientCertificateError(error: unknown, context: NetworkContext): AttemptError | undefined {
  // Read, not `instanceof` checked: Node's errors may come from another realm (under a test runner).
  const { code, message } = Object(error) as { code?: unknown; message?: unknown }
  // Every alert about a certificate has a name of two words.
  const alert = /(?:sslv3|tlsv13?|ssl\/tls)(?:_alert_(\w+)| alert ([a-z]+ [a-z]+))/i.exec(`${code} ${message}`)
  const name = String(alert?.[1] ?? alert?.[2])
    .toUpperCase()
    .replace(/ /g, '_')
  const asked = context.certificateRequested === true
  // A handshake failure means something else unless the server had asked for a certificate.
  const verdict = name !== 'HANDSHAKE_FAILURE' || asked ? VERDICTS[name] : undefined
  const reset = asked && (code === 'ECONNRESET' || code === 'EPIPE')
  if (!verdict && !reset) return undefined
  const where = describeEndpoint(context.endpoint)
  const cause = verdict ? `TLS alert ${name.toLowerCase().replace(/_/g, ' ')}` : String(code)
  if (!context.clientCertificateSet) {
    return final(
      `The token endpoint ${where} requires a TLS client certificate, and none is set (${cause}): ${SET_BOTH}`
    )
  }
  if (verdict) {
    return final(
      `The token endpoint ${where} rejected the TLS client certificate in client_certificate (${cause}): ${verdict}.`
    )
  }
  return final(
    `The token endpoint ${where} closed the connection (${code}) right after a TLS handshake in which it asked ` +
      'for a client certificate: it most likely rejected the one in client_certificate (a TLS 1.3 server often ' +
      'says so only with a reset). Check that it was issued by a CA the server trusts, for TLS client ' +
      'authentication, with any intermediate certificates.'
  )
}

/**
 * An ingress (nginx, and gateways built on it) that checks client certificates itself finishes the
 * handshake and answers HTTP 400 with one of these pages.
 */
export function ingressCertificateError(
  status: number,
  body: string,
  where: string,
  clientCertificateSet: boolean | undefined
): AttemptError | undefined {
  if (status !== 400) return undefined
  const answered = `The token endpoint ${where} answered HTTP 400`
  if (/No required SSL certificate was sent/i.test(body)) {
    return final(
      clientCertificateSet
        ? `${answered} "No required SSL certificate was sent", although client_certificate is set: the ` +
            'certificate did not reach the server, as when a TLS-inspecting proxy or load balancer ends the TLS ' +
            'connection before it; ask for this host to be passed through.'
        : `${answered} "No required SSL certificate was sent": it requires a TLS client certificate, and none is ` +
            `set: ${SET_BOTH}`
    )
  }
  if (/The SSL certificate error/i.test(body)) {
    return final(
      `${answered} "The SSL certificate error": it rejected the TLS client certificate in client_certificate. ` +
        'Check that it was issued by a CA the server trusts, is valid, and carries any intermediate certificates.'
    )
  }
  return undefined
}

function final(message: string): AttemptError {
  return new AttemptError(message, { retryable: false, reason: 'client certificate' })
}
