// A Datasaur-compatible OAuth 2.0 token endpoint on loopback, for tests, the demo, the benchmark and
// the CI end-to-end job. By default it behaves like Datasaur: client_credentials with the credentials
// in the form (client_secret_post) or in HTTP Basic (client_secret_basic, RFC 6749 §2.3.1), answering
// {"access_token","token_type":"bearer","expires_in":3600}. Tests script other answers per request.
//
// Run it alone with `node __tests__/support/token-server.js [port]`: it prints its base URL.

import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { pathToFileURL } from 'node:url'

export const DEMO_CLIENT_ID = 'demo-client'
export const DEMO_CLIENT_SECRET = 'demo-secret/+= :%~'

/**
 * @typedef {import('node:http').IncomingMessage} Request
 * @typedef {import('node:http').ServerResponse} Response
 * @typedef {{ method: string, path: string, headers: import('node:http').IncomingHttpHeaders,
 *   body: string, form: Record<string, string>, at: number }} RecordedRequest
 * @typedef {(res: Response, request: RecordedRequest, server: TokenServer) => void} Reply
 * @typedef {object} TokenServerOptions
 * @property {string} [clientId]
 * @property {string} [clientSecret]
 * @property {string} [path] token endpoint path, default /api/oauth/token
 * @property {number} [port] default 0 (any free port)
 * @property {string} [host] address to listen on, default 127.0.0.1 (`::1` for IPv6)
 * @property {number} [expiresIn] default 3600
 * @property {number} [ratePerSecond] admit this many requests per second, answer 429 with Retry-After: 1 beyond
 * @property {number} [holdFirst] leave the first this many token requests unanswered until the last of them has
 *   arrived, then answer them all at once, in order of arrival: clients that start one by one arrive together.
 *   The seconds of `ratePerSecond` count from that release.
 * @property {Reply[]} [replies] answers for the first requests, in order; the default behaviour after them
 * @typedef {object} TokenServer
 * @property {string} baseUrl e.g. http://127.0.0.1:40000
 * @property {string} tokenUrl baseUrl + path
 * @property {number} port
 * @property {RecordedRequest[]} requests every request received, in order
 * @property {string[]} issuedTokens every access token issued
 * @property {number | undefined} releasedAt when the requests held by `holdFirst` were answered (ms since the epoch)
 * @property {() => string} issueToken answer body for a valid request: a new token
 * @property {(...replies: Reply[]) => void} script answers for the next requests, after any still scripted
 * @property {() => Promise<void>} close
 */

/** JSON reply with optional headers. @returns {Reply} */
export function json(status, body, headers = {}) {
  return res => {
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
    res.end(text)
  }
}

/** Reply with any content type. @returns {Reply} */
export function raw(status, body, headers = {}) {
  return res => {
    res.writeHead(status, headers)
    res.end(body)
  }
}

/** Drops the connection without an answer. @returns {Reply} */
export function reset() {
  return res => res.socket?.destroy()
}

/** Never answers. @returns {Reply} */
export function hang() {
  return () => undefined
}

/** Sends a 200 and then the body one byte every `intervalMs`, never finishing in time. @returns {Reply} */
export function trickle(intervalMs = 200) {
  return res => {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.write('{')
    const timer = setInterval(() => res.write(' '), intervalMs)
    res.on('close', () => clearInterval(timer))
  }
}

/** A valid token answer with a chosen access token, type and lifetime. @returns {Reply} */
export function token(fields) {
  return json(200, { token_type: 'bearer', expires_in: 3600, ...fields })
}

/** The default behaviour: check the grant and the client, then issue a token. @returns {Reply} */
export function datasaur() {
  return (res, request, server) => {
    if (request.method !== 'POST') return json(405, { error: 'invalid_request' })(res, request, server)
    if (request.form.grant_type !== 'client_credentials') {
      return json(400, { error: 'unsupported_grant_type' })(res, request, server)
    }
    const client = clientOf(request)
    if (!client || client.id !== server.clientId || client.secret !== server.clientSecret) {
      return json(401, { error: 'invalid_client', error_description: 'Client authentication failed.' })(
        res,
        request,
        server
      )
    }
    json(200, server.issueToken())(res, request, server)
  }
}

/** The client credentials of a request, from HTTP Basic (form-decoded, RFC 6749 §2.3.1) or the form. */
export function clientOf(request) {
  const auth = request.headers.authorization
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return undefined
    const formDecode = value => new URLSearchParams(`v=${value}`).get('v') ?? ''
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
  }
  if (request.form.client_id === undefined) return undefined
  return { id: request.form.client_id, secret: request.form.client_secret ?? '' }
}

/** @param {TokenServerOptions} [options] @returns {Promise<TokenServer & {clientId: string, clientSecret: string}>} */
export async function startTokenServer(options = {}) {
  const path = options.path ?? '/api/oauth/token'
  const replies = [...(options.replies ?? [])]
  const sockets = new Set()
  /** Where the seconds of `ratePerSecond` start: now, or the release of the requests held by `holdFirst`. */
  let started = Date.now()
  const admitted = new Map()
  /** @type {(() => void)[] | undefined} the answers to the requests held by `holdFirst`, until the release */
  let held = options.holdFirst ? [] : undefined

  const state = {
    clientId: options.clientId ?? DEMO_CLIENT_ID,
    clientSecret: options.clientSecret ?? DEMO_CLIENT_SECRET,
    baseUrl: '',
    tokenUrl: '',
    port: 0,
    /** @type {RecordedRequest[]} */ requests: [],
    /** @type {string[]} */ issuedTokens: [],
    /** @type {number | undefined} */ releasedAt: undefined,
    script(...more) {
      replies.push(...more)
    },
    issueToken() {
      const accessToken = randomBytes(20).toString('hex')
      state.issuedTokens.push(accessToken)
      return JSON.stringify({ access_token: accessToken, token_type: 'bearer', expires_in: options.expiresIn ?? 3600 })
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise(resolve => server.close(() => resolve()))
    }
  }

  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', chunk => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      /** @type {RecordedRequest} */
      const request = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        form: isForm ? Object.fromEntries(new URLSearchParams(body)) : {},
        at: Date.now()
      }
      state.requests.push(request)
      const scripted = replies.shift()
      if (scripted) return scripted(res, request, state)
      if (new URL(request.path, 'http://x').pathname !== path) return json(404, { error: 'not_found' })(res)
      if (held) {
        held.push(() => admit(res, request, Date.now()))
        if (held.length < (options.holdFirst ?? 0)) return
        const release = held
        held = undefined
        state.releasedAt = started = Date.now()
        return release.forEach(answer => answer())
      }
      admit(res, request, request.at)
    })
  })

  /** Answers a token request as the endpoint does at `at`: 429 beyond `ratePerSecond`, else as Datasaur. */
  function admit(res, request, at) {
    if (options.ratePerSecond !== undefined) {
      const second = Math.floor((at - started) / 1000)
      const count = (admitted.get(second) ?? 0) + 1
      admitted.set(second, count)
      if (count > options.ratePerSecond) {
        return json(429, { error: 'rate_limited' }, { 'Retry-After': '1' })(res)
      }
    }
    datasaur()(res, request, state)
  }

  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise(resolve => server.listen(options.port ?? 0, host, () => resolve(undefined)))
  const address = server.address()
  state.port = typeof address === 'object' && address ? address.port : 0
  state.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${state.port}`
  state.tokenUrl = `${state.baseUrl}${path}`
  return state
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startTokenServer({ port: Number(process.argv[2] ?? 0) })
  console.log(server.baseUrl)
}
