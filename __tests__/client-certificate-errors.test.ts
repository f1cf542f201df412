import { describe, expect, it } from '@jest/globals'
import { clientCertificateError, ingressCertificateError } from '../src/exchange/client-certificate-errors.js'
import { networkError, type NetworkContext } from '../src/exchange/network-errors.js'

// The server's verdict on the client certificate, as Node reports it: the TLS alert in the error's code
// (`ERR_SSL_TLSV1_ALERT_UNKNOWN_CA`; Node 24 writes `ERR_SSL_SSL/TLS_ALERT_...` for what Node 20 calls
// `SSLV3`) or, during a TLS 1.2 handshake, in OpenSSL's message with the code EPROTO; and the bare
// reset a TLS 1.3 server often sends instead. The errors are built as Node builds them; the
// mutual-TLS suites produce the real ones.

const ENDPOINT = 'https://datasaur.example/api/oauth/token'
const base: NetworkContext = { endpoint: new URL(ENDPOINT), url: new URL(ENDPOINT), endpointInput: 'base_url' }
const withCertificate: NetworkContext = { ...base, clientCertificateSet: true }

function nodeError(code: string, message = 'failed'): Error {
  return Object.assign(new Error(message), { code })
}

/** OpenSSL's words for an alert received during the handshake, as Node 20 and 24 print them. */
function handshakeAlert(words: string): Error {
  return nodeError(
    'EPROTO',
    `write EPROTO 80DC:error:0A000418:SSL routines:ssl3_read_bytes:${words}:../deps/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 48`
  )
}

const REJECTED = `The token endpoint ${ENDPOINT} rejected the TLS client certificate in client_certificate`

describe('a TLS alert about the certificate that was sent', () => {
  it.each([
    [
      'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      'unknown ca',
      "it was not issued by a CA the server trusts: ask the server's operators which CA issues its client " +
        'certificates, and add any intermediate certificates to client_certificate'
    ],
    [
      'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
      'bad certificate',
      "the server found it invalid (by the server's clock it may not be valid yet)"
    ],
    [
      'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE',
      'bad certificate',
      "the server found it invalid (by the server's clock it may not be valid yet)"
    ],
    [
      'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
      'unsupported certificate',
      'the server does not accept this kind of certificate: it must be one for TLS client authentication'
    ],
    [
      'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
      'certificate expired',
      "it has expired by the server's clock: renew it"
    ],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED', 'certificate revoked', 'it has been revoked: ask for a new one'],
    [
      'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
      'certificate unknown',
      'the server could not verify it: add any intermediate certificates to client_certificate'
    ],
    [
      'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
      'access denied',
      "the certificate is valid but not allowed here: ask the server's operators to authorise it"
    ],
    [
      'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
      'decrypt error',
      'its signature did not verify: client_key must be the key of this certificate'
    ],
    [
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      'certificate required',
      'the server received none: its key type or signature algorithm may be one the server does not accept'
    ]
  ])('%s says why, and is final', (code, words, why) => {
    const error = clientCertificateError(nodeError(code), withCertificate)
    expect(error?.message).toBe(`${REJECTED} (TLS alert ${words}): ${why}.`)
    expect(error?.options).toEqual({ retryable: false, reason: 'client certificate' })
  })

  it.each([
    ['sslv3 alert certificate expired', 'certificate expired'],
    ['ssl/tls alert certificate expired', 'certificate expired'],
    ['tlsv1 alert unknown ca', 'unknown ca']
  ])('is read from OpenSSL\'s message "%s" when the code is EPROTO', (words, cause) => {
    expect(clientCertificateError(handshakeAlert(words), withCertificate)?.message).toMatch(
      new RegExp(`^${REJECTED} \\(TLS alert ${cause}\\): `)
    )
  })

  it('is, with no certificate set, the server asking for one', () => {
    expect(clientCertificateError(nodeError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), base)?.message).toBe(
      `The token endpoint ${ENDPOINT} requires a TLS client certificate, and none is set (TLS alert certificate ` +
        'required): set client_certificate and client_key to the certificate and key issued for this client.'
    )
  })

  it('is not one when it names something else', () => {
    expect(clientCertificateError(nodeError('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'), withCertificate)).toBeUndefined()
    expect(clientCertificateError(handshakeAlert('tlsv1 alert internal error'), withCertificate)).toBeUndefined()
    expect(clientCertificateError(nodeError('ERR_SSL_WRONG_VERSION_NUMBER'), withCertificate)).toBeUndefined()
  })
})

