import dns from 'node:dns'
import { afterEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createCertificateAuthority } from './support/certificates.js'
import { expectSafeLog } from './support/expect-log.js'
import { runInProcess, type InProcessResult } from './support/in-process.js'
import { establishedSilent, refuse, relayTo, silent, startProxy } from './support/proxy.js'
import { json, raw, startTokenServer, token } from './support/token-server.js'

// run() from src/main.ts in this process, with the real @actions/core and @actions/http-client,
// against loopback servers: what the user reads, what the runner's files receive, and what the
// server saw. Retry waits are recorded, not slept.

const SECRET = 'Ab"cD\\eF-123456'
const CLIENT = { client_id: 'ci-client', client_secret: SECRET }

type TokenServer = Awaited<ReturnType<typeof startTokenServer>>
const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function tokenServer(options: Parameters<typeof startTokenServer>[0] = {}): Promise<TokenServer> {
  const server = await startTokenServer({ clientId: CLIENT.client_id, clientSecret: SECRET, ...options })
  cleanups.push(server.close)
  return server
}

function lines(result: InProcessResult): string[] {
  return result.stdout.split('\n').filter(Boolean)
}

/** The single `::error::` line's message, decoded as the runner decodes it. */
function errorOf(result: InProcessResult): string {
  const errors = lines(result).filter(line => line.startsWith('::error::'))
  expect(errors).toHaveLength(1)
  return errors[0].slice('::error::'.length).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

function warningsOf(result: InProcessResult): string[] {
  return lines(result)
    .filter(line => line.startsWith('::warning::'))
    .map(line => line.slice('::warning::'.length))
}

/**
 * Nothing but `::add-mask::` lines may carry a secret, no line may carry a legacy command, and the log
 * the runner renders from both streams, in either order, shows no secret and obeys no foreign command.
 */
function expectClean(result: InProcessResult, ...values: string[]): void {
  const shown = lines(result).filter(line => !line.startsWith('::add-mask::'))
  for (const value of [SECRET, 'AbcDeF-123456', ...values]) {
    for (const line of shown) expect(line).not.toContain(value)
  }
  expect(result.stdout).not.toContain('##[')
  expectSafeLog(result, [SECRET, 'AbcDeF-123456', ...values])
}

function expectNothingPublished(result: InProcessResult): void {
  expect(result.outputFile).toBe('')
  expect(result.envFile).toBe('')
}

describe('a successful run', () => {
  it('masks the secret first and the token before publishing it, and writes every output', async () => {
    const server = await tokenServer({ replies: [token({ access_token: 'tok-5f0c2e9a71' })] })
    // Each reading of the clock is 10.5 s after the one before: the first is when the attempts start,
    // the second when the request is sent, and expiry must count from that one.
    let now = Date.parse('2030-01-01T00:00:00Z')
    const clock = { now: () => (now += 10_500) }
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl }, { clock })

    expect(result.code).toBe(0)
    const log = lines(result)
    // The secret, then its form encoding (the same as its URI encoding here, escaped as command data),
    // before anything else.
    expect(log.slice(0, 3)).toEqual([
      `::add-mask::${SECRET}`,
      '::add-mask::Ab%2522cD%255CeF-123456',
      `::debug::Attempt 1: POST ${server.tokenUrl} (client_secret_post).`
    ])
    const tokenMask = log.indexOf('::add-mask::tok-5f0c2e9a71')
    expect(tokenMask).toBeGreaterThan(0)
    expect(log.slice(tokenMask + 1)).toEqual([
      `Obtained a bearer token from ${server.tokenUrl}, valid until 2030-01-01T01:00:21Z; exported as DATASAUR_ACCESS_TOKEN.`
    ])
    expect(result.outputs).toEqual({
      access_token: 'tok-5f0c2e9a71',
      token_type: 'bearer',
      expires_in: '3600',
      expires_at: '2030-01-01T01:00:21Z'
    })
    expect(result.env).toEqual({ DATASAUR_ACCESS_TOKEN: 'tok-5f0c2e9a71' })
    expect(log.filter(line => line.startsWith('::debug::'))).toEqual([
      `::debug::Attempt 1: POST ${server.tokenUrl} (client_secret_post).`,
      '::debug::Attempt 1: HTTP 200, 73 bytes.'
    ])
    expectClean(result, 'tok-5f0c2e9a71')
  })

  it('leaves no timer running once it is over', async () => {
    const server = await tokenServer()
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl })
    expect(result.code).toBe(0)
    expect(result.pendingTimers).toBe(0)
  })

  it('exports under env_name, or not at all with export_env false', async () => {
    const server = await tokenServer()
    const named = await runInProcess({ ...CLIENT, base_url: server.baseUrl, env_name: 'MY_TOKEN' })
    expect(named.env).toEqual({ MY_TOKEN: server.issuedTokens[0] })
    expect(lines(named).at(-1)).toMatch(/; exported as MY_TOKEN\.$/)

    const none = await runInProcess({ ...CLIENT, base_url: server.baseUrl, export_env: 'false' })
    expect(none.code).toBe(0)
    expect(none.envFile).toBe('')
    expect(none.outputs.access_token).toBe(server.issuedTokens[1])
    expect(lines(none).at(-1)).toMatch(/valid until \S+Z\.$/)
  })

  it('does without GITHUB_ENV when export_env is false', async () => {
    const server = await tokenServer()
    const result = await runInProcess(
      { ...CLIENT, base_url: server.baseUrl, export_env: 'false' },
      { env: { GITHUB_ENV: undefined } }
    )
    expect(result.code).toBe(0)
    expect(result.outputs.access_token).toBe(server.issuedTokens[0])
  })

  it.each([
    ['no lifetime', {}],
    ['expires_in 0', { expires_in: 0 }],
    ['expires_in null', { expires_in: null }]
  ])('leaves expires_in and expires_at empty for %s', async (_what, fields) => {
    const server = await tokenServer({
      replies: [json(200, { access_token: 'tok-no-expiry', token_type: 'bearer', ...fields })]
    })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl })
    expect(result.code).toBe(0)
    expect(result.outputs).toEqual({
      access_token: 'tok-no-expiry',
      token_type: 'bearer',
      expires_in: '',
      expires_at: ''
    })
    expect(lines(result).at(-1)).toContain('(no expiry given)')
  })

  it('accepts a JSON body that starts with a byte order mark', async () => {
    const body = `\uFEFF${JSON.stringify({ access_token: 'tok-bom-1', token_type: 'Bearer', expires_in: 60 })}`
    const server = await tokenServer({ replies: [raw(200, body, { 'Content-Type': 'application/json' })] })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl })
    expect(result.code).toBe(0)
    expect(result.outputs).toMatchObject({ access_token: 'tok-bom-1', token_type: 'Bearer', expires_in: '60' })
  })

  it('reaches an IPv6 literal endpoint', async () => {
    const server = await startTokenServer({ clientId: CLIENT.client_id, clientSecret: SECRET, host: '::1' })
    cleanups.push(server.close)
    const result = await runInProcess({ ...CLIENT, base_url: `http://[::1]:${server.port}` })
    expect(errorOrNothing(result)).toBe('')
    expect(result.outputs.access_token).toBe(server.issuedTokens[0])
  })
})

