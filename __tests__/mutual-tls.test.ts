import { createServer as createHttpsServer } from 'node:https'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { createCertificateAuthority } from './support/certificates.js'
import { runInProcess, type InProcessResult } from './support/in-process.js'
import { MTLS_TOKEN, startMtlsServer, startOpenSslServer, trustInProcess } from './support/mtls-server.js'
import { relayTo, startProxy } from './support/proxy.js'

// run() from src/main.ts in this process against loopback servers that ask for a TLS client
// certificate: Node's HTTPS server (which rejects a certificate with a bare reset after the TLS 1.3
// handshake), `openssl s_server` (which names the problem in a TLS alert) and an ingress that answers
// HTTP 400. The certificate is presented directly, through a CONNECT proxy and after a redirect; every
// server verdict is final at once, and the key never reaches the log.

const CLIENT = { client_id: 'mtls-client', client_secret: 'mtls-secret-0123456789' }

const pki = createCertificateAuthority('Mutual TLS Test CA')
const otherPki = createCertificateAuthority('Untrusted Client CA')
const client = pki.issueClient('ci-runner')
const foreign = otherPki.issueClient('ci-runner')
let untrust: () => void

beforeAll(() => {
  untrust = trustInProcess(pki.ca)
})
afterAll(() => {
  untrust()
  pki.remove()
  otherPki.remove()
})

const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function mtlsServer(options: Parameters<typeof startMtlsServer>[1] = {}) {
  const server = await startMtlsServer(pki, options)
  cleanups.push(server.close)
  return server
}

function run(baseUrl: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  return runInProcess({ ...CLIENT, base_url: baseUrl, ...inputs }, { env })
}

function lines(result: InProcessResult): string[] {
  return result.stdout.split('\n').filter(Boolean)
}

function errorOf(result: InProcessResult): string {
  const errors = lines(result).filter(line => line.startsWith('::error::'))
  expect(errors).toHaveLength(1)
  return errors[0].slice('::error::'.length)
}

/** The lines of a PEM key that masking covers, and that must appear nowhere but in `::add-mask::`. */
function keyLines(pem: string): string[] {
  return pem.split('\n').filter(line => line.length >= 8 && !line.startsWith('-----'))
}

function expectKeyHidden(result: InProcessResult, pem: string): void {
  const masks = lines(result).filter(line => line.startsWith('::add-mask::'))
  const shown = lines(result).filter(line => !line.startsWith('::add-mask::'))
  for (const line of keyLines(pem)) {
    expect(masks).toContain(`::add-mask::${line}`)
    for (const printed of shown) expect(printed).not.toContain(line)
  }
}

