// Fault injection: the bundled action (dist/index.js) runs as a child process, as on the runner, against
// the scriptable loopback token endpoint. Every test checks the exit code, how many requests reached
// the server, the `::error::` line, the wall time, and that no secret or token shows in the log.
//
// The bundled action sleeps on the real clock with random backoff (before attempt 2: [0, 2 s], before
// attempt 3: [0, 4 s], before attempt 4: [0, 8 s]), so the tests that retry run concurrently to keep
// the file fast; time bounds allow for the largest backoff plus process start-up.

import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, it, expect } from '@jest/globals'
import { expectSafeLog } from './support/expect-log.js'
import { ROOT, runAction, visibleLog } from './support/run-action.js'
import { datasaur, hang, json, raw, reset, startTokenServer, token, trickle } from './support/token-server.js'

type ActionResult = Awaited<ReturnType<typeof runAction>>
type TokenServer = Awaited<ReturnType<typeof startTokenServer>>
type ServerOptions = NonNullable<Parameters<typeof startTokenServer>[0]>
type Reply = NonNullable<ServerOptions['replies']>[number]

const CLIENT_ID = 'ci-client'
// Reserved characters of URLs, forms and HTTP Basic, and the two that RFC 6749 §5.2 bars from
// error texts ('"' and '\'), so a message built from a server's echo is checked as well.
const CLIENT_SECRET = `s3"cr\\t/+=&?#[]@!$'()*,;:%~ x`
/** What the secret becomes when the action drops the characters RFC 6749 §5.2 does not allow. */
const SECRET_WITHOUT_BARRED = CLIENT_SECRET.replace(/["\\]/g, '')
const SECRET_FORM_ENCODED = new URLSearchParams([['', CLIENT_SECRET]]).toString().slice(1)

/** Process start-up and the loopback exchanges, with room for a loaded machine; added to every wait. */
const SLACK_MS = 3000
/** Upper bounds of the random backoff before attempts 2, 3 and 4. */
const BACKOFF_MAX_MS = [0, 0, 2000, 4000, 8000]
const backoffUpTo = (attempts: number): number => BACKOFF_MAX_MS.slice(0, attempts + 1).reduce((a, b) => a + b, 0)

/** The runner shows workflow command data decoded (`%25`, `%0D`, `%0A`); secrets must not appear either way. */
const decodeCommandData = (text: string): string =>
  text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')

// RUNNER_DEBUG=1 is what a re-run with debug logging sets; the `::debug::` lines must be as clean.
const LOG_MODES = [
  { mode: 'default log', env: {} as Record<string, string> },
  { mode: 'RUNNER_DEBUG=1', env: { RUNNER_DEBUG: '1' } as Record<string, string> }
]

/** Starts a token server that accepts CLIENT_ID / CLIENT_SECRET, runs `body`, always closes it. */
async function withServer<T>(options: ServerOptions, body: (server: TokenServer) => Promise<T>): Promise<T> {
  const server = await startTokenServer({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options })
  try {
    return await body(server)
  } finally {
    await server.close()
  }
}

/** Runs the action with valid credentials for `server`; `inputs` override them. */
function runAgainst(
  server: TokenServer,
  inputs: Record<string, string>,
  env: Record<string, string> = {}
): Promise<ActionResult> {
  return runAction(
    { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, base_url: server.baseUrl, ...inputs },
    { env, timeoutMs: 40_000 }
  )
}

/** The single `::error::` message, decoded. */
function errorOf(result: ActionResult): string {
  const lines = result.stdout.split(/\r?\n/).filter(line => line.startsWith('::error::'))
  expect(lines).toHaveLength(1)
  return decodeCommandData(lines[0].slice('::error::'.length))
}

function expectNoError(result: ActionResult): void {
  expect(result.stdout).not.toContain('::error::')
}

/**
 * Neither the secret (in any form the action derives) nor any token may be readable in the log, raw
 * or as the runner renders it, and the runner must have obeyed no command the action does not issue.
 */
function expectNoLeak(result: ActionResult, tokens: string[] = []): void {
  const log = visibleLog(result)
  const shown = decodeCommandData(log)
  const secrets = [CLIENT_SECRET, SECRET_FORM_ENCODED, SECRET_WITHOUT_BARRED, ...tokens]
  for (const secret of secrets) {
    expect(log).not.toContain(secret)
    expect(shown).not.toContain(secret)
  }
  expectSafeLog(result, secrets)
}

/** Nothing published: the runner's files were not written at all. */
function expectNothingPublished(result: ActionResult): void {
  expect(result.outputFile).toBe('')
  expect(result.envFile).toBe('')
}

function expectPublished(result: ActionResult, accessToken: string): void {
  expect(result.outputs.access_token).toBe(accessToken)
  expect(result.outputs.token_type).toBe('bearer')
  expect(result.env.DATASAUR_ACCESS_TOKEN).toBe(accessToken)
}

/** `count` copies of a reply. */
const times = (count: number, reply: Reply): Reply[] => Array.from({ length: count }, () => reply)

/** The delay the action announced before its retry after `attempt`, in ms. */
function announcedDelayMs(result: ActionResult, attempt: number): number {
  const match = new RegExp(`Attempt ${attempt} of \\d+ failed \\([^)]*\\); retrying in (\\d+\\.\\d) s[ .]`).exec(
    result.stdout
  )
  expect(match).not.toBeNull()
  return Number(match?.[1]) * 1000
}

/** Makes the action's Math.random draw its highest value (support/provoke.js). */
const RANDOM_MAX = {
  NODE_OPTIONS: `--import=${pathToFileURL(join(ROOT, '__tests__', 'support', 'provoke.js')).href}`,
  PROVOKE: 'random-max'
}

const SIXTY_FOUR_MIB = 64 * 1024 * 1024

/**
 * A 200 whose body is 64 MiB of JSON whitespace, streamed with back-pressure so the server never
 * holds more than one chunk; `sent` reports how far it got before the client hung up.
 */
function hugeBody(withContentLength: boolean): { reply: Reply; sent: () => number } {
  let sent = 0
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  const reply: Reply = res => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      ...(withContentLength ? { 'Content-Length': String(SIXTY_FOUR_MIB) } : {})
    })
    const pump = (): void => {
      while (sent < SIXTY_FOUR_MIB && !res.destroyed) {
        sent += chunk.length
        if (!res.write(chunk)) {
          res.once('drain', pump)
          return
        }
      }
      if (sent >= SIXTY_FOUR_MIB) res.end()
    }
    res.on('error', () => undefined)
    pump()
  }
  return { reply, sent: () => sent }
}