function errorOrNothing(result: InProcessResult): string {
  return lines(result).find(line => line.startsWith('::error::')) ?? ''
}

describe('publishing all or nothing', () => {
  it('fails before any request, writing nothing, when GITHUB_ENV cannot be written', async () => {
    const server = await tokenServer()
    const result = await runInProcess(
      { ...CLIENT, base_url: server.baseUrl },
      { env: { GITHUB_ENV: '/nonexistent-directory/env' } }
    )
    expect(result.code).toBe(1)
    expect(server.requests).toHaveLength(0)
    expect(errorOf(result)).toBe(
      "The runner's GITHUB_ENV file cannot be written (ENOENT), so the token could not be handed to later steps; " +
        'nothing was published. Check the runner and its disk.'
    )
    expectNothingPublished(result)
  })

  it.each(['GITHUB_OUTPUT', 'GITHUB_ENV'])(
    'fails at once before any request, writing nothing, when %s names a FIFO',
    async variable => {
      const dir = mkdtempSync(join(tmpdir(), 'datasaur-fifo-'))
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      const fifo = join(dir, 'fifo')
      execFileSync('mkfifo', [fifo])
      const server = await tokenServer()
      const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl }, { env: { [variable]: fifo } })
      expect(result.code).toBe(1)
      expect(server.requests).toHaveLength(0)
      expect(errorOf(result)).toBe(
        `${variable} names a FIFO (named pipe) ('${fifo}'), not a regular file, so the token cannot be handed to ` +
          `later steps; nothing was requested or published. Point ${variable} at a file, or leave it as the ` +
          'runner sets it.'
      )
      expect(result.stdout).not.toMatch(/::set-(output|env)/)
      if (variable === 'GITHUB_ENV') expect(result.outputFile).toBe('')
      else expect(result.envFile).toBe('')
    }
  )

  it.each(['GITHUB_OUTPUT', 'GITHUB_ENV'])(
    'fails before any request, printing no set-output or set-env command, when %s is not set',
    async variable => {
      const server = await tokenServer()
      const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl }, { env: { [variable]: undefined } })
      expect(result.code).toBe(1)
      expect(server.requests).toHaveLength(0)
      expect(errorOf(result)).toBe(
        `${variable} is not set, so the token cannot be handed to later steps: this action needs a runner that ` +
          'supports file commands and the node24 runtime (2.327.1 or later). Nothing was requested or published.'
      )
      expect(result.stdout).not.toMatch(/::set-(output|env)/)
      expectNothingPublished(result)
    }
  )
})

