import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { createServer } from 'node:net'
import { EOL, tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkWritable, formatFileCommand, writeFileCommands } from '../src/runner/file-commands.js'
import { parseFileCommands } from './support/run-action.js'

let dir: string

/** File descriptors this process holds open (Linux). */
const openFiles = (): number => readdirSync('/proc/self/fd').length
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'datasaur-file-commands-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function file(name: string, content = ''): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

describe('formatFileCommand', () => {
  it("writes the runner's multi-line form with a fresh random delimiter", () => {
    const first = formatFileCommand('access_token', 'tok')
    const match = /^access_token<<(ghadelimiter_[0-9a-f-]{36})\r?\ntok\r?\n(ghadelimiter_[0-9a-f-]{36})\r?\n$/.exec(
      first
    )
    expect(match?.[1]).toBe(match?.[2])
    expect(first.endsWith(EOL)).toBe(true)
    expect(formatFileCommand('access_token', 'tok')).not.toBe(first)
  })
})

describe('writeFileCommands', () => {
  it('appends every value to its file, readable back as the runner reads it', () => {
    const output = file('output', 'earlier=1\n')
    const env = file('env')
    writeFileCommands([
      {
        variable: 'GITHUB_OUTPUT',
        path: output,
        values: [
          ['a', '1'],
          ['b', '']
        ]
      },
      { variable: 'GITHUB_ENV', path: env, values: [['TOKEN', 'x=y']] }
    ])
    expect(parseFileCommands(readFileSync(output, 'utf8'))).toEqual({ earlier: '1', a: '1', b: '' })
    expect(parseFileCommands(readFileSync(env, 'utf8'))).toEqual({ TOKEN: 'x=y' })
  })

  it('writes plain lines one to a line (GITHUB_PATH)', () => {
    const path = file('path', '/earlier\n')
    writeFileCommands([{ variable: 'GITHUB_PATH', path, lines: ['/a/bin', '/b/bin'] }])
    expect(readFileSync(path, 'utf8')).toBe(`/earlier\n/a/bin${EOL}/b/bin${EOL}`)
  })

  it('writes nothing at all when one of the files cannot be written', () => {
    const output = file('untouched')
    expect(() =>
      writeFileCommands([
        { variable: 'GITHUB_OUTPUT', path: output, values: [['access_token', 'tok']] },
        { variable: 'GITHUB_ENV', path: join(dir, 'missing', 'env'), values: [['TOKEN', 'tok']] }
      ])
    ).toThrow(
      "The runner's GITHUB_ENV file cannot be written (ENOENT), so the token could not be handed to later steps; " +
        'nothing was published. Check the runner and its disk.'
    )
    expect(readFileSync(output, 'utf8')).toBe('')
  })
})

describe('writeFileCommands when a write fails part of the way', () => {
  it('cuts every file back to what it held, and says so without a raw error', () => {
    const output = file('kept-output', 'earlier=1\n')
    expect(() =>
      writeFileCommands([
        { variable: 'GITHUB_OUTPUT', path: output, values: [['access_token', 'tok']] },
        // A device whose writes always fail for want of space, as a full disk's would.
        { variable: 'GITHUB_ENV', path: '/dev/full', values: [['TOKEN', 'tok']] }
      ])
    ).toThrow(
      "Writing the runner's files failed (ENOSPC), so the token could not be handed to later steps; nothing " +
        'was published. Check the runner and its disk.'
    )
    expect(readFileSync(output, 'utf8')).toBe('earlier=1\n')
  })
})

describe('checkWritable', () => {
  it('passes for files that can be appended to, and writes nothing to them', () => {
    const path = file('checked', 'kept')
    checkWritable([{ variable: 'GITHUB_OUTPUT', path }])
    expect(readFileSync(path, 'utf8')).toBe('kept')
  })

  it('names the first file that cannot be written', () => {
    expect(() =>
      checkWritable([
        { variable: 'GITHUB_OUTPUT', path: dir },
        { variable: 'GITHUB_ENV', path: join(dir, 'missing', 'env') }
      ])
    ).toThrow(new RegExp(`^GITHUB_OUTPUT names a directory \\('${dir}'\\), not a regular file`))
  })
})

