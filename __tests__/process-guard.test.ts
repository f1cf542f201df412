import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import {
  FLUSH_TIMEOUT_MS,
  installProcessGuard,
  LOOKUP_GRACE_MS,
  UNEXPECTED_FAILURE,
  type GuardedProcess
} from '../src/runner/process-guard.js'

afterEach(() => {
  jest.useRealTimers()
  jest.restoreAllMocks()
})

/** A stand-in for `process`: streams that record, and exit or kill recorded instead of done. */
function fakeProcess(options: { slowStdout?: boolean } = {}) {
  const emitter = new EventEmitter()
  const written: Record<'stdout' | 'stderr', string[]> = { stdout: [], stderr: [] }
  const ended: { exit?: number; kill?: [number, string] } = {}
  const stream = (name: 'stdout' | 'stderr') =>
    Object.assign(new EventEmitter(), {
      write(chunk: string | Uint8Array, ...rest: unknown[]) {
        written[name].push(String(chunk))
        const callback = rest.find(arg => typeof arg === 'function') as (() => void) | undefined
        if (!(options.slowStdout && name === 'stdout')) callback?.()
        return true
      }
    })
  const proc = Object.assign(emitter, {
    stdout: stream('stdout'),
    stderr: stream('stderr'),
    pid: 4242,
    exitCode: undefined as number | undefined,
    exit: (code?: number) => (ended.exit = code),
    kill: (pid: number, signal: string) => (ended.kill = [pid, signal])
  })
  emitter.on('warning', () => written.stderr.push('(node) default warning printer'))
  return { proc: proc as unknown as GuardedProcess & EventEmitter, written, ended }
}