// Jest runs the concurrent tests of one describe block together, so every test that waits for a
// backoff lives in this block, once per log mode.
describe('faults that are retried', () => {
  it.concurrent.each(LOG_MODES)(
    'retries after a connection reset and publishes the token of the second attempt ($mode)',
    async ({ env }) => {
      await withServer({ replies: [reset()] }, async server => {
        const result = await runAgainst(server, { max_attempts: '2' }, env)

        expect(result.code).toBe(0)
        expect(server.requests).toHaveLength(2)
        expectNoError(result)
        expect(result.stdout).toMatch(/Attempt 1 of 2 failed \(ECONNRESET\); retrying in/)
        expect(server.issuedTokens).toHaveLength(1)
        expectPublished(result, server.issuedTokens[0])
        expect(result.durationMs).toBeLessThan(SLACK_MS + backoffUpTo(2))
        expectNoLeak(result, server.issuedTokens)
      })
    }
  )

  it.concurrent.each(LOG_MODES)(
    'gives up on an endpoint that never answers after max_attempts timeouts ($mode)',
    async ({ env }) => {
      await withServer({ replies: times(5, hang()) }, async server => {
        const result = await runAgainst(server, { max_attempts: '2', timeout_seconds: '0.5' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(2)
        const error = errorOf(result)
        expect(error).toContain(`${server.tokenUrl} did not answer within 0.5 s (timeout_seconds).`)
        expect(error).toContain('Gave up after 2 attempts (max_attempts).')
        expect(result.durationMs).toBeGreaterThanOrEqual(2 * 500)
        expect(result.durationMs).toBeLessThan(SLACK_MS + 2 * 500 + backoffUpTo(2))
        expectNothingPublished(result)
        expectNoLeak(result)
      })
    }
  )

  const recoveries = [
    { statuses: [500, 502, 503], maxAttempts: 4 },
    { statuses: [504, 502], maxAttempts: 3 }
  ]
  it.concurrent.each(LOG_MODES.flatMap(mode => recoveries.map(recovery => ({ ...mode, ...recovery }))))(
    'recovers from HTTP $statuses and then publishes the token ($mode)',
    async ({ env, statuses, maxAttempts }) => {
      // JSON and HTML error bodies alternate, as an API and a load balancer in front of it would send.
      const replies = statuses.map((status, i) =>
        i % 2 === 0
          ? json(status, { error: 'server_error' })
          : raw(status, '<html>Bad Gateway</html>', { 'Content-Type': 'text/html' })
      )
      await withServer({ replies }, async server => {
        const result = await runAgainst(server, { max_attempts: String(maxAttempts) }, env)

        expect(result.code).toBe(0)
        expect(server.requests).toHaveLength(statuses.length + 1)
        expectNoError(result)
        statuses.forEach((status, i) =>
          expect(result.stdout).toContain(`Attempt ${i + 1} of ${maxAttempts} failed (HTTP ${status}`)
        )
        expectPublished(result, server.issuedTokens[0])
        expect(result.durationMs).toBeLessThan(SLACK_MS + backoffUpTo(statuses.length + 1))
        expectNoLeak(result, server.issuedTokens)
      })
    },
    30_000
  )

  it.concurrent.each(LOG_MODES)(
    'waits at least the Retry-After of a 429 before trying again ($mode)',
    async ({ env }) => {
      const replies = [json(429, { error: 'rate_limited' }, { 'Retry-After': '2' })]
      await withServer({ replies }, async server => {
        const result = await runAgainst(server, { max_attempts: '2' }, env)

        expect(result.code).toBe(0)
        expect(server.requests).toHaveLength(2)
        expectNoError(result)
        // The backoff alone stays below 2 s before attempt 2, so only Retry-After explains the gap.
        expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(1990)
        expect(announcedDelayMs(result, 1)).toBe(2000)
        expectPublished(result, server.issuedTokens[0])
        expect(result.durationMs).toBeLessThan(SLACK_MS + 2000)
        expectNoLeak(result, server.issuedTokens)
      })
    }
  )

  it.concurrent.each(LOG_MODES)(
    'honours a Retry-After that fits rate_limit_wait_seconds, even with the highest jitter ($mode)',
    async ({ env }) => {
      // The jitter over [Retry-After, ceiling] = [1 s, 2 s] drawn at its top would end past the 2 s
      // budget; it must be cut to what is left of it.
      const replies = [json(429, { error: 'rate_limited' }, { 'Retry-After': '1' })]
      await withServer({ replies }, async server => {
        const result = await runAgainst(server, { rate_limit_wait_seconds: '2' }, { ...env, ...RANDOM_MAX })

        expect(result.code).toBe(0)
        expect(server.requests).toHaveLength(2)
        expectNoError(result)
        const gap = server.requests[1].at - server.requests[0].at
        expect(gap).toBeGreaterThanOrEqual(990)
        expect(gap).toBeLessThan(2000 + 100)
        // Announced to a tenth of a second: 1.0 s to 2.0 s.
        expect(announcedDelayMs(result, 1)).toBeGreaterThanOrEqual(1000)
        expect(announcedDelayMs(result, 1)).toBeLessThanOrEqual(2000)
        expectPublished(result, server.issuedTokens[0])
        expectNoLeak(result, server.issuedTokens)
      })
    }
  )

  it.concurrent.each(LOG_MODES)(
    'gives up on a Retry-After beyond what is left of rate_limit_wait_seconds, with the real figures ($mode)',
    async ({ env }) => {
      const replies = [json(429, { error: 'rate_limited' }, { 'Retry-After': '3' })]
      await withServer({ replies }, async server => {
        const result = await runAgainst(server, { rate_limit_wait_seconds: '2' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(1)
        expect(errorOf(result)).toMatch(
          /answered HTTP 429 with error 'rate_limited'\. The server asked to wait 3 s \(Retry-After\), but only 1\.\d s of the 2 s of rate_limit_wait_seconds were left; gave up after 1 attempt in 0(\.\d)? s\. Raise rate_limit_wait_seconds, or re-run the job later\.$/
        )
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expectNothingPublished(result)
        expectNoLeak(result)
      })
    }
  )

  it.concurrent.each(LOG_MODES)(
    'gives up on a persistent 503 after max_attempts ($mode)',
    async ({ env }) => {
      await withServer({ replies: times(10, json(503, { error: 'unavailable' })) }, async server => {
        const result = await runAgainst(server, { max_attempts: '3' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(3)
        const error = errorOf(result)
        expect(error).toContain(`The token endpoint ${server.tokenUrl} answered HTTP 503 with error 'unavailable'.`)
        expect(error).toContain('Gave up after 3 attempts (max_attempts).')
        expect(result.durationMs).toBeLessThan(SLACK_MS + backoffUpTo(3))
        expectNothingPublished(result)
        expectNoLeak(result)
      })
    },
    30_000
  )
})

describe.each(LOG_MODES)('faults that fail at once ($mode)', ({ env }) => {
  it('cuts off a body that trickles in past timeout_seconds', async () => {
    await withServer({ replies: times(3, trickle(50)) }, async server => {
      const result = await runAgainst(server, { max_attempts: '1', timeout_seconds: '0.5' }, env)

      expect(result.code).toBe(1)
      expect(server.requests).toHaveLength(1)
      const error = errorOf(result)
      expect(error).toContain(`${server.tokenUrl} did not answer within 0.5 s (timeout_seconds).`)
      expect(error).toContain('Gave up after 1 attempt (max_attempts).')
      expect(result.durationMs).toBeGreaterThanOrEqual(500)
      expect(result.durationMs).toBeLessThan(SLACK_MS + 500)
      expectNothingPublished(result)
      expectNoLeak(result)
    })
  })

  it('fails at once when a 429 asks for a longer wait than the action allows', async () => {
    const replies = [json(429, { error: 'rate_limited' }, { 'Retry-After': '120' })]
    await withServer({ replies }, async server => {
      const result = await runAgainst(server, {}, env)

      expect(result.code).toBe(1)
      expect(server.requests).toHaveLength(1)
      const error = errorOf(result)
      expect(error).toContain(`${server.tokenUrl} answered HTTP 429`)
      expect(error).toContain('The server asked to wait 120 s before trying again (Retry-After)')
      expect(result.durationMs).toBeLessThan(SLACK_MS)
      expectNothingPublished(result)
      expectNoLeak(result)
    })
  })

  describe('credential rejection', () => {
    it('does not retry a 401 invalid_client and says which secrets to check', async () => {
      await withServer({ clientSecret: 'the-right-secret' }, async server => {
        const result = await runAgainst(server, { max_attempts: '3' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(1)
        expect(server.requests[0].form.client_secret).toBe(CLIENT_SECRET)
        const error = errorOf(result)
        expect(error).toContain("answered HTTP 401 with error 'invalid_client'")
        expect(error).toContain('check the client_id and client_secret secrets')
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expectNothingPublished(result)
        expectNoLeak(result)
      })
    })

    it('does not retry a 400 invalid_client sent with HTTP Basic', async () => {
      const replies = [json(400, { error: 'invalid_client' })]
      await withServer({ replies }, async server => {
        const result = await runAgainst(server, { max_attempts: '3', auth_method: 'client_secret_basic' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(1)
        expect(server.requests[0].headers.authorization).toMatch(/^Basic /)
        const error = errorOf(result)
        expect(error).toContain("answered HTTP 400 with error 'invalid_client'")
        expect(error).toContain('check the client_id and client_secret secrets')
        expect(error).toContain(
          "Datasaur documents the form post (auth_method: client_secret_post, the default): remove 'auth_method' and try again."
        )
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expectNothingPublished(result)
        expectNoLeak(result, [String(server.requests[0].headers.authorization).slice('Basic '.length)])
      })
    })

    it('keeps the secret out of the log when the server echoes it in error_description', async () => {
      const replies = [json(401, { error: 'invalid_client', error_description: `wrong secret ${CLIENT_SECRET}` })]
      await withServer({ replies }, async server => {
        const result = await runAgainst(server, { max_attempts: '3' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(1)
        const error = errorOf(result)
        expect(error).toContain("answered HTTP 401 with error 'invalid_client'")
        expect(error).toContain('check the client_id and client_secret secrets')
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expectNothingPublished(result)
        expectNoLeak(result)
      })
    })
  })

  describe('answers that are not a usable token', () => {
    it('rejects an HTML login page served with 200 without quoting it', async () => {
      const page = '<!doctype html><html><body><h1>Sign in to Example SSO</h1><form>…</form></body></html>'
      const replies = [raw(200, page, { 'Content-Type': 'text/html; charset=utf-8' })]
      await withServer({ replies }, async server => {
        const result = await runAgainst(server, { max_attempts: '3' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(1)
        const error = errorOf(result)
        expect(error).toContain("answered HTTP 200 with content type 'text/html; charset=utf-8'")
        expect(error).toContain('a JSON object was expected')
        expect(error).not.toContain('Sign in to Example SSO')
        expect(visibleLog(result)).not.toContain('<html')
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expectNothingPublished(result)
        expectNoLeak(result)
      })
    })

    it('rejects a JSON 200 without an access_token', async () => {
      const replies = [json(200, { token_type: 'bearer', expires_in: 3600 })]
      await withServer({ replies }, async server => {
        const result = await runAgainst(server, { max_attempts: '3' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(1)
        expect(errorOf(result)).toContain(`${server.tokenUrl} answered HTTP 200 without an access_token.`)
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expectNothingPublished(result)
        expectNoLeak(result)
      })
    })

    it('never publishes a token containing a line break', async () => {
      const forged = 'tok-4f1c9e\nEVIL=1'
      await withServer({ replies: [token({ access_token: forged })] }, async server => {
        const result = await runAgainst(server, { max_attempts: '3' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(1)
        expect(errorOf(result)).toContain('access_token containing characters outside visible ASCII; it was not used.')
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expectNothingPublished(result)
        expect(result.env).toEqual({})
        expectNoLeak(result, [forged, 'tok-4f1c9e', 'EVIL=1'])
      })
    })

    it('refuses a token whose token_type is not bearer', async () => {
      const macToken = 'opaque-token-8d2b7a'
      await withServer({ replies: [token({ access_token: macToken, token_type: 'mac' })] }, async server => {
        const result = await runAgainst(server, { max_attempts: '3' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(1)
        expect(errorOf(result)).toContain("answered with token_type 'mac'; only bearer tokens are supported.")
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expectNothingPublished(result)
        expectNoLeak(result, [macToken])
      })
    })

    it.each([
      { framing: 'with Content-Length', withContentLength: true },
      { framing: 'chunked', withContentLength: false }
    ])('stops reading a 64 MiB body ($framing) at 64 KiB', async ({ withContentLength }) => {
      const huge = hugeBody(withContentLength)
      await withServer({ replies: [huge.reply] }, async server => {
        const result = await runAgainst(server, { max_attempts: '3' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(1)
        expect(errorOf(result)).toContain(
          `${server.tokenUrl} answered HTTP 200 with a body larger than 64 KiB, which is not a token response.`
        )
        expect(huge.sent()).toBeLessThan(SIXTY_FOUR_MIB)
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expectNothingPublished(result)
        expectNoLeak(result)
      })
    })
  })

  describe('redirects', () => {
    it('follows a 307 to another path on the same host with the POST body unchanged', async () => {
      const replies = [raw(307, '', { Location: '/v2/oauth/token' }), datasaur()]
      await withServer({ replies }, async server => {
        const result = await runAgainst(server, { max_attempts: '1' }, env)

        expect(result.code).toBe(0)
        expect(server.requests).toHaveLength(2)
        expectNoError(result)
        const [first, second] = server.requests
        expect(first.path).toBe('/api/oauth/token')
        expect(second.path).toBe('/v2/oauth/token')
        expect(second.method).toBe('POST')
        expect(second.form).toEqual({
          grant_type: 'client_credentials',
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET
        })
        expect(second.body).toBe(first.body)
        expectPublished(result, server.issuedTokens[0])
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expectNoLeak(result, server.issuedTokens)
      })
    })

    it('does not follow a 307 to another host and names the Location', async () => {
      await withServer({}, async other => {
        const location = `http://localhost:${other.port}/api/oauth/token`
        await withServer({ replies: [raw(307, '', { Location: location })] }, async server => {
          const result = await runAgainst(server, { max_attempts: '3' }, env)

          expect(result.code).toBe(1)
          expect(server.requests).toHaveLength(1)
          expect(other.requests).toHaveLength(0)
          const error = errorOf(result)
          expect(error).toContain(
            `redirected (307) to another host or port, ${location}; the request was not sent there.`
          )
          expect(result.durationMs).toBeLessThan(SLACK_MS)
          expectNothingPublished(result)
          expectNoLeak(result, other.issuedTokens)
        })
      })
    })

    it('does not follow a 307 to another port of the same host', async () => {
      await withServer({}, async other => {
        const location = `http://127.0.0.1:${other.port}/api/oauth/token`
        await withServer({ replies: [raw(307, '', { Location: location })] }, async server => {
          const result = await runAgainst(server, { max_attempts: '3' }, env)

          expect(result.code).toBe(1)
          expect(server.requests).toHaveLength(1)
          expect(other.requests).toHaveLength(0)
          expect(errorOf(result)).toContain(`redirected (307) to another host or port, ${location};`)
          expectNothingPublished(result)
          expectNoLeak(result, other.issuedTokens)
        })
      })
    })

    it('does not follow a 302, which would turn the POST into a GET', async () => {
      const replies = [raw(302, '', { Location: '/login' })]
      await withServer({ replies }, async server => {
        const result = await runAgainst(server, { max_attempts: '3' }, env)

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(1)
        expect(errorOf(result)).toContain(
          `redirected (302) to ${server.baseUrl}/login, which would drop the POST body; the request was not sent there.`
        )
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expectNothingPublished(result)
        expectNoLeak(result)
      })
    })
  })
})

describe('invalid inputs are refused before any request', () => {
  // `0.0.0.0` connects to the loopback server on this machine but is not a loopback name, so a
  // request that slipped through would be counted.
  const cases: { input: string; value: (server: TokenServer) => string; message: string }[] = [
    { input: 'auth_method', value: () => 'bogus', message: 'must be one of client_secret_post, client_secret_basic' },
    { input: 'export_env', value: () => 'yes', message: "must be a boolean (true or false); got 'yes'" },
    { input: 'scope', value: () => 'read "write"', message: 'must be space-separated scope names' },
    { input: 'scope', value: () => 'read\u00a0write', message: 'must be space-separated scope names' },
    { input: 'scope', value: () => 'read\u3000write', message: 'must be space-separated scope names' },
    {
      input: 'env_name',
      value: () => 'PATH',
      message: 'must not be PATH: the runner, a shell or a tool in later steps reads that variable'
    },
    {
      input: 'env_name',
      value: () => '1BAD',
      message:
        "must be a valid environment variable name (letters, digits and '_', not starting with a digit); got '1BAD'"
    },
    { input: 'env_name', value: () => 'GITHUB_TOKEN', message: 'must not be GITHUB_TOKEN: the runner' },
    { input: 'env_name', value: () => 'INPUT_CLIENT_SECRET', message: 'must not be INPUT_CLIENT_SECRET: the runner' },
    { input: 'env_name', value: () => 'all_proxy', message: 'must not be all_proxy: the runner' },
    { input: 'base_url', value: () => 'datasaur.ai', message: "is not a valid URL: 'datasaur.ai'." },
    {
      input: 'base_url',
      value: () => 'https://app.datasaur.ai/graphql',
      message: "is the GraphQL API's URL, https://app.datasaur.ai/graphql; set it to the deployment's root"
    },
    {
      input: 'base_url',
      value: s => s.tokenUrl,
      message: 'is a token endpoint URL, http://127.0.0.1:'
    },
    { input: 'max_attempts', value: () => '0', message: "must be a whole number from 1 to 10; got '0'" },
    { input: 'max_attempts', value: () => '11', message: "must be a whole number from 1 to 10; got '11'" },
    { input: 'max_attempts', value: () => 'abc', message: "must be a whole number from 1 to 10; got 'abc'" },
    {
      input: 'timeout_seconds',
      value: () => '0',
      message: "must be a number of seconds above 0 and at most 300; got '0'"
    },
    {
      input: 'timeout_seconds',
      value: () => '301',
      message: "must be a number of seconds above 0 and at most 300; got '301'"
    },
    {
      input: 'timeout_seconds',
      value: () => 'abc',
      message: "must be a number of seconds above 0 and at most 300; got 'abc'"
    },
    { input: 'base_url', value: () => 'not a url', message: 'is not a valid URL' },
    { input: 'base_url', value: () => 'ftp://x', message: "must be an https URL, got the scheme 'ftp:'" },
    { input: 'base_url', value: s => `${s.baseUrl}/?tenant=1`, message: 'must not contain a query or fragment' },
    { input: 'token_url', value: s => `${s.tokenUrl}#fragment`, message: 'must not contain a fragment' },
    { input: 'base_url', value: () => 'http://example.com', message: "uses plain http to 'example.com'; use https" },
    {
      input: 'token_url',
      value: () => 'http://example.com/api/oauth/token',
      message: "uses plain http to 'example.com'; use https"
    },
    { input: 'base_url', value: s => `http://0.0.0.0:${s.port}`, message: "uses plain http to '0.0.0.0'; use https" },
    {
      input: 'token_url',
      value: s => `http://ci-user:hunter2@127.0.0.1:${s.port}/api/oauth/token`,
      message: 'must not contain credentials (user:password@)'
    },
    {
      input: 'token_url',
      value: () => 'https://ci-user:hunter2@example.com/api/oauth/token',
      message: 'must not contain credentials (user:password@)'
    },
    { input: 'client_id', value: () => '', message: 'is required but was empty' },
    { input: 'client_secret', value: () => '', message: 'secrets are not passed to workflows triggered from forks' }
  ]

  it.each(cases)('refuses $input: $message', async ({ input, value, message }) => {
    await withServer({}, async server => {
      const result = await runAgainst(server, { [input]: value(server) }, { RUNNER_DEBUG: '1' })

      expect(result.code).toBe(1)
      expect(server.requests).toHaveLength(0)
      const error = errorOf(result)
      expect(error).toMatch(new RegExp(`^Input '${input}' `))
      expect(error).toContain(message)
      expect(result.durationMs).toBeLessThan(SLACK_MS)
      expectNothingPublished(result)
      expectNoLeak(result, ['hunter2'])
    })
  })
})
