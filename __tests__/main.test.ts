import { afterEach, describe, expect, it } from '@jest/globals'
import { INPUT_DEFAULTS, type InputName } from '../src/inputs.js'
import { run, type Runner } from '../src/main.js'
import { systemClock } from '../src/retry.js'
import { json, startTokenServer, token } from './support/token-server.js'

// run() with a runner that records every call, against the loopback endpoint: the order in which the
// action masks and publishes is visible here call by call.

type Call = [method: string, ...args: string[]]

function recordingRunner(inputs: Partial<Record<InputName, string>>): Runner & { calls: Call[] } {
  const calls: Call[] = []
  const record =
    (method: string) =>
    (...args: unknown[]) => {
      calls.push([method, ...args.map(String)])
    }
  return {
    calls,
    getInput: (name: string) => inputs[name as InputName] ?? INPUT_DEFAULTS[name as InputName] ?? '',
    setSecret: record('setSecret'),
    setOutput: record('setOutput'),
    exportVariable: record('exportVariable'),
    info: record('info'),
    debug: record('debug'),
    setFailed: record('setFailed')
  } as Runner & { calls: Call[] }
}

let close: (() => Promise<void>) | undefined
afterEach(async () => close?.())

describe('run', () => {
  it('masks the token before it publishes anything, and counts expiry from when the request was sent', async () => {
    const accessToken = 'tok-5f0c2e9a71'
    const server = await startTokenServer({
      replies: [(res, request, s) => setTimeout(() => token({ access_token: accessToken })(res, request, s), 2500)]
    })
    close = server.close
    const runner = recordingRunner({ client_id: 'id', client_secret: 'secret', base_url: server.baseUrl })
    const started = Date.now()
    await run(runner, systemClock)

    const methods = runner.calls.map(([method, value]) => `${method}:${value}`)
    const tokenMask = methods.indexOf(`setSecret:${accessToken}`)
    const firstPublish = methods.findIndex(m => m.startsWith('setOutput') || m.startsWith('exportVariable'))
    expect(methods[0]).toBe('setSecret:secret')
    expect(tokenMask).toBeGreaterThan(0)
    expect(firstPublish).toBe(tokenMask + 1)
    expect(runner.calls.filter(([m]) => m === 'setFailed')).toEqual([])
    expect(runner.calls.filter(([m]) => m === 'exportVariable')).toEqual([
      ['exportVariable', 'DATASAUR_ACCESS_TOKEN', accessToken]
    ])

    // The answer took 2.5 s; expiry counts from the send, not from the answer.
    const expiresAt = Date.parse(runner.calls.find(([m, name]) => m === 'setOutput' && name === 'expires_at')![2])
    expect(expiresAt).toBeGreaterThanOrEqual(started - 1000 + 3600_000)
    expect(expiresAt).toBeLessThanOrEqual(started + 1000 + 3600_000)
  })

  it('publishes nothing and fails once when the endpoint rejects the client', async () => {
    const server = await startTokenServer({ replies: [json(401, { error: 'invalid_client' })] })
    close = server.close
    const runner = recordingRunner({ client_id: 'id', client_secret: 'secret', base_url: server.baseUrl })
    await run(runner, systemClock)

    expect(runner.calls.filter(([m]) => m === 'setOutput' || m === 'exportVariable')).toEqual([])
    const failures = runner.calls.filter(([m]) => m === 'setFailed')
    expect(failures).toHaveLength(1)
    expect(failures[0][1]).toMatch(/answered HTTP 401 with error 'invalid_client'/)
  })
})
