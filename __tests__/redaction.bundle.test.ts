// Masking and redaction through the bundled action (dist/index.js), run as the runner runs it: a token
// as long as the response cap allows is masked without holding the step up, inputs too long to be
// credentials are refused before any request, and a secret a server echoes HTML-escaped is not shown.

import { randomBytes } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import { expectSafeLog, inBothOrders } from './support/expect-log.js'
import { runAction, visibleLog } from './support/run-action.js'
import { json, startTokenServer } from './support/token-server.js'

type ActionResult = Awaited<ReturnType<typeof runAction>>
type TokenServer = Awaited<ReturnType<typeof startTokenServer>>

const CLIENT_ID = 'ci-client'
/**
 * With max_attempts 1 and timeout_seconds 2 the README bounds a failing step at 2 s; a step that got
 * its answer at once must end well inside that bound plus Node's start on a busy machine. Masking
 * the long token below used to take over a minute.
 */
const STEP_DEADLINE_MS = 10_000

async function withServer<T>(
  options: Parameters<typeof startTokenServer>[0],
  body: (server: TokenServer) => Promise<T>
): Promise<T> {
  const server = await startTokenServer({ clientId: CLIENT_ID, ...options })
  try {
    return await body(server)
  } finally {
    await server.close()
  }
}

/** The message of the one error annotation, as the log shows it. */
function errorOf(result: ActionResult): string {
  const errors = inBothOrders(result, log => log.lines.filter(line => line.startsWith('Error: ')))
  expect(errors).toHaveLength(1)
  return errors[0].slice('Error: '.length)
}

/** `length` random letters and digits. */
function randomAlphanumeric(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return [...randomBytes(length)].map(byte => alphabet[byte % alphabet.length]).join('')
}

describe('a token as long as the response cap allows', () => {
  it('is masked and published at once: 40,000 × A and 25,000 random characters, 65,059 bytes of JSON', async () => {
    const accessToken = 'A'.repeat(40_000) + randomAlphanumeric(25_000)
    const body = JSON.stringify({ access_token: accessToken, token_type: 'bearer', expires_in: 3600 })
    expect(Buffer.byteLength(body)).toBe(65_059)
    await withServer({ replies: [json(200, body)] }, async server => {
      const result = await runAction(
        { client_id: CLIENT_ID, client_secret: 'a-client-secret-1', token_url: server.tokenUrl },
        { env: { INPUT_TIMEOUT_SECONDS: '2', INPUT_MAX_ATTEMPTS: '1' }, timeoutMs: STEP_DEADLINE_MS }
      )

      expect({ code: result.code, stdout: result.code === 0 ? '' : result.stdout }).toEqual({ code: 0, stdout: '' })
      expect(result.durationMs).toBeLessThan(STEP_DEADLINE_MS)
      expect(server.requests).toHaveLength(1)
      expect(result.outputs.access_token).toBe(accessToken)
      const log = expectSafeLog(result, ['a-client-secret-1', accessToken, accessToken.slice(40_000)])
      expect(log.masks).toEqual(expect.arrayContaining([accessToken]))
    })
  })
})

describe('inputs too long to be credentials', () => {
  // Random, as a secret is: masking one of these took 20 s before the length was checked.
  it.each([
    ['client_secret', { client_id: CLIENT_ID, client_secret: randomAlphanumeric(100_000) }],
    ['client_id', { client_id: randomAlphanumeric(100_000), client_secret: 'a-client-secret-1' }]
  ])('a 100 KB %s is refused at once, named and not quoted', async (name, inputs) => {
    await withServer({}, async server => {
      const result = await runAction({ ...inputs, token_url: server.tokenUrl }, { timeoutMs: STEP_DEADLINE_MS })

      expect(result.code).toBe(1)
      expect(result.durationMs).toBeLessThan(STEP_DEADLINE_MS)
      expect(server.requests).toHaveLength(0)
      expectSafeLog(result, [inputs.client_secret])
      const error = errorOf(result)
      expect(error).toBe(
        `Input '${name}' is 100000 characters long, more than the 1024 a client credential can be; ` +
          `check that the ${name} secret holds the credential alone.`
      )
      const value = name === 'client_id' ? inputs.client_id : inputs.client_secret
      expect(visibleLog(result)).not.toContain(value.slice(0, 16))
      expect(result.outputFile).toBe('')
    })
  })
})

describe('a secret echoed HTML-escaped is not shown', () => {
  const SECRET = "Kq7Zp2Wm&Xr4Tn8Vb'Hs6Jd3Lf"
  /** The parts of the secret between its `&` and `'`, which no echo may show. */
  const PARTS = ['Kq7Zp2Wm', 'Xr4Tn8Vb', 'Hs6Jd3Lf']

  it.each([
    ['as Spring and Go escape it', 'Kq7Zp2Wm&amp;Xr4Tn8Vb&#39;Hs6Jd3Lf'],
    ['with hex references, in either case', 'Kq7Zp2Wm&#x26;Xr4Tn8Vb&#X27;Hs6Jd3Lf'],
    ['escaped twice', 'Kq7Zp2Wm&amp;amp;Xr4Tn8Vb&amp;#39;Hs6Jd3Lf'],
    ['with references for letters and without semicolons', '&#75;q7Zp2Wm&ampXr4Tn8Vb&#39Hs6J&#x64;3Lf'],
    ['named entities for every special character', 'Kq7Zp2Wm&amp;Xr4Tn8Vb&apos;Hs6Jd3Lf']
  ])('%s, in a 401 error_description', async (_how, echo) => {
    const description = `Bad client credentials: ${echo}`
    await withServer(
      { clientSecret: SECRET, replies: [json(401, { error: 'invalid_client', error_description: description })] },
      async server => {
        const result = await runAction(
          { client_id: CLIENT_ID, client_secret: SECRET, token_url: server.tokenUrl },
          { timeoutMs: 40_000 }
        )

        expect(result.code).toBe(1)
        expectSafeLog(result, [SECRET, echo, ...PARTS])
        const error = errorOf(result)
        expect(error).toContain("answered HTTP 401 with error 'invalid_client' (Bad client credentials: ***)")
        for (const part of PARTS) expect(error).not.toContain(part)
      }
    )
  })
})
