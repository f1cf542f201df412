import { neutralizeLine } from '../text/log-text.js'
import { OutputGuard, type GuardedStream } from './output-guard.js'

/** What the guard needs of `process`; tests pass a stand-in. */
export interface GuardedProcess {
  stdout: GuardedStream & { on(event: 'error', listener: () => void): unknown }
  stderr: GuardedStream & { on(event: 'error', listener: () => void): unknown }
  pid: number
  exitCode?: number | string | null
  on(event: 'uncaughtException' | 'unhandledRejection' | 'warning', listener: (value: unknown) => void): unknown
  removeAllListeners(event: 'warning'): unknown
  exit(code?: number): void
  kill(pid: number, signal: string): unknown
}

export interface ProcessGuard {
  readonly output: OutputGuard
  /** Delivers what is left of the output, then ends the process with its exit code, at once. */
  end(): Promise<void>
}

export interface ProcessGuardOptions {
  /** How many host name lookups are still under way (see exchange/lookup.ts). */
  pendingLookups: () => number
  /** How long the end waits for the streams to take the last output. */
  flushTimeoutMs?: number
  /** How long a failed step's end waits for lookups under way to answer before it ends the process anyway. */
  lookupGraceMs?: number
  /** Says that something unexpected failed; by default the step's error, `UNEXPECTED_FAILURE`, on stdout. */
  reportFailure?: (output: OutputGuard) => void
}

/**
 * Said when something fails that the action did not expect. Its details are never shown: an
 * exception thrown deep in a dependency can carry a request, a header or a body, and no redaction
 * can know every form of a secret it may hold.
 */
export const UNEXPECTED_FAILURE =
  'The action stopped on an unexpected internal error; its details are withheld because they could contain a ' +
  'secret. Re-run the job, and report the problem if it happens again.'

/** How long the end waits for the runner to read the last output before the process ends anyway. */
export const FLUSH_TIMEOUT_MS = 2000
/** A lookup that answers at all usually does so within milliseconds. */
export const LOOKUP_GRACE_MS = 200

/**
 * Installs, before any other module of the action is evaluated, everything that stands between the
 * process and the step log: the output guard on both streams, and handlers for what Node would
 * otherwise print on stderr by itself (an uncaught exception or an unhandled rejection with its stack
 * trace, a process warning). A failure nobody caught ends the step with `UNEXPECTED_FAILURE`; a
 * warning becomes a debug line, made safe like every other line.
 */
export function installProcessGuard(proc: GuardedProcess, options: ProcessGuardOptions): ProcessGuard {
  const output = new OutputGuard({ stdout: proc.stdout, stderr: proc.stderr }).install()
  // Nothing can be said on a stream the runner has closed; an unhandled 'error' would come back here.
  proc.stdout.on('error', () => undefined)
  proc.stderr.on('error', () => undefined)

  let ending: Promise<void> | undefined
  const end = (): Promise<void> => {
    ending ??= finish(proc, output, options)
    return ending
  }
  const fail = (): void => {
    if (ending) return
    if (options.reportFailure) options.reportFailure(output)
    else output.line('stdout', `::error::${UNEXPECTED_FAILURE}`)
    proc.exitCode = 1
    void end()
  }
  proc.on('uncaughtException', fail)
  proc.on('unhandledRejection', fail)
  // Node's own listener prints warnings on stderr; this one replaces it.
  proc.removeAllListeners('warning')
  proc.on('warning', warning => {
    const { name, message } = warning as Error
    const text = neutralizeLine(output.redactor.redact(`Node.js warning (${name}): ${message}`))
    output.line('stdout', `::debug::${text.replace(/%/g, '%25')}`)
  })
  return { output, end }
}

async function finish(proc: GuardedProcess, output: OutputGuard, options: ProcessGuardOptions): Promise<void> {
  await within(options.flushTimeoutMs ?? FLUSH_TIMEOUT_MS, output.flush())
  const code = Number(proc.exitCode ?? 0)
  // A lookup still under way holds one of libuv's threads, which Node joins before it exits, even in
  // process.exit(): a resolver that never answers would keep a failed step running for its own
  // timeout. When the step has failed anyway and the lookup does not answer within a moment, the
  // process ends at once by a signal, which the runner sees as a non-zero exit like any other. A step
  // that succeeded waits: its exit code must stay 0. With no lookup under way the wait ends at once.
  if (code !== 0) {
    await within(options.lookupGraceMs ?? LOOKUP_GRACE_MS, lookupsSettled(options.pendingLookups))
    if (options.pendingLookups() > 0) {
      proc.kill(proc.pid, 'SIGKILL')
      return
    }
  }
  proc.exit(code)
}

/** Resolves when `promise` does or `ms` have passed, whichever is first; the timer keeps nothing alive. */
async function within(ms: number, promise: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>(resolve => {
    timer = setTimeout(resolve, ms)
    timer.unref()
  })
  await Promise.race([promise, timeout])
  clearTimeout(timer)
}

/** Resolves once no lookup is under way (polled: a lookup's callback cannot be waited for from here). */
function lookupsSettled(pendingLookups: () => number): Promise<void> {
  return new Promise(resolve => {
    const poll = (): void => {
      if (pendingLookups() === 0) resolve()
      else setTimeout(poll, 10).unref()
    }
    poll()
  })
}
