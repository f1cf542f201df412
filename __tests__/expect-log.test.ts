// The log assertions other suites rely on (support/expect-log.ts) and the in-process capture of both
// streams (support/in-process.ts): each check must fail when either order of the two streams, or
// either stream, shows what it looks for.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { expectSafeLog, inBothOrders } from './support/expect-log.js'
import { runInProcess } from './support/in-process.js'
import { json, startTokenServer, token } from './support/token-server.js'

const lines = (...text: string[]) => text.map(line => `${line}\n`).join('')
const TOKEN = 'tok-0123456789'

describe('expectSafeLog', () => {
  it('passes a run that masks its token before anything shows it, on both streams and in the files', () => {
    const log = expectSafeLog(
      {
        stdout: lines(`::add-mask::${TOKEN}`, '::debug::attempt 1', 'Obtained a token.'),
        stderr: '',
        outputFile: `access_token<<EOF\n${TOKEN}\nEOF\n`,
        envFile: `DATASAUR_ACCESS_TOKEN<<EOF\n${TOKEN}\nEOF\n`
      },
      [TOKEN]
    )

    expect(log.order).toBe('stdout-first')
    expect(log.lines).toContain('##[debug]Set output access_token = ***')
  })

  it.each([
    [
      'a token masked on stdout and printed on stderr',
      'stderr-first',
      lines(`::add-mask::${TOKEN}`),
      lines(`failed: ${TOKEN}`)
    ],
    [
      'a token masked on stderr and printed on stdout',
      'stdout-first',
      lines(`token ${TOKEN}`),
      lines(`::add-mask::${TOKEN}`)
    ],
    ['commands stopped on stderr', 'stderr-first', lines('::error::x'), lines('::stop-commands::pause-it')],
    ['a legacy command on stderr', 'stderr-first', '', lines('at handler ##[set-output name=access_token]forged')],
    ['an invalid stop token on stderr', 'stderr-first', '', lines('::stop-commands::')],
    ['an annotation title on stderr', 'stderr-first', lines(`::add-mask::${TOKEN}`), lines(`::error title=${TOKEN}::x`)]
  ])('fails on %s (first in the %s order)', (_, order, stdout, stderr) => {
    expect(() => expectSafeLog({ stdout, stderr }, [TOKEN])).toThrow(`"order": "${order}"`)
  })

  it('fails on an unmasked value in a runner file, which a debug re-run shows', () => {
    expect(() => expectSafeLog({ stdout: '', outputFile: `access_token=${TOKEN}\n` }, [TOKEN])).toThrow(TOKEN)
  })

  it('fails on a runner file the runner cannot read', () => {
    expect(() => expectSafeLog({ stdout: '', outputFile: 'access_token<<\n' }, [])).toThrow(
      "Invalid format 'access_token<<'"
    )
  })
})

describe('inBothOrders', () => {
  it('returns what both orders show alike', () => {
    const errors = inBothOrders({ stdout: lines('::error::boom'), stderr: lines('progress') }, log =>
      log.lines.filter(line => line.startsWith('Error: '))
    )

    expect(errors).toEqual(['Error: boom'])
  })

  it('fails when the order of the streams changes it', () => {
    const result = { stdout: lines(`::error::${TOKEN} rejected`), stderr: lines(`::add-mask::${TOKEN}`) }

    expect(() => inBothOrders(result, log => log.lines)).toThrow()
  })
})

describe('runInProcess', () => {
  let server: Awaited<ReturnType<typeof startTokenServer>>
  beforeAll(async () => {
    server = await startTokenServer({ replies: [json(503, {}), token({ access_token: TOKEN })] })
  })
  afterAll(() => server.close())

  it('captures what the run writes to stderr apart from stdout, and leaves the streams as they were', async () => {
    const { write: stdoutWrite } = process.stdout
    const { write: stderrWrite } = process.stderr
    // The retry policy's wait runs inside the action, so whatever it prints is part of the run.
    const clock = {
      sleep: async () => {
        process.stderr.write('waiting on stderr\n')
      }
    }
    const result = await runInProcess(
      { client_id: server.clientId, client_secret: server.clientSecret, base_url: server.baseUrl, max_attempts: '2' },
      { clock }
    )

    expect(result.code).toBe(0)
    expect(result.stderr).toBe('waiting on stderr\n')
    expect(result.stdout).not.toContain('waiting on stderr')
    expect(process.stdout.write).toBe(stdoutWrite)
    expect(process.stderr.write).toBe(stderrWrite)
    expectSafeLog(result, [server.clientSecret, TOKEN])
  })
})