describe('a server that requires a client certificate', () => {
  it('is given the certificate and key as PEM text, and the key is masked', async () => {
    const server = await mtlsServer()
    const result = await run(server.url, { client_certificate: client.cert, client_key: client.key })

    expect(result.code).toBe(0)
    expect(result.outputs.access_token).toBe(MTLS_TOKEN)
    expect(server.clients).toEqual(['ci-runner'])
    expectKeyHidden(result, client.key)
  })

  it('is given them as files', async () => {
    const server = await mtlsServer()
    const result = await run(server.url, { client_certificate: client.certFile, client_key: client.keyFile })

    expect(result.code).toBe(0)
    expect(server.clients).toEqual(['ci-runner'])
    expectKeyHidden(result, client.key)
  })

  it('is given an encrypted key with its passphrase, both masked', async () => {
    const server = await mtlsServer()
    const encrypted = client.encryptedKey('in-process passphrase')
    const result = await run(server.url, {
      client_certificate: client.cert,
      client_key: encrypted.file,
      client_key_passphrase: 'in-process passphrase'
    })

    expect(result.code).toBe(0)
    expect(server.clients).toEqual(['ci-runner'])
    expect(lines(result)).toContain('::add-mask::in-process passphrase')
    expectKeyHidden(result, encrypted.pem)
  })

  it('is given a PKCS#12 file', async () => {
    const server = await mtlsServer()
    const result = await run(server.url, {
      client_certificate: client.pkcs12('pkcs12 passphrase'),
      client_key_passphrase: 'pkcs12 passphrase'
    })

    expect(result.code).toBe(0)
    expect(server.clients).toEqual(['ci-runner'])
  })

  it('is given the certificate inside the CONNECT tunnel of a proxy', async () => {
    const server = await mtlsServer({ name: 'datasaur.test' })
    const proxy = await startProxy({ fallback: relayTo(server.port) })
    cleanups.push(() => proxy.close())
    const result = await run(
      `https://datasaur.test:${server.port}`,
      { client_certificate: client.cert, client_key: client.key },
      { https_proxy: proxy.url }
    )

    expect(result.code).toBe(0)
    expect(proxy.connects.map(connect => connect.target)).toEqual([`datasaur.test:${server.port}`])
    expect(server.clients).toEqual(['ci-runner'])
  })

  it('is given the certificate again after a redirect', async () => {
    let first = true
    const server = await mtlsServer({
      reply: res => {
        if (first) {
          first = false
          return void res.writeHead(307, { Location: '/moved/api/oauth/token' }).end()
        }
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ access_token: MTLS_TOKEN, token_type: 'bearer' }))
      }
    })
    const result = await run(server.url, { client_certificate: client.cert, client_key: client.key })

    expect(result.code).toBe(0)
    expect(server.connections).toBe(2)
    expect(server.clients).toEqual(['ci-runner', 'ci-runner'])
  })

  it('fails at once, naming both inputs, when no certificate is set', async () => {
    const server = await mtlsServer()
    const result = await run(server.url)

    expect(result.code).toBe(1)
    expect(server.connections).toBe(1)
    expect(errorOf(result)).toMatch(
      new RegExp(
        `^The token endpoint ${server.url}/api/oauth/token requires a TLS client certificate, and none is set ` +
          '\\((TLS alert certificate required|ECONNRESET|EPIPE)\\): set client_certificate and client_key to the ' +
          'certificate and key issued for this client\\.$'
      )
    )
    expect(result.sleeps).toEqual([])
  })

  it('fails at once when TLS 1.2 ends the handshake for want of a certificate', async () => {
    const server = await mtlsServer({ maxVersion: 'TLSv1.2' })
    const result = await run(server.url)

    expect(result.code).toBe(1)
    expect(server.connections).toBe(1)
    expect(errorOf(result)).toBe(
      `The token endpoint ${server.url}/api/oauth/token requires a TLS client certificate, and none is set (TLS ` +
        'alert handshake failure): set client_certificate and client_key to the certificate and key issued for ' +
        'this client.'
    )
  })

  it.each(['TLSv1.3', 'TLSv1.2'] as const)(
    'fails at once when it closes the connection on a certificate from another CA (%s)',
    async maxVersion => {
      const server = await mtlsServer({ maxVersion })
      const result = await run(server.url, { client_certificate: foreign.cert, client_key: foreign.key })

      expect(result.code).toBe(1)
      expect(server.connections).toBe(1)
      expect(server.clients).toEqual([])
      expect(errorOf(result)).toMatch(
        new RegExp(
          `^The token endpoint ${server.url}/api/oauth/token closed the connection \\((ECONNRESET|EPIPE)\\) right ` +
            'after a TLS handshake in which it asked for a client certificate: it most likely rejected the one in ' +
            'client_certificate \\(a TLS 1\\.3 server often says so only with a reset\\)\\. Check that it was issued ' +
            'by a CA the server trusts, for TLS client authentication, with any intermediate certificates\\.$'
        )
      )
      expectKeyHidden(result, foreign.key)
    }
  )

  it('fails at once when it closes the tunnelled connection on a certificate from another CA', async () => {
    const server = await mtlsServer({ name: 'datasaur.test' })
    const proxy = await startProxy({ fallback: relayTo(server.port) })
    cleanups.push(() => proxy.close())
    const result = await run(
      `https://datasaur.test:${server.port}`,
      { client_certificate: foreign.cert, client_key: foreign.key },
      { https_proxy: proxy.url }
    )

    expect(result.code).toBe(1)
    expect(proxy.connects).toHaveLength(1)
    expect(server.clients).toEqual([])
    expect(errorOf(result)).toMatch(/closed the connection \((ECONNRESET|EPIPE)\) right after a TLS handshake in which/)
  })

  it('may still reset a connection it has begun to answer: that is retried', async () => {
    const server = await mtlsServer({
      reply: res => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' })
        res.write('{"access_token":')
        setTimeout(() => res.socket?.destroy(), 20)
      }
    })
    const result = await run(server.url, { client_certificate: client.cert, client_key: client.key, max_attempts: '2' })

    expect(result.code).toBe(1)
    expect(server.connections).toBe(2)
    expect(errorOf(result)).toMatch(/Gave up after 2 attempts \(max_attempts\)\.$/)
  })
})

