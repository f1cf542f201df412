import type { Stats } from 'node:fs'
import { dirname } from 'node:path'
import type { OutputGuard } from '../runner/output-guard.js'
import { neutralizeLine } from '../text/log-text.js'
import { KeeperUnreachable, readChannel, requestKeeper } from './channel.js'

/**
 * How long the command waits between announcing the mask of a token no earlier call announced and
 * printing the token. The runner reads stdout and stderr on two threads into two queues and takes a
 * batch of lines from both when either has some (ProcessInvoker), so a mask written on stderr just
 * before the token is written on stdout can, in rare scheduling, reach the masker after the token has
 * been printed. A thread that has data to read is scheduled within a few milliseconds even on a busy
 * runner; 200 ms is far beyond that, and is paid only on the calls that return a freshly minted token
 * nobody had announced (normally none: the next token is announced while the current one is used).
 */
export const MASK_SETTLE_MS = 200
/** The keeper answers within its exchange's own bounds; this only stops a call to a hung keeper. */
export const ANSWER_TIMEOUT_MS = 15 * 60 * 1000

export const USAGE = `Usage: datasaur-token [--min-validity SECONDS]

Prints a Datasaur access token valid for at least SECONDS more (default 300, or half the token's
lifetime when that is shorter) on stdout, from the token keeper that the Datasaur token action starts
with refresh: true. Announces the token's mask on stderr, which must reach the step log on its own.`

export const NO_KEEPER =
  'no token keeper is running in this job. It is started by a step of the Datasaur token action with ' +
  '`refresh: true` and stopped by that action\u2019s post step at the end of the job: add `refresh: true` to ' +
  'the action\u2019s step, and call datasaur-token only in later steps of the same job.'

export interface CommandProcess {
  argv: string[]
  platform: NodeJS.Platform
  exitCode?: number | string | null
  stdout: { write(text: string, callback?: () => void): boolean; isTTY?: boolean }
  stderr: { isTTY?: boolean }
}

export interface CommandDependencies {
  output: OutputGuard
  /** fs.fstatSync: what file descriptors 1 and 2 are. */
  fstat: (fd: number) => Stats
  sleep: (ms: number) => Promise<void>
}

/** A refusal or failure of the command: said on stderr, with the exit code. */
class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number
  ) {
    super(message)
  }
}

/** `datasaur-token`: asks the job's keeper for a token, announces the masks on stderr, prints the token. */
export async function runTokenCommand(proc: CommandProcess, deps: CommandDependencies): Promise<void> {
  try {
    const args = parseArguments(proc.argv.slice(2))
    if (args.help) {
      await write(proc, `${USAGE}\n`)
      return
    }
    const problem = stderrProblem(proc, deps.fstat)
    if (problem) {
      throw new CommandError(
        `stderr is ${problem}, so the mask of the token would not reach the runner before the token: ` +
          'let stderr go to the step log (no 2>/dev/null, 2>&1 or 2>file on this command).',
        2
      )
    }
    const channel = readChannel(dirname(args.channel))
    if (!channel) throw new CommandError(NO_KEEPER, 1)
    let response
    try {
      response = await requestKeeper(channel, { op: 'token', minValidity: args.minValidity }, ANSWER_TIMEOUT_MS)
    } catch (error) {
      // Stryker disable next-line StringLiteral: requestKeeper rejects only with KeeperUnreachable; this names anything else
      const reason = error instanceof KeeperUnreachable ? error.reason : 'error'
      if (reason === 'ENOENT' || reason === 'ECONNREFUSED') throw new CommandError(NO_KEEPER, 1)
      throw new CommandError(
        `the token keeper did not answer (${reason}); it may have stopped. Re-run the step that starts it ` +
          '(refresh: true) if this happens again.',
        1
      )
    }
    if (!response.ok) throw new CommandError(response.error, 1)
    if (response.op !== 'token') throw new CommandError('the token keeper gave an answer that is not a token.', 1)
    for (const mask of response.masks) deps.output.line('stderr', `::add-mask::${escapeData(mask)}`)
    if (!response.announced) {
      await deps.output.flush()
      await deps.sleep(MASK_SETTLE_MS)
    }
    await write(proc, `${response.token}\n`)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    deps.output.line('stderr', `datasaur-token: ${neutralizeLine(message)}`)
    proc.exitCode = error instanceof CommandError ? error.exitCode : 1
  }
}

interface Arguments {
  channel: string
  minValidity?: number
  help: boolean
}

function parseArguments(args: string[]): Arguments {
  let channel: string | undefined
  let minValidity: number | undefined
  let help = false
  for (let i = 0; i < args.length; i++) {
    // An option without '=' splits into itself alone.
    const [flag, inline] = args[i].startsWith('--') ? args[i].split(/=(.*)/s) : [args[i]]
    const value = (): string => {
      const given = inline ?? args[++i]
      if (given === undefined) throw new CommandError(`${flag} needs a value.\n${USAGE}`, 2)
      return given
    }
    if (flag === '--channel') channel = value()
    else if (flag === '--min-validity') minValidity = parseSeconds(value())
    else if (flag === '-h' || flag === '--help') help = true
    else throw new CommandError(`unknown argument '${neutralizeLine(flag).slice(0, 40)}'.\n${USAGE}`, 2)
  }
  if (!channel && !help) throw new CommandError('this command is started by the datasaur-token script.', 2)
  // Stryker disable next-line StringLiteral: without a channel only --help gets here, and it never reads the channel
  return { channel: channel ?? '', minValidity, help }
}

function parseSeconds(value: string): number {
  if (!/^\d{1,9}$/.test(value)) {
    throw new CommandError(
      `--min-validity must be a whole number of seconds; got '${neutralizeLine(value).slice(0, 20)}'.`,
      2
    )
  }
  return Number(value)
}

/**
 * Why stderr cannot carry the mask to the step log on its own stream, if it cannot: it goes to a file
 * or a device such as /dev/null, or into the same pipe as stdout. A terminal is accepted: no runner
 * reads it. On Windows a pipe's identity cannot be told from fstat, so only files and devices are refused.
 */
function stderrProblem(proc: CommandProcess, fstat: (fd: number) => Stats): string | undefined {
  if (proc.stderr.isTTY) return undefined
  let err: Stats
  try {
    err = fstat(2)
  } catch {
    return 'closed'
  }
  if (err.isFile()) return 'a file'
  if (err.isCharacterDevice()) return 'a device such as /dev/null'
  if (proc.platform === 'win32') return undefined
  if (!err.isFIFO() && !err.isSocket()) return 'not a pipe'
  let out: Stats | undefined
  try {
    out = fstat(1)
  } catch {
    // A closed stdout shares no pipe with stderr: out stays undefined.
  }
  if (out && out.dev === err.dev && out.ino === err.ino) return 'the same pipe as stdout'
  return undefined
}

/** A command's data escaped as @actions/core writes it, so the runner reads the value back exactly. */
function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function write(proc: CommandProcess, text: string): Promise<void> {
  return new Promise(resolve => proc.stdout.write(text, () => resolve()))
}