describe('checkWritable: what is not a regular file is refused, and nothing blocks', () => {
  const fifo = (name: string): string => {
    const path = join(dir, name)
    execFileSync('mkfifo', [path])
    return path
  }
  const message = (variable: string, kind: string, path: string) =>
    `${variable} names ${kind} ('${path}'), not a regular file, so the token cannot be handed to later steps; ` +
    `nothing was requested or published. Point ${variable} at a file, or leave it as the runner sets it.`

  it('refuses a FIFO nobody reads, without waiting for a reader', () => {
    const path = fifo('output-fifo')
    expect(() => checkWritable([{ variable: 'GITHUB_OUTPUT', path }])).toThrow(
      message('GITHUB_OUTPUT', 'a FIFO (named pipe)', path)
    )
  })

  it('refuses a FIFO that has a reader, and writes nothing into it', () => {
    const path = fifo('read-fifo')
    const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
    try {
      expect(() =>
        checkWritable([
          { variable: 'GITHUB_OUTPUT', path: file('before-fifo') },
          { variable: 'GITHUB_STATE', path }
        ])
      ).toThrow(message('GITHUB_STATE', 'a FIFO (named pipe)', path))
      // End of file: no byte came, and no writer holds the FIFO open any more.
      expect(readSync(reader, Buffer.alloc(16))).toBe(0)
    } finally {
      closeSync(reader)
    }
  })

  it('says only that nothing was published when a file is no regular file by the time it is written', () => {
    const path = fifo('late-fifo')
    const before = file('before-late-fifo')
    expect(() =>
      writeFileCommands([
        { variable: 'GITHUB_OUTPUT', path: before, values: [['access_token', 'tok-late']] },
        { variable: 'GITHUB_ENV', path, values: [['DATASAUR_ACCESS_TOKEN', 'tok-late']] }
      ])
    ).toThrow(
      `GITHUB_ENV names a FIFO (named pipe) ('${path}'), not a regular file, so the token cannot be handed to ` +
        'later steps; nothing was published. Point GITHUB_ENV at a file, or leave it as the runner sets it.'
    )
    expect(readFileSync(before, 'utf8')).toBe('')
  })

  it('refuses a directory and a socket, naming what they are', async () => {
    expect(() => checkWritable([{ variable: 'GITHUB_PATH', path: dir }])).toThrow(
      message('GITHUB_PATH', 'a directory', dir)
    )
    const path = join(dir, 'env.sock')
    const server = createServer()
    await new Promise<void>(resolve => server.listen(path, resolve))
    try {
      expect(() => checkWritable([{ variable: 'GITHUB_ENV', path }])).toThrow(message('GITHUB_ENV', 'a socket', path))
    } finally {
      await new Promise(resolve => server.close(resolve))
    }
  })

  it('creates a missing file, as the runner would have', () => {
    const path = join(dir, 'not-yet')
    checkWritable([{ variable: 'GITHUB_OUTPUT', path }])
    expect(statSync(path).isFile()).toBe(true)
    // With the mode `a` gives a new file: readable and writable, as far as the umask allows.
    expect(statSync(path).mode & 0o777).toBe(0o666 & ~process.umask())
  })

  it('accepts a device that discards what is written (/dev/null)', () => {
    expect(() => checkWritable([{ variable: 'GITHUB_ENV', path: '/dev/null' }])).not.toThrow()
  })

  it('quotes a path with control characters only as safe text', () => {
    const path = fifo('a\u001b[31mfifo')
    let message = ''
    try {
      checkWritable([{ variable: 'GITHUB_OUTPUT', path }])
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/^GITHUB_OUTPUT names a FIFO \(named pipe\)/)
    expect(message).not.toContain('\u001b')
  })

  it('leaves no file open after refusing one', () => {
    const before = openFiles()
    const path = fifo('fd-fifo')
    const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
    expect(() =>
      checkWritable([
        { variable: 'GITHUB_OUTPUT', path: file('fd-first') },
        { variable: 'GITHUB_ENV', path }
      ])
    ).toThrow(/FIFO/)
    closeSync(reader)
    expect(openFiles()).toBe(before)
  })
})

describe('file descriptors', () => {
  it('are all closed again, whether the files could be written or not', () => {
    const before = openFiles()
    const output = file('fd-output')
    checkWritable([{ variable: 'GITHUB_OUTPUT', path: output }])
    expect(() =>
      checkWritable([
        { variable: 'GITHUB_OUTPUT', path: output },
        { variable: 'GITHUB_ENV', path: join(dir, 'missing', 'env') }
      ])
    ).toThrow(/GITHUB_ENV/)
    writeFileCommands([{ variable: 'GITHUB_OUTPUT', path: output, values: [['a', '1']] }])
    expect(() =>
      writeFileCommands([
        { variable: 'GITHUB_OUTPUT', path: output, values: [['a', '1']] },
        { variable: 'GITHUB_ENV', path: '/dev/full', values: [['B', '2']] }
      ])
    ).toThrow(/ENOSPC/)
    expect(openFiles()).toBe(before)
  })
})
