// Proxies and TLS servers that fail, against the bundled action (dist/index.js) run as the runner runs
// it. Two promises are checked: the process ends as soon as the outcome is known, within the bound
// timeout_seconds and max_attempts set (whatever the proxy or server does), and every failure names
// its cause: the proxy's refusal, the certificate's problem, the CA file.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createCertificateAuthority } from './support/certificates.js'
import { expectSafeLog, inBothOrders } from './support/expect-log.js'
import { establishedSilent, refuse, relayTo, silent, startProxy } from './support/proxy.js'
import { runAction } from './support/run-action.js'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from './support/token-server.js'

type ActionResult = Awaited<ReturnType<typeof runAction>>

const HOST = 'datasaur.test'
/** Process start-up and loopback exchanges, with room for a loaded machine. */
const SLACK_MS = 3000
const ACCESS_TOKEN = 'tls-token-0123456789abcdef'

const pki = createCertificateAuthority()
const otherPki = createCertificateAuthority('Another Test CA')
let dir: string
const servers: { close(callback: () => void): unknown }[] = []

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'datasaur-network-faults-'))
})
afterAll(async () => {
  for (const server of servers) await new Promise(resolve => server.close(() => resolve(undefined)))
  rmSync(dir, { recursive: true, force: true })
  pki.remove()
  otherPki.remove()
})

/** Starts a server on a free loopback port; it is closed after the suite. */
async function listen<T extends HttpServer | HttpsServer | TcpServer>(server: T): Promise<number> {
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

/** An HTTPS token endpoint with `certificate`; `trickle` makes it send a body that never ends. */
async function tlsEndpoint(certificate: { key: Buffer; cert: Buffer }, trickle = false): Promise<number> {
  const server = createHttpsServer(certificate, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    if (!trickle) return void res.end(JSON.stringify({ access_token: ACCESS_TOKEN, token_type: 'bearer' }))
    res.write('{')
    const timer = setInterval(() => res.write(' '), 100)
    res.on('close', () => clearInterval(timer))
  })
  return listen(server)
}

/** A TCP server that accepts connections and never says anything, not even a TLS handshake. */
async function silentServer(): Promise<{ port: number; open: () => number }> {
  const open = new Set<Socket>()
  const server = createTcpServer(socket => {
    open.add(socket)
    socket.on('close', () => open.delete(socket))
    socket.on('end', () => socket.end())
    socket.resume()
  })
  return { port: await listen(server), open: () => open.size }
}

function run(env: Record<string, string>, inputs: Record<string, string> = {}): Promise<ActionResult> {
  return runAction(
    { client_id: DEMO_CLIENT_ID, client_secret: DEMO_CLIENT_SECRET, base_url: `https://${HOST}`, ...inputs },
    { env: { no_proxy: '', ...env }, timeoutMs: 60_000 }
  )
}

/** The message of the one error annotation, as the log shows it. */
function errorOf(result: ActionResult): string {
  const errors = inBothOrders(result, log => log.lines.filter(line => line.startsWith('Error: ')))
  expect(errors).toHaveLength(1)
  return errors[0].slice('Error: '.length)
}

function attempts(result: ActionResult): number {
  return (result.stdout.match(/::debug::Attempt \d+: POST/g) ?? []).length
}

describe('the process ends when its attempts do', () => {
  // Two attempts of 1 s and a backoff of at most 2 s between them.
  const BOUND_MS = 2 * 1000 + 2000 + SLACK_MS

  it.each([
    ['a proxy that never answers the CONNECT', silent()],
    ['a proxy that opens the tunnel and relays nothing', establishedSilent()]
  ])('through %s', async (_what, behaviour) => {
    const proxy = await startProxy({ fallback: behaviour })
    try {
      const result = await run({ https_proxy: proxy.url }, { max_attempts: '2', timeout_seconds: '1' })

      expect(result.code).toBe(1)
      expect(proxy.connects.map(c => c.target)).toEqual([`${HOST}:443`, `${HOST}:443`])
      expect(errorOf(result)).toContain(
        `did not answer within 1 s (timeout_seconds) through the proxy 127.0.0.1:${proxy.port}.`
      )
      expect(result.durationMs).toBeGreaterThanOrEqual(2000)
      expect(result.durationMs).toBeLessThan(BOUND_MS)
      await proxy.allClosed(1000)
    } finally {
      await proxy.close()
    }
  })

  it('against a TLS server that never answers the handshake', async () => {
    const server = await silentServer()
    const result = await runAction(
      {
        client_id: DEMO_CLIENT_ID,
        client_secret: DEMO_CLIENT_SECRET,
        token_url: `https://localhost:${server.port}/api/oauth/token`,
        max_attempts: '2',
        timeout_seconds: '1'
      },
      { timeoutMs: 60_000 }
    )

    expect(result.code).toBe(1)
    expect(attempts(result)).toBe(2)
    expect(errorOf(result)).toContain('did not answer within 1 s (timeout_seconds). Check that the runner can reach')
    expect(result.durationMs).toBeLessThan(BOUND_MS)
    expect(server.open()).toBe(0)
  })

  it('with a body that trickles in through a tunnel', async () => {
    const port = await tlsEndpoint(pki.issue(HOST), true)
    const proxy = await startProxy({ fallback: relayTo(port) })
    try {
      const result = await run(
        { https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: pki.caFile },
        { max_attempts: '2', timeout_seconds: '1' }
      )

      expect(result.code).toBe(1)
      expect(proxy.connects).toHaveLength(2)
      expect(errorOf(result)).toContain('did not answer within 1 s (timeout_seconds) through the proxy')
      expect(result.durationMs).toBeLessThan(BOUND_MS)
      await proxy.allClosed(1000)
    } finally {
      await proxy.close()
    }
  })
})

