// The keeper's start (src/keeper/start.ts, spawning the committed keeper bundle) and its life
// (src/keeper/serve.ts, run in this process with a stand-in for its process), against a loopback
// token endpoint.

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createHook } from 'node:async_hooks'
import { EventEmitter } from 'node:events'
import type { Server } from 'node:net'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from '@jest/globals'
import { ActionError } from '../src/errors.js'
import { getSettings, type InputName, type Settings } from '../src/inputs.js'
import { channelDir, channelFilePath, readChannel, requestKeeper } from '../src/keeper/channel.js'
import { socketLocation } from '../src/keeper/socket-location.js'
import { encodePayload } from '../src/keeper/payload.js'
import { keeperEnvironment } from '../src/keeper/environment.js'
import { MAX_LIFETIME_MS, runKeeper, type KeeperProcess } from '../src/keeper/serve.js'
import { startKeeper } from '../src/keeper/start.js'
import { FAKE_KEEPER, writeFakeDist } from './support/fake-keeper.js'
import { json, startTokenServer } from './support/token-server.js'
import { refuse, startProxy } from './support/proxy.js'

const SECRET = 'St4rt-Secret-Value-9'
const KEY = 'e'.repeat(64)
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setUp(serverOptions: Parameters<typeof startTokenServer>[0] = {}) {
  const server = await startTokenServer({ clientId: 'start-client', clientSecret: SECRET, ...serverOptions })
  cleanups.push(server.close)
  const runnerTemp = mkdtempSync(join(tmpdir(), 'datasaur-start-'))
  cleanups.push(() => rmSync(runnerTemp, { recursive: true, force: true }))
  const inputs: Record<string, string> = {
    client_id: 'start-client',
    client_secret: SECRET,
    base_url: server.baseUrl,
    refresh: 'true',
    max_attempts: '1'
  }
  const settings = getSettings({ getInput: (name: InputName) => inputs[name] ?? '', setSecret: () => undefined })
  return { server, runnerTemp, settings }
}

/** A timer or a process handle, as async_hooks hands it over. */
type Holder = { hasRef: () => boolean; _destroyed?: boolean }

const token = {
  accessToken: 'published-token',
  tokenType: 'bearer',
  expiresIn: 3600,
  expiresAt: new Date(Date.now() + 3600_000)
}

/** A stand-in keeper bundle in a temporary dist/, removed after the test. */
function fakeDist(body = FAKE_KEEPER): string {
  const dist = writeFakeDist(body)
  cleanups.push(() => rmSync(dist, { recursive: true, force: true }))
  return dist
}

