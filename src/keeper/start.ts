import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ActionError } from '../errors.js'
import { logSafe } from '../text/log-text.js'
import type { Settings } from '../inputs.js'
import type { Token } from '../exchange/token-response.js'
import { channelDir, channelFilePath, commandDir, type ChannelFile } from './channel.js'
import { socketLocation } from './socket-location.js'
import { keeperEnvironment } from './environment.js'
import { encodePayload } from './payload.js'
import { commandScripts } from './scripts.js'
import { CHANNEL_STATE } from './post-step.js'
import { stopKeeper } from './stop.js'

/** How long the step waits for the keeper to say it listens. */
export const READY_TIMEOUT_MS = 10_000

export interface KeeperStartOptions {
  env: NodeJS.ProcessEnv
  runnerTemp: string
  /** The directory of the action's bundles: keeper/index.js and command/index.js are below it. */
  distDir: string
  /** The Node binary the action runs on; the keeper and the command run on it too. */
  node: string
  platform: NodeJS.Platform
  readyTimeoutMs?: number
}

export interface StartedKeeper {
  /** The directory to add to GITHUB_PATH: it holds `datasaur-token`. */
  commandDir: string
  /** The GITHUB_STATE entry that tells the post step where the keeper is: the channel directory. */
  state: [name: string, value: string]
  /** Ends the keeper again: when the step fails after it started, nothing of it may stay. */
  stop(): Promise<void>
}

/**
 * Starts the job's token keeper (stopping an earlier one of this job first), hands it the settings
 * and the token through its stdin, waits for it to listen, and writes the command that asks it for
 * tokens. The keeper is detached, with a hidden window on Windows, and holds none of the step's
 * streams: the runner waits for a step's pipes to close, and kills what still holds them.
 */
export async function startKeeper(
  settings: Settings,
  token: Token,
  obtainedAtMs: number,
  options: KeeperStartOptions
): Promise<StartedKeeper> {
  const dir = channelDir(options.runnerTemp)
  try {
    return await start(settings, token, obtainedAtMs, options, dir)
  } catch (error) {
    await stopKeeper(dir, 0).catch(() => undefined)
    const reason = error instanceof StartFailure ? error.message : describe(error)
    throw new ActionError(
      `The token keeper that refresh: true starts did not start (${reason}), so nothing was published. Re-run ` +
        'the job; if it fails again, set refresh: false and request a token in each step that needs one.'
    )
  }
}

/** Why the keeper did not start, in the keeper's own terms. */
class StartFailure extends Error {}

/** An error of the file system or of spawn, by its code and the path it concerns (no secret is in either). */
function describe(error: unknown): string {
  const { code, path } = error as NodeJS.ErrnoException
  return code ? `${code}${path ? ` at ${logSafe(path, 200)}` : ''}` : 'an unexpected error'
}

async function start(
  settings: Settings,
  token: Token,
  obtainedAtMs: number,
  options: KeeperStartOptions,
  dir: string
): Promise<StartedKeeper> {
  await stopKeeper(dir)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  // Stryker disable next-line CallExpression: stopKeeper has just removed dir, so mkdirSync makes it with 0o700; the chmod only guards against a umask that takes the owner's own bits
  chmodSync(dir, 0o700)
  const key = randomBytes(32).toString('hex')
  const location = socketLocation(dir, options.platform, randomBytes(8).toString('hex'))
  const child = spawn(options.node, [join(options.distDir, 'keeper', 'index.js')], {
    detached: true,
    // Stryker disable next-line BooleanLiteral: it changes nothing but on Windows, where no suite that runs src/ in this process runs
    windowsHide: true,
    stdio: ['pipe', 'pipe', 'ignore'],
    env: keeperEnvironment(options.env),
    // Not the workspace or RUNNER_TEMP: on Windows a process's working directory cannot be removed.
    cwd: tmpdir()
  })
  // Stryker disable next-line OptionalChaining: stdio 'pipe' always gives the child a stdin stream
  child.stdin?.on('error', () => undefined)
  // Stryker disable next-line OptionalChaining: stdio 'pipe' always gives the child a stdin stream
  child.stdin?.end(encodePayload(settings, token, { obtainedAtMs, key, socket: location.socket, dir }))
  try {
    await ready(child, options.readyTimeoutMs ?? READY_TIMEOUT_MS)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  child.unref()
  const channel: ChannelFile = { key, ...location }
  writeFileSync(channelFilePath(dir), JSON.stringify(channel), { mode: 0o600 })
  const bin = commandDir(dir)
  mkdirSync(bin, { mode: 0o700 })
  const scripts = commandScripts(options.node, join(options.distDir, 'command', 'index.js'), channelFilePath(dir))
  writeFileSync(join(bin, 'datasaur-token'), scripts.posix, { mode: 0o700 })
  writeFileSync(join(bin, 'datasaur-token.cmd'), scripts.windows, { mode: 0o700 })
  return { commandDir: bin, state: [CHANNEL_STATE, dir], stop: async () => void (await stopKeeper(dir)) }
}

/** Resolves when the keeper says `ready` on its stdout; rejects when it ends, or is silent too long. */
function ready(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let said = ''
    const timer = setTimeout(() => done(new StartFailure(`no answer within ${timeoutMs / 1000} s`)), timeoutMs)
    const done = (error?: Error): void => {
      clearTimeout(timer)
      // Stryker disable next-line OptionalChaining: stdio 'pipe' always gives the child a stdout stream
      child.stdout?.destroy()
      // Stryker disable next-line StringLiteral,CallExpression: the promise settles once and every other step of done can be repeated, so an exit listener left behind changes nothing
      child.removeAllListeners('exit')
      if (error) reject(error)
      else resolve()
    }
    // Stryker disable next-line StringLiteral: spawn reports each failure with the errno code it had; one without a code cannot be made to happen
    child.on('error', error => done(new StartFailure((error as NodeJS.ErrnoException).code ?? 'spawn failed')))
    child.on('exit', code => done(new StartFailure(`it ended with exit code ${code}`)))
    // Stryker disable next-line OptionalChaining,StringLiteral: stdio 'pipe' always gives a stdout stream; '' reads as utf8, and `ready` is ASCII in any encoding
    child.stdout?.setEncoding('utf8')
    // Stryker disable next-line OptionalChaining: stdio 'pipe' always gives the child a stdout stream
    child.stdout?.on('data', (chunk: string) => {
      said += chunk
      if (said.startsWith('ready\n')) done()
    })
  })
}