describe('server text never becomes a workflow command or a secret', () => {
  it.each([
    ['##[stop-commands]resume'],
    ['##[set-output name=access_token]forged'],
    ['##[add-mask]x'],
    ['x ##[warning file=/etc/passwd]y'],
    ['###[stop-commands]t']
  ])('neutralises %s in the retry line and in the error', async injected => {
    const server = await tokenServer({
      replies: [json(503, { error: injected }), json(503, { error: 'x', error_description: injected })]
    })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl, max_attempts: '2' })
    expect(result.code).toBe(1)
    expect(lines(result).find(line => line.startsWith('Attempt 1 of 2 failed'))).toMatch(/# #\[/)
    expect(errorOf(result)).toMatch(/# #\[/)
    expectClean(result)
  })

  it('keeps a line-leading :: and line breaks from the server out of the log', async () => {
    const server = await tokenServer({
      replies: [
        json(401, { error: 'invalid_client', error_description: '\n::set-output name=x::y\r\n::stop-commands::z' })
      ]
    })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl, max_attempts: '1' })
    // Inside a line `::` is harmless; at the start of the server's text it is broken all the same.
    expect(errorOf(result)).toContain("with error 'invalid_client' (: :set-output name=x::y ::stop-commands::z)")
    expect(lines(result).filter(line => !line.startsWith('::add-mask::') && !line.startsWith('::debug::'))).toEqual([
      expect.stringMatching(/^::error::/)
    ])
  })

  it.each([
    ['JSON-escaped', `client_secret "Ab\\"cD\\\\eF-123456" is not valid`],
    ['as sent', `client_secret ${SECRET} is not valid`],
    ['form-encoded', `body client_secret=${new URLSearchParams([['', SECRET]]).toString().slice(1)}`],
    ['with its letters only', 'client_secret AbcDeF-123456 is not valid'],
    ['lowercased and spaced', 'secret a b c d e f 1 2 3 4 5 6 rejected']
  ])('withholds or cuts out a secret the server echoes %s', async (_form, description) => {
    const server = await tokenServer({
      replies: [json(401, { error: 'invalid_client', error_description: description })]
    })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl })
    const error = errorOf(result)
    expect(error).toMatch(
      /answered HTTP 401 with error 'invalid_client' \((.*\*\*\*.*|\[withheld: it repeats a secret\])\)/
    )
    expect(error.toLowerCase().replace(/[^a-z0-9]/g, '')).not.toContain('abcdef123456')
    expectClean(result)
  })

  it('withholds an NFD echo of a non-ASCII secret', async () => {
    const secret = 'pässwörd-Ünïcode-42'
    const server = await tokenServer({
      clientSecret: secret,
      replies: [json(401, { error: 'invalid_client', error_description: `bad ${secret.normalize('NFD')} x` })]
    })
    const result = await runInProcess({ ...CLIENT, client_secret: secret, base_url: server.baseUrl })
    const error = errorOf(result)
    expect(error).not.toMatch(/passw|psswrd/i)
    expect(error).toMatch(/\((bad \*\*\* x|\[withheld: it repeats a secret\])\)/)
  })
})

