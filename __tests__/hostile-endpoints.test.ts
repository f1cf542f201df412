// A hostile or broken token endpoint against the bundled action (dist/index.js), run as the runner
// runs it. Every test reads the log as the runner renders it (support/runner-log.js): the runner must
// obey no command the server smuggled in, and no secret or token may be readable.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createTcpServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { expectSafeLog, inBothOrders } from './support/expect-log.js'
import { runAction, visibleLog } from './support/run-action.js'
import { json, raw, startTokenServer, token } from './support/token-server.js'

type ActionResult = Awaited<ReturnType<typeof runAction>>
type TokenServer = Awaited<ReturnType<typeof startTokenServer>>
type Reply = NonNullable<NonNullable<Parameters<typeof startTokenServer>[0]>['replies']>[number]

const CLIENT_ID = 'ci-client'
const CLIENT_SECRET = 'Ab"cD\\eF-123456'
/** What a naive sanitiser leaves of the JSON-escaped secret: its letters and digits. */
const SECRET_SKELETON = 'AbcDeF-123456'
const SLACK_MS = 3000

async function withServer<T>(
  options: Parameters<typeof startTokenServer>[0],
  body: (server: TokenServer) => Promise<T>
): Promise<T> {
  const server = await startTokenServer({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options })
  try {
    return await body(server)
  } finally {
    await server.close()
  }
}

function runAgainst(server: TokenServer, inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  return runAction(
    { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, base_url: server.baseUrl, ...inputs },
    { env, timeoutMs: 40_000 }
  )
}

/** The message of the one error annotation, as the log shows it. */
function errorOf(result: ActionResult): string {
  const errors = inBothOrders(result, log => log.lines.filter(line => line.startsWith('Error: ')))
  expect(errors).toHaveLength(1)
  return errors[0].slice('Error: '.length)
}

