import { afterEach, describe, expect, it } from '@jest/globals'
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