describe('startKeeper', () => {
  it('hands the keeper the payload through its stdin only, then writes the channel and the command', async () => {
    const { runnerTemp, settings } = await setUp()
    const dist = fakeDist()
    const keeper = await startKeeper(settings, token, 1234, {
      env: {
        PATH: process.env.PATH,
        RUNNER_TEMP: runnerTemp,
        RUNNER_TRACKING_ID: 'github_tracking',
        INPUT_CLIENT_SECRET: SECRET,
        ACTIONS_RUNTIME_TOKEN: 'runtime'
      },
      runnerTemp,
      distDir: dist,
      node: process.execPath,
      platform: process.platform
    })
    cleanups.push(() => keeper.stop())
    const dir = channelDir(runnerTemp)

    expect(keeper.commandDir).toBe(join(dir, 'bin'))
    expect(keeper.state).toEqual(['keeper_channel', dir])
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(statSync(channelFilePath(dir)).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'bin')).mode & 0o777).toBe(0o700)
    expect(statSync(join(dir, 'bin', 'datasaur-token')).mode & 0o777).toBe(0o700)
    expect(statSync(join(dir, 'bin', 'datasaur-token.cmd')).mode & 0o777).toBe(0o700)
    const command = join(dist, 'command', 'index.js')
    expect(readFileSync(join(dir, 'bin', 'datasaur-token'), 'utf8')).toBe(
      `#!/bin/sh\nexec '${process.execPath}' '${command}' '--channel' '${channelFilePath(dir)}' "$@"\n`
    )
    expect(readFileSync(join(dir, 'bin', 'datasaur-token.cmd'), 'utf8')).toBe(
      `@"${process.execPath}" "${command}" "--channel" "${channelFilePath(dir)}" %*\r\n@exit /b %ERRORLEVEL%\r\n`
    )
    const channel = readChannel(dir)!
    expect(channel.socket).toBe(join(dir, 'keeper.sock'))
    expect(await requestKeeper(channel, { op: 'token' }, 5000)).toMatchObject({ ok: true, token: 'published-token' })

    await keeper.stop()
    expect(existsSync(dir)).toBe(false)
  })

  it('gives the keeper only the allowed environment, detached, outside the job directories', async () => {
    const { runnerTemp, settings } = await setUp()
    const dist = fakeDist()
    const record = join(mkdtempSync(join(tmpdir(), 'datasaur-record-')), 'record.json')
    cleanups.push(() => rmSync(dirname(record), { recursive: true, force: true }))
    const keeper = await startKeeper(settings, token, 1234, {
      env: {
        PATH: process.env.PATH,
        RUNNER_TEMP: dirname(record),
        RUNNER_TRACKING_ID: 'github_tracking',
        INPUT_CLIENT_SECRET: SECRET,
        ACTIONS_RUNTIME_TOKEN: 'runtime-token'
      },
      runnerTemp,
      distDir: dist,
      node: process.execPath,
      platform: process.platform
    })
    cleanups.push(() => keeper.stop())
    const seen = JSON.parse(readFileSync(record, 'utf8'))

    expect(seen.env).toEqual(expect.objectContaining({ RUNNER_TRACKING_ID: 'github_tracking' }))
    expect(Object.keys(seen.env)).not.toContain('INPUT_CLIENT_SECRET')
    expect(Object.keys(seen.env)).not.toContain('ACTIONS_RUNTIME_TOKEN')
    expect(JSON.stringify([seen.env, seen.argv])).not.toContain(SECRET)
    expect(seen.argv.slice(1)).toEqual([join(dist, 'keeper', 'index.js')])
    expect(seen.cwd).toBe(realpathSync(tmpdir()))
    // Its own session and process group, so that nothing sent to the step's group reaches it; no stderr
    // of the step's, so that the runner does not wait for it.
    expect(seen.session).toBe(seen.pid)
    expect(seen.group).toBe(seen.pid)
    expect(seen.streams).toEqual(['pipe', 'pipe', 'device'])
    expect(seen.payload).toMatchObject({
      obtainedAtMs: 1234,
      key: readChannel(channelDir(runnerTemp))!.key,
      socket: join(channelDir(runnerTemp), 'keeper.sock'),
      dir: channelDir(runnerTemp),
      token: { accessToken: 'published-token', tokenType: 'bearer', expiresIn: 3600 },
      settings: { clientSecret: SECRET, tokenUrl: settings.tokenUrl.href, refresh: true }
    })
  })

  it('stops the keeper an earlier step of the job started', async () => {
    const { runnerTemp, settings } = await setUp()
    const options = {
      env: { PATH: process.env.PATH },
      runnerTemp,
      distDir: fakeDist(),
      node: process.execPath,
      platform: process.platform
    }
    await startKeeper(settings, token, Date.now(), options)
    const firstChannel = readChannel(channelDir(runnerTemp))!
    const second = await startKeeper(settings, { ...token, accessToken: 'second-token' }, Date.now(), options)
    cleanups.push(() => second.stop())

    await expect(requestKeeper(firstChannel, { op: 'token' }, 2000)).rejects.toThrow()
    const channel = readChannel(channelDir(runnerTemp))!
    expect(channel.key).not.toBe(firstChannel.key)
    expect(await requestKeeper(channel, { op: 'token' }, 5000)).toMatchObject({ token: 'second-token' })
  })

  it('fails, leaving nothing, when the keeper does not start', async () => {
    const { runnerTemp, settings } = await setUp()
    const options = {
      env: {},
      runnerTemp,
      distDir: fakeDist('process.exit(3)\n'),
      node: process.execPath,
      platform: process.platform
    }

    const failure = startKeeper(settings, token, Date.now(), options)
    await expect(failure).rejects.toThrow(ActionError)
    await expect(failure).rejects.toThrow(
      'The token keeper that refresh: true starts did not start (it ended with exit code 3), so nothing was published. ' +
        'Re-run the job; if it fails again, set refresh: false and request a token in each step that needs one.'
    )
    expect(existsSync(channelDir(runnerTemp))).toBe(false)
  })

  it('makes RUNNER_TEMP too when it is missing, and leaves nothing that keeps the step running', async () => {
    const { runnerTemp: temp, settings } = await setUp()
    const runnerTemp = join(temp, 'not', 'made')
    const dist = fakeDist()
    // What startKeeper creates that could hold the step's event loop: its timers and its child process.
    // Only these are counted, so that the timers of the tests before, ending meanwhile, do not count.
    const created = new Map<number, Holder>()
    const hook = createHook({
      init: (id, type, _trigger, resource) => {
        if (type === 'Timeout' || type === 'PROCESSWRAP') created.set(id, resource as Holder)
      },
      destroy: id => void created.delete(id)
    }).enable()
    let keeper: Awaited<ReturnType<typeof startKeeper>>
    try {
      keeper = await startKeeper(settings, token, 1234, {
        env: { PATH: process.env.PATH },
        runnerTemp,
        distDir: dist,
        node: process.execPath,
        platform: process.platform
      })
    } finally {
      hook.disable()
    }
    cleanups.push(() => keeper.stop())

    expect(statSync(channelDir(runnerTemp)).mode & 0o777).toBe(0o700)
    // The keeper outlives the step: neither it nor the wait for its ready holds the step's event loop.
    const holders = [...created.values()]
    expect(holders.map(holder => holder.constructor.name)).toContain('Process')
    const holding = holders.filter(holder => !holder._destroyed && holder.hasRef())
    expect(holding.map(holder => holder.constructor.name)).toEqual([])
    expect(await requestKeeper(readChannel(channelDir(runnerTemp))!, { op: 'token' }, 5000)).toMatchObject({
      token: 'published-token'
    })
  })

  it('takes ready only as the first line the keeper says', async () => {
    const { runnerTemp, settings } = await setUp()
    const chatty = fakeDist(
      FAKE_KEEPER.replace("process.stdout.write('ready\\n')", "process.stdout.write('ready\\nand more\\n')")
    )
    expect(readFileSync(join(chatty, 'keeper', 'index.js'), 'utf8')).toContain('and more')
    const options = { env: {}, runnerTemp, distDir: chatty, node: process.execPath, platform: process.platform }
    const keeper = await startKeeper(settings, token, Date.now(), { ...options, readyTimeoutMs: 3000 })
    cleanups.push(() => keeper.stop())
    expect(readChannel(channelDir(runnerTemp))).toBeDefined()

    const late = fakeDist('process.stdout.write("not ready\\n"); setTimeout(() => {}, 60000)\n')
    await expect(
      startKeeper(settings, token, Date.now(), { ...options, distDir: late, readyTimeoutMs: 300 })
    ).rejects.toThrow('did not start (no answer within 0.3 s)')
  })

  it('fails naming the exit code when the keeper ends before it reads a payload too large for the pipe', async () => {
    const { runnerTemp, settings } = await setUp()
    const options = {
      env: {},
      runnerTemp,
      distDir: fakeDist('process.exit(3)\n'),
      node: process.execPath,
      platform: process.platform
    }
    // The write the pipe cannot take at once fails when the keeper has gone (EPIPE): that is no crash.
    const large = { ...token, accessToken: 'a'.repeat(4 * 1024 * 1024) }
    await expect(startKeeper(settings, large, Date.now(), options)).rejects.toThrow(
      'did not start (it ended with exit code 3)'
    )
    expect(existsSync(channelDir(runnerTemp))).toBe(false)
  })

  it('says an unexpected error without its message, which may hold anything', async () => {
    const { runnerTemp, settings } = await setUp()
    const env: NodeJS.ProcessEnv = {}
    Object.defineProperty(env, 'PATH', {
      enumerable: true,
      get: () => {
        throw new Error(`cannot read ${SECRET}`)
      }
    })
    const options = { env, runnerTemp, distDir: fakeDist(), node: process.execPath, platform: process.platform }
    const failure = startKeeper(settings, token, Date.now(), options)
    await expect(failure).rejects.toThrow(
      'The token keeper that refresh: true starts did not start (an unexpected error), so'
    )
    await expect(failure).rejects.not.toThrow(SECRET)
  })

  it('names the code alone of an error that concerns no path', async () => {
    const { runnerTemp, settings } = await setUp()
    const options = { env: {}, runnerTemp, distDir: fakeDist(), node: `node\0${SECRET}`, platform: process.platform }
    const failure = startKeeper(settings, token, Date.now(), options)
    await expect(failure).rejects.toThrow('did not start (ERR_INVALID_ARG_VALUE), so nothing was published.')
    await expect(failure).rejects.not.toThrow(SECRET)
  })

  it('fails naming the cause when its directory cannot be made', async () => {
    const { runnerTemp, settings } = await setUp()
    const file = join(runnerTemp, 'not-a-directory')
    writeFileSync(file, '')
    const options = {
      env: {},
      runnerTemp: file,
      distDir: fakeDist(),
      node: process.execPath,
      platform: process.platform
    }

    await expect(startKeeper(settings, token, Date.now(), options)).rejects.toThrow(
      `The token keeper that refresh: true starts did not start (ENOTDIR at ${join(file, 'datasaur-token')}), so nothing was published.`
    )
  })

  it('fails when the keeper does not say it is ready in time, and when Node cannot be run', async () => {
    const { runnerTemp, settings } = await setUp()
    const silent = fakeDist('process.stdout.write("ready?\\n"); setTimeout(() => {}, 60000)\n')
    const options = { env: {}, runnerTemp, distDir: silent, node: process.execPath, platform: process.platform }

    await expect(startKeeper(settings, token, Date.now(), { ...options, readyTimeoutMs: 300 })).rejects.toThrow(
      'did not start (no answer within 0.3 s)'
    )
    await expect(
      startKeeper(settings, token, Date.now(), { ...options, node: join(silent, 'no-node') })
    ).rejects.toThrow('did not start (ENOENT)')
  })
})

