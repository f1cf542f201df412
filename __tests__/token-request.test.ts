import { afterEach, describe, expect, it } from '@jest/globals'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net'
import { AttemptError } from '../src/errors.js'
import type { Settings } from '../src/inputs.js'
import { formEncode } from '../src/text/encoding.js'
import {
  buildTokenRequest,
  MAX_REDIRECTS,
  MAX_RESPONSE_BYTES,
  sendTokenRequest,
  type SendOptions
} from '../src/exchange/token-request.js'
import { Redactor } from '../src/text/log-text.js'
import { VERSION } from '../src/version.js'
import { createCertificateAuthority } from './support/certificates.js'
import { clientOf, json, raw, reset, startTokenServer, trickle } from './support/token-server.js'

const SECRET = "s e+c/r=e:t%~!*'()"

function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    clientId: 'client:id',
    clientSecret: SECRET,
    tokenUrl: new URL('https://datasaur.ai/api/oauth/token'),
    authMethod: 'client_secret_post',
    scope: '',
    exportEnv: true,
    envName: 'DATASAUR_ACCESS_TOKEN',
    maxAttempts: 5,
    timeoutMs: 5000,
    endpointInput: 'base_url',
    baseUrlIgnored: false,
    refresh: false,
    rateLimitBudgetMs: 120_000,
    ...overrides
  }
}

/** Options for one attempt: a time limit, and the secret as the action registers it. */
function send(timeoutMs: number): SendOptions {
  const redactor = new Redactor()
  redactor.add(SECRET)
  return { timeoutMs, redactor }
}

describe('buildTokenRequest', () => {
  it('sends the credentials in the form with client_secret_post', () => {
    const request = buildTokenRequest(settings())
    expect(request.headers).toEqual({ 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' })
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'client:id',
      client_secret: SECRET
    })
    expect(request.derivedSecrets).toEqual([formEncode(SECRET), encodeURIComponent(SECRET)])
  })

  it('sends RFC 6749 §2.3.1 Basic credentials and no credentials in the body with client_secret_basic', () => {
    const request = buildTokenRequest(settings({ authMethod: 'client_secret_basic' }))
    const expected = Buffer.from(`${formEncode('client:id')}:${formEncode(SECRET)}`).toString('base64')
    expect(request.headers.Authorization).toBe(`Basic ${expected}`)
    expect(Buffer.from(expected, 'base64').toString()).toBe('client%3Aid:s+e%2Bc%2Fr%3De%3At%25%7E%21*%27%28%29')
    expect(request.body).toBe('grant_type=client_credentials')
    expect(request.derivedSecrets).toEqual([formEncode(SECRET), encodeURIComponent(SECRET), expected])
  })

  it('adds scope only when set', () => {
    expect(new URLSearchParams(buildTokenRequest(settings({ scope: 'read write' })).body).get('scope')).toBe(
      'read write'
    )
    expect(buildTokenRequest(settings()).body).not.toContain('scope')
  })

  it('reports no derived secret when encoding leaves the secret unchanged', () => {
    expect(buildTokenRequest(settings({ clientSecret: 'abc123' })).derivedSecrets).toEqual([])
  })
})

