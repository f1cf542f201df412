// The self-hosted setup end to end: a Datasaur behind a private CA, reached through an HTTPS proxy.
// A test CA and a certificate for datasaur.test are made with the openssl CLI (support/certificates.js);
// an HTTPS token endpoint serves that certificate on loopback; a CONNECT proxy (support/proxy.js)
// records each tunnel's target and joins it to that endpoint, since datasaur.test does not resolve. The bundled action runs as the
// runner runs it, with https_proxy, no_proxy and NODE_EXTRA_CA_CERTS in the step's env.

import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { createServer as createNetServer, type Socket } from 'node:net'
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { createCertificateAuthority } from './support/certificates.js'
import { expectSafeLog } from './support/expect-log.js'
import { relayTo, startProxy } from './support/proxy.js'
import { runAction, visibleLog } from './support/run-action.js'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, clientOf } from './support/token-server.js'

const HOST = 'datasaur.test'
const ACCESS_TOKEN = 'private-ca-token-0123456789abcdef'

interface SeenTokenRequest {
  host: string | undefined
  path: string
  accepted: boolean
}

let pki: ReturnType<typeof createCertificateAuthority>
let caPath: string
let tokenServer: HttpsServer
let proxy: Awaited<ReturnType<typeof startProxy>>
let proxyPort: number
const sockets = new Set<Socket>()
/** Requests that reached the token endpoint through a completed TLS handshake. */
const tokenRequests: SeenTokenRequest[] = []
/** TLS handshakes the endpoint saw fail, e.g. because the client did not trust its certificate. */
const tlsClientErrors: string[] = []
/** TCP connections the endpoint accepted, directly or relayed by the proxy. */
let tokenConnections = 0
let tokenPort: number

function track(socket: Socket): void {
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
}

function listen(server: HttpsServer): Promise<number> {
  return new Promise(resolve =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : 0)
    })
  )
}

beforeAll(async () => {
  pki = createCertificateAuthority()
  caPath = pki.caFile

  tokenServer = createHttpsServer(pki.issue(HOST), (req, res) => {
    if (req.url?.startsWith('/slow/')) {
      // A body that trickles in and never ends, for the timeout through the tunnel.
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.write('{')
      const timer = setInterval(() => res.write(' '), 100)
      res.on('close', () => clearInterval(timer))
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
      const client = clientOf({ headers: req.headers, form })
      const accepted =
        req.method === 'POST' &&
        req.url === '/api/oauth/token' &&
        form.grant_type === 'client_credentials' &&
        client?.id === DEMO_CLIENT_ID &&
        client?.secret === DEMO_CLIENT_SECRET
      tokenRequests.push({ host: req.headers.host, path: req.url ?? '', accepted })
      res.writeHead(accepted ? 200 : 401, { 'Content-Type': 'application/json' })
      res.end(
        JSON.stringify(
          accepted
            ? { access_token: ACCESS_TOKEN, token_type: 'bearer', expires_in: 3600 }
            : { error: 'invalid_client' }
        )
      )
    })
  })
  tokenServer.on('connection', track)
  tokenServer.on('connection', () => tokenConnections++)
  tokenServer.on('tlsClientError', (error: NodeJS.ErrnoException) => tlsClientErrors.push(error.code ?? error.message))
  tokenPort = await listen(tokenServer)

  // datasaur.test does not resolve: the proxy joins every tunnel to the endpoint.
  proxy = await startProxy({ fallback: relayTo(tokenPort) })
  proxyPort = proxy.port
})

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  const close = (server: HttpsServer | undefined) =>
    new Promise<void>(resolve => (server ? server.close(() => resolve()) : resolve()))
  await Promise.all([close(tokenServer), proxy?.close()])
  pki?.remove()
})

/**
 * Runs the action against https://datasaur.test with the given step env, checks that its log shows no
 * secret and obeys no foreign command on either stream; returns what each server saw.
 */
async function exchange(env: Record<string, string>, inputs: Record<string, string> = {}) {
  const proxyBefore = proxy.log.length
  const tokenBefore = tokenRequests.length
  const tlsBefore = tlsClientErrors.length
  const result = await runAction(
    { client_id: DEMO_CLIENT_ID, client_secret: DEMO_CLIENT_SECRET, base_url: `https://${HOST}`, ...inputs },
    { env }
  )
  expectSafeLog(result, [DEMO_CLIENT_SECRET, ACCESS_TOKEN])
  return {
    result,
    proxied: proxy.log.slice(proxyBefore),
    tokenRequests: tokenRequests.slice(tokenBefore),
    tlsErrors: tlsClientErrors.slice(tlsBefore)
  }
}