/** A stand-in for the keeper's process: the listeners it installs and its exits are recorded. */
function keeperProcess(env: NodeJS.ProcessEnv = {}, platform: NodeJS.Platform = process.platform) {
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  let said = ''
  stdout.on('data', chunk => (said += chunk))
  const exits: number[] = []
  const listeners = new Map<string, () => void>()
  const proc: KeeperProcess = {
    stdin,
    stdout,
    env,
    platform,
    exit: code => void exits.push(code ?? 0),
    on: (event, listener) => listeners.set(event, listener)
  }
  return { proc, stdin, stdout, exits, listeners, said: () => said }
}

/** runKeeper in this process: its stdin gets the payload, its exit is recorded. */
async function keeperInProcess(
  options: { directoryCheckMs?: number; maxLifetimeMs?: number } = {},
  extra: Partial<Settings> = {},
  env: NodeJS.ProcessEnv = {},
  {
    tokenValidMs = 1000,
    platform = process.platform,
    before = () => undefined,
    padTo = 0,
    byteByByte = false
  }: {
    tokenValidMs?: number
    platform?: NodeJS.Platform
    /** Runs with the socket's path before the keeper starts. */
    before?: (socket: string) => void
    /** The length the payload is padded to with spaces, which JSON ignores. */
    padTo?: number
    /** Writes the payload a byte at a time, splitting its characters across chunks. */
    byteByByte?: boolean
  } = {}
) {
  const setup = await setUp({ expiresIn: 3600 })
  const { server, runnerTemp } = setup
  const settings = { ...setup.settings, ...extra }
  const dir = channelDir(runnerTemp)
  mkdirSync(dir)
  const location = socketLocation(dir, process.platform, 'in-process')
  const keeperProc = keeperProcess(env, platform)
  const payload = encodePayload(
    settings,
    { ...token, expiresAt: new Date(Date.now() + tokenValidMs) },
    {
      obtainedAtMs: Date.now(),
      key: KEY,
      socket: location.socket,
      dir
    }
  )
  before(location.socket)
  const bytes = Buffer.from(payload.padEnd(padTo, ' '))
  if (byteByByte) for (const byte of bytes) keeperProc.stdin.write(Buffer.of(byte))
  keeperProc.stdin.end(byteByByte ? undefined : bytes)
  await runKeeper(keeperProc.proc, options)
  const channel = { key: KEY, socket: location.socket }
  cleanups.push(() => requestKeeper(channel, { op: 'stop' }, 500).catch(() => undefined))
  return { ...keeperProc, server, dir, channel }
}

