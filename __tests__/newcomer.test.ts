// A newcomer's first commands on a fresh clone: the demo runs the committed bundle with nothing
// installed, and rebuilds dist/ only when the build tools are there and the sources changed.

import { execFileSync, spawnSync } from 'node:child_process'
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { builtFrom, sourcesDigest } from '../scripts/dist-sources.js'
import { ROOT } from './support/run-action.js'

let clone: string

/** The files git tracks, as they are now, in a directory of their own: a clone, without node_modules. */
beforeAll(() => {
  clone = mkdtempSync(join(tmpdir(), 'datasaur-clone-'))
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT })
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
  for (const file of files) {
    mkdirSync(dirname(join(clone, file)), { recursive: true })
    try {
      copyFileSync(join(ROOT, file), join(clone, file))
    } catch {
      // Deleted in the working tree: not part of the clone.
    }
  }
})
afterAll(() => rmSync(clone, { recursive: true, force: true }))

function demo(cwd: string) {
  return spawnSync(process.execPath, ['scripts/demo.js'], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    timeout: 60_000
  })
}

describe('the demo on a fresh clone', () => {
  it('runs the committed bundle with nothing installed, and shows the log as the runner renders it', () => {
    const result = demo(clone)

    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(result.stdout).not.toContain('rebuilding')
    expect(result.stdout).toMatch(/^Demo endpoint: http:\/\/127\.0\.0\.1:\d+\/api\/oauth\/token\n/)
    expect(result.stdout).toContain('\nStep log:\n  Obtained a bearer token from http://127.0.0.1:')
    expect(result.stdout).toMatch(/\nStep succeeded in \d+ ms\.\n/)
    expect(result.stdout).toContain('  access_token = ***\n')
    expect(result.stdout).toContain('  DATASAUR_ACCESS_TOKEN = ***\n')
    expect(result.stdout).not.toMatch(/[0-9a-f]{40}/)
  })

  it('says so, and still runs, when the sources changed but nothing is installed to rebuild them', () => {
    const changed = mkdtempSync(join(tmpdir(), 'datasaur-changed-'))
    try {
      execFileSync('cp', ['-R', `${clone}/.`, changed])
      appendFileSync(join(changed, 'src', 'version.ts'), '// changed\n')
      const result = demo(changed)

      expect(result.status).toBe(0)
      expect(result.stdout.split('\n')[0]).toBe(
        'src/ differs from what dist/ was built from; showing the committed dist/ (npm ci, then npm run demo, rebuilds it).'
      )
      expect(result.stdout).toContain('Step succeeded')
    } finally {
      rmSync(changed, { recursive: true, force: true })
    }
  })
})

describe('dist/sources.sha256', () => {
  it('records the sources dist/ is built from, compared by content whatever the line ends', () => {
    expect(builtFrom(clone)).toBe(sourcesDigest(clone))
    const crlf = mkdtempSync(join(tmpdir(), 'datasaur-crlf-'))
    try {
      execFileSync('cp', ['-R', `${clone}/.`, crlf])
      const file = join(crlf, 'src', 'version.ts')
      const text = execFileSync('cat', [file]).toString('utf8')
      execFileSync('sh', ['-c', 'printf "%s" "$1" > "$2"', 'sh', text.replace(/\n/g, '\r\n'), file])
      expect(sourcesDigest(crlf)).toBe(sourcesDigest(clone))
      appendFileSync(file, 'x')
      expect(sourcesDigest(crlf)).not.toBe(sourcesDigest(clone))
    } finally {
      rmSync(crlf, { recursive: true, force: true })
    }
  })
})