describe('transport edges', () => {
  it('warns that NODE_TLS_REJECT_UNAUTHORIZED=0 is ignored, and still refuses an unverified certificate', async () => {
    const pki = createCertificateAuthority()
    cleanups.push(pki.remove)
    const tls = createHttpsServer(pki.issue('localhost'), (_req, res) => res.end('{}'))
    await new Promise<void>(resolve => tls.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise(resolve => tls.close(resolve)))
    const port = (tls.address() as { port: number }).port
    const result = await runInProcess(
      { ...CLIENT, base_url: `https://localhost:${port}` },
      { env: { NODE_TLS_REJECT_UNAUTHORIZED: '0' } }
    )
    expect(result.code).toBe(1)
    expect(warningsOf(result)).toEqual([
      'NODE_TLS_REJECT_UNAUTHORIZED=0 is set but ignored: this action always verifies TLS certificates. ' +
        'For a private CA, set NODE_EXTRA_CA_CERTS to its certificate instead.'
    ])
    expect(errorOf(result)).toMatch(/^The TLS certificate of localhost:\d+ was issued by a CA that is not trusted/)
    expectNothingPublished(result)
  })

  it('says base_url is unused when token_url is set as well', async () => {
    const server = await tokenServer()
    const result = await runInProcess({ ...CLIENT, base_url: 'https://datasaur.example', token_url: server.tokenUrl })
    expect(result.code).toBe(0)
    expect(warningsOf(result)).toEqual(["Input 'base_url' is not used because 'token_url' is set."])
  })

  it('refuses a loopback redirect from http to https on the same port, without retrying', async () => {
    const server = await tokenServer({
      replies: [(res, _request, s) => raw(307, '', { Location: `https://127.0.0.1:${s.port}/token` })(res, _request, s)]
    })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl })
    expect(server.requests).toHaveLength(1)
    expect(errorOf(result)).toBe(
      `The token endpoint ${server.tokenUrl} redirected (307) to https://127.0.0.1:${server.port}/token, which ` +
        "changes the scheme; the request was not sent there. Set 'base_url' to the endpoint's final address."
    )
  })

  it.each([
    ['a host name', (secret: string) => `https://${secret.toLowerCase()}.localhost/token`],
    ['a scheme', (secret: string) => `${secret.toLowerCase()}:x`],
    ['a path, in another case', (secret: string) => `/${secret.toUpperCase()}/token`]
  ])('neither follows nor quotes a Location that repeats the secret in %s', async (_where, locationOf) => {
    const secret = 'Sup3rSecretValue99'
    const server = await tokenServer({
      clientSecret: secret,
      replies: [raw(307, '', { Location: locationOf(secret) })]
    })
    const result = await runInProcess({ ...CLIENT, client_secret: secret, base_url: server.baseUrl })
    expect(server.requests).toHaveLength(1)
    expect(errorOf(result)).toBe(
      `The token endpoint ${server.tokenUrl} redirected (307) to a Location that contains the client secret; the ` +
        "request was not sent there. Set 'base_url' to the endpoint's final address."
    )
  })

  it('names the scheme of a Location that is not http', async () => {
    const server = await tokenServer({ replies: [raw(307, '', { Location: 'javascript:alert(1)' })] })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl })
    expect(server.requests).toHaveLength(1)
    expect(errorOf(result)).toBe(
      `The token endpoint ${server.tokenUrl} redirected (307) to a URL that is not http or https (scheme ` +
        "'javascript'); the request was not sent there. Set 'base_url' to the endpoint's final address."
    )
  })

  it('ignores a Retry-After that is neither delay-seconds nor an HTTP-date', async () => {
    const server = await tokenServer({
      replies: [json(503, {}, { 'Retry-After': 'Tue 2030' }), json(503, {}, { 'Retry-After': 'a 5' })]
    })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl }, { clock: { random: () => 0.5 } })
    expect(result.code).toBe(0)
    // The backoff alone: half of [0, 2 s] and half of [0, 4 s].
    expect(result.sleeps).toEqual([1000, 2000])
  })

  it('does not retry an answer that is not HTTP', async () => {
    const garbage = createTcpServer((socket: Socket) => socket.on('data', () => socket.end('garbage\r\n\r\n')))
    await new Promise<void>(resolve => garbage.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise(resolve => garbage.close(resolve)))
    let connections = 0
    garbage.on('connection', () => connections++)
    const port = (garbage.address() as { port: number }).port
    const result = await runInProcess({ ...CLIENT, base_url: `http://127.0.0.1:${port}` })
    expect(connections).toBe(1)
    expect(errorOf(result)).toBe(
      `The token endpoint http://127.0.0.1:${port}/api/oauth/token answered with something that is not HTTP ` +
        "(HPE_INVALID_CONSTANT): check that 'base_url' points at the Datasaur server and not at another service."
    )
  })

  it('refuses an expires_in whose expiry cannot be written with a four-digit year', async () => {
    const server = await tokenServer({
      replies: [json(200, { access_token: 'tok-long', token_type: 'bearer', expires_in: 1e12 })]
    })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl })
    expect(server.requests).toHaveLength(1)
    expect(errorOf(result)).toBe(
      `The token endpoint ${server.tokenUrl} answered with an expires_in of 1000000000000 s, which ends after ` +
        'the year 9999 and is not a token lifetime.'
    )
    expectNothingPublished(result)
    expectClean(result, 'tok-long')
  })
})

