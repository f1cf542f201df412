// The bundled action's process guard, provoked from inside its process (support/provoke.js, loaded
// with --import): whatever happens in the process, nothing reaches either stream unguarded, a failure
// nobody expected ends the step with a fixed sentence, and the process ends as soon as the outcome is
// known, with its output delivered.

import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { UNEXPECTED_FAILURE } from '../src/runner/process-guard.js'
import { createCertificateAuthority } from './support/certificates.js'
import { expectSafeLog } from './support/expect-log.js'
import { startProxy, relayTo } from './support/proxy.js'
import { renderRunnerLog } from './support/runner-log.js'
import { ACTION_ENTRY, ROOT, inputEnv, runAction } from './support/run-action.js'
import { hang, startTokenServer } from './support/token-server.js'

type TokenServer = Awaited<ReturnType<typeof startTokenServer>>

const CLIENT_ID = 'guard-client'
const CLIENT_SECRET = 'Gu4rd-S3cret-Value-77'
/** What each provocation carries: commands for both parsers, and the secret. */
const HOSTILE = `::stop-commands::guardstop ##[set-output name=access_token]forged ${CLIENT_SECRET}`
const PROXY_PASSWORD = 'Pr0xy-Passw0rd-55'
const TLS_TOKEN = 'guarded-tls-token-0123456789'
const PRELOAD = `--import=${pathToFileURL(join(ROOT, '__tests__', 'support', 'provoke.js')).href}`

let server: TokenServer
let dir: string
beforeAll(async () => {
  server = await startTokenServer({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
  dir = mkdtempSync(join(tmpdir(), 'datasaur-guard-'))
})
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

function provoked(provoke: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  return runAction(
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      base_url: `http://localhost:${server.port}`,
      ...inputs
    },
    { env: { NODE_OPTIONS: PRELOAD, PROVOKE: provoke, PROVOKE_TEXT: HOSTILE, RUNNER_DEBUG: '1', ...env } }
  )
}

/** Nothing of the provocation is obeyed or readable, on either stream, in either order. */
function expectGuarded(result: Awaited<ReturnType<typeof runAction>>) {
  const log = expectSafeLog(result, [CLIENT_SECRET])
  expect(log.commands.map(command => command.name)).not.toContain('set-output')
  for (const stream of [result.stdout, result.stderr]) {
    for (const line of stream.split(/\r\n|\r|\n/)) {
      expect(line).not.toContain('##[')
      if (!line.startsWith('::add-mask::') && !/^::(debug|error|warning)::/.test(line)) {
        expect(line.trimStart()).not.toMatch(/^::/)
      }
    }
  }
  expect(result.stderr).not.toMatch(/\(node:\d+\)| {4}at /)
  return log
}

describe('a failure nobody expected', () => {
  it.each([
    ['an exception thrown in a socket handler', 'socket-throw'],
    ['a rejected promise nobody awaits', 'unhandled-rejection']
  ])('%s ends the step with the fixed sentence and publishes nothing', async (_, provoke) => {
    const slow = await startTokenServer({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, replies: [hang()] })
    try {
      const result = await provoked(provoke, { base_url: `http://localhost:${slow.port}`, timeout_seconds: '20' })

      expect(result.code).toBe(1)
      const log = expectGuarded(result)
      expect(log.lines.filter(line => line.startsWith('Error: '))).toEqual([`Error: ${UNEXPECTED_FAILURE}`])
      expect(result.stdout).not.toContain('guardstop')
      expect(result.stderr).toBe('')
      expect(result.outputFile).toBe('')
      expect(result.envFile).toBe('')
      // The attempt in flight is abandoned: the step does not wait for its 20 s.
      expect(result.durationMs).toBeLessThan(10_000)
    } finally {
      await slow.close()
    }
  })
})

describe('output the action does not write itself', () => {
  it('a process warning becomes a harmless debug line, not a stderr line', async () => {
    const result = await provoked('warning')

    expect(result.code).toBe(0)
    const log = expectGuarded(result)
    expect(result.stderr).toBe('')
    const warning = log.lines.find(line => line.includes('Node.js warning (DeprecationWarning)'))
    expect(warning).toBe(
      '##[debug]Node.js warning (DeprecationWarning): ::stop-commands::guardstop # #[set-output name=access_token]forged *** ' +
        '::error::::stop-commands::guardstop # #[set-output name=access_token]forged ***'
    )
    expect(log.lines.filter(line => line.startsWith('Error: '))).toEqual([])
    expect(result.outputs.access_token).toBe(server.issuedTokens.at(-1))
  })

  it('writes to stderr and stdout by other code are cut of secrets and break no command', async () => {
    const result = await provoked('stderr-write,stdout-write')

    expect(result.code).toBe(0)
    const log = expectGuarded(result)
    const tail = '::stop-commands::guardstop # #[set-output name=access_token]forged ***'
    expect(result.stderr.split('\n')).toEqual([
      `error: ${tail}`,
      ': :stop-commands::provoked',
      `# #[set-output name=x]${tail}`,
      `: :warning::${tail}`,
      ''
    ])
    expect(result.stdout.split('\n')).toEqual(
      expect.arrayContaining([`: :set-output name=x::${tail}`, `# #[add-mask]x ${tail}`])
    )
    expect(log.lines.filter(line => /^(Error|Warning): /.test(line))).toEqual([])
    expect(result.outputs.access_token).toBe(server.issuedTokens.at(-1))
  })

  it("Node's own debug logging through a proxy with credentials shows neither them nor the secret", async () => {
    const pki = createCertificateAuthority()
    const endpoint = createHttpsServer(pki.issue('datasaur.test'), (req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ access_token: TLS_TOKEN, token_type: 'bearer', expires_in: 3600 }))
      })
    })
    await new Promise<void>(resolve => endpoint.listen(0, '127.0.0.1', resolve))
    const proxy = await startProxy({ fallback: relayTo((endpoint.address() as AddressInfo).port) })
    try {
      const result = await runAction(
        { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, base_url: 'https://datasaur.test' },
        {
          env: {
            NODE_DEBUG: 'http,net,tls,tunnel',
            NODE_EXTRA_CA_CERTS: pki.caFile,
            RUNNER_DEBUG: '1',
            https_proxy: `http://proxyuser:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`
          }
        }
      )

      expect(result.code).toBe(0)
      expect(proxy.connects.map(connect => connect.target)).toEqual(['datasaur.test:443'])
      expectSafeLog(result, [CLIENT_SECRET, PROXY_PASSWORD, TLS_TOKEN])
      // Node's and tunnel's debug logging did write on stderr, and every line of it passed the guard.
      expect(result.stderr).toMatch(/^(HTTP|NET|TLS) \d+: /m)
      expect(result.stderr).not.toMatch(/^\s*::|##\[/m)
    } finally {
      await proxy.close()
      await new Promise(resolve => endpoint.close(resolve))
      pki.remove()
    }
  })
})