describe('a proxy that refuses the tunnel', () => {
  it('407: final at once, says to check the credentials in https_proxy, and shows neither them nor a warning', async () => {
    const proxy = await startProxy({ fallback: refuse(407) })
    try {
      const password = 'pr0xy-p@ss'
      const result = await run({
        https_proxy: `http://ci-user:${encodeURIComponent(password)}@127.0.0.1:${proxy.port}`
      })

      expect(result.code).toBe(1)
      expect(proxy.connects).toHaveLength(1)
      expect(proxy.connects[0].authorization).toBe(`Basic ${Buffer.from(`ci-user:${password}`).toString('base64')}`)
      expect(errorOf(result)).toBe(
        `The proxy 127.0.0.1:${proxy.port} asked for authentication (407): check the user and password in https_proxy.`
      )
      expectSafeLog(result, [DEMO_CLIENT_SECRET, password, encodeURIComponent(password)])
      expect(result.stderr).not.toContain('DeprecationWarning')
      expect(result.stderr).toBe('')
    } finally {
      await proxy.close()
    }
  })

  it('403: final at once, says to allow the host or add it to no_proxy', async () => {
    const proxy = await startProxy({ fallback: refuse(403) })
    try {
      const result = await run({ https_proxy: proxy.url })

      expect(result.code).toBe(1)
      expect(proxy.connects).toHaveLength(1)
      expect(errorOf(result)).toBe(
        `The proxy 127.0.0.1:${proxy.port} refused to connect to ${HOST} (403): ask for it to be allowed, or add ` +
          'it to no_proxy if it is reachable directly.'
      )
    } finally {
      await proxy.close()
    }
  })

  it.each([502, 503, 504])('%i: retried, and the message says the proxy answered it', async status => {
    const proxy = await startProxy({ fallback: refuse(status) })
    try {
      const result = await run({ https_proxy: proxy.url }, { max_attempts: '2' })

      expect(result.code).toBe(1)
      expect(proxy.connects).toHaveLength(2)
      expect(result.stdout).toContain(`Attempt 1 of 2 failed (proxy HTTP ${status}); retrying in`)
      expect(errorOf(result)).toBe(
        `The proxy 127.0.0.1:${proxy.port} answered HTTP ${status} to the tunnel to ${HOST}: the proxy could not ` +
          `reach the token endpoint https://${HOST}/api/oauth/token. Gave up after 2 attempts (max_attempts).`
      )
    } finally {
      await proxy.close()
    }
  })

  it('a proxy that cannot be reached is named, not the endpoint', async () => {
    const closed = await silentServer()
    const port = closed.port
    await new Promise(resolve => servers.pop()?.close(() => resolve(undefined)))
    const result = await run({ https_proxy: `http://127.0.0.1:${port}` }, { max_attempts: '1' })

    expect(result.code).toBe(1)
    expect(errorOf(result)).toBe(
      `Could not connect to the proxy 127.0.0.1:${port} (ECONNREFUSED): check https_proxy. Gave up after 1 attempt (max_attempts).`
    )
  })
})

describe('https to a port that speaks plain http', () => {
  it('fails at once, pointing at the scheme and port', async () => {
    const plain = createHttpServer((_req, res) => res.end('hello'))
    const port = await listen(plain)
    const result = await runAction(
      { client_id: DEMO_CLIENT_ID, client_secret: DEMO_CLIENT_SECRET, base_url: `https://127.0.0.1:${port}` },
      { timeoutMs: 30_000 }
    )

    expect(result.code).toBe(1)
    expect(attempts(result)).toBe(1)
    expect(errorOf(result)).toMatch(
      /^127\.0\.0\.1:\d+ did not answer with TLS \((ERR_SSL_WRONG_VERSION_NUMBER|EPROTO)\): it may serve plain http on this port; check the scheme and port of 'base_url'\.$/
    )
  })
})