describe('rate limits', () => {
  it('keeps retrying answers with Retry-After beyond max_attempts, and says they do not count', async () => {
    const limited = json(429, { error: 'slow_down' }, { 'Retry-After': '1' })
    const server = await tokenServer({ replies: [limited, limited, limited, json(503, {}), limited] })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl, max_attempts: '2' })

    expect(result.code).toBe(0)
    expect(server.requests).toHaveLength(6)
    expect(result.sleeps).toEqual([1000, 1000, 1000, 0, 1000])
    const retries = lines(result).filter(line => line.startsWith('Attempt '))
    expect(retries).toHaveLength(5)
    expect(retries[0]).toMatch(
      /^Attempt 1 of 2 failed \(HTTP 429 slow_down\); retrying in 1\.0 s as Retry-After asks, not counted against max_attempts \(1\.\d of 120\.0 s of rate_limit_wait_seconds used\)\.$/
    )
    expect(retries[3]).toBe('Attempt 1 of 2 failed (HTTP 503); retrying in 0.0 s.')
    expect(retries[4]).toMatch(/^Attempt 2 of 2 failed \(HTTP 429 slow_down\); retrying in 1\.0 s as Retry-After asks/)
    expect(result.outputs.access_token).toBe(server.issuedTokens[0])
  })

  it('gives up once the waits would run past rate_limit_wait_seconds', async () => {
    let now = Date.now()
    const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) }
    const limited = json(429, {}, { 'Retry-After': '2' })
    const server = await tokenServer({ replies: [limited, limited, limited, limited] })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl, rate_limit_wait_seconds: '5' }, { clock })

    expect(result.code).toBe(1)
    expect(server.requests).toHaveLength(3)
    expect(errorOf(result)).toBe(
      `The token endpoint ${server.tokenUrl} answered HTTP 429. The server asked to wait 2 s (Retry-After), ` +
        'but only 1 s of the 5 s of rate_limit_wait_seconds were left; gave up after 3 attempts in 4 s. Raise ' +
        'rate_limit_wait_seconds, or re-run the job later.'
    )
    expectNothingPublished(result)
  })

  it('honours a Retry-After that fits rate_limit_wait_seconds, however high the jitter draws', async () => {
    let now = Date.now()
    const sleeps: number[] = []
    const sleep = async (ms: number) => void (sleeps.push(ms), (now += ms))
    const clock = { now: () => now, sleep, random: () => 0.999999 }
    const server = await tokenServer({ replies: [json(429, {}, { 'Retry-After': '1' })] })
    const result = await runInProcess(
      { ...CLIENT, base_url: server.baseUrl, rate_limit_wait_seconds: '1.5' },
      { clock }
    )

    expect(result.code).toBe(0)
    expect(server.requests).toHaveLength(2)
    // The draw over [1 s, 2 s] is cut to what is left of the 1.5 s: 1.499 s at most.
    expect(sleeps).toEqual([1499])
    expect(result.outputs.access_token).toBe(server.issuedTokens[0])
  })
})

