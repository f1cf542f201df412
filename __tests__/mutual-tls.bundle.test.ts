// Mutual TLS through the bundled action (dist/index.js), run as the runner runs it: a loopback HTTPS
// token endpoint that requires a client certificate from its own CA (support/mtls-server.js), trusted
// through NODE_EXTRA_CA_CERTS. The certificate is given as PEM text, as files, as an encrypted key with
// its passphrase and as a PKCS#12 file, directly and through the CONNECT proxy. Each mistake fails
// before any connection, each verdict of the server after exactly one, and the rendered log shows no
// line of the key.

import { afterAll, describe, expect, it } from '@jest/globals'
import { createCertificateAuthority } from './support/certificates.js'
import { expectSafeLog } from './support/expect-log.js'
import { MTLS_TOKEN, startMtlsServer } from './support/mtls-server.js'
import { relayTo, startProxy } from './support/proxy.js'
import { runAction } from './support/run-action.js'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from './support/token-server.js'

type ActionResult = Awaited<ReturnType<typeof runAction>>

const pki = createCertificateAuthority('Datasaur Gateway Test CA')
const otherPki = createCertificateAuthority('Some Other CA')
const client = pki.issueClient('ci-runner')
const foreign = otherPki.issueClient('ci-runner')
const expired = pki.issueClient('ci-runner', { fromDays: -3, toDays: -1 })
const encrypted = client.encryptedKey('bundle key passphrase')
const servers: { close(): Promise<void> }[] = []

afterAll(async () => {
  for (const server of servers) await server.close()
  pki.remove()
  otherPki.remove()
})

async function mtlsServer(name?: string) {
  const server = await startMtlsServer(pki, { name })
  servers.push(server)
  return server
}

function run(baseUrl: string, inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runAction(
    { client_id: DEMO_CLIENT_ID, client_secret: DEMO_CLIENT_SECRET, base_url: baseUrl, ...inputs },
    { env: { NODE_EXTRA_CA_CERTS: pki.caFile, no_proxy: '', ...env } }
  )
}

/** The lines of a PEM key that must appear nowhere in the rendered log. */
function keyLines(pem: string): string[] {
  return pem.split('\n').filter(line => line.length >= 8 && !line.startsWith('-----'))
}

/** The one error annotation of the rendered log; no line of the key, the secret or `more` is shown. */
function failureOf(result: ActionResult, key: string, more: string[] = []): string {
  const log = expectSafeLog(result, [DEMO_CLIENT_SECRET, ...keyLines(key), ...more])
  expect(result.code).toBe(1)
  expect(result.outputs).toEqual({})
  const errors = result.stdout.split('\n').filter(line => line.startsWith('::error::'))
  expect(errors).toHaveLength(1)
  expect(log).toBeDefined()
  return errors[0].slice('::error::'.length)
}

function expectSuccess(result: ActionResult, key: string, more: string[] = []): void {
  expectSafeLog(result, [DEMO_CLIENT_SECRET, MTLS_TOKEN, ...keyLines(key), ...more])
  expect(result.code).toBe(0)
  expect(result.outputs.access_token).toBe(MTLS_TOKEN)
  expect(result.stderr).toBe('')
}