describe('a self-hosted Datasaur behind a proxy and a private CA', () => {
  it('tunnels through https_proxy and trusts the CA given in NODE_EXTRA_CA_CERTS', async () => {
    const { result, proxied, tokenRequests } = await exchange({
      https_proxy: `http://127.0.0.1:${proxyPort}`,
      NODE_EXTRA_CA_CERTS: caPath
    })

    expect(result.code).toBe(0)
    expect(proxied).toEqual([`CONNECT ${HOST}:443`])
    expect(tokenRequests).toEqual([{ host: HOST, path: '/api/oauth/token', accepted: true }])
    expect(result.outputs.access_token).toBe(ACCESS_TOKEN)
    expect(result.env.DATASAUR_ACCESS_TOKEN).toBe(ACCESS_TOKEN)
    expect(visibleLog(result)).toContain(`Obtained a bearer token from https://${HOST}/api/oauth/token`)
  })

  it('cuts off a trickling body at timeout_seconds through the tunnel, and the step ends', async () => {
    const { result, proxied } = await exchange(
      { https_proxy: `http://127.0.0.1:${proxyPort}`, NODE_EXTRA_CA_CERTS: caPath },
      { base_url: `https://${HOST}/slow`, timeout_seconds: '1', max_attempts: '1' }
    )

    expect(result.code).toBe(1)
    expect(proxied).toEqual([`CONNECT ${HOST}:443`])
    expect(result.stdout).toMatch(/^::error::The token endpoint .* did not answer within 1 s \(timeout_seconds\)/m)
    expect(result.durationMs).toBeLessThan(5000)
    expect(result.outputs).toEqual({})
  })

  it('goes direct, not through the proxy, for a host listed in no_proxy', async () => {
    // Direct, datasaur.test does not resolve: the failure proves the proxy was bypassed. A name that
    // does not resolve is final, so the default max_attempts makes one attempt.
    const { result, proxied, tokenRequests } = await exchange({
      https_proxy: `http://127.0.0.1:${proxyPort}`,
      no_proxy: HOST,
      NODE_EXTRA_CA_CERTS: caPath
    })

    expect(result.code).toBe(1)
    expect(proxied).toEqual([])
    expect(tokenRequests).toEqual([])
    expect(result.stdout).toMatch(
      new RegExp(
        `^::error::Could not resolve the host ${HOST.replace('.', '\\.')} of the token endpoint https://${HOST.replace('.', '\\.')}/api/oauth/token \\(ENOTFOUND\\): check the spelling of 'base_url'`,
        'm'
      )
    )
    expect(result.outputs).toEqual({})
  })

  it('fails once, without retrying, and points to NODE_EXTRA_CA_CERTS when the CA is not trusted', async () => {
    const { result, proxied, tokenRequests, tlsErrors } = await exchange({
      https_proxy: `http://127.0.0.1:${proxyPort}`
    })

    expect(result.code).toBe(1)
    // max_attempts is left at its default of 5: a certificate error is final.
    expect(proxied).toEqual([`CONNECT ${HOST}:443`])
    expect(tlsErrors).toHaveLength(1)
    expect(tokenRequests).toEqual([])
    const log = visibleLog(result)
    expect(log).toMatch(
      /^::error::The TLS certificate of datasaur\.test was issued by a CA that is not trusted \([A-Z_]+\)/m
    )
    expect(log).toContain('set NODE_EXTRA_CA_CERTS')
    expect(log.match(/Attempt \d+: POST/g)).toHaveLength(1)
    expect(log).not.toContain('retrying')
    expect(log).not.toContain('NODE_TLS_REJECT_UNAUTHORIZED')
    expect(log).not.toContain('rejectUnauthorized')
    expect(result.outputs).toEqual({})
  })
})

// The proxy variables as curl reads them. Here datasaur.test (and localhost) resolve to 127.0.0.1 in
// the action's process (support/resolve-to-loopback.js), and the endpoint's port is in base_url, so a
// request that skipped the proxy would reach the endpoint directly: only the proxy's record tells
// the two apart, and a value that must stop the step must leave the endpoint without a connection.
const RESOLVER = `--import=${new URL('./support/resolve-to-loopback.js', import.meta.url).href}`
const PROXY_USER = 'ci-user'
const PROXY_PASSWORD = 'Pr0xy-S3cret'

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

/** Runs the action against https://datasaur.test:<port>, reachable directly as well as through the proxy. */
async function exchangeReachable(env: Record<string, string>, forbidden: string[] = []) {
  const connectsBefore = proxy.connects.length
  const tokenBefore = tokenRequests.length
  const connectionsBefore = tokenConnections
  const result = await runAction(
    {
      client_id: DEMO_CLIENT_ID,
      client_secret: DEMO_CLIENT_SECRET,
      base_url: `https://${HOST}:${tokenPort}`,
      max_attempts: '1'
    },
    {
      env: {
        NODE_OPTIONS: RESOLVER,
        RESOLVE_TO_LOOPBACK: `${HOST},localhost`,
        NODE_EXTRA_CA_CERTS: caPath,
        RUNNER_DEBUG: '1',
        ...env
      }
    }
  )
  const credentials = [PROXY_USER, PROXY_PASSWORD, basic(PROXY_USER, PROXY_PASSWORD).slice(6), ...forbidden]
  const log = expectSafeLog(result, [DEMO_CLIENT_SECRET, ACCESS_TOKEN, ...credentials])
  // Outside the masks it registers, the step never writes a credential, on either stream.
  const written = `${result.stdout}\n${result.stderr}`
    .split(/\r\n|\r|\n/)
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  for (const credential of credentials) expect(written).not.toContain(credential)
  return {
    result,
    log,
    errors: log.annotations.filter(annotation => annotation.type === 'error').map(annotation => annotation.message),
    connects: proxy.connects.slice(connectsBefore),
    tokenRequests: tokenRequests.slice(tokenBefore),
    tokenConnections: tokenConnections - connectionsBefore
  }
}