describe('plain http to a port that speaks TLS', () => {
  const runPlain = (base: string, env: Record<string, string> = {}) =>
    runAction(
      { client_id: DEMO_CLIENT_ID, client_secret: DEMO_CLIENT_SECRET, base_url: base, max_attempts: '3' },
      { env, timeoutMs: 30_000 }
    )
  const told = (host: string, how: string) =>
    `The server at ${host} speaks TLS, but the token endpoint http://${host}/api/oauth/token was asked in plain ` +
    `http (${how}): use https:// in 'base_url'.`

  it('fails at once, without retrying, when the TLS server closes the connection on the request', async () => {
    const port = await tlsEndpoint(pki.issue(HOST))
    const result = await runPlain(`http://127.0.0.1:${port}`)

    expect(result.code).toBe(1)
    expect(attempts(result)).toBe(1)
    expect(errorOf(result)).toBe(told(`127.0.0.1:${port}`, 'it closed the connection, ECONNRESET'))
    expect(result.durationMs).toBeLessThan(SLACK_MS)
    expect(result.outputFile).toBe('')
    expectSafeLog(result, [DEMO_CLIENT_SECRET])
  })

  it('fails at once when the TLS server is trusted (NODE_EXTRA_CA_CERTS) and asked by name', async () => {
    const port = await tlsEndpoint(pki.issue('localhost'))
    const result = await runPlain(`http://localhost:${port}`, { NODE_EXTRA_CA_CERTS: pki.caFile })

    expect(result.code).toBe(1)
    expect(attempts(result)).toBe(1)
    expect(errorOf(result)).toBe(told(`localhost:${port}`, 'it closed the connection, ECONNRESET'))
    expect(result.durationMs).toBeLessThan(SLACK_MS)
  })

  it('fails at once when the server answers the request with a TLS alert', async () => {
    const alert = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])
    const port = await listen(createTcpServer(socket => socket.once('data', () => socket.end(alert))))
    const result = await runPlain(`http://127.0.0.1:${port}`)

    expect(result.code).toBe(1)
    expect(attempts(result)).toBe(1)
    expect(errorOf(result)).toBe(told(`127.0.0.1:${port}`, 'it answered with a TLS alert, HPE_INVALID_CONSTANT'))
  })
})