describe('a client certificate the server accepts', () => {
  it('as PEM text', async () => {
    const server = await mtlsServer()
    const result = await run(server.url, { client_certificate: client.cert, client_key: client.key })
    expectSuccess(result, client.key)
    expect(server.clients).toEqual(['ci-runner'])
  })

  it('as file paths', async () => {
    const server = await mtlsServer()
    const result = await run(server.url, { client_certificate: client.certFile, client_key: client.keyFile })
    expectSuccess(result, client.key)
    expect(server.clients).toEqual(['ci-runner'])
  })

  it('with an encrypted key and its passphrase', async () => {
    const server = await mtlsServer()
    const result = await run(server.url, {
      client_certificate: client.cert,
      client_key: encrypted.pem,
      client_key_passphrase: 'bundle key passphrase'
    })
    expectSuccess(result, encrypted.pem, ['bundle key passphrase'])
    expect(server.clients).toEqual(['ci-runner'])
  })

  it('as a PKCS#12 file with its passphrase', async () => {
    const server = await mtlsServer()
    const result = await run(server.url, {
      client_certificate: client.pkcs12('bundle pkcs12 passphrase'),
      client_key_passphrase: 'bundle pkcs12 passphrase'
    })
    expectSuccess(result, client.key, ['bundle pkcs12 passphrase'])
    expect(server.clients).toEqual(['ci-runner'])
  })

  it('inside the tunnel of the proxy', async () => {
    const server = await mtlsServer('datasaur.test')
    const proxy = await startProxy({ fallback: relayTo(server.port) })
    try {
      const result = await run(
        `https://datasaur.test:${server.port}`,
        { client_certificate: client.cert, client_key: client.key },
        { https_proxy: proxy.url }
      )
      expectSuccess(result, client.key)
      expect(proxy.connects.map(connect => connect.target)).toEqual([`datasaur.test:${server.port}`])
      expect(server.clients).toEqual(['ci-runner'])
    } finally {
      await proxy.close()
    }
  })
})

describe('the verdict of the server, final after one connection', () => {
  it('no certificate', async () => {
    const server = await mtlsServer()
    const result = await run(server.url, {})
    expect(failureOf(result, client.key)).toMatch(
      new RegExp(
        `^The token endpoint ${server.url}/api/oauth/token requires a TLS client certificate, and none is set ` +
          '\\((TLS alert certificate required|ECONNRESET|EPIPE)\\): set client_certificate and client_key'
      )
    )
    expect(server.connections).toBe(1)
  })

  it('a certificate from another CA', async () => {
    const server = await mtlsServer()
    const result = await run(server.url, { client_certificate: foreign.cert, client_key: foreign.key })
    expect(failureOf(result, foreign.key)).toMatch(
      new RegExp(
        `^The token endpoint ${server.url}/api/oauth/token closed the connection \\((ECONNRESET|EPIPE)\\) right ` +
          'after a TLS handshake in which it asked for a client certificate: it most likely rejected the one in ' +
          'client_certificate'
      )
    )
    expect(server.connections).toBe(1)
    expect(server.clients).toEqual([])
  })

  it('no certificate, through the proxy', async () => {
    const server = await mtlsServer('datasaur.test')
    const proxy = await startProxy({ fallback: relayTo(server.port) })
    try {
      const result = await run(`https://datasaur.test:${server.port}`, {}, { https_proxy: proxy.url })
      expect(failureOf(result, client.key)).toMatch(/requires a TLS client certificate, and none is set/)
      expect(proxy.connects).toHaveLength(1)
      expect(server.connections).toBe(1)
    } finally {
      await proxy.close()
    }
  })
})

describe('mistakes, refused before any connection', () => {
  it.each([
    [
      'a certificate without a key',
      { client_certificate: client.cert },
      client.key,
      "Input 'client_key' is empty while client_certificate is set: "
    ],
    [
      'a key that is not PEM',
      { client_certificate: client.cert, client_key: Buffer.from(client.key).toString('base64') },
      client.key,
      /^Input 'client_key' is neither PEM text \(-----BEGIN \.\.\.\) nor the path of a readable file \(E[A-Z]+\)\./
    ],
    [
      'a key of another certificate',
      { client_certificate: client.cert, client_key: foreign.key },
      foreign.key,
      "Input 'client_key' does not match the certificate in client_certificate: "
    ],
    [
      'an expired certificate',
      { client_certificate: expired.cert, client_key: expired.key },
      expired.key,
      "Input 'client_certificate' holds a certificate (CN=ci-runner) that expired on "
    ],
    [
      'an encrypted key without its passphrase',
      { client_certificate: client.cert, client_key: encrypted.file },
      encrypted.pem,
      "Input 'client_key' is encrypted: set client_key_passphrase to its passphrase."
    ]
  ])('%s', async (_what, inputs, key, message) => {
    const server = await mtlsServer()
    const result = await run(server.url, inputs)
    expect(
      failureOf(
        result,
        key,
        Object.values(inputs).filter(value => !value.startsWith('/'))
      )
    ).toMatch(message)
    expect(server.connections).toBe(0)
  })
})