describe('every connection of an attempt is closed when it ends', () => {
  it.each([
    ['a proxy that never answers the CONNECT', silent()],
    ['a proxy that opens the tunnel and relays nothing', establishedSilent()]
  ])('through %s', async (_what, behaviour) => {
    const proxy = await startProxy({ fallback: behaviour })
    cleanups.push(proxy.close)
    const started = Date.now()
    const result = await runInProcess(
      { ...CLIENT, base_url: 'https://datasaur.test', timeout_seconds: '0.3', max_attempts: '2' },
      { env: { https_proxy: proxy.url, no_proxy: undefined, NO_PROXY: undefined } }
    )
    expect(Date.now() - started).toBeLessThan(3000)
    expect(proxy.connects.map(c => c.target)).toEqual(['datasaur.test:443', 'datasaur.test:443'])
    expect(errorOf(result)).toBe(
      'The token endpoint https://datasaur.test/api/oauth/token did not answer within 0.3 s (timeout_seconds) ' +
        `through the proxy 127.0.0.1:${proxy.port}. Check that the runner can reach datasaur.test, or raise ` +
        'timeout_seconds if the server is slow. Gave up after 2 attempts (max_attempts).'
    )
    await proxy.allClosed(1000)
  })

  it('sends proxy credentials as Proxy-Authorization and masks them', async () => {
    const proxy = await startProxy({ fallback: refuse(407) })
    cleanups.push(proxy.close)
    const result = await runInProcess(
      { ...CLIENT, base_url: 'https://datasaur.test' },
      { env: { https_proxy: `http://ci-user:pr%40xy-pass@127.0.0.1:${proxy.port}`, no_proxy: undefined } }
    )
    expect(proxy.connects).toEqual([
      { target: 'datasaur.test:443', authorization: `Basic ${Buffer.from('ci-user:pr@xy-pass').toString('base64')}` }
    ])
    // `::add-mask::` data is escaped by @actions/core: %2540 is how `%40` is written.
    expect(lines(result)).toEqual(expect.arrayContaining(['::add-mask::pr%2540xy-pass', '::add-mask::pr@xy-pass']))
    expect(errorOf(result)).toBe(
      `The proxy 127.0.0.1:${proxy.port} asked for authentication (407): check the user and password in https_proxy.`
    )
    expectClean(result, 'pr@xy-pass', 'pr%40xy-pass')
    await proxy.allClosed(1000)
  })

  it('relays through a proxy to a server whose certificate it then checks', async () => {
    const pki = createCertificateAuthority()
    cleanups.push(pki.remove)
    const tls = createHttpsServer(pki.issue('datasaur.test'), (_req, res) => res.end('{}'))
    await new Promise<void>(resolve => tls.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise(resolve => tls.close(resolve)))
    const proxy = await startProxy({ fallback: relayTo((tls.address() as { port: number }).port) })
    cleanups.push(proxy.close)
    const result = await runInProcess(
      { ...CLIENT, base_url: 'https://datasaur.test' },
      { env: { https_proxy: proxy.url, no_proxy: undefined, NODE_TLS_REJECT_UNAUTHORIZED: '0' } }
    )
    expect(proxy.connects).toHaveLength(1)
    // NODE_TLS_REJECT_UNAUTHORIZED=0 is ignored inside the tunnel too.
    expect(errorOf(result)).toBe(
      'The TLS certificate of datasaur.test was issued by a CA that is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE). ' +
        'If the server uses a private or corporate CA, set NODE_EXTRA_CA_CERTS in the env of this step to the path ' +
        'of the CA certificate (PEM).'
    )
    await proxy.allClosed(1000)
  })

  it('verifies the certificate of an https proxy, and sends it no credentials it cannot verify', async () => {
    const pki = createCertificateAuthority()
    cleanups.push(pki.remove)
    let connects = 0
    const tlsProxy = createHttpsServer(pki.issue('localhost'))
    tlsProxy.on('connect', (_req, socket: Socket) => {
      connects++
      socket.destroy()
    })
    await new Promise<void>(resolve => tlsProxy.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise(resolve => tlsProxy.close(resolve)))
    const port = (tlsProxy.address() as { port: number }).port
    const result = await runInProcess(
      { ...CLIENT, base_url: 'https://datasaur.test', max_attempts: '3' },
      {
        env: {
          https_proxy: `https://ci-user:pr0xy-pass@localhost:${port}`,
          no_proxy: undefined,
          NODE_TLS_REJECT_UNAUTHORIZED: '0'
        }
      }
    )
    expect(connects).toBe(0)
    expect(errorOf(result)).toBe(
      `The TLS certificate of the proxy localhost:${port} was not accepted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): if ` +
        "the proxy's certificate is issued by a private or corporate CA, set NODE_EXTRA_CA_CERTS in the env of " +
        'this step to the path of that CA (PEM).'
    )
    expect(result.sleeps).toEqual([])
    expectClean(result, 'pr0xy-pass')
  })

  it('keeps the brackets of an IPv6 literal in the CONNECT target', async () => {
    const proxy = await startProxy({ fallback: refuse(403) })
    cleanups.push(proxy.close)
    const result = await runInProcess(
      { ...CLIENT, base_url: 'https://[2001:db8::1]' },
      { env: { https_proxy: proxy.url, no_proxy: undefined } }
    )
    expect(proxy.connects.map(c => c.target)).toEqual(['[2001:db8::1]:443'])
    expect(errorOf(result)).toContain('refused to connect to [2001:db8::1] (403)')
  })

  it('closes a direct connection whose body trickles past the deadline, though the server ignores the end', async () => {
    const open = new Set<Socket>()
    const trickler = createHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      const timer = setInterval(() => res.write(' '), 50)
      res.on('close', () => clearInterval(timer))
    })
    // An HTTP server keeps a connection half-open when the client only ends it; it closes when the
    // client destroys it.
    trickler.on('connection', (socket: Socket) => {
      open.add(socket)
      socket.on('close', () => open.delete(socket))
    })
    await new Promise<void>(resolve => trickler.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise(resolve => trickler.close(resolve)))
    const port = (trickler.address() as { port: number }).port
    const result = await runInProcess({
      ...CLIENT,
      base_url: `http://127.0.0.1:${port}`,
      timeout_seconds: '0.3',
      max_attempts: '1'
    })
    expect(errorOf(result)).toContain('did not answer within 0.3 s (timeout_seconds)')
    const deadline = Date.now() + 1000
    while (open.size > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    expect(open.size).toBe(0)
  })
})