describe('101 Switching Protocols', () => {
  it.each([
    ['with an Upgrade header', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
    ['without one', 'HTTP/1.1 101 Switching Protocols\r\n\r\n']
  ])('%s ends the step at once, without retrying or waiting out the timeout', async (_what, answer) => {
    let connections = 0
    const port = await listen(
      createTcpServer(socket => {
        connections++
        socket.on('error', () => undefined)
        socket.once('data', () => socket.write(answer))
      })
    )
    const result = await runAction(
      {
        client_id: DEMO_CLIENT_ID,
        client_secret: DEMO_CLIENT_SECRET,
        base_url: `http://127.0.0.1:${port}`,
        max_attempts: '2',
        timeout_seconds: '5'
      },
      { timeoutMs: 30_000 }
    )

    expect(result.code).toBe(1)
    expect(connections).toBe(1)
    expect(errorOf(result)).toBe(
      `The token endpoint http://127.0.0.1:${port}/api/oauth/token answered 101 Switching Protocols: it is not a ` +
        "token endpoint (a WebSocket or other upgrade service answers so). Check 'base_url'."
    )
    expect(result.durationMs).toBeLessThan(SLACK_MS)
    expect(result.outputFile).toBe('')
    expectSafeLog(result, [DEMO_CLIENT_SECRET])
  })
})

describe('certificate errors name their cause', () => {
  it('a certificate for another name', async () => {
    const port = await tlsEndpoint(pki.issue('elsewhere.test'))
    const proxy = await startProxy({ fallback: relayTo(port) })
    try {
      const result = await run({ https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: pki.caFile })

      expect(result.code).toBe(1)
      expect(proxy.connects).toHaveLength(1)
      expect(errorOf(result)).toBe(
        `The TLS certificate of ${HOST} is for another name (ERR_TLS_CERT_ALTNAME_INVALID): check the host in ` +
          "'base_url'; it must be a name the certificate lists."
      )
      expect(errorOf(result)).not.toContain('NODE_EXTRA_CA_CERTS')
    } finally {
      await proxy.close()
    }
  })

  it.each([
    [
      'expired',
      { fromDays: -3, toDays: -1 },
      `The TLS certificate of ${HOST} has expired (CERT_HAS_EXPIRED): the server's certificate must be renewed; if it should still be valid, check the runner's clock.`
    ],
    [
      'not valid yet',
      { fromDays: 1, toDays: 3 },
      `The TLS certificate of ${HOST} is not valid yet (CERT_NOT_YET_VALID): check the runner's clock, or the certificate's start date on the server.`
    ]
  ])('a certificate that is %s', async (_what, validity, message) => {
    const port = await tlsEndpoint(pki.issue(HOST, validity))
    const proxy = await startProxy({ fallback: relayTo(port) })
    try {
      const result = await run({ https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: pki.caFile })

      expect(result.code).toBe(1)
      expect(proxy.connects).toHaveLength(1)
      expect(errorOf(result)).toBe(message)
    } finally {
      await proxy.close()
    }
  })

  it('a CA file that is loaded but does not hold the issuer', async () => {
    const port = await tlsEndpoint(otherPki.issue(HOST))
    const proxy = await startProxy({ fallback: relayTo(port) })
    try {
      const result = await run({ https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: pki.caFile })

      expect(result.code).toBe(1)
      expect(errorOf(result)).toBe(
        `The TLS certificate of ${HOST} was issued by a CA that is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): ` +
          `the file NODE_EXTRA_CA_CERTS names (${pki.caFile}) was loaded but does not contain the issuer of this ` +
          `certificate; add the CA certificate that issued the certificate of ${HOST}.`
      )
    } finally {
      await proxy.close()
    }
  })

  it('succeeds through the proxy with the right CA file', async () => {
    const port = await tlsEndpoint(pki.issue(HOST))
    const proxy = await startProxy({ fallback: relayTo(port) })
    try {
      const result = await run({ https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: pki.caFile })

      expect(result.code).toBe(0)
      expect(result.outputs.access_token).toBe(ACCESS_TOKEN)
      expectSafeLog(result, [DEMO_CLIENT_SECRET, ACCESS_TOKEN])
      expect(result.stderr).toBe('')
    } finally {
      await proxy.close()
    }
  })
})

describe('the default endpoint answering like something other than a token endpoint', () => {
  // https://datasaur.ai itself, reached through the proxy, which relays it to a loopback server with a
  // certificate for datasaur.ai from the test CA.
  const OTHER_HOST =
    'Datasaur also serves its API at https://app.datasaur.ai: if your workspace is there, set base_url: https://app.datasaur.ai.'

  it.each([
    [
      '404 page',
      404,
      '<html>Not Found</html>',
      "answered HTTP 404 with content type 'text/html' where JSON was expected."
    ],
    ['405', 405, '', 'answered HTTP 405. This address does not accept POST'],
    [
      'sign-in page with 200',
      200,
      '<html>Sign in</html>',
      "answered HTTP 200 with content type 'text/html', but a JSON object was expected"
    ]
  ])('a %s: says which other host Datasaur documents', async (_what, status, body, message) => {
    const server = createHttpsServer(pki.issue('datasaur.ai'), (_req, res) => {
      res.writeHead(status, { 'Content-Type': 'text/html' })
      res.end(body)
    })
    const proxy = await startProxy({ fallback: relayTo(await listen(server)) })
    try {
      const result = await runAction(
        { client_id: DEMO_CLIENT_ID, client_secret: DEMO_CLIENT_SECRET },
        { env: { https_proxy: proxy.url, no_proxy: '', NODE_EXTRA_CA_CERTS: pki.caFile }, timeoutMs: 30_000 }
      )

      expect(result.code).toBe(1)
      expect(proxy.connects.map(c => c.target)).toEqual(['datasaur.ai:443'])
      const error = errorOf(result)
      expect(error).toContain(`The token endpoint https://datasaur.ai/api/oauth/token ${message}`)
      expect(error.endsWith(OTHER_HOST)).toBe(true)
    } finally {
      await proxy.close()
    }
  })
})

describe('NODE_EXTRA_CA_CERTS is checked before any request', () => {
  it.each([
    ['a missing file', () => join(dir, 'missing.pem'), 'does not exist: check the path'],
    [
      'a file without a PEM certificate',
      () => {
        const path = join(dir, 'not-pem.der')
        writeFileSync(path, Buffer.from([0x30, 0x82, 0x01, 0x0a]))
        return path
      },
      'holds no PEM certificate (-----BEGIN CERTIFICATE-----): convert the CA certificate to PEM.'
    ],
    ['a directory', () => dir, 'cannot be read (EISDIR)']
  ])('%s', async (_what, pathOf, problem) => {
    const path = pathOf()
    const proxy = await startProxy({ fallback: silent() })
    try {
      const result = await run({ https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: path })

      expect(result.code).toBe(1)
      expect(proxy.connects).toHaveLength(0)
      expect(errorOf(result)).toContain(`NODE_EXTRA_CA_CERTS is set to '${path}', but that file`)
      expect(errorOf(result)).toContain(problem)
      expect(result.outputFile).toBe('')
    } finally {
      await proxy.close()
    }
  })
})
