import { describe, expect, it } from '@jest/globals'
import { OutputGuard, type GuardedStream } from '../src/runner/output-guard.js'
import { Redactor } from '../src/text/log-text.js'

/** A stream that records what reaches it, as the runner would read it, and calls write callbacks. */
function recorder() {
  const chunks: string[] = []
  const stream: GuardedStream & { chunks: string[]; text: () => string } = {
    chunks,
    text: () => chunks.join(''),
    write(chunk: string | Uint8Array, ...rest: unknown[]) {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
      const callback = rest.find(arg => typeof arg === 'function') as (() => void) | undefined
      callback?.()
      return true
    }
  }
  return stream
}

function guarded(secrets: string[] = []) {
  const stdout = recorder()
  const stderr = recorder()
  const redactor = new Redactor()
  for (const secret of secrets) redactor.add(secret)
  const guard = new OutputGuard({ stdout, stderr }, redactor).install()
  return { guard, stdout, stderr }
}

describe('OutputGuard', () => {
  it('makes every foreign line unable to act as a command, on both streams', () => {
    const { stdout, stderr } = guarded()
    stdout.write('::stop-commands::abc\n  ::add-mask::x\nsee ##[set-output name=a]b\n')
    stderr.write('::error::e\r##[warning]w\r\nplain\n')

    expect(stdout.text()).toBe(': :stop-commands::abc\n  : :add-mask::x\nsee # #[set-output name=a]b\n')
    expect(stderr.text()).toBe(': :error::e\n# #[warning]w\nplain\n')
  })

  it('cuts registered secrets out of foreign lines', () => {
    const { stderr } = guarded(['S3cret-Value-1234'])
    stderr.write('token request failed: client_secret=S3cret-Value-1234\n')

    expect(stderr.text()).toBe('token request failed: client_secret=***\n')
  })

  it("lets the action's own lines through unchanged", () => {
    const { guard, stdout, stderr } = guarded(['S3cret-Value-1234'])
    const result = guard.trusted(() => stdout.write('::add-mask::S3cret-Value-1234\n'))
    guard.line('stderr', '::add-mask::other-value')

    expect(result).toBe(true)
    expect(stdout.text()).toBe('::add-mask::S3cret-Value-1234\n')
    expect(stderr.text()).toBe('::add-mask::other-value\n')
  })

  it('trusts writes only while inside trusted, also when the write throws', () => {
    const { guard, stdout } = guarded()
    expect(() =>
      guard.trusted(() => {
        throw new Error('x')
      })
    ).toThrow('x')
    stdout.write('::error::after\n')

    expect(stdout.text()).toBe(': :error::after\n')
  })

  it('holds a foreign line until it ends, so a command split across writes is still caught', () => {
    const { stdout } = guarded()
    expect(stdout.write(':')).toBe(true)
    stdout.write(':stop-commands::ab')
    expect(stdout.text()).toBe('')
    stdout.write('c\n#')
    stdout.write('#[add-mask]x\n')

    expect(stdout.text()).toBe(': :stop-commands::abc\n# #[add-mask]x\n')
  })

  it('ends a held foreign line before a trusted one, which must start its own line', () => {
    const { guard, stdout } = guarded()
    stdout.write('::partial')
    guard.trusted(() => stdout.write('::debug::own\n'))

    expect(stdout.chunks).toEqual([': :partial\n', '::debug::own\n'])
  })

  it('reads CR, LF and CRLF as line ends, also when CRLF is split across writes', () => {
    const { stderr } = guarded()
    stderr.write('a\r')
    stderr.write('\n::b\r::c\n')

    expect(stderr.text()).toBe('a\n: :b\n: :c\n')
  })

  it('an LF that opens the first write of a stream ends a line of its own, on either stream', () => {
    const { stdout, stderr } = guarded()
    stdout.write('\nout\n')
    stderr.write('\nerr\n')

    expect(stdout.text()).toBe('\nout\n')
    expect(stderr.text()).toBe('\nerr\n')
  })

  it('after a split CR only an LF that opens the next write is taken as its end', () => {
    const { stderr } = guarded()
    stderr.write('a\r')
    stderr.write('b\n')

    expect(stderr.text()).toBe('a\nb\n')
  })

  it('a write that holds no text leaves a split CR waiting for its LF', () => {
    const { stdout, stderr } = guarded()
    stdout.write('a\r')
    stdout.write('')
    stdout.write('\nb\n')
    stderr.write('c\r')
    stderr.write(Buffer.from('é').subarray(0, 1))
    stderr.write(Buffer.from('é').subarray(1))
    stderr.write('\n')

    expect(stdout.text()).toBe('a\nb\n')
    expect(stderr.text()).toBe('c\né\n')
  })

  it('an LF that does not follow a split CR ends a line of its own', () => {
    const { stderr } = guarded()
    stderr.write('a\n')
    stderr.write('\nb\n')

    expect(stderr.text()).toBe('a\n\nb\n')
  })

  it('decodes bytes, also a character split across writes, and strings in another encoding', () => {
    const { stdout, stderr } = guarded()
    const bytes = Buffer.from('é::x\n')
    stdout.write(bytes.subarray(0, 1))
    stdout.write(bytes.subarray(1))
    stderr.write(Buffer.from('::hex\n').toString('hex'), 'hex')

    expect(stdout.text()).toBe('é::x\n')
    expect(stderr.text()).toBe(': :hex\n')
  })

  it('passes a string written between the bytes of a split character on as it is', () => {
    const { stdout } = guarded()
    const bytes = Buffer.from('é\n')
    stdout.write(bytes.subarray(0, 1))
    stdout.write('plain \ud800 text\n')
    stdout.write(bytes.subarray(1))

    expect(stdout.text()).toBe('plain \ud800 text\né\n')
  })

  it('calls a foreign write callback, given with or without an encoding', () => {
    const { stdout } = guarded()
    const calls: string[] = []
    stdout.write('a\n', () => calls.push('plain'))
    stdout.write('b\n', 'utf8', () => calls.push('with encoding'))

    expect(calls).toEqual(['plain', 'with encoding'])
  })

  it('flush ends held lines and resolves once both streams took everything', async () => {
    const { guard, stdout, stderr } = guarded(['S3cret-Value-1234'])
    stdout.write('::held S3cret-Value-1234')
    stderr.write('##[held')
    await guard.flush()

    expect(stdout.text()).toBe(': :held ***\n')
    expect(stderr.text()).toBe('# #[held\n')
  })

  it('flush waits for a stream that takes its time', async () => {
    const slow = recorder()
    const pending: (() => void)[] = []
    slow.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
      slow.chunks.push(String(chunk))
      const callback = rest.find(arg => typeof arg === 'function') as (() => void) | undefined
      if (callback) pending.push(callback)
      return true
    }
    const guard = new OutputGuard({ stdout: slow, stderr: recorder() }).install()
    let flushed = false
    const flushing = guard.flush().then(() => (flushed = true))
    await new Promise(resolve => setImmediate(resolve))
    expect(flushed).toBe(false)
    for (const callback of pending) callback()
    await flushing

    expect(flushed).toBe(true)
  })

  it('writes through the streams themselves when it was never installed', () => {
    const stdout = recorder()
    const guard = new OutputGuard({ stdout, stderr: recorder() })
    guard.line('stdout', '::debug::x')

    expect(stdout.text()).toBe('::debug::x\n')
  })
})