describe('sendTokenRequest against a loopback endpoint', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => close?.())

  async function server(options: Parameters<typeof startTokenServer>[0] = {}) {
    const s = await startTokenServer({ clientId: 'client:id', clientSecret: SECRET, ...options })
    close = s.close
    return s
  }

  it.each(['client_secret_post', 'client_secret_basic'] as const)(
    'is accepted by the Datasaur-compatible endpoint with %s',
    async authMethod => {
      const s = await server()
      const request = buildTokenRequest(settings({ authMethod, tokenUrl: new URL(s.tokenUrl), scope: 'a b' }))
      const response = await sendTokenRequest(request, send(5000))
      expect(response.status).toBe(200)
      expect(JSON.parse(response.body).access_token).toBe(s.issuedTokens[0])
      const [received] = s.requests
      expect(received.method).toBe('POST')
      expect(received.headers['content-type']).toBe('application/x-www-form-urlencoded')
      expect(received.headers.accept).toBe('application/json')
      expect(received.headers['user-agent']).toContain(`datasaur-token-action/${VERSION}`)
      expect(received.form.grant_type).toBe('client_credentials')
      expect(received.form.scope).toBe('a b')
      expect(clientOf(received)).toEqual({ id: 'client:id', secret: SECRET })
      if (authMethod === 'client_secret_basic') expect(received.form.client_secret).toBeUndefined()
    }
  )

  it('returns a non-200 answer for the parser to judge', async () => {
    const s = await server({ replies: [json(401, { error: 'invalid_client' })] })
    const response = await sendTokenRequest(buildTokenRequest(settings({ tokenUrl: new URL(s.tokenUrl) })), send(5000))
    expect(response.status).toBe(401)
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_client' })
  })

  it('turns a reset connection into a retryable error', async () => {
    const s = await server({ replies: [reset()] })
    const error = await sendTokenRequest(
      buildTokenRequest(settings({ tokenUrl: new URL(s.tokenUrl) })),
      send(5000)
    ).catch(e => e)
    expect(error).toBeInstanceOf(AttemptError)
    expect(error.options.retryable).toBe(true)
    expect(error.message).toMatch(/Could not reach the token endpoint .* \(ECONNRESET\)/)
  })

  it('turns a refused connection into a retryable error', async () => {
    const s = await server()
    const url = new URL(s.tokenUrl)
    await s.close()
    close = undefined
    const error = await sendTokenRequest(buildTokenRequest(settings({ tokenUrl: url })), send(5000)).catch(e => e)
    expect(error.options).toMatchObject({ retryable: true, reason: 'ECONNREFUSED' })
  })

  it('cuts off a body that trickles past the deadline', async () => {
    const s = await server({ replies: [trickle(50)] })
    const started = Date.now()
    const error = await sendTokenRequest(
      buildTokenRequest(settings({ tokenUrl: new URL(s.tokenUrl) })),
      send(400)
    ).catch(e => e)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(error.options.retryable).toBe(true)
    expect(error.message).toMatch(/did not answer within 0.4 s \(timeout_seconds\)/)
  })

  it('refuses a body larger than the cap without buffering it', async () => {
    const big = 'x'.repeat(MAX_RESPONSE_BYTES + 1)
    for (const headers of [{}, { 'Content-Length': String(big.length) }]) {
      const s = await server({ replies: [raw(200, big, headers)] })
      const error = await sendTokenRequest(
        buildTokenRequest(settings({ tokenUrl: new URL(s.tokenUrl) })),
        send(5000)
      ).catch(e => e)
      expect(error.message).toMatch(/body larger than 64 KiB/)
      expect(error.options.retryable).toBe(false)
      await s.close()
    }
    close = undefined
  })

  it('follows a same-host 307 with the body unchanged', async () => {
    const s = await server({ path: '/moved/token', replies: [raw(307, '', { Location: '/moved/token' })] })
    const request = buildTokenRequest(settings({ tokenUrl: new URL(`${s.baseUrl}/api/oauth/token`) }))
    const response = await sendTokenRequest(request, send(5000))
    expect(response.status).toBe(200)
    expect(response.url.pathname).toBe('/api/oauth/token')
    expect(s.requests.map(r => [r.method, r.path, r.body])).toEqual([
      ['POST', '/api/oauth/token', request.body],
      ['POST', '/moved/token', request.body]
    ])
  })

  it(`follows at most ${MAX_REDIRECTS} redirects in one attempt`, async () => {
    const hop = raw(307, '', { Location: '/api/oauth/token' })
    const s = await server({ replies: Array.from({ length: MAX_REDIRECTS }, () => hop) })
    const request = buildTokenRequest(settings({ tokenUrl: new URL(s.tokenUrl) }))
    expect((await sendTokenRequest(request, send(5000))).status).toBe(200)
    expect(s.requests).toHaveLength(MAX_REDIRECTS + 1)
    await s.close()

    const looping = await server({ replies: Array.from({ length: MAX_REDIRECTS + 1 }, () => hop) })
    const error = await sendTokenRequest(
      buildTokenRequest(settings({ tokenUrl: new URL(looping.tokenUrl) })),
      send(5000)
    ).catch(e => e)
    expect(error.message).toMatch(/redirected more than 3 times/)
    expect(error.options).toEqual({ retryable: false, reason: 'HTTP 307' })
    expect(looping.requests).toHaveLength(MAX_REDIRECTS + 1)
  })

  it('treats a connection dropped part-way through the body as retryable', async () => {
    const s = await server({
      replies: [
        res => {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' })
          res.write('{"access_token":"partial')
          setTimeout(() => res.socket?.destroy(), 20)
        }
      ]
    })
    const error = await sendTokenRequest(
      buildTokenRequest(settings({ tokenUrl: new URL(s.tokenUrl) })),
      send(5000)
    ).catch(e => e)
    expect(error).toBeInstanceOf(AttemptError)
    expect(error.options).toMatchObject({ retryable: true, reason: 'ECONNRESET' })
  })

  it('refuses a redirect to another host, offering the other documented host for the default endpoint', async () => {
    const hint = 'Datasaur also serves its API at https://app.datasaur.ai.'
    const s = await server({ replies: [raw(307, '', { Location: 'https://www.example.com/login' })] })
    const request = buildTokenRequest(settings({ tokenUrl: new URL(s.tokenUrl), otherHostHint: hint }))
    const error = await sendTokenRequest(request, send(5000)).catch(e => e)
    expect(error.message).toBe(
      `The token endpoint ${s.tokenUrl} redirected (307) to another host or port, https://www.example.com/login; ` +
        `the request was not sent there. Set 'base_url' to the endpoint's final address. ${hint}`
    )
    expect(error.options).toEqual({ retryable: false, reason: 'HTTP 307' })
  })

  /** A token answer padded with JSON whitespace to exactly `size` bytes. */
  const tokenOfSize = (size: number): string => {
    const json = JSON.stringify({ access_token: 'tok', token_type: 'bearer' })
    return `${json}${' '.repeat(size - json.length)}`
  }

  it('accepts a body of exactly the cap, announced or streamed', async () => {
    const body = tokenOfSize(MAX_RESPONSE_BYTES)
    for (const headers of [{ 'Content-Length': String(MAX_RESPONSE_BYTES) }, {}]) {
      const s = await server({ replies: [raw(200, body, headers)] })
      const response = await sendTokenRequest(
        buildTokenRequest(settings({ tokenUrl: new URL(s.tokenUrl) })),
        send(5000)
      )
      expect(Buffer.byteLength(response.body)).toBe(MAX_RESPONSE_BYTES)
      await s.close()
    }
    close = undefined
  })

  it('refuses an announced oversized body at once, without waiting for it', async () => {
    const s = await server({
      replies: [
        res => {
          res.writeHead(503, { 'Content-Type': 'application/json', 'Content-Length': String(MAX_RESPONSE_BYTES + 1) })
          res.write('{')
        }
      ]
    })
    const started = Date.now()
    const error = await sendTokenRequest(
      buildTokenRequest(settings({ tokenUrl: new URL(s.tokenUrl) })),
      send(3000)
    ).catch(e => e)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(error.message).toBe(
      `The token endpoint ${s.tokenUrl} answered HTTP 503 with a body larger than 64 KiB, which is not a token response.`
    )
    expect(error.options).toEqual({ retryable: true, reason: 'HTTP 503, oversized body' })
  })

  it('names the status of a refused redirect as the reason', async () => {
    const s = await server({ replies: [raw(302, '', { Location: '/elsewhere' })] })
    const error = await sendTokenRequest(
      buildTokenRequest(settings({ tokenUrl: new URL(s.tokenUrl) })),
      send(5000)
    ).catch(e => e)
    expect(error.options).toEqual({ retryable: false, reason: 'HTTP 302' })
  })
})

