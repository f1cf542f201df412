// The keeper's channel in this process: the server, the client, the command, the stop and the post
// step, over a real Unix socket in a private directory, with the keeper's tokens minted by the test.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, type Stats } from 'node:fs'
import { connect, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import {
  channelDir,
  channelFilePath,
  commandDir,
  KeeperUnreachable,
  readChannel,
  requestKeeper,
  type ChannelFile
} from '../src/keeper/channel.js'
import { MAX_SOCKET_PATH_BYTES, socketLocation } from '../src/keeper/socket-location.js'
import { runPostStep } from '../src/keeper/post-step.js'
import { createKeeperServer } from '../src/keeper/server.js'
import { REQUEST_TIMEOUT_MS } from '../src/keeper/protocol.js'
import { stopKeeper } from '../src/keeper/stop.js'
import {
  ANSWER_TIMEOUT_MS,
  MASK_SETTLE_MS,
  NO_KEEPER,
  runTokenCommand,
  USAGE,
  type CommandProcess
} from '../src/keeper/token-command.js'
import { TokenKeeper, type HeldToken } from '../src/keeper/tokens.js'
import { OutputGuard } from '../src/runner/output-guard.js'

const KEY = 'c'.repeat(64)
const cleanups: (() => void | Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function held(value: string, validForS: number, announced = false): HeldToken {
  return { value, expiresAtMs: Date.now() + validForS * 1000, lifetimeMs: 3600_000, announced }
}

/** A keeper listening in a fresh channel directory; `mint` answers its mints. */
async function listeningKeeper(first: HeldToken, mint: () => Promise<HeldToken> = async () => held('minted', 3600)) {
  const temp = mkdtempSync(join(tmpdir(), 'datasaur-channel-'))
  cleanups.push(() => rmSync(temp, { recursive: true, force: true }))
  const dir = channelDir(temp)
  mkdirSync(dir, { mode: 0o700 })
  const channel: ChannelFile = { key: KEY, ...socketLocation(dir, process.platform, 'test') }
  writeFileSync(channelFilePath(dir), JSON.stringify(channel))
  const keeper = new TokenKeeper(first, mint, () => Date.now())
  let stopped = 0
  const server = createKeeperServer({
    keeper,
    key: KEY,
    clean: message => message.replace('SECRET', '***'),
    onStop: () => {
      stopped++
      server.close()
    }
  })
  await new Promise<void>(resolve => server.listen(channel.socket, resolve))
  cleanups.push(() => new Promise<void>(resolve => server.close(() => resolve())))
  return { dir, channel, keeper, server, stops: () => stopped }
}

/** A recording stand-in for the command's process and its output guard. */
function commandProcess(
  args: string[],
  streams: { stderr?: Partial<Stats>; stdout?: Partial<Stats>; tty?: boolean } = {}
) {
  const written: string[] = []
  const sleeps: number[] = []
  const order: string[] = []
  const stdout = {
    write(text: string, callback?: () => void) {
      written.push(text)
      order.push('stdout')
      callback?.()
      return true
    }
  }
  const stderrLines: string[] = []
  const guard = new OutputGuard({
    stdout: {
      write(_: string | Uint8Array, ...rest: unknown[]) {
        ;(rest.find(arg => typeof arg === 'function') as (() => void) | undefined)?.()
        return true
      }
    },
    stderr: {
      write(chunk: string | Uint8Array, ...rest: unknown[]) {
        stderrLines.push(String(chunk))
        order.push('stderr')
        ;(rest.find(arg => typeof arg === 'function') as (() => void) | undefined)?.()
        return true
      }
    }
  })
  const pipe = (ino: number): Partial<Stats> => ({
    isFile: () => false,
    isCharacterDevice: () => false,
    isFIFO: () => true,
    isSocket: () => false,
    dev: 1,
    ino
  })
  const stats: Record<number, Partial<Stats>> = { 1: streams.stdout ?? pipe(10), 2: streams.stderr ?? pipe(20) }
  const proc: CommandProcess = {
    argv: ['node', 'command', ...args],
    platform: 'linux',
    stdout,
    stderr: { isTTY: streams.tty }
  }
  const run = () =>
    runTokenCommand(proc, {
      output: guard,
      fstat: fd => stats[fd] as Stats,
      sleep: async ms => {
        sleeps.push(ms)
        order.push(`sleep ${ms}`)
      }
    })
  return { proc, run, written, stderrLines, sleeps, order, pipe }
}

describe('socketLocation', () => {
  it('puts the socket in the channel directory when its path fits every platform', () => {
    expect(socketLocation('/home/runner/work/_temp/datasaur-token', 'linux', 'x')).toEqual({
      socket: '/home/runner/work/_temp/datasaur-token/keeper.sock'
    })
  })

  it('uses a named pipe on Windows', () => {
    expect(socketLocation('D:\\a\\_temp\\datasaur-token', 'win32', 'abc')).toEqual({
      socket: '\\\\.\\pipe\\datasaur-token-abc'
    })
  })

  it('makes a private directory elsewhere when the channel directory is too deep', () => {
    const deep = `/${'d'.repeat(MAX_SOCKET_PATH_BYTES - '/keeper.sock'.length - 1)}`
    expect(socketLocation(deep, 'darwin', 'x')).toEqual({ socket: `${deep}/keeper.sock` })
    const deeper = `${deep}d`
    const temp = mkdtempSync(join(tmpdir(), 'datasaur-short-'))
    cleanups.push(() => rmSync(temp, { recursive: true, force: true }))
    const location = socketLocation(deeper, 'darwin', 'x', temp)
    expect(location.socketDir).toMatch(new RegExp(`^${temp}/dtk-`))
    expect(location.socket).toBe(`${location.socketDir}/keeper.sock`)
    expect(existsSync(location.socketDir ?? '')).toBe(true)
  })

  it('falls back to /tmp when the temporary directory is long too', () => {
    const location = socketLocation(`/${'d'.repeat(200)}`, 'linux', 'x', `/${'t'.repeat(61)}`)
    cleanups.push(() => rmSync(location.socketDir ?? '', { recursive: true, force: true }))
    expect(location.socketDir).toMatch(/^\/tmp\/dtk-/)
  })

  it('names the channel directory and the command directory under RUNNER_TEMP', () => {
    expect(channelDir('/t')).toBe('/t/datasaur-token')
    expect(channelFilePath('/t/datasaur-token')).toBe('/t/datasaur-token/channel.json')
    expect(commandDir('/t/datasaur-token')).toBe('/t/datasaur-token/bin')
  })
})

describe('readChannel', () => {
  it.each([
    ['no file', undefined],
    ['no JSON', 'x'],
    ['null', 'null'],
    ['no socket', JSON.stringify({ key: KEY })],
    ['no key', JSON.stringify({ socket: '/s' })],
    ['a key of the wrong form', JSON.stringify({ socket: '/s', key: 'short' })]
  ])('finds no channel in %s', (_, content) => {
    const dir = mkdtempSync(join(tmpdir(), 'datasaur-read-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    if (content !== undefined) writeFileSync(channelFilePath(dir), content)
    expect(readChannel(dir)).toBeUndefined()
  })
})

describe('the keeper server and its client', () => {
  it('answers a token request with the key, and says how many it minted when stopped', async () => {
    const { channel, stops } = await listeningKeeper(held('first', 3600, true))
    expect(await requestKeeper(channel, { op: 'token' }, 2000)).toEqual({
      ok: true,
      op: 'token',
      token: 'first',
      expiresAt: expect.any(Number),
      masks: ['first'],
      announced: true
    })
    expect(await requestKeeper(channel, { op: 'stop' }, 2000)).toEqual({ ok: true, op: 'stop', minted: 0 })
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(stops()).toBe(1)
  })

  it('answers a failure with its message made safe', async () => {
    const { channel } = await listeningKeeper(held('first', 10), async () => {
      throw new Error('endpoint down for SECRET')
    })
    expect(await requestKeeper(channel, { op: 'token' }, 2000)).toEqual({ ok: false, error: 'endpoint down for ***' })
  })

  it('says a thrown value that is no Error as text', async () => {
    const { channel } = await listeningKeeper(held('first', 10), () => Promise.reject('plain'))
    expect(await requestKeeper(channel, { op: 'token' }, 2000)).toEqual({ ok: false, error: 'plain' })
  })

  it('drops, unanswered, a request without the key, one that is too long, and one that never ends', async () => {
    const { channel } = await listeningKeeper(held('first', 3600))
    const wrong = { ...channel, key: 'd'.repeat(64) }
    await expect(requestKeeper(wrong, { op: 'token' }, 2000)).rejects.toThrow('the connection closed without an answer')
    const { connect } = await import('node:net')
    const send = (text: string) =>
      new Promise<string>(resolve => {
        let received = ''
        const socket = connect(channel.socket, () => socket.write(text))
        socket.on('data', chunk => (received += chunk))
        socket.on('close', () => resolve(received))
        socket.on('error', () => undefined)
      })
    expect(await send(`{"op":"token","key":"${KEY}","pad":"${'x'.repeat(5000)}"`)).toBe('')
    expect(await send('{"op":"tok')).toBe('')
  }, 10_000)

  it('the client says when nothing listens, and when the answer is not the keeper’s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'datasaur-none-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const missing = { socket: join(dir, 'none.sock'), key: KEY }
    await expect(requestKeeper(missing, { op: 'token' }, 2000)).rejects.toEqual(new KeeperUnreachable('ENOENT'))

    const impostor: Server = createServer(socket => socket.resume().end('HTTP/1.1 400 Bad Request\n'))
    const socket = join(dir, 'impostor.sock')
    await new Promise<void>(resolve => impostor.listen(socket, resolve))
    cleanups.push(() => new Promise<void>(resolve => impostor.close(() => resolve())))
    await expect(requestKeeper({ socket, key: KEY }, { op: 'token' }, 2000)).rejects.toThrow(
      'an answer that is not the keeper’s'
    )

    const silent: Server = createServer(socket => socket.resume())
    const silentSocket = join(dir, 'silent.sock')
    await new Promise<void>(resolve => silent.listen(silentSocket, resolve))
    cleanups.push(() => new Promise<void>(resolve => silent.close(() => resolve())))
    cleanups.push(() => new Promise<void>(resolve => silent.getConnections(() => resolve())))
    await expect(requestKeeper({ socket: silentSocket, key: KEY }, { op: 'token' }, 100)).rejects.toThrow(
      'no answer within 0 s'
    )
  })
})

describe('datasaur-token', () => {
  it('announces the masks on stderr, then prints the token on stdout', async () => {
    const { channel, dir } = await listeningKeeper(held('first-token', 3600, true))
    const command = commandProcess(['--channel', channelFilePath(dir)])
    await command.run()

    expect(command.stderrLines).toEqual(['::add-mask::first-token\n'])
    expect(command.written).toEqual(['first-token\n'])
    expect(command.order).toEqual(['stderr', 'stdout'])
    expect(command.sleeps).toEqual([])
    expect(command.proc.exitCode).toBeUndefined()
    void channel
  })

  it('waits after the mask of a token nobody announced before', async () => {
    const { dir } = await listeningKeeper(held('old', 1), async () => held('new%token', 3600))
    const command = commandProcess([`--channel=${channelFilePath(dir)}`, '--min-validity', '60'])
    await command.run()

    expect(command.stderrLines).toEqual(['::add-mask::new%25token\n', ''])
    expect(command.order).toEqual(['stderr', 'stderr', `sleep ${MASK_SETTLE_MS}`, 'stdout'])
    expect(command.written).toEqual(['new%token\n'])
  })

  it('passes the validity asked for, in either form', async () => {
    const { dir } = await listeningKeeper(held('first', 100, true), async () => held('second', 3600))
    const short = commandProcess(['--channel', channelFilePath(dir), '--min-validity=50'])
    await short.run()
    expect(short.written).toEqual(['first\n'])
    const long = commandProcess(['--channel', channelFilePath(dir), '--min-validity', '150'])
    await long.run()
    expect(long.written).toEqual(['second\n'])
  })

  it('prints its usage with --help, even without a channel', async () => {
    const command = commandProcess(['--help'])
    await command.run()
    expect(command.written).toEqual([`${USAGE}\n`])
    expect(command.proc.exitCode).toBeUndefined()
    const short = commandProcess(['-h'])
    await short.run()
    expect(short.written).toEqual([`${USAGE}\n`])
  })

  it.each([
    [['--min-validity'], '--min-validity needs a value.'],
    [['--min-validity', '5m'], "--min-validity must be a whole number of seconds; got '5m'."],
    [['--min-validity', '-1'], "--min-validity must be a whole number of seconds; got '-1'."],
    [['--min-validity', '1234567890'], "--min-validity must be a whole number of seconds; got '1234567890'."],
    [['--verbose'], "unknown argument '--verbose'."],
    [['-h=1'], "unknown argument '-h=1'."],
    [[`--${'x'.repeat(60)}`], `unknown argument '--${'x'.repeat(38)}'.`],
    [['--min-validity', 'y'.repeat(30)], `--min-validity must be a whole number of seconds; got '${'y'.repeat(20)}'.`],
    [[], 'this command is started by the datasaur-token script.']
  ])('refuses the arguments %j with exit code 2', async (args, message) => {
    const command = commandProcess(args)
    await command.run()
    expect(command.proc.exitCode).toBe(2)
    expect(command.stderrLines[0]).toMatch(
      new RegExp(`^datasaur-token: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)
    )
    expect(command.written).toEqual([])
  })

  it.each([
    ['a file', { isFile: () => true }, 'a file'],
    ['/dev/null', { isFile: () => false, isCharacterDevice: () => true }, 'a device such as /dev/null'],
    [
      'neither pipe nor socket',
      { isFile: () => false, isCharacterDevice: () => false, isFIFO: () => false, isSocket: () => false },
      'not a pipe'
    ]
  ])('refuses when stderr is %s', async (_, stats, problem) => {
    const { dir } = await listeningKeeper(held('first', 3600, true))
    const command = commandProcess(['--channel', channelFilePath(dir)], { stderr: stats as Partial<Stats> })
    await command.run()
    expect(command.proc.exitCode).toBe(2)
    expect(command.stderrLines).toEqual([
      `datasaur-token: stderr is ${problem}, so the mask of the token would not reach the runner before the ` +
        'token: let stderr go to the step log (no 2>/dev/null, 2>&1 or 2>file on this command).\n'
    ])
    expect(command.written).toEqual([])
  })

  it('refuses when stderr is the pipe stdout is, and takes a socket, a terminal, or another pipe', async () => {
    const { dir } = await listeningKeeper(held('first', 3600, true))
    const same = commandProcess(['--channel', channelFilePath(dir)])
    const merged = commandProcess(['--channel', channelFilePath(dir)], { stdout: same.pipe(20) })
    await merged.run()
    expect(merged.stderrLines[0]).toMatch(/^datasaur-token: stderr is the same pipe as stdout/)
    const otherDevice = commandProcess(['--channel', channelFilePath(dir)], { stdout: { ...same.pipe(20), dev: 2 } })
    await otherDevice.run()
    expect(otherDevice.written).toEqual(['first\n'])
    const socket = commandProcess(['--channel', channelFilePath(dir)], {
      stderr: { ...same.pipe(20), isFIFO: () => false, isSocket: () => true }
    })
    await socket.run()
    expect(socket.written).toEqual(['first\n'])
    const tty = commandProcess(['--channel', channelFilePath(dir)], { tty: true, stderr: { isFile: () => true } })
    await tty.run()
    expect(tty.written).toEqual(['first\n'])
  })

  it('refuses a closed stderr, and takes a closed stdout', async () => {
    const { dir } = await listeningKeeper(held('first', 3600, true))
    const closed = commandProcess(['--channel', channelFilePath(dir)])
    const run = (fstat: (fd: number) => Stats) =>
      runTokenCommand(closed.proc, {
        output: new OutputGuard({ stdout: { write: () => true }, stderr: { write: () => true } }),
        fstat,
        sleep: async () => undefined
      })
    await run(fd => {
      if (fd === 2) throw new Error('EBADF')
      return closed.pipe(10) as Stats
    })
    expect(closed.proc.exitCode).toBe(2)
    closed.proc.exitCode = undefined
    await run(fd => {
      if (fd === 1) throw new Error('EBADF')
      return closed.pipe(20) as Stats
    })
    expect(closed.proc.exitCode).toBeUndefined()
    expect(closed.written).toEqual(['first\n'])
  })

  it('on Windows refuses only files and devices: a pipe cannot be told from another', async () => {
    const { dir } = await listeningKeeper(held('first', 3600, true))
    const command = commandProcess(['--channel', channelFilePath(dir)], {
      stderr: {
        isFile: () => false,
        isCharacterDevice: () => false,
        isFIFO: () => false,
        isSocket: () => false,
        dev: 0,
        ino: 0
      },
      stdout: { dev: 0, ino: 0 }
    })
    command.proc.platform = 'win32'
    await command.run()
    expect(command.written).toEqual(['first\n'])
  })

  it('says that no keeper runs when the channel file or the keeper is gone', async () => {
    const temp = mkdtempSync(join(tmpdir(), 'datasaur-gone-'))
    cleanups.push(() => rmSync(temp, { recursive: true, force: true }))
    const none = commandProcess(['--channel', join(temp, 'datasaur-token', 'channel.json')])
    await none.run()
    expect(none.stderrLines).toEqual([`datasaur-token: ${NO_KEEPER}\n`])
    expect(none.proc.exitCode).toBe(1)

    mkdirSync(join(temp, 'datasaur-token'))
    writeFileSync(
      join(temp, 'datasaur-token', 'channel.json'),
      JSON.stringify({ socket: join(temp, 'x.sock'), key: KEY })
    )
    const gone = commandProcess(['--channel', join(temp, 'datasaur-token', 'channel.json')])
    await gone.run()
    expect(gone.stderrLines).toEqual([`datasaur-token: ${NO_KEEPER}\n`])
  })

  it('says when the keeper does not answer, and passes on its failures', async () => {
    const temp = mkdtempSync(join(tmpdir(), 'datasaur-odd-'))
    cleanups.push(() => rmSync(temp, { recursive: true, force: true }))
    const socket = join(temp, 'odd.sock')
    const odd: Server = createServer(s => s.resume().end('garbage\n'))
    await new Promise<void>(resolve => odd.listen(socket, resolve))
    cleanups.push(() => new Promise<void>(resolve => odd.close(() => resolve())))
    writeFileSync(join(temp, 'channel.json'), JSON.stringify({ socket, key: KEY }))
    const command = commandProcess(['--channel', join(temp, 'channel.json')])
    await command.run()
    expect(command.stderrLines).toEqual([
      'datasaur-token: the token keeper did not answer (an answer that is not the keeper’s); it may have stopped. ' +
        'Re-run the step that starts it (refresh: true) if this happens again.\n'
    ])
    expect(command.proc.exitCode).toBe(1)

    const { dir } = await listeningKeeper(held('first', 1), async () => {
      throw new Error('The token endpoint answered HTTP 503.\n::error::x')
    })
    const failing = commandProcess(['--channel', channelFilePath(dir)])
    await failing.run()
    expect(failing.stderrLines).toEqual(['datasaur-token: The token endpoint answered HTTP 503. ::error::x\n'])
    expect(failing.proc.exitCode).toBe(1)
  })
})

/** A stand-in keeper on a fresh socket that answers every request with `answer`, once `release` is called. */
async function fakeKeeper(answer: string, held = false) {
  const temp = mkdtempSync(join(tmpdir(), 'datasaur-fake-'))
  cleanups.push(() => rmSync(temp, { recursive: true, force: true }))
  const socket = join(temp, 'fake.sock')
  let connected: () => void = () => undefined
  const connection = new Promise<void>(resolve => (connected = resolve))
  const waiting: (() => void)[] = []
  const server: Server = createServer(s => {
    s.resume()
    const reply = () => s.end(`${answer}\n`)
    if (held) waiting.push(reply)
    else reply()
    connected()
  })
  await new Promise<void>(resolve => server.listen(socket, resolve))
  cleanups.push(() => new Promise<void>(resolve => server.close(() => resolve())))
  writeFileSync(join(temp, 'channel.json'), JSON.stringify({ socket, key: KEY }))
  return { file: join(temp, 'channel.json'), connection, release: () => waiting.splice(0).forEach(r => r()) }
}

describe('datasaur-token, against keepers that answer oddly', () => {
  afterEach(() => {
    jest.useRealTimers()
  })

  it('says its usage and why no keeper runs in these words', () => {
    expect(USAGE.split('\n')[0]).toBe('Usage: datasaur-token [--min-validity SECONDS]')
    expect(USAGE).toContain('from the token keeper that the Datasaur token action starts\nwith refresh: true.')
    expect(NO_KEEPER).toBe(
      'no token keeper is running in this job. It is started by a step of the Datasaur token action with ' +
        '`refresh: true` and stopped by that action\u2019s post step at the end of the job: add `refresh: true` to ' +
        'the action\u2019s step, and call datasaur-token only in later steps of the same job.'
    )
  })

  it('says that no keeper runs when its socket is left but nothing listens on it', async () => {
    const temp = mkdtempSync(join(tmpdir(), 'datasaur-stale-'))
    cleanups.push(() => rmSync(temp, { recursive: true, force: true }))
    const socket = join(temp, 'stale.sock')
    // A process that dies listening leaves its socket file behind, which refuses connections.
    spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`
    ])
    expect(existsSync(socket)).toBe(true)
    writeFileSync(join(temp, 'channel.json'), JSON.stringify({ socket, key: KEY }))
    const command = commandProcess(['--channel', join(temp, 'channel.json')])
    await command.run()

    expect(command.stderrLines).toEqual([`datasaur-token: ${NO_KEEPER}\n`])
    expect(command.proc.exitCode).toBe(1)
  })

  it('refuses an answer that is the keeper\u2019s but no token', async () => {
    const keeper = await fakeKeeper(JSON.stringify({ ok: true, op: 'stop', minted: 1 }))
    const command = commandProcess(['--channel', keeper.file])
    await command.run()

    expect(command.stderrLines).toEqual(['datasaur-token: the token keeper gave an answer that is not a token.\n'])
    expect(command.written).toEqual([])
    expect(command.proc.exitCode).toBe(1)
  })

  it('announces masks holding CR, LF and % escaped, so the runner reads them back exactly', async () => {
    const answer = { ok: true, op: 'token', token: 't', expiresAt: 1, masks: ['a\rb\nc%d'], announced: true }
    const keeper = await fakeKeeper(JSON.stringify(answer))
    const command = commandProcess(['--channel', keeper.file])
    await command.run()

    expect(command.stderrLines).toEqual(['::add-mask::a%0Db%0Ac%25d\n'])
    expect(command.written).toEqual(['t\n'])
  })

  it('waits for a slow keeper up to ANSWER_TIMEOUT_MS, fifteen minutes', async () => {
    expect(ANSWER_TIMEOUT_MS).toBe(15 * 60 * 1000)
    jest.useFakeTimers({
      doNotFake: ['Date', 'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate']
    })
    const answer = { ok: true, op: 'token', token: 'slow', expiresAt: 1, masks: ['slow'], announced: true }
    const slow = await fakeKeeper(JSON.stringify(answer), true)
    const patient = commandProcess(['--channel', slow.file])
    const waiting = patient.run()
    await slow.connection
    jest.advanceTimersByTime(ANSWER_TIMEOUT_MS - 1)
    slow.release()
    await waiting
    expect(patient.written).toEqual(['slow\n'])

    const hung = await fakeKeeper(JSON.stringify(answer), true)
    const stopped = commandProcess(['--channel', hung.file])
    const giving = stopped.run()
    await hung.connection
    jest.advanceTimersByTime(ANSWER_TIMEOUT_MS)
    await giving
    expect(stopped.stderrLines[0]).toMatch(
      /^datasaur-token: the token keeper did not answer \(no answer within 900 s\)/
    )
    expect(stopped.proc.exitCode).toBe(1)
  })
})

describe('stopKeeper and the post step', () => {
  it('stops the keeper over the channel, removes its directory, and says how many tokens it minted', async () => {
    const { dir, keeper, stops } = await listeningKeeper(held('first', 3600, true))
    keeper.minted = 2
    const lines: string[] = []
    const output = new OutputGuard({
      stdout: { write: (chunk: string | Uint8Array) => !!lines.push(String(chunk)) },
      stderr: { write: () => true }
    })
    await runPostStep({ STATE_keeper_channel: dir }, output)

    expect(lines).toEqual(['Stopped the token keeper; it minted 2 tokens after the first.\n'])
    expect(existsSync(dir)).toBe(false)
    expect(stops()).toBe(1)
  })

  it('says one token in the singular, and that the keeper had stopped when it does not answer', async () => {
    const { dir, keeper, server } = await listeningKeeper(held('first', 3600, true))
    keeper.minted = 1
    const lines: string[] = []
    const output = new OutputGuard({
      stdout: { write: (chunk: string | Uint8Array) => !!lines.push(String(chunk)) },
      stderr: { write: () => true }
    })
    await runPostStep({ STATE_keeper_channel: dir }, output)
    expect(lines).toEqual(['Stopped the token keeper; it minted 1 token after the first.\n'])

    await new Promise<void>(resolve => server.close(() => resolve()))
    mkdirSync(dir)
    writeFileSync(channelFilePath(dir), JSON.stringify({ socket: join(dir, 'gone.sock'), key: KEY }))
    await runPostStep({ STATE_keeper_channel: dir }, output)
    expect(lines[1]).toBe('The token keeper had already stopped; its directory was removed.\n')
    expect(existsSync(dir)).toBe(false)
  })

  it('prints nothing and touches nothing without the state of refresh: true', async () => {
    const lines: string[] = []
    const output = new OutputGuard({
      stdout: { write: (chunk: string | Uint8Array) => !!lines.push(String(chunk)) },
      stderr: { write: () => true }
    })
    await runPostStep({}, output)
    expect(lines).toEqual([])
  })

  it('removes the socket’s own directory too, and reports what it found', async () => {
    const temp = mkdtempSync(join(tmpdir(), 'datasaur-stop-'))
    cleanups.push(() => rmSync(temp, { recursive: true, force: true }))
    const dir = join(temp, 'datasaur-token')
    const socketDir = join(temp, 'dtk-1')
    mkdirSync(dir)
    mkdirSync(socketDir)
    writeFileSync(channelFilePath(dir), JSON.stringify({ socket: join(socketDir, 'keeper.sock'), key: KEY, socketDir }))

    expect(await stopKeeper(dir, 500)).toEqual({ found: true, minted: undefined })
    expect(existsSync(socketDir)).toBe(false)
    expect(existsSync(dir)).toBe(false)
    expect(await stopKeeper(dir, 500)).toEqual({ found: false, minted: undefined })
  })

  it('removes the channel directory when the socket’s own directory is gone already', async () => {
    const temp = mkdtempSync(join(tmpdir(), 'datasaur-stop-'))
    cleanups.push(() => rmSync(temp, { recursive: true, force: true }))
    const dir = join(temp, 'datasaur-token')
    const socketDir = join(temp, 'dtk-gone')
    mkdirSync(dir)
    writeFileSync(channelFilePath(dir), JSON.stringify({ socket: join(socketDir, 'keeper.sock'), key: KEY, socketDir }))

    expect(await stopKeeper(dir, 500)).toEqual({ found: true, minted: undefined })
    expect(existsSync(dir)).toBe(false)
  })
})

describe('the channel at its limits', () => {
  /** A stand-in keeper that answers each connection with `answer` and keeps it open (ends it with `end`). */
  async function standIn(answer: string, end = false) {
    const dir = mkdtempSync(join(tmpdir(), 'datasaur-limit-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const socket = join(dir, 'stand-in.sock')
    const open: import('node:net').Socket[] = []
    let closed!: () => void
    const firstClosed = new Promise<void>(resolve => (closed = resolve))
    const server: Server = createServer(connection => {
      open.push(connection)
      connection.on('close', () => closed())
      connection.on('error', () => undefined)
      connection.resume()
      if (end) connection.end(answer)
      else connection.write(answer)
    })
    await new Promise<void>(resolve => server.listen(socket, resolve))
    cleanups.push(() => new Promise<void>(resolve => server.close(() => resolve())))
    cleanups.push(() => open.forEach(connection => connection.destroy()))
    return { socket, key: KEY, firstClosed }
  }

  const MAX_RESPONSE = 256 * 1024
  const answer = '{"ok":true,"op":"token","token":"t","expiresAt":1,"masks":[],"announced":true'
  /** The answer as one JSON object of exactly `length` characters. */
  const padded = (length: number) => `${answer}${' '.repeat(length - answer.length - 1)}}`

  it('the client waits for the rest of an answer of up to 256 KiB without a line end', async () => {
    const channel = await standIn('x'.repeat(MAX_RESPONSE), true)
    await expect(requestKeeper(channel, { op: 'token' }, 5000)).rejects.toThrow(
      'the connection closed without an answer'
    )
  })

  it('the client gives up at once on more than 256 KiB without a line end', async () => {
    await expect(requestKeeper(await standIn('x'.repeat(MAX_RESPONSE + 1)), { op: 'token' }, 5000)).rejects.toThrow(
      'an answer that is not the keeper’s'
    )
    // Even when all but its last character would be an answer.
    await expect(requestKeeper(await standIn(`${padded(MAX_RESPONSE)}x`), { op: 'token' }, 5000)).rejects.toThrow(
      'an answer that is not the keeper’s'
    )
    expect(JSON.parse(padded(MAX_RESPONSE))).toMatchObject({ ok: true, token: 't' })
  })

  it('the client reads an answer whose characters are split between chunks', async () => {
    const { channel } = await listeningKeeper(held('first', 1), async () => held('€'.repeat(60_000), 3600))
    const answer = await requestKeeper(channel, { op: 'token', minValidity: 60 }, 5000)
    expect(answer).toMatchObject({ ok: true, token: '€'.repeat(60_000) })
  })

  it('the client reads an empty first line as no answer, and reads the first line alone', async () => {
    await expect(requestKeeper(await standIn('\n'), { op: 'token' }, 5000)).rejects.toThrow(
      'an answer that is not the keeper’s'
    )
    const lingering = await standIn(`${answer}}\nmore`)
    expect(await requestKeeper(lingering, { op: 'token' }, 5000)).toEqual({
      ok: true,
      op: 'token',
      token: 't',
      expiresAt: 1,
      masks: [],
      announced: true
    })
    // The client closes the connection once it has the answer, though the keeper keeps it open.
    await lingering.firstClosed
  })
})

describe('the keeper server at its limits', () => {
  const MAX_REQUEST = 4096
  const tokenRequest = `{"op":"token","key":"${KEY}"`
  /** The token request as one JSON object of exactly `length` bytes, without its line end. */
  const padded = (length: number) => `${tokenRequest}${' '.repeat(length - tokenRequest.length - 1)}}`

  /**
   * Sends `first`; each time the server's side of the connection has received data, sends the next
   * of `then`. Resolves with what came back once the connection closed.
   */
  function talk(server: Server, socketPath: string, first: string, then: string[] = []) {
    server.once('connection', connection => {
      connection.on('data', () => {
        const next = then.shift()
        if (next !== undefined) client.write(next)
      })
    })
    let received = ''
    const client = connect(socketPath, () => client.write(first))
    client.on('data', chunk => (received += chunk))
    client.on('error', () => undefined)
    return new Promise<string>(resolve => client.on('close', () => resolve(received)))
  }

  it('reads a request that arrives in parts, up to 4 KiB before its line end', async () => {
    const { channel, server } = await listeningKeeper(held('first', 3600, true))
    const line = `${tokenRequest}}`
    const split = await talk(server, channel.socket, line.slice(0, 20), [line.slice(20), '\n'])
    expect(JSON.parse(split)).toMatchObject({ ok: true, token: 'first' })
    expect(Buffer.byteLength(padded(MAX_REQUEST))).toBe(MAX_REQUEST)
    const longest = await talk(server, channel.socket, padded(MAX_REQUEST), ['\n'])
    expect(JSON.parse(longest)).toMatchObject({ ok: true, token: 'first' })
  })

  it('answers the first line alone, and drops more than 4 KiB without a line end', async () => {
    const { channel, server } = await listeningKeeper(held('first', 3600, true))
    const trailing = await talk(server, channel.socket, `${tokenRequest}}\n{"more`)
    expect(JSON.parse(trailing)).toMatchObject({ ok: true, token: 'first' })
    // Even when all but its last character would be a request.
    expect(await talk(server, channel.socket, `${padded(MAX_REQUEST)}x`)).toBe('')
  })

  it('answers one stop request a connection makes, and ignores what follows it', async () => {
    const { channel, server, stops } = await listeningKeeper(held('first', 3600, true))
    const stop = `{"op":"stop","key":"${KEY}"}\n`
    const said = await talk(server, channel.socket, stop, [stop])
    expect(said).toBe('{"ok":true,"op":"stop","minted":0}\n')
    expect(stops()).toBe(1)
  })

  it('outlives a client that leaves while the answer is being written', async () => {
    const { channel, server } = await listeningKeeper(held('first', 1), async () =>
      held('t'.repeat(4 * 1024 * 1024), 3600)
    )
    // What the keeper's side of the connection raises, and whether anything handled it: an 'error'
    // nothing listens to would end the keeper's process.
    const raised: { code?: string; handled: boolean }[] = []
    server.once('connection', connection => {
      const emit = connection.emit.bind(connection)
      connection.emit = (event: string | symbol, ...args: unknown[]) => {
        if (event !== 'error') return emit(event, ...args)
        const handled = connection.listenerCount('error') > 0
        raised.push({ code: (args[0] as NodeJS.ErrnoException).code, handled })
        return handled ? emit(event, ...args) : false
      }
    })
    await new Promise<void>(resolve => {
      const client = connect(channel.socket, () => client.write(`${tokenRequest},"minValidity":60}\n`))
      client.on('error', () => undefined)
      client.once('data', () => client.destroy())
      client.on('close', () => resolve())
    })
    await new Promise(resolve => setImmediate(resolve))
    expect(raised).not.toEqual([])
    expect(raised.filter(error => !error.handled)).toEqual([])
    expect(await requestKeeper(channel, { op: 'stop' }, 5000)).toEqual({ ok: true, op: 'stop', minted: 1 })
  })

  describe('with the clock stopped', () => {
    afterEach(() => void jest.useRealTimers())
    const stopClock = () => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'Date'] })

    it('drops an empty request at once, and leaves no timer behind for a connection that closed', async () => {
      const { channel, server } = await listeningKeeper(held('first', 3600, true))
      stopClock()
      expect(await talk(server, channel.socket, '\n')).toBe('')
      await new Promise<void>(resolve => {
        server.once('connection', connection => connection.on('close', () => resolve()))
        const client = connect(channel.socket, () => client.end())
      })
      expect(jest.getTimerCount()).toBe(0)
    })

    it('the client leaves no timer behind when the connection closes without an answer', async () => {
      const { channel } = await listeningKeeper(held('first', 3600, true))
      stopClock()
      await expect(requestKeeper({ ...channel, key: 'd'.repeat(64) }, { op: 'token' }, 2000)).rejects.toThrow(
        'the connection closed without an answer'
      )
      expect(jest.getTimerCount()).toBe(0)
    })

    it(`answers a request whose mint takes longer than ${REQUEST_TIMEOUT_MS} ms`, async () => {
      let minting!: () => void
      let finish!: (token: HeldToken) => void
      const called = new Promise<void>(resolve => (minting = resolve))
      const { channel } = await listeningKeeper(held('first', 1), () => {
        minting()
        return new Promise<HeldToken>(resolve => (finish = resolve))
      })
      stopClock()
      const answer = requestKeeper(channel, { op: 'token', minValidity: 60 }, 60 * REQUEST_TIMEOUT_MS)
      await called
      jest.advanceTimersByTime(REQUEST_TIMEOUT_MS + 1)
      finish(held('slow', 3600))
      expect(await answer).toMatchObject({ ok: true, token: 'slow' })
    })
  })
})