describe('the process ends as soon as the outcome is known', () => {
  it('with a lookup that never answers and holds the event loop', async () => {
    const result = await provoked('hang-lookup', { timeout_seconds: '1', max_attempts: '1' })

    expect(result.code).not.toBe(0)
    const log = expectGuarded(result)
    expect(log.lines.filter(line => line.startsWith('Error: '))).toEqual([
      expect.stringMatching(
        /^Error: The token endpoint http:\/\/localhost:\d+\/api\/oauth\/token did not answer within 1 s/
      )
    ])
    expect(result.durationMs).toBeLessThan(4000)
  })

  it('with a lookup that never answers and holds one of libuv threads, as a silent resolver does', async () => {
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const result = await provoked('block-lookup', { timeout_seconds: '1', max_attempts: '1' }, { PROVOKE_FIFO: fifo })

    expect(result.code).not.toBe(0)
    const log = expectGuarded(result)
    expect(log.lines.filter(line => line.startsWith('Error: '))).toEqual([
      expect.stringMatching(/did not answer within 1 s \(timeout_seconds\)/)
    ])
    expect(result.durationMs).toBeLessThan(4000)
  })

  it('and delivers all of its output to a reader that is slow to read it', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      GITHUB_OUTPUT: join(dir, 'out'),
      GITHUB_ENV: join(dir, 'env'),
      RUNNER_DEBUG: '1',
      NODE_OPTIONS: PRELOAD,
      PROVOKE: 'stdout-flood',
      ...inputEnv({ client_id: CLIENT_ID, client_secret: '' })
    }
    writeFileSync(env.GITHUB_OUTPUT, '')
    writeFileSync(env.GITHUB_ENV, '')
    const child = spawn(process.execPath, [ACTION_ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.pause()
    await new Promise(resolve => setTimeout(resolve, 500))
    let stdout = ''
    child.stdout.on('data', chunk => (stdout += chunk))
    child.stdout.resume()
    const code = await new Promise(resolve => child.on('close', resolve))

    expect(code).toBe(1)
    expect(stdout.length).toBeGreaterThan(1_000_000)
    const errors = renderRunnerLog(stdout).lines.filter(line => line.startsWith('Error: '))
    expect(errors).toEqual([expect.stringContaining("Input 'client_secret' is required")])
  })
})