describe('the proxy variables, read as curl reads them', () => {
  it.each([
    ['https_proxy', 'localhost:<port>'],
    ['HTTPS_PROXY', '127.0.0.1:<port>'],
    ['all_proxy', 'http://localhost:<port>/'],
    ['ALL_PROXY', 'localhost:<port>']
  ])('goes through %s=%s', async (variable, form) => {
    const proxy = await startProxy({ fallback: refuse(403) })
    cleanups.push(proxy.close)
    const result = await runInProcess(
      { ...CLIENT, base_url: 'https://datasaur.test' },
      { env: { [variable]: form.replace('<port>', String(proxy.port)) } }
    )
    expect(proxy.connects).toEqual([{ target: 'datasaur.test:443', authorization: undefined }])
    expect(errorOf(result)).toMatch(
      /^The proxy (localhost|127\.0\.0\.1):\d+ refused to connect to datasaur\.test \(403\)/
    )
  })

  it('never reads HTTP_PROXY, nor an http variable for an https endpoint', async () => {
    const proxy = await startProxy({ fallback: refuse(403) })
    cleanups.push(proxy.close)
    const result = await runInProcess(
      { ...CLIENT, base_url: 'https://datasaur.test' },
      { env: { HTTP_PROXY: proxy.url, http_proxy: proxy.url } }
    )
    expect(proxy.connects).toEqual([])
    expect(errorOf(result)).toMatch(/^Could not resolve the host datasaur\.test of the token endpoint/)
  })

  it('sends user:password@ credentials without a scheme, a literal % as written, and masks them first', async () => {
    const proxy = await startProxy({ fallback: refuse(407) })
    cleanups.push(proxy.close)
    const result = await runInProcess(
      { ...CLIENT, base_url: 'https://datasaur.test' },
      { env: { https_proxy: `ci-user:50%off@127.0.0.1:${proxy.port}` } }
    )
    expect(proxy.connects).toEqual([
      { target: 'datasaur.test:443', authorization: `Basic ${Buffer.from('ci-user:50%off').toString('base64')}` }
    ])
    expect(lines(result)).toEqual(expect.arrayContaining(['::add-mask::50%25off']))
    expect(errorOf(result)).toBe(
      `The proxy 127.0.0.1:${proxy.port} asked for authentication (407): check the user and password in https_proxy.`
    )
    expectClean(result, '50%off', Buffer.from('ci-user:50%off').toString('base64'))
  })

  it('goes direct for a host no_proxy lists, and for loopback', async () => {
    const proxy = await startProxy({ fallback: refuse(403) })
    cleanups.push(proxy.close)
    const server = await tokenServer()
    const bypassed = await runInProcess(
      { ...CLIENT, base_url: 'https://datasaur.test' },
      { env: { https_proxy: proxy.url, NO_PROXY: 'example.com, *.datasaur.test' } }
    )
    expect(errorOf(bypassed)).toMatch(/^Could not resolve the host datasaur\.test/)
    const loopback = await runInProcess({ ...CLIENT, base_url: server.baseUrl }, { env: { http_proxy: proxy.url } })
    expect(loopback.code).toBe(0)
    expect(proxy.connects).toEqual([])
  })

  it('fails before any request on a value it cannot use, naming the variable and no credential', async () => {
    const proxy = await startProxy({ fallback: refuse(403) })
    cleanups.push(proxy.close)
    const result = await runInProcess(
      { ...CLIENT, base_url: 'https://datasaur.test' },
      { env: { https_proxy: `http://ci-user:Pr0xy-S3cret@127.0.0.1:99999`, RUNNER_DEBUG: '1' } }
    )
    expect(result.code).toBe(1)
    expect(proxy.connects).toEqual([])
    expect(errorOf(result)).toBe(
      'https_proxy is set to a proxy this action cannot use: it has a port that is not a number from 1 to 65535 ' +
        '(http://127.0.0.1); write it as http://host:port (or host:port, or https://host:port for TLS to the ' +
        'proxy), with user:password@ before the host if the proxy needs credentials. Nothing was requested.'
    )
    // The credentials were masked before the variable was checked.
    expect(lines(result).indexOf('::add-mask::Pr0xy-S3cret')).toBeGreaterThanOrEqual(0)
    expect(lines(result).join('\n')).not.toContain('Attempt 1')
    expectClean(result, 'Pr0xy-S3cret', 'ci-user')
    expectNothingPublished(result)
  })

  it('never goes around a proxy it cannot reach', async () => {
    const proxy = await startProxy()
    const port = proxy.port
    await proxy.close()
    // An endpoint that a direct connection would reach: datasaur.test resolves to it here.
    let connections = 0
    const endpoint = createTcpServer(socket => {
      connections++
      socket.destroy()
    })
    await new Promise<void>(resolve => endpoint.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise(resolve => endpoint.close(resolve)))
    const lookup = dns.lookup
    cleanups.push(() => void (dns.lookup = lookup))
    dns.lookup = ((hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) =>
      hostname === 'datasaur.test'
        ? callback(null, options.all ? [{ address: '127.0.0.1', family: 4 }] : '127.0.0.1', 4)
        : lookup(hostname, options, callback)) as typeof dns.lookup
    const base_url = `https://datasaur.test:${(endpoint.address() as { port: number }).port}`

    const result = await runInProcess(
      { ...CLIENT, base_url, max_attempts: '1' },
      { env: { https_proxy: `localhost:${port}` } }
    )
    expect(errorOf(result)).toBe(
      `Could not connect to the proxy localhost:${port} (ECONNREFUSED): check https_proxy. Gave up after 1 attempt ` +
        '(max_attempts).'
    )
    expect(connections).toBe(0)

    // Exempted by no_proxy, the same request does reach it directly.
    await runInProcess(
      { ...CLIENT, base_url, max_attempts: '1' },
      { env: { https_proxy: `localhost:${port}`, no_proxy: 'datasaur.test' } }
    )
    expect(connections).toBe(1)
  })
})