describe('the proxy variables, read as curl reads them', () => {
  const target = () => `${HOST}:${tokenPort}`

  it.each([
    ['https_proxy', '127.0.0.1:<port>'],
    ['https_proxy', 'localhost:<port>'],
    ['HTTPS_PROXY', 'localhost:<port>'],
    ['all_proxy', '127.0.0.1:<port>'],
    ['ALL_PROXY', 'http://127.0.0.1:<port>']
  ])('%s=%s (no scheme means http://) goes through the proxy', async (variable, form) => {
    const { result, connects, tokenRequests } = await exchangeReachable({
      [variable]: form.replace('<port>', String(proxyPort))
    })

    expect(result.code).toBe(0)
    expect(connects).toEqual([{ target: target(), authorization: undefined }])
    expect(tokenRequests).toEqual([{ host: target(), path: '/api/oauth/token', accepted: true }])
    expect(result.outputs.access_token).toBe(ACCESS_TOKEN)
  })

  it('user:password@host:port, without a scheme, sends the credentials to the proxy', async () => {
    const { result, connects } = await exchangeReachable({
      https_proxy: `${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${proxyPort}`
    })

    expect(result.code).toBe(0)
    expect(connects).toEqual([{ target: target(), authorization: basic(PROXY_USER, PROXY_PASSWORD) }])
    expect(result.outputs.access_token).toBe(ACCESS_TOKEN)
  })

  it('a literal % in the password is sent as written: 50%off', async () => {
    const { result, connects } = await exchangeReachable(
      { https_proxy: `http://${PROXY_USER}:50%off@127.0.0.1:${proxyPort}` },
      ['50%off', basic(PROXY_USER, '50%off').slice(6)]
    )

    expect(result.code).toBe(0)
    expect(connects).toEqual([{ target: target(), authorization: basic(PROXY_USER, '50%off') }])
  })

  it.each([
    [
      'HTTPS_PROXY',
      `socks5://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:<port>`,
      "HTTPS_PROXY names a SOCKS proxy (socks5://), which this action does not support: in the env of this step, set https_proxy to an HTTP or HTTPS proxy, or set HTTPS_PROXY to '' if the endpoint is reachable directly. Nothing was requested."
    ],
    [
      'ALL_PROXY',
      `ftp://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:<port>`,
      'ALL_PROXY is set to a proxy this action cannot use: it has the scheme ftp://, which is not http:// or https://;'
    ],
    [
      'https_proxy',
      `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:99999`,
      'https_proxy is set to a proxy this action cannot use: it has a port that is not a number from 1 to 65535 (http://127.0.0.1);'
    ],
    [
      'https_proxy',
      `${PROXY_USER}:${PROXY_PASSWORD}`,
      'https_proxy is set to a proxy this action cannot use: it has a port that is not a number from 1 to 65535;'
    ],
    [
      'https_proxy',
      `http://${PROXY_USER}:${PROXY_PASSWORD}@:<port>`,
      'https_proxy is set to a proxy this action cannot use: it has no proxy host;'
    ]
  ])('%s=%s stops the step before any request, naming the variable', async (variable, form, message) => {
    const { result, log, errors, connects, tokenConnections } = await exchangeReachable({
      [variable]: form.replace('<port>', String(proxyPort))
    })

    expect(result.code).toBe(1)
    expect(connects).toEqual([])
    expect(tokenConnections).toBe(0)
    expect(errors).toEqual([expect.stringContaining(message)])
    expect(errors[0].startsWith(variable)).toBe(true)
    expect(log.lines.join('\n')).not.toContain('Attempt 1')
    expect(result.outputs).toEqual({})
  })

  it('an unreachable proxy fails the step: the request never goes around it', async () => {
    const closed = createNetServer()
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
    const closedPort = (closed.address() as { port: number }).port
    await new Promise(resolve => closed.close(resolve))

    const proxied = await exchangeReachable({ https_proxy: `localhost:${closedPort}` })
    expect(proxied.result.code).toBe(1)
    expect(proxied.tokenConnections).toBe(0)
    expect(proxied.errors).toEqual([
      `Could not connect to the proxy localhost:${closedPort} (ECONNREFUSED): check https_proxy. Gave up after 1 attempt (max_attempts).`
    ])
    expect(proxied.result.outputs).toEqual({})

    // The same step with the endpoint in no_proxy reaches it directly: going around the proxy would
    // have succeeded.
    const direct = await exchangeReachable({ https_proxy: `localhost:${closedPort}`, no_proxy: HOST })
    expect(direct.result.code).toBe(0)
    expect(direct.tokenRequests).toEqual([{ host: `${HOST}:${tokenPort}`, path: '/api/oauth/token', accepted: true }])
  })
})