describe('workflow commands in server text are not obeyed', () => {
  it.each([
    '##[stop-commands]resume',
    '##[stop-commands]longtoken1',
    '##[set-output name=access_token]forged',
    '##[add-mask]ci-client',
    'see ##[warning file=/etc/passwd,line=1]pwned',
    '::stop-commands::abcdefgh'
  ])('a 503 with error %j: the retry line is harmless and the token of the retry is masked', async injected => {
    await withServer({ replies: [json(503, { error: injected })] }, async server => {
      const result = await runAgainst(server, { max_attempts: '2' })

      expect(result.code).toBe(0)
      expect(server.requests).toHaveLength(2)
      const log = expectSafeLog(result, [CLIENT_SECRET, ...server.issuedTokens])
      expect(log.masks).toEqual(expect.arrayContaining([server.issuedTokens[0]]))
      expect(log.lines.find(line => line.startsWith('Attempt 1 of 2 failed'))).toMatch(
        /^Attempt 1 of 2 failed \(HTTP 503 /
      )
      expect(result.outputs.access_token).toBe(server.issuedTokens[0])
    })
  })

  it('a 401 error_description with commands reaches the error line only as text', async () => {
    const replies = [
      json(401, {
        error: 'invalid_client',
        error_description: '##[stop-commands]x1234567 ##[add-mask]y\n::set-output name=access_token::z'
      })
    ]
    await withServer({ replies }, async server => {
      const result = await runAgainst(server)

      expect(result.code).toBe(1)
      expectSafeLog(result, [CLIENT_SECRET])
      expect(errorOf(result)).toContain(
        "with error 'invalid_client' (# #[stop-commands]x1234567 # #[add-mask]y ::set-output name=access_token::z)"
      )
      expect(result.outputFile).toBe('')
    })
  })
})

describe('secrets echoed in another form are not shown', () => {
  it.each([
    ['JSON-escaped', `client_secret "Ab\\"cD\\\\eF-123456" is not valid`],
    ['stripped of quotes and backslashes', `client_secret ${SECRET_SKELETON} is not valid`],
    ['spaced out', 'secret A b c D e F 1 2 3 4 5 6']
  ])('%s in a 401 error_description', async (_form, description) => {
    await withServer(
      { replies: [json(401, { error: 'invalid_client', error_description: description })] },
      async server => {
        const result = await runAgainst(server)

        expect(result.code).toBe(1)
        expectSafeLog(result, [CLIENT_SECRET, SECRET_SKELETON])
        expect(errorOf(result).replace(/[^A-Za-z0-9]/g, '')).not.toContain('AbcDeF123456')
      }
    )
  })

  it('an NFD echo of a non-ASCII secret', async () => {
    const secret = 'pässwörd-Ünïcode-42'
    const replies = [json(401, { error: 'invalid_client', error_description: `got ${secret.normalize('NFD')}` })]
    await withServer({ clientSecret: secret, replies }, async server => {
      const result = await runAction({ client_id: CLIENT_ID, client_secret: secret, base_url: server.baseUrl })

      expect(result.code).toBe(1)
      expectSafeLog(result, [secret, secret.normalize('NFD')])
      expect(errorOf(result)).not.toMatch(/passw|sswrd|Unicode/i)
    })
  })
})

describe('the runner files: all or nothing', () => {
  it('publishes nothing and sends nothing when GITHUB_ENV cannot be written', async () => {
    await withServer({}, async server => {
      const result = await runAgainst(server, {}, { GITHUB_ENV: '/nonexistent-directory/env' })

      expect(result.code).toBe(1)
      expect(server.requests).toHaveLength(0)
      expect(result.outputFile).toBe('')
      expect(errorOf(result)).toMatch(/^The runner's GITHUB_ENV file cannot be written \(ENOENT\)/)
    })
  })

  it.each([
    ['GITHUB_OUTPUT', {}],
    ['GITHUB_ENV', {}],
    ['GITHUB_STATE', { refresh: 'true' }]
  ])('fails at once, sending nothing and writing nothing, when %s names a FIFO', async (variable, inputs) => {
    const dir = mkdtempSync(join(tmpdir(), 'datasaur-fifo-'))
    try {
      const fifo = join(dir, 'fifo')
      execFileSync('mkfifo', [fifo])
      const path = join(dir, 'path')
      writeFileSync(path, '')
      await withServer({}, async server => {
        const env = { GITHUB_PATH: path, GITHUB_STATE: join(dir, 'state'), [variable]: fifo }
        const result = await runAction(
          { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, base_url: server.baseUrl, ...inputs },
          { env, timeoutMs: 10_000 }
        )

        expect(result.code).toBe(1)
        expect(result.durationMs).toBeLessThan(SLACK_MS)
        expect(server.requests).toHaveLength(0)
        expect(errorOf(result)).toBe(
          `${variable} names a FIFO (named pipe) ('${fifo}'), not a regular file, so the token cannot be handed ` +
            `to later steps; nothing was requested or published. Point ${variable} at a file, or leave it as the ` +
            'runner sets it.'
        )
        expect(result.outputFile).toBe('')
        expect(result.envFile).toBe('')
        expect(readFileSync(path, 'utf8')).toBe('')
        expectSafeLog(result, [CLIENT_SECRET, SECRET_SKELETON])
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('never falls back to set-output when GITHUB_OUTPUT is not set', async () => {
    await withServer({}, async server => {
      const result = await runAgainst(server, {}, { GITHUB_OUTPUT: '' })

      expect(result.code).toBe(1)
      expect(server.requests).toHaveLength(0)
      const log = expectSafeLog(result, [CLIENT_SECRET])
      expect(log.commands.map(command => command.name)).not.toContain('set-output')
      expect(errorOf(result)).toMatch(/^GITHUB_OUTPUT is not set, so the token cannot be handed to later steps/)
    })
  })
})

describe('transport and input edges', () => {
  it('reaches an IPv6 literal', async () => {
    await withServer({ host: '::1' }, async server => {
      const result = await runAction({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        base_url: `http://[::1]:${server.port}`
      })

      expect(result.code).toBe(0)
      expect(result.outputs.access_token).toBe(server.issuedTokens[0])
    })
  })

  it('ignores Retry-After values that are not RFC 9110 forms', async () => {
    const replies = [json(503, {}, { 'Retry-After': 'Tue 2030' }), json(503, {}, { 'Retry-After': 'a 5' })]
    await withServer({ replies }, async server => {
      const result = await runAgainst(server)

      expect(result.code).toBe(0)
      // Backoff alone: at most 2 s, then 4 s; a misread date would have failed or waited for years.
      const delays = [...result.stdout.matchAll(/retrying in (\d+\.\d) s/g)].map(match => Number(match[1]))
      expect(delays).toHaveLength(2)
      expect(delays[0]).toBeLessThanOrEqual(2)
      expect(delays[1]).toBeLessThanOrEqual(4)
    })
  }, 15_000)

  it('does not retry an answer that is not HTTP', async () => {
    let connections = 0
    const garbage: Server = createTcpServer(socket => {
      connections++
      socket.on('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'))
    })
    await new Promise<void>(resolve => garbage.listen(0, '127.0.0.1', resolve))
    try {
      const port = (garbage.address() as { port: number }).port
      const result = await runAction({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        base_url: `http://127.0.0.1:${port}`
      })

      expect(result.code).toBe(1)
      expect(connections).toBe(1)
      expect(errorOf(result)).toMatch(/answered with something that is not HTTP \(HPE_[A-Z_]+\)/)
      expect(result.durationMs).toBeLessThan(SLACK_MS)
    } finally {
      await new Promise(resolve => garbage.close(resolve))
    }
  })

  it('refuses a loopback 307 from http to https once, naming the change of scheme', async () => {
    const upgrade: Reply = (res, request, s) =>
      raw(307, '', { Location: `https://127.0.0.1:${s.port}/api/oauth/token` })(res, request, s)
    await withServer({ replies: [upgrade] }, async server => {
      const result = await runAgainst(server)

      expect(result.code).toBe(1)
      expect(server.requests).toHaveLength(1)
      expect(errorOf(result)).toContain(
        `redirected (307) to https://127.0.0.1:${server.port}/api/oauth/token, which changes the scheme`
      )
    })
  })

  it('names a non-http Location by its scheme', async () => {
    await withServer({ replies: [raw(308, '', { Location: 'javascript:alert(1)' })] }, async server => {
      const result = await runAgainst(server)

      expect(result.code).toBe(1)
      expect(errorOf(result)).toContain("redirected (308) to a URL that is not http or https (scheme 'javascript')")
      expect(errorOf(result)).not.toContain('alert')
    })
  })

  it('refuses an expires_in beyond the four-digit years and accepts a body with a byte order mark', async () => {
    const huge = json(200, { access_token: 'tok-huge-0123456789', token_type: 'bearer', expires_in: 1e12 })
    const bom = raw(
      200,
      `\uFEFF${JSON.stringify({ access_token: 'tok-bom-1', token_type: 'bearer', expires_in: 60 })}`,
      {
        'Content-Type': 'application/json'
      }
    )
    await withServer({ replies: [huge, bom] }, async server => {
      const refused = await runAgainst(server)
      expect(refused.code).toBe(1)
      expect(errorOf(refused)).toContain('an expires_in of 1000000000000 s, which ends after the year 9999')
      expectSafeLog(refused, ['tok-huge-0123456789'])
      expect(refused.outputFile).toBe('')

      const accepted = await runAgainst(server)
      expect(accepted.code).toBe(0)
      expect(accepted.outputs.access_token).toBe('tok-bom-1')
    })
  })

  it('a 200 with an empty body is retried, and said to be empty', async () => {
    await withServer(
      { replies: [raw(200, '', { 'Content-Type': 'application/json' }), raw(200, '')] },
      async server => {
        const result = await runAgainst(server, { max_attempts: '2' })

        expect(result.code).toBe(1)
        expect(server.requests).toHaveLength(2)
        expect(result.stdout).toContain('Attempt 1 of 2 failed (HTTP 200, empty body)')
        expect(errorOf(result)).toContain('answered HTTP 200 with an empty body. Gave up after 2 attempts')
      }
    )
  })
})

describe('tokens that must not be published', () => {
  const formEncoded = new URLSearchParams([['', CLIENT_SECRET]]).toString().slice(1)
  it.each([
    ['the client secret', CLIENT_SECRET, /repeats the client secret; it was not used/],
    ['the client secret in lower case', CLIENT_SECRET.toLowerCase(), /repeats the client secret/],
    ['the client secret as the form carries it', formEncoded, /repeats the client secret/],
    ['a token of 1 character', 'Q', /access_token shorter than 8 characters; it was not used/],
    ['a token of 7 characters', 'Qz7Vx9w', /access_token shorter than 8 characters; it was not used/],
    ['a token that begins with ::', '::stop-commands::abcdefgh', /would read as a workflow command/],
    ['a token with ##[ in it', 'abcdefgh##[add-mask]x', /would read as a workflow command/]
  ])('%s is refused at once, quoted nowhere, and nothing is published', async (_what, accessToken, message) => {
    await withServer({ replies: [token({ access_token: accessToken })] }, async server => {
      const result = await runAgainst(server, { max_attempts: '3' })

      expect(result.code).toBe(1)
      expect(server.requests).toHaveLength(1)
      expect(errorOf(result)).toMatch(message)
      expect(result.outputFile).toBe('')
      expect(result.envFile).toBe('')
      // Neither the token nor the secret appears outside ::add-mask:: lines, on either stream (a token of
      // one letter is looked for in the error alone: the log has letters).
      expect(errorOf(result)).not.toContain(accessToken)
      const log = visibleLog(result)
      for (const value of [CLIENT_SECRET, formEncoded, ...(accessToken.length > 1 ? [accessToken] : [])]) {
        expect(log).not.toContain(value)
      }
      expectSafeLog(result, [CLIENT_SECRET, SECRET_SKELETON])
    })
  })
})
