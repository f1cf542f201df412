import { describe, expect, it } from '@jest/globals'
import {
  CERTIFICATE_PROBLEMS,
  networkError,
  timeoutError,
  type NetworkContext
} from '../src/exchange/network-errors.js'

// How each way a connection can fail is told to the user, and whether it is tried again. The errors
// are built as Node and `tunnel` build them (code, message); the suites that run the bundle produce
// the real ones.

const context: NetworkContext = {
  endpoint: new URL('https://datasaur.example/api/oauth/token?tenant=t'),
  url: new URL('https://datasaur.example/api/oauth/token?tenant=t'),
  endpointInput: 'base_url'
}

function nodeError(code: string | undefined, message = 'failed'): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code })
}

const ENDPOINT = 'https://datasaur.example/api/oauth/token'
const UNKNOWN_ISSUER =
  'If the server uses a private or corporate CA, set NODE_EXTRA_CA_CERTS in the env of this step to the path of the CA certificate (PEM).'

describe('certificate errors: final, with the advice that fits the code', () => {
  const advice: Record<string, string> = {
    'wrong name': "is for another name (CODE): check the host in 'base_url'; it must be a name the certificate lists.",
    expired:
      "has expired (CODE): the server's certificate must be renewed; if it should still be valid, check the runner's clock.",
    'not yet valid':
      "is not valid yet (CODE): check the runner's clock, or the certificate's start date on the server.",
    'unknown issuer': `was issued by a CA that is not trusted (CODE). ${UNKNOWN_ISSUER}`,
    invalid: "was not accepted (CODE): the server's certificate chain must be fixed."
  }

  it('covers every code it lists', () => {
    expect(Object.keys(CERTIFICATE_PROBLEMS).sort()).toEqual(
      [
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
      ].sort()
    )
  })

  it.each([
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'wrong name'],
    ['HOSTNAME_MISMATCH', 'wrong name'],
    ['CERT_HAS_EXPIRED', 'expired'],
    ['CERT_NOT_YET_VALID', 'not yet valid'],
    ['CERT_UNTRUSTED', 'unknown issuer'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'unknown issuer'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'unknown issuer'],
    ['UNABLE_TO_GET_ISSUER_CERT', 'unknown issuer'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unknown issuer'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unknown issuer'],
    ['CERT_CHAIN_TOO_LONG', 'invalid'],
    ['CERT_REJECTED', 'invalid'],
    ['CERT_REVOKED', 'invalid'],
    ['CERT_SIGNATURE_FAILURE', 'invalid'],
    ['INVALID_CA', 'invalid'],
    ['INVALID_PURPOSE', 'invalid'],
    ['PATH_LENGTH_EXCEEDED', 'invalid'],
    ['UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'invalid'],
    ['UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'invalid']
  ])('%s: %s', (code, problem) => {
    const error = networkError(nodeError(code), context)
    expect(error.message).toBe(`The TLS certificate of datasaur.example ${advice[problem].replace('CODE', code)}`)
    expect(error.options).toEqual({ retryable: false, reason: code })
  })

  it('says the CA file lacks the issuer when NODE_EXTRA_CA_CERTS is set', () => {
    const error = networkError(nodeError('SELF_SIGNED_CERT_IN_CHAIN'), { ...context, extraCaFile: '/ca/##[corp].pem' })
    expect(error.message).toBe(
      'The TLS certificate of datasaur.example was issued by a CA that is not trusted (SELF_SIGNED_CERT_IN_CHAIN): ' +
        'the file NODE_EXTRA_CA_CERTS names (/ca/# #[corp].pem) was loaded but does not contain the issuer of this ' +
        'certificate; add the CA certificate that issued the certificate of datasaur.example.'
    )
  })

  it('names the host and port that failed, not the configured endpoint', () => {
    const url = new URL('https://auth.datasaur.example:8443/token')
    expect(networkError(nodeError('CERT_HAS_EXPIRED'), { ...context, url }).message).toMatch(
      /^The TLS certificate of auth\.datasaur\.example:8443 has expired/
    )
  })
})

describe('connection errors', () => {
  it('makes a name that does not resolve final, naming the host and what to check', () => {
    const error = networkError(nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND datasaur.example'), context)
    expect(error.message).toBe(
      `Could not resolve the host datasaur.example of the token endpoint ${ENDPOINT} (ENOTFOUND): check the ` +
        "spelling of 'base_url', that the runner has DNS and network access to it, and https_proxy if the " +
        'runner must go through a proxy.'
    )
    expect(error.options).toEqual({ retryable: false, reason: 'ENOTFOUND' })
  })

  it('names token_url when the endpoint came from it', () => {
    const error = networkError(nodeError('ENOTFOUND'), { ...context, endpointInput: 'token_url' })
    expect(error.message).toContain("check the spelling of 'token_url'")
  })

  it('retries a refused connection, with a hint on the port', () => {
    const error = networkError(nodeError('ECONNREFUSED'), context)
    expect(error.message).toBe(
      `Could not reach the token endpoint ${ENDPOINT} (ECONNREFUSED). Nothing accepted the connection to ` +
        "datasaur.example: check the port in 'base_url' and that the server is running."
    )
    expect(error.options).toEqual({ retryable: true, reason: 'ECONNREFUSED' })
  })

  it('retries a connect timeout, with a hint on the network', () => {
    const error = networkError(nodeError('ETIMEDOUT'), context)
    expect(error.message).toBe(
      `Could not reach the token endpoint ${ENDPOINT} (ETIMEDOUT). Check that the runner can reach ` +
        'datasaur.example (a firewall may drop the traffic).'
    )
    expect(error.options.retryable).toBe(true)
  })

  it.each([
    'EAI_AGAIN',
    'ECONNRESET',
    'ECONNABORTED',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ENETDOWN',
    'EHOSTDOWN',
    'EPIPE',
    'EPROTO'
  ])('retries %s without a hint', code => {
    const error = networkError(nodeError(code), context)
    expect(error.message).toBe(`Could not reach the token endpoint ${ENDPOINT} (${code}).`)
    expect(error.options).toEqual({ retryable: true, reason: code })
  })

  it('retries an error without a code, calling it a network error', () => {
    const error = networkError(new Error('something odd'), context)
    expect(error.message).toBe(`Could not reach the token endpoint ${ENDPOINT} (network error).`)
    expect(error.options.retryable).toBe(true)
    expect(networkError('not even an error', context).options.retryable).toBe(true)
  })

  it.each(['ERR_INVALID_PROTOCOL', 'ERR_UNESCAPED_CHARACTERS', 'EACCES', 'ENOTSUP'])(
    'makes %s final: repeating cannot fix it',
    code => {
      const error = networkError(nodeError(code), context)
      expect(error.message).toBe(`Could not reach the token endpoint ${ENDPOINT} (${code}).`)
      expect(error.options).toEqual({ retryable: false, reason: code })
    }
  )

  it.each(['bad code!', 'ECONN!', '!ECONN', 'econnreset'])('ignores %j, which is not a plain error code', code => {
    expect(networkError(nodeError(code), context).options.reason).toBe('network error')
  })

  it('reads no code from something that is not an error', () => {
    expect(networkError(undefined, context).options).toEqual({ retryable: true, reason: 'network error' })
  })

  it('takes a tunnel message only at the start of the error for a proxy failure', () => {
    const error = networkError(
      nodeError('ECONNRESET', 'x tunneling socket could not be established, statusCode=407'),
      context
    )
    expect(error.message).toBe(`Could not reach the token endpoint ${ENDPOINT} (ECONNRESET).`)
  })

  it('makes a parser error final: the server does not speak HTTP', () => {
    const error = networkError(nodeError('HPE_INVALID_CONSTANT', 'Parse Error'), context)
    expect(error.message).toBe(
      `The token endpoint ${ENDPOINT} answered with something that is not HTTP (HPE_INVALID_CONSTANT): check ` +
        "that 'base_url' points at the Datasaur server and not at another service."
    )
    expect(error.options.retryable).toBe(false)
  })

  it.each([
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'write ERR_SSL_WRONG_VERSION_NUMBER'],
    ['EPROTO', 'write EPROTO 80BC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number']
  ])('makes plain http on a TLS port final (%s), pointing at the scheme and port', (code, message) => {
    const error = networkError(nodeError(code, message), context)
    expect(error.message).toBe(
      `datasaur.example did not answer with TLS (${code}): it may serve plain http on this port; check the scheme and port of 'base_url'.`
    )
    expect(error.options.retryable).toBe(false)
  })
})

describe('proxy errors, as tunnel reports them', () => {
  const viaProxy = { ...context, proxy: 'proxy.corp:3128' }
  const refused = (status: number) =>
    nodeError('ECONNRESET', `tunneling socket could not be established, statusCode=${status}`)

  it('407: final, about the proxy credentials', () => {
    const error = networkError(refused(407), viaProxy)
    expect(error.message).toBe(
      'The proxy proxy.corp:3128 asked for authentication (407): check the user and password in https_proxy.'
    )
    expect(error.options).toEqual({ retryable: false, reason: 'proxy HTTP 407' })
  })

  it('403: final, about allowing the host or bypassing the proxy', () => {
    const error = networkError(refused(403), viaProxy)
    expect(error.message).toBe(
      'The proxy proxy.corp:3128 refused to connect to datasaur.example (403): ask for it to be allowed, or add ' +
        'it to no_proxy if it is reachable directly.'
    )
    expect(error.options).toEqual({ retryable: false, reason: 'proxy HTTP 403' })
  })

  it.each([502, 503, 504])('%i: retried, and said to come from the proxy', status => {
    const error = networkError(refused(status), viaProxy)
    expect(error.message).toBe(
      `The proxy proxy.corp:3128 answered HTTP ${status} to the tunnel to datasaur.example: the proxy could not ` +
        `reach the token endpoint ${ENDPOINT}.`
    )
    expect(error.options).toEqual({ retryable: true, reason: `proxy HTTP ${status}` })
  })

  it.each([400, 404, 405, 500])('%i: final', status => {
    const error = networkError(refused(status), viaProxy)
    expect(error.message).toBe(
      `The proxy proxy.corp:3128 refused the tunnel to datasaur.example (HTTP ${status}): check https_proxy.`
    )
    expect(error.options).toEqual({ retryable: false, reason: `proxy HTTP ${status}` })
  })

  const unreachable = nodeError('ECONNRESET', 'tunneling socket could not be established, cause=connect ECONNREFUSED')

  it('a proxy that cannot be reached: retried, naming the proxy and the cause Node gave', () => {
    const error = networkError(unreachable, { ...viaProxy, proxyFailure: nodeError('ECONNREFUSED') })
    expect(error.message).toBe('Could not connect to the proxy proxy.corp:3128 (ECONNREFUSED): check https_proxy.')
    expect(error.options).toEqual({ retryable: true, reason: 'proxy ECONNREFUSED' })
  })

  it('a proxy host that does not resolve: final', () => {
    const error = networkError(unreachable, { ...viaProxy, proxyFailure: nodeError('ENOTFOUND') })
    expect(error.message).toBe(
      'Could not resolve the host of the proxy proxy.corp:3128 (ENOTFOUND): check https_proxy.'
    )
    expect(error.options.retryable).toBe(false)
  })

  it("an https proxy whose certificate is not trusted: final, about the proxy's CA", () => {
    const error = networkError(unreachable, { ...viaProxy, proxyFailure: nodeError('DEPTH_ZERO_SELF_SIGNED_CERT') })
    expect(error.message).toBe(
      'The TLS certificate of the proxy proxy.corp:3128 was not accepted (DEPTH_ZERO_SELF_SIGNED_CERT): if the ' +
        "proxy's certificate is issued by a private or corporate CA, set NODE_EXTRA_CA_CERTS in the env of this " +
        'step to the path of that CA (PEM).'
    )
    expect(error.options).toEqual({ retryable: false, reason: 'proxy DEPTH_ZERO_SELF_SIGNED_CERT' })
  })

  it('a failure Node gave no code: retried, and an unknown proxy is still named', () => {
    const error = networkError(unreachable, { ...context, proxyFailure: new Error('odd') })
    expect(error.message).toBe(
      'Could not connect to the proxy configured in https_proxy (network error): check https_proxy.'
    )
    expect(error.options.retryable).toBe(true)
  })

  it('without a failure of its own, the code of the tunnel error is used; a non-transient one is final', () => {
    expect(networkError(unreachable, viaProxy).message).toBe(
      'Could not connect to the proxy proxy.corp:3128 (ECONNRESET): check https_proxy.'
    )
    expect(networkError(unreachable, { ...viaProxy, proxyFailure: nodeError('EACCES') }).options.retryable).toBe(false)
  })

  it('names the variable the proxy was read from', () => {
    const fromAll = { ...viaProxy, proxyVariable: 'ALL_PROXY' }
    expect(
      networkError(nodeError('ECONNRESET', 'tunneling socket could not be established, statusCode=407'), fromAll)
        .message
    ).toBe('The proxy proxy.corp:3128 asked for authentication (407): check the user and password in ALL_PROXY.')
    expect(
      networkError(nodeError('ECONNRESET', 'tunneling socket could not be established, statusCode=400'), fromAll)
        .message
    ).toBe('The proxy proxy.corp:3128 refused the tunnel to datasaur.example (HTTP 400): check ALL_PROXY.')
    expect(networkError(unreachable, { ...fromAll, proxyFailure: nodeError('ENOTFOUND') }).message).toBe(
      'Could not resolve the host of the proxy proxy.corp:3128 (ENOTFOUND): check ALL_PROXY.'
    )
    expect(networkError(unreachable, { ...context, proxyVariable: 'HTTPS_PROXY' }).message).toBe(
      'Could not connect to the proxy configured in HTTPS_PROXY (ECONNRESET): check HTTPS_PROXY.'
    )
  })

  it('a proxy that sends a body with its 200', () => {
    const error = networkError(nodeError('ECONNRESET', 'got illegal response body from proxy'), viaProxy)
    expect(error.message).toBe('Could not connect to the proxy proxy.corp:3128 (ECONNRESET): check https_proxy.')
  })
})

describe('timeoutError', () => {
  it('says how long, which input limits it, and what to check', () => {
    const error = timeoutError(context, 2500)
    expect(error.message).toBe(
      `The token endpoint ${ENDPOINT} did not answer within 2.5 s (timeout_seconds). Check that the runner can ` +
        'reach datasaur.example, or raise timeout_seconds if the server is slow.'
    )
    expect(error.options).toEqual({ retryable: true, reason: 'timed out after 2.5 s' })
  })

  it('names the proxy when the attempt went through one', () => {
    expect(timeoutError({ ...context, proxy: 'p:1' }, 1000).message).toContain(
      'did not answer within 1 s (timeout_seconds) through the proxy p:1.'
    )
  })
})

describe('networkError: a TLS record where the HTTP answer should be', () => {
  const loopback: NetworkContext = {
    endpoint: new URL('http://127.0.0.1:8443/api/oauth/token'),
    url: new URL('http://127.0.0.1:8443/api/oauth/token'),
    endpointInput: 'token_url'
  }
  const parseError = (rawPacket: unknown) =>
    Object.assign(nodeError('HPE_INVALID_CONSTANT', 'Expected HTTP/'), { rawPacket })
  const TLS =
    'The server at 127.0.0.1:8443 speaks TLS, but the token endpoint http://127.0.0.1:8443/api/oauth/token was ' +
    "asked in plain http (it answered with a TLS alert, HPE_INVALID_CONSTANT): use https:// in 'token_url'."
  const NOT_HTTP = /answered with something that is not HTTP \(HPE_INVALID_CONSTANT\)/

  it.each([
    ['an alert', [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]],
    ['a handshake record', [0x16, 0x03, 0x03, 0x00, 0x10]]
  ])('says the server speaks TLS for %s, as final', (_what, bytes) => {
    const error = networkError(parseError(Buffer.from(bytes)), loopback)
    expect(error.message).toBe(TLS)
    expect(error.options).toEqual({ retryable: false, reason: 'HPE_INVALID_CONSTANT' })
  })

  it.each([
    ['bytes that are no TLS record', Buffer.from([0x15, 0x01, 0x00])],
    ['another first byte', Buffer.from([0x17, 0x03, 0x03])],
    ['no raw packet', undefined],
    ['a raw packet that is not a buffer', '\u0015\u0003']
  ])('keeps the not-HTTP message for %s', (_what, raw) => {
    expect(networkError(parseError(raw), loopback).message).toMatch(NOT_HTTP)
  })

  it('reads TLS bytes only in an HTTP parse error', () => {
    const reset = Object.assign(nodeError('ECONNRESET'), { rawPacket: Buffer.from([0x15, 0x03, 0x01]) })
    expect(networkError(reset, loopback).options).toEqual({ retryable: true, reason: 'ECONNRESET' })
  })

  it('keeps the not-HTTP message for an https endpoint', () => {
    const error = networkError(parseError(Buffer.from([0x15, 0x03, 0x01])), context)
    expect(error.message).toMatch(NOT_HTTP)
  })
})