describe('sendTokenRequest: 1xx answers', () => {
  const closers: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
  })

  /** A TCP server that answers each request's first bytes with `answer`, counting open connections. */
  async function rawServer(answer: string): Promise<{ url: URL; connections: () => number; open: () => number }> {
    const open = new Set<Socket>()
    let connections = 0
    const server = createTcpServer(socket => {
      connections++
      open.add(socket)
      socket.on('close', () => open.delete(socket))
      socket.on('error', () => undefined)
      socket.once('data', () => socket.write(answer))
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    closers.push(() => {
      for (const socket of open) socket.destroy()
      return new Promise(resolve => server.close(resolve))
    })
    const { port } = server.address() as AddressInfo
    return {
      url: new URL(`http://127.0.0.1:${port}/api/oauth/token`),
      connections: () => connections,
      open: () => open.size
    }
  }

  async function attempt(url: URL, timeoutMs = 5000): Promise<AttemptError | { status: number; body: string }> {
    const request = buildTokenRequest(settings({ tokenUrl: url }))
    return sendTokenRequest(request, send(timeoutMs)).catch((error: AttemptError) => error)
  }

  const SWITCHED = (url: URL) =>
    `The token endpoint ${url.href} answered 101 Switching Protocols: it is not a token endpoint (a WebSocket or ` +
    "other upgrade service answers so). Check 'base_url'."

  it.each([
    ['with an Upgrade header', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
    [
      'with an Upgrade header and bytes of the new protocol',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\nxyz'
    ],
    ['without an Upgrade header', 'HTTP/1.1 101 Switching Protocols\r\n\r\n']
  ])('ends the attempt at once on a 101 %s, as final, and closes the connection', async (_what, answer) => {
    const server = await rawServer(answer)
    const started = performance.now()
    const error = await attempt(server.url, 20_000)
    expect(error).toBeInstanceOf(AttemptError)
    expect((error as AttemptError).message).toBe(SWITCHED(server.url))
    expect((error as AttemptError).options).toEqual({ retryable: false, reason: 'HTTP 101' })
    // Far below the 20 s deadline the attempt would otherwise have waited out.
    expect(performance.now() - started).toBeLessThan(10_000)
    expect(server.connections()).toBe(1)
    // The close reaches the server's side a moment later.
    for (let i = 0; i < 200 && server.open() > 0; i++) await new Promise(resolve => setTimeout(resolve, 10))
    expect(server.open()).toBe(0)
  })

  it.each([
    ['102 Processing', 'HTTP/1.1 102 Processing\r\n\r\n'],
    ['103 Early Hints', 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n'],
    ['two interim answers', 'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n']
  ])('reads past %s to the final answer', async (_what, interim) => {
    const body = JSON.stringify({ access_token: 'interim-token-1', token_type: 'bearer' })
    const final = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`
    const server = await rawServer(`${interim}${final}`)
    const response = await attempt(server.url)
    expect(response).toMatchObject({ status: 200, body })
  })
})

describe('sendTokenRequest: plain http to a port that speaks TLS', () => {
  const pki = createCertificateAuthority()
  const closers: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
  })

  /** Counts connections and closes them all on the way out. */
  function tracked<T extends TcpServer>(server: T): { server: T; connections: () => number; open: () => number } {
    const open = new Set<Socket>()
    let connections = 0
    server.on('connection', (socket: Socket) => {
      connections++
      open.add(socket)
      socket.on('close', () => open.delete(socket))
    })
    closers.push(() => {
      for (const socket of open) socket.destroy()
      return new Promise(resolve => server.close(resolve))
    })
    return { server, connections: () => connections, open: () => open.size }
  }

  async function listen(server: TcpServer, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>(resolve => server.listen(0, host, resolve))
    return (server.address() as AddressInfo).port
  }

  async function attempt(url: string): Promise<AttemptError> {
    const request = buildTokenRequest(settings({ tokenUrl: new URL(url) }))
    return sendTokenRequest(request, send(5000)).then(
      () => {
        throw new Error('expected the attempt to fail')
      },
      (error: AttemptError) => error
    )
  }

  it.each([
    ['127.0.0.1', '127.0.0.1', 'localhost'],
    ['localhost', '127.0.0.1', 'localhost'],
    ['[::1]', '::1', 'localhost']
  ])('says so, as final, when a TLS server at %s closes the connection on the request', async (host, bind, name) => {
    const tls = tracked(createHttpsServer(pki.issue(name), (_req, res) => res.end('{}')))
    const port = await listen(tls.server, bind)
    const error = await attempt(`http://${host}:${port}/api/oauth/token`)
    expect(error.message).toBe(
      `The server at ${host}:${port} speaks TLS, but the token endpoint http://${host}:${port}/api/oauth/token was ` +
        "asked in plain http (it closed the connection, ECONNRESET): use https:// in 'base_url'."
    )
    expect(error.options).toEqual({ retryable: false, reason: 'ECONNRESET' })
    // The request, then the probe's handshake; both closed when the attempt ends.
    expect(tls.connections()).toBe(2)
    for (let i = 0; i < 200 && tls.open() > 0; i++) await new Promise(resolve => setTimeout(resolve, 10))
    expect(tls.open()).toBe(0)
  })

  it('says so at once when the server answers the request with a TLS alert', async () => {
    // A protocol_version alert (RFC 8446 §6), as some TLS servers send to bytes that are not TLS.
    const alert = Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
    const server = tracked(createTcpServer(socket => socket.once('data', () => socket.end(alert))))
    const port = await listen(server.server)
    const error = await attempt(`http://127.0.0.1:${port}/api/oauth/token`)
    expect(error.message).toBe(
      `The server at 127.0.0.1:${port} speaks TLS, but the token endpoint http://127.0.0.1:${port}/api/oauth/token ` +
        "was asked in plain http (it answered with a TLS alert, HPE_INVALID_CONSTANT): use https:// in 'base_url'."
    )
    expect(error.options).toEqual({ retryable: false, reason: 'HPE_INVALID_CONSTANT' })
    expect(server.connections()).toBe(1)
  })

  it('keeps a reset from a server that does not speak TLS passing', async () => {
    const server = tracked(createTcpServer(socket => socket.once('data', () => socket.resetAndDestroy())))
    const port = await listen(server.server)
    const error = await attempt(`http://127.0.0.1:${port}/api/oauth/token`)
    expect(error.message).toBe(
      `Could not reach the token endpoint http://127.0.0.1:${port}/api/oauth/token (ECONNRESET).`
    )
    expect(error.options).toEqual({ retryable: true, reason: 'ECONNRESET' })
    expect(server.connections()).toBe(2)
  })

  it('keeps a reset passing when the port answers the probe with something that is not TLS', async () => {
    let first = true
    const server = tracked(
      createTcpServer(socket => {
        const reset = first
        first = false
        socket.once('data', () => (reset ? socket.resetAndDestroy() : socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')))
      })
    )
    const port = await listen(server.server)
    const error = await attempt(`http://127.0.0.1:${port}/api/oauth/token`)
    expect(error.options).toEqual({ retryable: true, reason: 'ECONNRESET' })
  })

  it('closes the probe with the attempt when the deadline comes first', async () => {
    let first = true
    const server = tracked(
      createTcpServer(socket => {
        const reset = first
        first = false
        if (reset) socket.once('data', () => socket.resetAndDestroy())
        else socket.resume() // the probe's ClientHello is never answered
      })
    )
    const port = await listen(server.server)
    const request = buildTokenRequest(settings({ tokenUrl: new URL(`http://127.0.0.1:${port}/api/oauth/token`) }))
    const error = await sendTokenRequest(request, send(300)).catch((caught: AttemptError) => caught)
    expect((error as AttemptError).message).toMatch(/did not answer within 0\.3 s \(timeout_seconds\)/)
    expect(server.connections()).toBe(2)
    // Well before the probe's own 2 s would have closed it.
    for (let i = 0; i < 100 && server.open() > 0; i++) await new Promise(resolve => setTimeout(resolve, 10))
    expect(server.open()).toBe(0)
  })

  it('does not probe an https endpoint', async () => {
    const server = tracked(createTcpServer(socket => socket.resetAndDestroy()))
    const port = await listen(server.server)
    const error = await attempt(`https://127.0.0.1:${port}/api/oauth/token`)
    expect(error.options.retryable).toBe(true)
    expect(server.connections()).toBe(1)
  })
})