/** Resolves once `condition` holds, checking on each turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise(resolve => setImmediate(resolve))
}

describe('runKeeper', () => {
  it('says ready, mints with the exchange, redacts the secret from failures, and ends when told', async () => {
    const { server, channel, exits, said } = await keeperInProcess()
    expect(said()).toBe('ready\n')

    server.script(json(400, { error: 'invalid_request', error_description: `bad ${SECRET}` }))
    const failed = await requestKeeper(channel, { op: 'token' }, 5000)
    expect(failed).toEqual({ ok: false, error: expect.stringContaining("error 'invalid_request' (bad ***)") })
    expect(server.requests[0].form.client_secret).toBe(SECRET)

    const fresh = await requestKeeper(channel, { op: 'token' }, 5000)
    expect(fresh).toMatchObject({ ok: true, token: server.issuedTokens[0], announced: false })

    expect(await requestKeeper(channel, { op: 'stop' }, 5000)).toEqual({ ok: true, op: 'stop', minted: 1 })
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(exits).toEqual([0])
    expect(existsSync(channel.socket)).toBe(false)
  })

  it("redacts the client certificate's key material from what it says, as the step masked it", async () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nshort\n-----END PRIVATE KEY-----\n'
    const { server, channel } = await keeperInProcess(
      {},
      { clientCertificate: { key, passphrase: 'Pass-Phrase-77', pfx: 'UEtDUzEyLWJ5dGVz' } }
    )
    server.script(
      json(400, {
        error: 'invalid_request',
        error_description: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC Pass-Phrase-77 UEtDUzEyLWJ5dGVz short -----BEGIN'
      })
    )
    const failed = await requestKeeper(channel, { op: 'token' }, 5000)
    expect(failed).toEqual({ ok: false, error: expect.stringContaining('(*** *** *** short -----BEGIN)') })
  })

  it('mints through the proxy its environment names, read as the step reads it', async () => {
    const proxy = await startProxy({ fallback: refuse(407) })
    cleanups.push(proxy.close)
    const { channel } = await keeperInProcess(
      {},
      { tokenUrl: new URL('https://datasaur.test/api/oauth/token') },
      { https_proxy: `ci-user:50%off@127.0.0.1:${proxy.port}` }
    )
    const failed = await requestKeeper(channel, { op: 'token' }, 5000)
    expect(proxy.connects).toEqual([
      { target: 'datasaur.test:443', authorization: `Basic ${Buffer.from('ci-user:50%off').toString('base64')}` }
    ])
    expect(failed).toEqual({
      ok: false,
      error: `The proxy 127.0.0.1:${proxy.port} asked for authentication (407): check the user and password in https_proxy.`
    })
  })

  it('fails each mint before any request when the proxy variable cannot be used, as the step does', async () => {
    const proxy = await startProxy({ fallback: refuse(407) })
    cleanups.push(proxy.close)
    const { channel, said } = await keeperInProcess(
      {},
      { tokenUrl: new URL('https://datasaur.test/api/oauth/token') },
      { HTTPS_PROXY: `socks5://ci-user:S0cks-Pass@127.0.0.1:${proxy.port}` }
    )
    expect(said()).toBe('ready\n')
    const failed = await requestKeeper(channel, { op: 'token' }, 5000)
    expect(failed).toEqual({
      ok: false,
      error:
        'HTTPS_PROXY names a SOCKS proxy (socks5://), which this action does not support: in the env of this step, ' +
        "set https_proxy to an HTTP or HTTPS proxy, or set HTTPS_PROXY to '' if the endpoint is reachable directly. " +
        'Nothing was requested.'
    })
    expect(proxy.connects).toEqual([])
  })

  it('redacts the proxy credentials from what it says, as the step masked them', async () => {
    const { server, channel } = await keeperInProcess(
      {},
      {},
      { all_proxy: 'http://ci-user:Pr%40xy-Pass@proxy.corp:3128' }
    )
    server.script(json(400, { error: 'invalid_request', error_description: 'Pr@xy-Pass Pr%40xy-Pass ci-user' }))
    const failed = await requestKeeper(channel, { op: 'token' }, 5000)
    // The endpoint is on loopback, which never goes through a proxy.
    expect(server.requests).toHaveLength(1)
    expect(failed).toEqual({ ok: false, error: expect.stringContaining('(*** *** ci-user)') })
  })

  it('ends once its directory is gone', async () => {
    const { dir, exits } = await keeperInProcess({ directoryCheckMs: 20 })
    await new Promise(resolve => setTimeout(resolve, 60))
    expect(exits).toEqual([])
    rmSync(dir, { recursive: true, force: true })
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(exits).toEqual([0])
  })

  it('ends after its longest lifetime', async () => {
    const { exits } = await keeperInProcess({ maxLifetimeMs: 50 })
    expect(exits).toEqual([])
    await new Promise(resolve => setTimeout(resolve, 150))
    expect(exits).toEqual([0])
  })
})

describe('runKeeper: its process and its channel', () => {
  it('ends with exit code 70 on an uncaught exception or an unhandled rejection, and ignores a broken stdout', async () => {
    const { listeners, exits, stdout } = await keeperInProcess({}, {}, {}, { tokenValidMs: 3600_000 })
    listeners.get('uncaughtException')!()
    expect(exits).toEqual([70])
    listeners.get('unhandledRejection')!()
    expect(exits).toEqual([70, 70])
    expect(() => stdout.emit('error', new Error('write EPIPE'))).not.toThrow()
  })

  it('serves the token the step published, as announced, while it is valid long enough', async () => {
    const { server, channel } = await keeperInProcess({}, {}, {}, { tokenValidMs: 3600_000 })
    expect(await requestKeeper(channel, { op: 'token' }, 5000)).toMatchObject({
      ok: true,
      token: 'published-token',
      announced: true
    })
    expect(server.requests).toHaveLength(0)
  })

  it('redacts the published token, and what the exchange masks, from what it says', async () => {
    const { server, channel } = await keeperInProcess({}, { authMethod: 'client_secret_basic' })
    const credentials = Buffer.from(`start-client:${SECRET}`).toString('base64')
    server.script(json(400, { error: 'invalid_request', error_description: `published-token ${credentials}` }))
    const failed = await requestKeeper(channel, { op: 'token' }, 5000)
    expect(server.requests[0].headers.authorization).toBe(`Basic ${credentials}`)
    expect(failed).toEqual({ ok: false, error: expect.stringContaining("error 'invalid_request' (*** ***)") })
  })

  it('stops listening when it ends, also where it leaves the socket to the system (Windows)', async () => {
    const { channel, exits } = await keeperInProcess({}, {}, {}, { tokenValidMs: 3600_000, platform: 'win32' })
    expect(await requestKeeper(channel, { op: 'stop' }, 5000)).toEqual({ ok: true, op: 'stop', minted: 0 })
    await until(() => exits.length > 0)
    expect(exits).toEqual([0])
    await expect(requestKeeper(channel, { op: 'token' }, 2000)).rejects.toThrow()
  })

  it('replaces a file left at its socket path, except on Windows, where that path is a named pipe', async () => {
    const stale = (socket: string) => writeFileSync(socket, 'left by an earlier keeper')
    const { channel, said } = await keeperInProcess({}, {}, {}, { tokenValidMs: 3600_000, before: stale })
    expect(said()).toBe('ready\n')
    expect(await requestKeeper(channel, { op: 'token' }, 5000)).toMatchObject({ ok: true, token: 'published-token' })

    await expect(keeperInProcess({}, {}, {}, { platform: 'win32', before: stale })).rejects.toThrow('EADDRINUSE')
  })

  it('fails when it cannot listen', async () => {
    const { proc, stdin, said } = keeperProcess()
    const missing = join(mkdtempSync(join(tmpdir(), 'datasaur-listen-')), 'missing')
    cleanups.push(() => rmSync(dirname(missing), { recursive: true, force: true }))
    const { settings } = await setUp()
    stdin.end(
      encodePayload(settings, token, {
        obtainedAtMs: Date.now(),
        key: KEY,
        socket: join(missing, 'keeper.sock'),
        dir: missing
      })
    )
    await expect(runKeeper(proc)).rejects.toThrow(/^listen E[A-Z]+/)
    expect(said()).toBe('')
  })

  it('keeps serving when its listening server reports an error', async () => {
    const { channel, exits } = await keeperInProcess({}, {}, {}, { tokenValidMs: 3600_000 })
    // The keeper's server is no export; the process lists it among its handles.
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles()
    const server = handles.find(
      (handle): handle is Server =>
        handle instanceof EventEmitter &&
        typeof (handle as Partial<Server>).listen === 'function' &&
        (handle as Server).address() === channel.socket
    )!
    expect(server).toBeDefined()
    expect(() => server.emit('error', new Error('accept EMFILE'))).not.toThrow()
    expect(() => server.emit('error', new Error('accept EMFILE'))).not.toThrow()
    expect(await requestKeeper(channel, { op: 'token' }, 5000)).toMatchObject({ ok: true, token: 'published-token' })
    expect(exits).toEqual([])
  })

  it('fails when its stdin fails', async () => {
    const { proc, stdin } = keeperProcess()
    const failing = runKeeper(proc)
    stdin.destroy(new Error('read ECONNRESET'))
    await expect(failing).rejects.toThrow('read ECONNRESET')
  })

  it('reads the payload as UTF-8, whatever chunks it comes in', async () => {
    const clientSecret = 'Sécret-Välue-ünicode-9'
    const { server, channel } = await keeperInProcess({}, { clientSecret }, {}, { byteByByte: true })
    await requestKeeper(channel, { op: 'token' }, 5000)
    expect(server.requests[0].form.client_secret).toBe(clientSecret)
  })

  it('reads a payload of 1 MiB, and refuses a larger one', async () => {
    const { said } = await keeperInProcess({}, {}, {}, { tokenValidMs: 3600_000, padTo: 1024 * 1024 })
    expect(said()).toBe('ready\n')

    const { proc, stdin } = keeperProcess()
    const failing = runKeeper(proc)
    stdin.end(' '.repeat(1024 * 1024 + 1))
    await expect(failing).rejects.toThrow(new Error('payload too large'))
  })

  it('lives five days at most, the longest a GitHub job runs', () => {
    expect(MAX_LIFETIME_MS).toBe(432_000_000)
  })
})

describe('keeperEnvironment', () => {
  it('passes on the allowed variables in whatever case they are set, and nothing else', () => {
    const allowed = {
      PATH: '/usr/bin',
      HOME: '/home/runner',
      USERPROFILE: 'C:\\Users\\runner',
      SYSTEMROOT: 'C:\\Windows',
      SYSTEMDRIVE: 'C:',
      WINDIR: 'C:\\Win',
      TEMP: '/temp',
      TMP: '/tmp-dir',
      TMPDIR: '/tmpdir',
      RUNNER_TEMP: '/runner/temp',
      RUNNER_TRACKING_ID: 'github_tracking',
      HTTPS_PROXY: 'http://secure.proxy:3128',
      HTTP_PROXY: 'http://plain.proxy:3128',
      ALL_PROXY: 'http://all.proxy:3128',
      NO_PROXY: 'localhost',
      NODE_EXTRA_CA_CERTS: '/ca.pem',
      NODE_USE_SYSTEM_CA: '1',
      SSL_CERT_FILE: '/cert.pem',
      SSL_CERT_DIR: '/certs',
      https_proxy: 'http://lower.proxy:3128',
      Path: 'C:\\bin'
    }
    const passed = keeperEnvironment({
      ...allowed,
      INPUT_CLIENT_SECRET: SECRET,
      ACTIONS_RUNTIME_TOKEN: 'runtime-token',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'id-token',
      NODE_OPTIONS: '--require ./hook.js',
      TMP_UNSET: undefined,
      no_proxy: undefined
    })
    expect(passed).toStrictEqual(allowed)
  })
})
