// run() from src/main.ts with refresh: true, in this process, starting a stand-in keeper
// (support/fake-keeper.ts): what the step hands later steps and the post step, and that a failure
// after the keeper started leaves neither a keeper nor anything published. The real keeper, from the
// committed bundle, is run in refresh.bundle.test.ts.

import { afterEach, describe, expect, it } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { channelDir, readChannel, requestKeeper } from '../src/keeper/channel.js'
import { stopKeeper } from '../src/keeper/stop.js'
import { expectSafeLog } from './support/expect-log.js'
import { writeFakeDist } from './support/fake-keeper.js'
import { runInProcess, type InProcessResult } from './support/in-process.js'
import { parseFileCommands } from './support/run-action.js'
import { startTokenServer, token, type Reply } from './support/token-server.js'

const SECRET = 'Refresh-Secret-7f3a9c'
const CLIENT = { client_id: 'refresh-client', client_secret: SECRET, max_attempts: '1' }
const RUNNING = 'The token keeper is running: later steps of this job get a valid token from `datasaur-token`.'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A runner's RUNNER_TEMP, GITHUB_PATH and GITHUB_STATE, a token endpoint answering `replies`, a dist/. */
async function setUp(...replies: Reply[]) {
  const server = await startTokenServer({ clientId: CLIENT.client_id, clientSecret: SECRET, replies })
  cleanups.push(server.close)
  const runnerTemp = temporaryDir('datasaur-refresh-temp-')
  const files = temporaryDir('datasaur-refresh-files-')
  const env = {
    RUNNER_TEMP: runnerTemp,
    GITHUB_PATH: join(files, 'path'),
    GITHUB_STATE: join(files, 'state')
  }
  writeFileSync(env.GITHUB_PATH, '')
  writeFileSync(env.GITHUB_STATE, '')
  const dist = writeFakeDist()
  cleanups.push(() => rmSync(dist, { recursive: true, force: true }))
  // A keeper a test left behind is stopped over its channel.
  cleanups.push(() => stopKeeper(channelDir(runnerTemp)))
  return { server, runnerTemp, files, env, dist }
}

function errorsOf(result: InProcessResult): string[] {
  return result.stdout
    .split('\n')
    .filter(line => line.startsWith('::error::'))
    .map(line => line.slice('::error::'.length))
}

/** Resolves once process `pid` has ended; fails the test if it is still there after `ms`. */
async function ended(pid: number, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    try {
      process.kill(pid, 0)
    } catch {
      return true
    }
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return false
}

/** A reply that first removes `dir`, then issues `accessToken`: a runner file goes while the request is made. */
function removingThenToken(dir: string, accessToken: string): Reply {
  return (res, request, server) => {
    rmSync(dir, { recursive: true, force: true })
    token({ access_token: accessToken })(res, request, server)
  }
}

describe('run() with refresh: true', () => {
  it('publishes the token, puts datasaur-token on PATH, saves the channel for the post step, and leaves the keeper serving', async () => {
    const { server, runnerTemp, env, dist } = await setUp(token({ access_token: 'tok-refresh-1a2b3c' }))
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl, refresh: 'true' }, { env, distDir: dist })

    expect(errorsOf(result)).toEqual([])
    expect(result.code).toBe(0)
    expect(result.outputs.access_token).toBe('tok-refresh-1a2b3c')
    expect(result.env).toEqual({ DATASAUR_ACCESS_TOKEN: 'tok-refresh-1a2b3c' })
    const dir = channelDir(runnerTemp)
    expect(readFileSync(env.GITHUB_PATH, 'utf8')).toBe(`${join(dir, 'bin')}\n`)
    expect(parseFileCommands(readFileSync(env.GITHUB_STATE, 'utf8'), { name: 'state' })).toEqual({
      keeper_channel: dir
    })
    expect(result.stdout.split('\n')).toContain(RUNNING)
    expectSafeLog(result, [SECRET, 'tok-refresh-1a2b3c'])
    // The keeper was handed the bundle beside which run() was told dist/ is, and the published token.
    expect(await requestKeeper(readChannel(dir)!, { op: 'token' }, 5000)).toMatchObject({
      token: 'tok-refresh-1a2b3c'
    })
  })

  it('stops the keeper and publishes nothing when a runner file cannot be written after the request', async () => {
    const { server, runnerTemp, files, env, dist } = await setUp()
    server.script(removingThenToken(files, 'tok-refresh-4d5e6f'))
    const result = await runInProcess({ ...CLIENT, base_url: server.baseUrl, refresh: 'true' }, { env, distDir: dist })

    expect(result.code).toBe(1)
    expect(errorsOf(result)).toEqual([
      "The runner's GITHUB_PATH file cannot be written (ENOENT), so the token could not be handed to later steps; " +
        'nothing was published. Check the runner and its disk.'
    ])
    expect(result.outputFile).toBe('')
    expect(result.envFile).toBe('')
    expect(result.stdout).not.toContain(RUNNING)
    // The keeper had started (it recorded itself) and is gone, with its channel.
    const { pid } = JSON.parse(readFileSync(join(runnerTemp, 'record.json'), 'utf8')) as { pid: number }
    expect(await ended(pid)).toBe(true)
    expect(existsSync(channelDir(runnerTemp))).toBe(false)
  })
})

describe('run() with refresh: false', () => {
  it('fails naming the file, and publishes nothing, when a runner file cannot be written after the request', async () => {
    const { server, files, dist } = await setUp()
    server.script(removingThenToken(files, 'tok-plain-7a8b9c'))
    const result = await runInProcess(
      { ...CLIENT, base_url: server.baseUrl },
      { env: { GITHUB_ENV: join(files, 'env') }, distDir: dist }
    )
    expect(result.code).toBe(1)
    expect(errorsOf(result)).toEqual([
      "The runner's GITHUB_ENV file cannot be written (ENOENT), so the token could not be handed to later steps; " +
        'nothing was published. Check the runner and its disk.'
    ])
    expect(result.outputFile).toBe('')
    expect(result.stdout).not.toContain(RUNNING)
  })
})
