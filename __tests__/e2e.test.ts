import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { expectSafeLog } from './support/expect-log.js'
import { maskedValues, runAction, visibleLog } from './support/run-action.js'
import { json, raw, startTokenServer, token } from './support/token-server.js'

// The bundled action, run as the runner runs it, against the loopback Datasaur-compatible endpoint.

const SECRET = "Sup3r s/e+c=r:e%t~!*'()"
let server: Awaited<ReturnType<typeof startTokenServer>>

beforeAll(async () => {
  server = await startTokenServer({ clientId: 'ci-client', clientSecret: SECRET })
})
afterAll(async () => server.close())

const inputs = (extra: Record<string, string> = {}) => ({
  client_id: 'ci-client',
  client_secret: SECRET,
  base_url: server.baseUrl,
  ...extra
})

/**
 * Asserts that no secret or token appears in the log outside `::add-mask::` lines, nor in the log as
 * the runner renders it, and that the runner obeyed no command the action does not issue.
 */
function expectNoLeak(result: Awaited<ReturnType<typeof runAction>>, ...values: string[]) {
  const log = visibleLog(result)
  const secrets = [SECRET, encodeURIComponent(SECRET), ...values]
  for (const value of secrets) expect(log).not.toContain(value)
  expectSafeLog(result, secrets)
}

describe.each([
  ['client_secret_post', {}],
  ['client_secret_basic', { RUNNER_DEBUG: '1' }]
])('a successful exchange with %s', (authMethod, env) => {
  let result: Awaited<ReturnType<typeof runAction>>
  let issued: string
  let sentBefore: number
  let requestsBefore: number

  beforeAll(async () => {
    requestsBefore = server.requests.length
    sentBefore = Date.now()
    result = await runAction(inputs({ auth_method: authMethod }), { env })
    issued = server.issuedTokens.at(-1) ?? ''
  })

  it('exits 0 after one request', () => {
    expect(result.code).toBe(0)
    expect(server.requests.length - requestsBefore).toBe(1)
  })

  it('sets every output', () => {
    expect(result.outputs.access_token).toBe(issued)
    expect(result.outputs.token_type).toBe('bearer')
    expect(result.outputs.expires_in).toBe('3600')
    expect(result.outputs.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    const expiresAt = Date.parse(result.outputs.expires_at)
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(sentBefore / 1000) * 1000 + 3600_000)
    expect(expiresAt).toBeLessThanOrEqual(sentBefore + result.durationMs + 3600_000)
  })

  it('exports the token as DATASAUR_ACCESS_TOKEN', () => {
    expect(result.env).toEqual({ DATASAUR_ACCESS_TOKEN: issued })
  })

  it('masks the secret first, then its derived forms, then the token before it is published', () => {
    const masks = maskedValues(result)
    expect(masks[0]).toBe(SECRET)
    expect(masks).toContain(new URLSearchParams({ s: SECRET }).toString().slice(2))
    expect(masks).toContain(encodeURIComponent(SECRET))
    const basic = Buffer.from(`ci-client:${new URLSearchParams({ s: SECRET }).toString().slice(2)}`).toString('base64')
    // The Basic credentials are masked exactly when they are sent.
    expect(masks.includes(basic)).toBe(authMethod === 'client_secret_basic')
    if (authMethod === 'client_secret_basic') {
      const header = server.requests[requestsBefore].headers.authorization
      expect(header).toBe(`Basic ${basic}`)
    }
    expect(masks.at(-1)).toBe(issued)
    const lines = result.stdout.split('\n')
    const tokenMask = lines.indexOf(`::add-mask::${issued}`)
    const info = lines.findIndex(line => line.startsWith('Obtained a bearer token'))
    expect(tokenMask).toBeGreaterThan(-1)
    expect(info).toBeGreaterThan(tokenMask)
  })

  it('logs one line with type, endpoint and expiry, and nothing secret', () => {
    expect(result.stdout).toContain(
      `Obtained a bearer token from ${server.tokenUrl}, valid until ${result.outputs.expires_at}; exported as DATASAUR_ACCESS_TOKEN.`
    )
    expectNoLeak(result, issued)
    expect(result.stderr).toBe('')
  })
})