describe('a server that does not ask for a client certificate', () => {
  it('resets a connection: that is retried, whether a certificate is set or not', async () => {
    const server = createHttpsServer(pki.issue('127.0.0.1'), req => req.socket.destroy())
    const connections: unknown[] = []
    server.on('connection', socket => connections.push(socket))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise(resolve => server.close(resolve)))
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`

    const variants: Record<string, string>[] = [{}, { client_certificate: client.cert, client_key: client.key }]
    for (const inputs of variants) {
      const before = connections.length
      const result = await run(url, { ...inputs, max_attempts: '2' })
      expect(result.code).toBe(1)
      expect(connections.length - before).toBe(2)
      expect(errorOf(result)).toMatch(/\(ECONNRESET\)\. Gave up after 2 attempts \(max_attempts\)\.$/)
    }
  })
})

describe('a server that names its verdict in a TLS alert (openssl s_server)', () => {
  const now = Math.floor(Date.now() / 1000)
  it.each([
    [
      'a certificate from another CA',
      [],
      foreign,
      "(TLS alert unknown ca): it was not issued by a CA the server trusts: ask the server's operators which CA " +
        'issues its client certificates, and add any intermediate certificates to client_certificate.'
    ],
    [
      'a certificate from another CA, over TLS 1.2',
      ['-tls1_2'],
      foreign,
      "(TLS alert unknown ca): it was not issued by a CA the server trusts: ask the server's operators which CA " +
        'issues its client certificates, and add any intermediate certificates to client_certificate.'
    ],
    [
      'a certificate expired by its clock',
      ['-attime', String(now + 5 * 86400)],
      client,
      "(TLS alert certificate expired): it has expired by the server's clock: renew it."
    ],
    [
      'a certificate not valid yet by its clock',
      ['-attime', String(now - 5 * 86400)],
      client,
      "(TLS alert bad certificate): the server found it invalid (by the server's clock it may not be valid yet)."
    ]
  ])('rejects %s, at once', async (_what, extra, certificate, reason) => {
    const server = await startOpenSslServer(pki, extra)
    cleanups.push(server.close)
    const result = await run(server.url, { client_certificate: certificate.cert, client_key: certificate.key })

    expect(result.code).toBe(1)
    expect(server.connections).toBe(1)
    expect(errorOf(result)).toBe(
      `The token endpoint ${server.url}/api/oauth/token rejected the TLS client certificate in client_certificate ${reason}`
    )
  })

  it('asks for a certificate when none is set', async () => {
    const server = await startOpenSslServer(pki)
    cleanups.push(server.close)
    const result = await run(server.url)

    expect(result.code).toBe(1)
    expect(server.connections).toBe(1)
    expect(errorOf(result)).toMatch(
      /requires a TLS client certificate, and none is set \(TLS alert certificate required\)/
    )
  })
})

describe('an ingress that checks client certificates and answers HTTP 400', () => {
  async function ingress(page: string) {
    const server = createHttpsServer(pki.issue('127.0.0.1'), (req, res) => {
      req.resume()
      res.writeHead(400, { 'Content-Type': 'text/html' })
      res.end(
        `<html><head><title>400 ${page}</title></head><body><center><h1>400 Bad Request</h1></center>` +
          `<center>${page}</center><hr><center>nginx</center></body></html>`
      )
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise(resolve => server.close(resolve)))
    return `https://127.0.0.1:${(server.address() as { port: number }).port}`
  }

  it('says the server requires a certificate when none is set', async () => {
    const url = await ingress('No required SSL certificate was sent')
    const result = await run(url)
    expect(errorOf(result)).toBe(
      `The token endpoint ${url}/api/oauth/token answered HTTP 400 "No required SSL certificate was sent": it ` +
        'requires a TLS client certificate, and none is set: set client_certificate and client_key to the ' +
        'certificate and key issued for this client.'
    )
  })

  it('says the certificate did not reach the server when one is set', async () => {
    const url = await ingress('No required SSL certificate was sent')
    const result = await run(url, { client_certificate: client.cert, client_key: client.key })
    expect(errorOf(result)).toBe(
      `The token endpoint ${url}/api/oauth/token answered HTTP 400 "No required SSL certificate was sent", ` +
        'although client_certificate is set: the certificate did not reach the server, as when a TLS-inspecting ' +
        'proxy or load balancer ends the TLS connection before it; ask for this host to be passed through.'
    )
  })

  it('says the certificate was rejected', async () => {
    const url = await ingress('The SSL certificate error')
    const result = await run(url, { client_certificate: client.cert, client_key: client.key })
    expect(errorOf(result)).toBe(
      `The token endpoint ${url}/api/oauth/token answered HTTP 400 "The SSL certificate error": it rejected the TLS ` +
        'client certificate in client_certificate. Check that it was issued by a CA the server trusts, is valid, ' +
        'and carries any intermediate certificates.'
    )
  })
})

describe('the key file', () => {
  it('gets a warning when it is inside the workspace', async () => {
    const server = await mtlsServer()
    const result = await run(
      server.url,
      { client_certificate: client.certFile, client_key: client.keyFile },
      { GITHUB_WORKSPACE: pki.dir }
    )

    expect(result.code).toBe(0)
    expect(lines(result).filter(line => line.startsWith('::warning::'))).toEqual([
      `::warning::The private key of the client certificate is read from a file in the workspace (${client.keyFile.slice(pki.dir.length + 1)}): ` +
        'if it is committed, everyone who can read the repository has the key. Write it from a secret to a file ' +
        'in RUNNER_TEMP instead.'
    ])
  })

  it('is checked before any connection', async () => {
    const server = await mtlsServer()
    const result = await run(server.url, { client_certificate: client.cert, client_key: foreign.key })

    expect(result.code).toBe(1)
    expect(server.connections).toBe(0)
    expect(errorOf(result)).toMatch(/^Input 'client_key' does not match the certificate in client_certificate/)
    expectKeyHidden(result, foreign.key)
  })
})