describe('tokens that must not be published', () => {
  const formEncoded = new URLSearchParams([['', SECRET]]).toString().slice(1)
  it.each([
    ['the client secret', SECRET, /repeats the client secret; it was not used/],
    ['the client secret in upper case', SECRET.toUpperCase(), /repeats the client secret/],
    ['the client secret as the form carries it', formEncoded, /repeats the client secret/],
    ['a value around the client secret', `jwt.${SECRET}.sig`, /repeats the client secret/],
    ['a token of 7 characters', 'Qz7Vx9w', /access_token shorter than 8 characters; it was not used/],
    ['a token that begins with ::', '::stop-commands::abcdefgh', /would read as a workflow command/],
    ['a token with ##[ in it', 'abcdefgh##[add-mask]x', /would read as a workflow command/]
  ])('refuses %s at once, quoting neither, and publishes nothing', async (_what, accessToken, message) => {
    const server = await tokenServer({ replies: [token({ access_token: accessToken })] })
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl, max_attempts: '3' })

    expect(result.code).toBe(1)
    expect(server.requests).toHaveLength(1)
    expect(errorOf(result)).toMatch(message)
    expect(errorOf(result)).toMatch(/^The token endpoint http:\/\/127\.0\.0\.1:\d+\/api\/oauth\/token answered with/)
    expectClean(result, accessToken)
    expectNothingPublished(result)
  })
})