describe('inputs that shape the exchange', () => {
  it('sends scope and exports under env_name', async () => {
    const before = server.requests.length
    const result = await runAction(inputs({ scope: 'projects:read', env_name: 'DS_TOKEN' }))
    expect(result.code).toBe(0)
    expect(server.requests[before].form.scope).toBe('projects:read')
    expect(Object.keys(result.env)).toEqual(['DS_TOKEN'])
  })

  it('writes no variable when export_env is false', async () => {
    const result = await runAction(inputs({ export_env: 'false' }))
    expect(result.code).toBe(0)
    expect(result.envFile).toBe('')
    expect(result.outputs.access_token).toBe(server.issuedTokens.at(-1))
    expect(result.stdout).not.toContain('exported as')
  })

  it('uses token_url as given, over base_url', async () => {
    const before = server.requests.length
    const result = await runAction(inputs({ base_url: 'https://unused.example', token_url: server.tokenUrl }))
    expect(result.code).toBe(0)
    expect(server.requests.length - before).toBe(1)
  })

  it('finds the endpoint under a path prefix with a trailing slash', async () => {
    const prefixed = await startTokenServer({ path: '/datasaur/api/oauth/token' })
    try {
      const result = await runAction({
        client_id: prefixed.clientId,
        client_secret: prefixed.clientSecret,
        base_url: `${prefixed.baseUrl}/datasaur/`
      })
      expect(result.code).toBe(0)
      expect(prefixed.requests.map(r => r.path)).toEqual(['/datasaur/api/oauth/token'])
    } finally {
      await prefixed.close()
    }
  })

  it.each([
    ['gives no lifetime', undefined],
    ['gives expires_in 0', 0]
  ])('leaves expires_in and expires_at empty when the server %s', async (_what, expiresIn) => {
    const bare = await startTokenServer({
      replies: [token({ access_token: 'no-expiry-token', expires_in: expiresIn })]
    })
    try {
      const result = await runAction({ client_id: 'a', client_secret: 'b', base_url: bare.baseUrl })
      expect(result.code).toBe(0)
      expect(result.outputs).toEqual({
        access_token: 'no-expiry-token',
        token_type: 'bearer',
        expires_in: '',
        expires_at: ''
      })
      expect(result.stdout).toContain('(no expiry given)')
    } finally {
      await bare.close()
    }
  })
})

describe('failures', () => {
  it('fails on a rejected secret with one request, writing nothing', async () => {
    const before = server.requests.length
    const result = await runAction(inputs({ client_secret: `${SECRET}-wrong` }), { env: { RUNNER_DEBUG: '1' } })
    expect(result.code).toBe(1)
    expect(server.requests.length - before).toBe(1)
    expect(result.stdout).toMatch(/^::error::The token endpoint .* answered HTTP 401 with error 'invalid_client'/m)
    expect(result.outputFile).toBe('')
    expect(result.envFile).toBe('')
    expectNoLeak(result, `${SECRET}-wrong`)
  })

  it('fails before any request when a required input is missing, naming it', async () => {
    const before = server.requests.length
    const result = await runAction({ client_id: 'ci-client', base_url: server.baseUrl })
    expect(result.code).toBe(1)
    expect(server.requests.length).toBe(before)
    expect(result.stdout).toMatch(/^::error::Input 'client_secret' is required but was empty\..*forks/m)
  })

  it.each([
    ['URI-encoded in the path', (secret: string) => `https://elsewhere.example/${encodeURIComponent(secret)}/token`],
    ['as is in the path', (secret: string) => `https://elsewhere.example/${secret}/token`],
    ['in the host name', () => 'https://Echo7Secret.example/token']
  ])('never prints a secret echoed back in a redirect Location, %s', async (how, locationOf) => {
    const clientSecret = how === 'in the host name' ? 'Echo7Secret' : SECRET
    const echo = await startTokenServer({ replies: [raw(307, '', { Location: locationOf(clientSecret) })] })
    try {
      const result = await runAction({ client_id: 'a', client_secret: clientSecret, base_url: echo.baseUrl })
      expect(result.code).toBe(1)
      expect(result.stdout).toMatch(
        /^::error::The token endpoint .* redirected \(307\) to a Location that contains the client secret;/m
      )
      const log = visibleLog(result).toLowerCase()
      expect(log).not.toContain(clientSecret.toLowerCase())
      expect(log).not.toContain(encodeURIComponent(clientSecret).toLowerCase())
      expect(log).not.toContain('sup3r')
    } finally {
      await echo.close()
    }
  })

  it('never prints a secret that the server echoes back', async () => {
    const echo = await startTokenServer({
      replies: [json(400, { error: 'invalid_request', error_description: `secret ${SECRET} is wrong` })]
    })
    try {
      const result = await runAction({ client_id: 'a', client_secret: SECRET, base_url: echo.baseUrl })
      expect(result.code).toBe(1)
      expect(result.stdout).toMatch(/::error::.*invalid_request/)
      expectNoLeak(result)
    } finally {
      await echo.close()
    }
  })
})