describe('a handshake failure', () => {
  const failure = handshakeAlert('sslv3 alert handshake failure')

  it('is a verdict on the certificate when the server had asked for one', () => {
    expect(clientCertificateError(failure, { ...withCertificate, certificateRequested: true })?.message).toBe(
      `${REJECTED} (TLS alert handshake failure): the server ended the handshake after receiving it.`
    )
    expect(clientCertificateError(failure, { ...base, certificateRequested: true })?.message).toMatch(
      /requires a TLS client certificate, and none is set \(TLS alert handshake failure\)/
    )
  })

  it('is something else when it had not (a protocol or cipher mismatch)', () => {
    expect(clientCertificateError(failure, withCertificate)).toBeUndefined()
    expect(clientCertificateError(failure, { ...base, certificateRequested: false })).toBeUndefined()
  })
})

describe('a reset', () => {
  it.each(['ECONNRESET', 'EPIPE'])(
    '%s right after a handshake in which the server asked for a certificate is its verdict',
    code => {
      const error = clientCertificateError(nodeError(code, 'socket hang up'), {
        ...withCertificate,
        certificateRequested: true
      })
      expect(error?.message).toBe(
        `The token endpoint ${ENDPOINT} closed the connection (${code}) right after a TLS handshake in which it ` +
          'asked for a client certificate: it most likely rejected the one in client_certificate (a TLS 1.3 server ' +
          'often says so only with a reset). Check that it was issued by a CA the server trusts, for TLS client ' +
          'authentication, with any intermediate certificates.'
      )
      expect(error?.options.retryable).toBe(false)
      expect(clientCertificateError(nodeError(code), { ...base, certificateRequested: true })?.message).toBe(
        `The token endpoint ${ENDPOINT} requires a TLS client certificate, and none is set (${code}): set ` +
          'client_certificate and client_key to the certificate and key issued for this client.'
      )
    }
  )

  it('is no verdict when the server did not ask for a certificate: it may pass, and is retried', () => {
    expect(clientCertificateError(nodeError('ECONNRESET'), withCertificate)).toBeUndefined()
    expect(networkError(nodeError('ECONNRESET'), withCertificate).options.retryable).toBe(true)
  })

  it('is no verdict when it is another error after such a handshake', () => {
    expect(clientCertificateError(nodeError('ETIMEDOUT'), { ...base, certificateRequested: true })).toBeUndefined()
  })
})

describe('networkError', () => {
  it('tells a certificate verdict before anything else of the endpoint', () => {
    expect(networkError(nodeError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), withCertificate).message).toMatch(
      new RegExp(`^${REJECTED} \\(TLS alert unknown ca\\)`)
    )
  })

  it('still tells a proxy that refused the tunnel as the proxy', () => {
    const refused = nodeError('ECONNRESET', 'tunneling socket could not be established, statusCode=403')
    expect(
      networkError(refused, { ...withCertificate, certificateRequested: true, proxy: 'proxy:3128' }).message
    ).toMatch(/^The proxy proxy:3128 refused to connect/)
  })

  it('reads errors that carry nothing', () => {
    expect(clientCertificateError(undefined, base)).toBeUndefined()
    expect(clientCertificateError('text', base)).toBeUndefined()
  })
})

describe('an ingress that answers HTTP 400 about the certificate', () => {
  const page = (text: string) => `<html><head><title>400 ${text}</title></head><body>${text}</body></html>`

  it.each([
    [
      'No required SSL certificate was sent',
      false,
      `The token endpoint ${ENDPOINT} answered HTTP 400 "No required SSL certificate was sent": it requires a TLS ` +
        'client certificate, and none is set: set client_certificate and client_key to the certificate and key ' +
        'issued for this client.'
    ],
    [
      'no required ssl certificate was sent',
      true,
      `The token endpoint ${ENDPOINT} answered HTTP 400 "No required SSL certificate was sent", although ` +
        'client_certificate is set: the certificate did not reach the server, as when a TLS-inspecting proxy or ' +
        'load balancer ends the TLS connection before it; ask for this host to be passed through.'
    ],
    [
      'The SSL certificate error',
      true,
      `The token endpoint ${ENDPOINT} answered HTTP 400 "The SSL certificate error": it rejected the TLS client ` +
        'certificate in client_certificate. Check that it was issued by a CA the server trusts, is valid, and ' +
        'carries any intermediate certificates.'
    ]
  ])('"%s" (certificate set: %s)', (text, set, message) => {
    const error = ingressCertificateError(400, page(text), ENDPOINT, set)
    expect(error?.message).toBe(message)
    expect(error?.options.retryable).toBe(false)
  })

  it('is another answer on any other status or page', () => {
    expect(ingressCertificateError(403, page('The SSL certificate error'), ENDPOINT, true)).toBeUndefined()
    expect(ingressCertificateError(400, '{"error":"invalid_request"}', ENDPOINT, true)).toBeUndefined()
  })
})