describe('installProcessGuard', () => {
  it.each(['uncaughtException', 'unhandledRejection'])(
    'on %s: the fixed sentence as the step error, exit code 1, output flushed, then exit',
    async event => {
      const { proc, written, ended } = fakeProcess()
      const guard = installProcessGuard(proc, { pendingLookups: () => 0 })
      proc.emit(event, new Error('secret-bearing ::stop-commands::x'))
      await guard.end()

      expect(written.stdout.filter(chunk => chunk.startsWith('::'))).toEqual([`::error::${UNEXPECTED_FAILURE}\n`])
      expect(written.stdout.join('') + written.stderr.join('')).not.toContain('secret-bearing')
      expect(proc.exitCode).toBe(1)
      expect(ended).toEqual({ exit: 1 })
    }
  )

  it('reports only the first failure, and none once the end has begun', async () => {
    const { proc, written } = fakeProcess()
    const guard = installProcessGuard(proc, { pendingLookups: () => 0 })
    proc.emit('uncaughtException', new Error('a'))
    proc.emit('unhandledRejection', new Error('b'))
    await guard.end()
    proc.emit('uncaughtException', new Error('c'))

    expect(written.stdout.filter(chunk => chunk.startsWith('::error::'))).toHaveLength(1)
  })

  it("a failure after a normal end began is not reported: the step's outcome is already known", async () => {
    const { proc, written, ended } = fakeProcess()
    const guard = installProcessGuard(proc, { pendingLookups: () => 0 })
    const ending = guard.end()
    proc.emit('uncaughtException', new Error('late'))
    await ending

    expect(written.stdout.join('')).not.toContain('::error::')
    expect(ended).toEqual({ exit: 0 })
  })

  it("replaces Node's warning printer with a safe debug line", () => {
    const { proc, written } = fakeProcess()
    const guard = installProcessGuard(proc, { pendingLookups: () => 0 })
    guard.output.redactor.add('S3cret-Value-1234')
    const warning = Object.assign(new Error('50% done\n::error::S3cret-Value-1234 ##[x'), {
      name: 'DeprecationWarning'
    })
    proc.emit('warning', warning)

    expect(written.stderr).toEqual([])
    expect(written.stdout).toEqual(['::debug::Node.js warning (DeprecationWarning): 50%25 done ::error::*** # #[x\n'])
  })

  it('ignores errors of the streams, which would otherwise come back as uncaught', () => {
    const { proc, written } = fakeProcess()
    installProcessGuard(proc, { pendingLookups: () => 0 })
    ;(proc.stdout as unknown as EventEmitter).emit('error', new Error('EPIPE'))
    ;(proc.stderr as unknown as EventEmitter).emit('error', new Error('EPIPE'))

    expect(written.stdout).toEqual([])
  })

  it('routes the streams through the output guard', () => {
    const { proc, written } = fakeProcess()
    installProcessGuard(proc, { pendingLookups: () => 0 })
    proc.stderr.write('::stop-commands::x\n')

    expect(written.stderr).toEqual([': :stop-commands::x\n'])
  })

  it('end is idempotent and exits with the exit code set', async () => {
    const { proc, ended } = fakeProcess()
    const guard = installProcessGuard(proc, { pendingLookups: () => 0 })
    proc.exitCode = 1
    const first = guard.end()

    expect(guard.end()).toBe(first)
    await first
    expect(ended).toEqual({ exit: 1 })
  })

  it('a failed step with a lookup that never answers ends by a signal after the grace', async () => {
    const { proc, ended } = fakeProcess()
    const guard = installProcessGuard(proc, { pendingLookups: () => 1, lookupGraceMs: 30 })
    proc.exitCode = 1
    await guard.end()

    expect(ended).toEqual({ kill: [4242, 'SIGKILL'] })
  })

  it('a failed step whose lookup answers within the grace exits normally', async () => {
    const { proc, ended } = fakeProcess()
    let pending = 1
    setTimeout(() => (pending = 0), 20)
    const guard = installProcessGuard(proc, { pendingLookups: () => pending, lookupGraceMs: 2000 })
    proc.exitCode = 1
    const started = Date.now()
    await guard.end()

    expect(ended).toEqual({ exit: 1 })
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('a step that succeeded exits with 0 even with a lookup under way', async () => {
    const { proc, ended } = fakeProcess()
    const guard = installProcessGuard(proc, { pendingLookups: () => 1, lookupGraceMs: 10 })
    await guard.end()

    expect(ended).toEqual({ exit: 0 })
  })

  it('ends without the last output when the streams do not take it in time', async () => {
    const { proc, ended } = fakeProcess({ slowStdout: true })
    const guard = installProcessGuard(proc, { pendingLookups: () => 0, flushTimeoutMs: 30 })
    await guard.end()

    expect(ended).toEqual({ exit: 0 })
  })

  it('says the fixed sentence that tells what to do and withholds the details', () => {
    expect(UNEXPECTED_FAILURE).toBe(
      'The action stopped on an unexpected internal error; its details are withheld because they could contain a ' +
        'secret. Re-run the job, and report the problem if it happens again.'
    )
  })

  it('lets the caller say the failure its own way instead of the default step error', async () => {
    const { proc, written, ended } = fakeProcess()
    const reported: unknown[] = []
    const guard = installProcessGuard(proc, {
      pendingLookups: () => 0,
      reportFailure: output => {
        reported.push(output)
        output.line('stderr', 'own report')
      }
    })
    proc.emit('uncaughtException', new Error('x'))
    await guard.end()

    expect(reported).toEqual([guard.output])
    expect(written.stderr.join('')).toBe('own report\n')
    expect(written.stdout.join('')).not.toContain('::error::')
    expect(ended).toEqual({ exit: 1 })
  })

  it.each([
    ['the timeout given', 30, 30],
    ['FLUSH_TIMEOUT_MS by default', undefined, FLUSH_TIMEOUT_MS]
  ])('waits for streams that do not take the last output for %s, then ends', async (_, flushTimeoutMs, waited) => {
    jest.useFakeTimers()
    const { proc, ended } = fakeProcess({ slowStdout: true })
    const guard = installProcessGuard(proc, { pendingLookups: () => 0, flushTimeoutMs })
    const ending = guard.end()
    await jest.advanceTimersByTimeAsync(waited - 1)
    expect(ended).toEqual({})
    await jest.advanceTimersByTimeAsync(1)
    await ending

    expect(ended).toEqual({ exit: 0 })
  })

  it.each([
    ['the grace given', 30, 30],
    ['LOOKUP_GRACE_MS by default', undefined, LOOKUP_GRACE_MS]
  ])('a failed step waits for a lookup under way for %s, then ends by a signal', async (_, lookupGraceMs, waited) => {
    jest.useFakeTimers()
    const { proc, ended } = fakeProcess()
    const guard = installProcessGuard(proc, { pendingLookups: () => 1, lookupGraceMs })
    proc.exitCode = 1
    const ending = guard.end()
    await jest.advanceTimersByTimeAsync(waited - 1)
    expect(ended).toEqual({})
    await jest.advanceTimersByTimeAsync(1)
    await ending

    expect(ended).toEqual({ kill: [4242, 'SIGKILL'] })
  })

  it('its timers keep nothing alive while they run', async () => {
    const made: NodeJS.Timeout[] = []
    const realSetTimeout = globalThis.setTimeout
    jest.spyOn(globalThis, 'setTimeout').mockImplementation(((...args: Parameters<typeof setTimeout>) => {
      const timer = realSetTimeout(...args)
      made.push(timer)
      return timer
    }) as typeof setTimeout)
    const { proc, ended } = fakeProcess({ slowStdout: true })
    const guard = installProcessGuard(proc, { pendingLookups: () => 1, flushTimeoutMs: 20, lookupGraceMs: 20 })
    proc.exitCode = 1
    await guard.end()

    expect(ended).toEqual({ kill: [4242, 'SIGKILL'] })
    expect(made.length).toBeGreaterThanOrEqual(2)
    expect(made.filter(timer => timer.hasRef())).toEqual([])
  })

  it('leaves no timer behind once the process ends', async () => {
    jest.useFakeTimers()
    const { proc, ended } = fakeProcess()
    const guard = installProcessGuard(proc, { pendingLookups: () => 0 })
    proc.exitCode = 1
    await guard.end()

    expect(ended).toEqual({ exit: 1 })
    expect(jest.getTimerCount()).toBe(0)
  })
})
