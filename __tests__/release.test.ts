import { execFileSync, spawnSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { changelogSection, isEmptySection, parseChangelog } from '../scripts/changelog-section.js'
import {
  checkVersion,
  REPOSITORY_URL,
  Refusal,
  releaseChangelog,
  setLockVersion,
  setMajorReferences,
  setPackageVersion,
  setSourceVersion
} from '../scripts/release.js'
import { releaseNotes } from '../scripts/release-notes.js'
import { ROOT } from './support/run-action.js'

// Child processes get no GIT_* variables (a surrounding hook could point them at another repository)
// and no NODE_OPTIONS (jest's flags are not the scripts').
const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('GIT_') && name !== 'NODE_OPTIONS')
)

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: childEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

const today = () => new Date().toISOString().slice(0, 10)

/** A changelog with one release, `version`, and `unreleased` as the Unreleased section's body. */
function changelogFixture(version: string, unreleased: string): string {
  return [
    '# Changelog',
    '',
    '## [Unreleased]',
    '',
    ...(unreleased ? [unreleased, ''] : []),
    `## [${version}] – 2025-01-15`,
    '',
    '### Added',
    '',
    '- The first release.',
    '',
    `[Unreleased]: ${REPOSITORY_URL}/compare/v${version}...HEAD`,
    `[${version}]: ${REPOSITORY_URL}/releases/tag/v${version}`,
    ''
  ].join('\n')
}

describe('releaseChangelog', () => {
  const first = [
    '# Changelog',
    '',
    '## [Unreleased]',
    '',
    'First release.',
    '',
    '### Added',
    '',
    '- Everything.',
    '',
    `[Unreleased]: ${REPOSITORY_URL}/commits/main`,
    ''
  ].join('\n')

  it('releases the first version: a fresh Unreleased above it, linked to its tag', () => {
    expect(releaseChangelog(first, '1.0.0', '2026-02-03')).toBe(
      [
        '# Changelog',
        '',
        '## [Unreleased]',
        '',
        '## [1.0.0] – 2026-02-03',
        '',
        'First release.',
        '',
        '### Added',
        '',
        '- Everything.',
        '',
        `[Unreleased]: ${REPOSITORY_URL}/compare/v1.0.0...HEAD`,
        `[1.0.0]: ${REPOSITORY_URL}/releases/tag/v1.0.0`,
        ''
      ].join('\n')
    )
  })

  it('links a later version to the changes since the newest release', () => {
    const text = changelogFixture('1.4.0', '### Fixed\n\n- A fix.')
    const released = releaseChangelog(text, '1.4.1', '2026-02-03')
    expect(released).toContain('## [Unreleased]\n\n## [1.4.1] – 2026-02-03\n\n### Fixed\n\n- A fix.\n\n## [1.4.0]')
    expect(released.split('\n').filter(line => line.startsWith('['))).toEqual([
      `[Unreleased]: ${REPOSITORY_URL}/compare/v1.4.1...HEAD`,
      `[1.4.1]: ${REPOSITORY_URL}/compare/v1.4.0...v1.4.1`,
      `[1.4.0]: ${REPOSITORY_URL}/releases/tag/v1.4.0`
    ])
  })

  it('adds the link references when the changelog has none', () => {
    const released = releaseChangelog('# Changelog\n\n## [Unreleased]\n\n- A change.\n', '0.1.0', '2026-02-03')
    expect(released).toBe(
      `# Changelog\n\n## [Unreleased]\n\n## [0.1.0] – 2026-02-03\n\n- A change.\n\n` +
        `[Unreleased]: ${REPOSITORY_URL}/compare/v0.1.0...HEAD\n[0.1.0]: ${REPOSITORY_URL}/releases/tag/v0.1.0\n`
    )
  })

  it('refuses an Unreleased section that is empty or holds only headings', () => {
    for (const body of ['', '### Added\n\n### Fixed']) {
      expect(() => releaseChangelog(changelogFixture('1.0.0', body), '1.0.1', '2026-02-03')).toThrow(
        new Refusal(
          'The `## [Unreleased]` section of CHANGELOG.md is empty; list the changes of this release in it, commit, and run the release again.'
        )
      )
    }
  })

  it('refuses a version the changelog already has, and a changelog without Unreleased', () => {
    expect(() => releaseChangelog(changelogFixture('1.0.0', '- A change.'), '1.0.0', '2026-02-03')).toThrow(
      /already has a section for 1\.0\.0/
    )
    expect(() => releaseChangelog('# Changelog\n', '1.0.0', '2026-02-03')).toThrow(/no `## \[Unreleased\]` section/)
  })
})

describe('the version edits', () => {
  const pkg = readFileSync(join(ROOT, 'package.json'), 'utf8')
  const lock = readFileSync(join(ROOT, 'package-lock.json'), 'utf8')

  it('changes only the version line of package.json', () => {
    const updated = setPackageVersion(pkg, '9.8.7')
    expect(JSON.parse(updated)).toEqual({ ...JSON.parse(pkg), version: '9.8.7' })
    expect(updated.split('\n').filter((line, i) => line !== pkg.split('\n')[i])).toEqual(['  "version": "9.8.7",'])
  })

  it("changes package-lock.json's two records of the package's version and nothing else", () => {
    const before = JSON.parse(lock)
    const after = JSON.parse(setLockVersion(lock, '9.8.7'))
    expect(after.version).toBe('9.8.7')
    expect(after.packages[''].version).toBe('9.8.7')
    expect({ ...after, version: before.version, packages: { ...after.packages, '': before.packages[''] } }).toEqual(
      before
    )
    expect(setLockVersion(lock, '9.8.7').split('\n').length).toBe(lock.split('\n').length)
  })

  it("sets src/version.ts's VERSION", () => {
    const source = readFileSync(join(ROOT, 'src', 'version.ts'), 'utf8')
    expect(setSourceVersion(source, '9.8.7')).toContain("export const VERSION = '9.8.7'\n")
  })

  it('moves only this action’s @vN references to the new major version', () => {
    const text = [
      'uses: datasaur/datasaur-token-action@v1',
      'uses: datasaur/datasaur-token-action@v1 # pinned',
      'uses: datasaur/datasaur-token-action@v1.2.3',
      'uses: datasaur/datasaur-token-action@v10',
      'uses: actions/checkout@v1'
    ].join('\n')
    expect(setMajorReferences(text, 1, 2)).toBe(
      [
        'uses: datasaur/datasaur-token-action@v2',
        'uses: datasaur/datasaur-token-action@v2 # pinned',
        'uses: datasaur/datasaur-token-action@v1.2.3',
        'uses: datasaur/datasaur-token-action@v10',
        'uses: actions/checkout@v1'
      ].join('\n')
    )
  })

  it('accepts a higher version, and the current one only while it is unreleased', () => {
    expect(checkVersion('1.0.1', '1.0.0', true)).toEqual([
      [1, 0, 0],
      [1, 0, 1]
    ])
    expect(checkVersion('1.0.0', '1.0.0', false)).toEqual([
      [1, 0, 0],
      [1, 0, 0]
    ])
    expect(() => checkVersion('1.0.0', '1.0.0', true)).toThrow(
      '1.0.0 is the current version and is already released; give a higher one, e.g. `npm run release -- 1.0.1`.'
    )
    expect(() => checkVersion('0.9.0', '1.0.0', false)).toThrow(
      '0.9.0 is lower than the current version 1.0.0; give a higher one, e.g. `npm run release -- 1.0.0`.'
    )
    expect(() => checkVersion('1.10.0', '1.9.0', true)).not.toThrow()
  })
})

describe('scripts/changelog-section.js', () => {
  const dir = mkdtempSync(join(tmpdir(), 'changelog-section-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  function section(...args: string[]) {
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'changelog-section.js'), ...args], {
      env: childEnv,
      encoding: 'utf8'
    })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr.trim() }
  }

  it('prints a version’s section without its heading, as the release notes', () => {
    const path = join(dir, 'CHANGELOG.md')
    writeFileSync(path, releaseChangelog(changelogFixture('1.0.0', '### Fixed\n\n- A fix.'), '1.0.1', '2026-02-03'))
    expect(section('1.0.1', path)).toEqual({ code: 0, stdout: '### Fixed\n\n- A fix.\n', stderr: '' })
    expect(section('1.0.0', path)).toEqual({ code: 0, stdout: '### Added\n\n- The first release.\n', stderr: '' })
  })

  it('fails with what to do for a version it lacks, an empty section or no version', () => {
    const path = join(dir, 'CHANGELOG.md')
    writeFileSync(path, changelogFixture('1.0.0', '').replace('- The first release.\n', ''))
    expect(section('2.0.0', path)).toEqual({
      code: 1,
      stdout: '',
      stderr: `${path} has no \`## [2.0.0]\` section; release with \`npm run release -- 2.0.0\`.`
    })
    expect(section('1.0.0', path)).toMatchObject({ code: 1, stderr: expect.stringContaining('is empty') })
    expect(section()).toMatchObject({ code: 1, stderr: expect.stringContaining('Give the version') })
  })

  it('reads CHANGELOG.md: every release has notes and a link reference, and Unreleased is linked', () => {
    const text = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')
    const { sections, links } = parseChangelog(text)
    expect(sections[0]?.name).toBe('Unreleased')
    expect(links.has('unreleased')).toBe(true)
    for (const { name, date } of sections.slice(1)) {
      expect([name, date]).toEqual([
        expect.stringMatching(/^\d+\.\d+\.\d+$/),
        expect.stringMatching(/^\d{4}-\d\d-\d\d$/)
      ])
      expect([name, isEmptySection(changelogSection(text, name) ?? '')]).toEqual([name, false])
      expect([name, links.get(name)]).toEqual([name, expect.stringContaining(`${REPOSITORY_URL}/`)])
    }
  })
})

describe('scripts/release-notes.js', () => {
  const dir = mkdtempSync(join(tmpdir(), 'release-notes-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const commit = '0123456789abcdef0123456789abcdef01234567'

  function notes(...args: string[]) {
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'release-notes.js'), ...args], {
      env: childEnv,
      encoding: 'utf8'
    })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr.trim() }
  }

  it('gives the changes, the commit and the pinned `uses:` line to copy', () => {
    expect(
      releaseNotes({ changes: '### Fixed\n\n- A fix.\n', version: '1.4.2', commit, repository: 'octo/token-action' })
    ).toBe(`### Fixed

- A fix.

### Using this release

Built from commit \`${commit}\`. To pin this exact release, as a policy requiring full-length commit SHAs asks:

\`\`\`yaml
- uses: octo/token-action@${commit} # v1.4.2
\`\`\`

Or follow the major version, which moves to each \`v1.x.y\` release: \`uses: octo/token-action@v1\`.

Check that \`dist/\` was built from this commit by this repository's release workflow: \`gh attestation verify dist/index.js --repo octo/token-action\`.
`)
  })

  it('prints the notes of a released version from the changelog it is given', () => {
    const path = join(dir, 'CHANGELOG.md')
    writeFileSync(path, releaseChangelog(changelogFixture('1.0.0', '### Fixed\n\n- A fix.'), '1.0.1', '2026-02-03'))
    const printed = notes('1.0.1', commit, 'datasaur/datasaur-token-action', path)
    expect(printed).toEqual({
      code: 0,
      stdout: releaseNotes({
        changes: '### Fixed\n\n- A fix.',
        version: '1.0.1',
        commit,
        repository: 'datasaur/datasaur-token-action'
      }),
      stderr: ''
    })
    expect(printed.stdout).toContain(`uses: datasaur/datasaur-token-action@${commit} # v1.0.1\n`)
  })

  it('refuses a missing version, a short or missing commit, a bad repository and a version without notes', () => {
    const path = join(dir, 'CHANGELOG.md')
    writeFileSync(path, changelogFixture('1.0.0', ''))
    expect(notes()).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^Give the version as X\.Y\.Z/)
    })
    expect(notes('1.0.0', commit.slice(0, 12))).toMatchObject({
      code: 1,
      stderr: `'${commit.slice(0, 12)}' is not a full 40-hex commit SHA; give the commit the release tag points to.`
    })
    expect(notes('1.0.0', commit, 'not a repository')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('is not an owner/repository name')
    })
    expect(notes('2.0.0', commit, 'datasaur/datasaur-token-action', path)).toEqual({
      code: 1,
      stdout: '',
      stderr: `${path} has no release notes for 2.0.0; release with \`npm run release -- 2.0.0\`.`
    })
  })
})

// The release script runs in a scratch repository built from this work tree's files (tracked and
// untracked, as `git status` sees them), committed on a fresh main, with a bare repository as origin.
describe('npm run release', () => {
  const dir = mkdtempSync(join(tmpdir(), 'release-'))
  const repo = join(dir, 'repo')
  const origin = join(dir, 'origin.git')
  const read = (path: string) => readFileSync(join(repo, path), 'utf8')
  let current = ''
  let major = 0

  beforeAll(() => {
    const files = git(ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0')
    for (const path of new Set(files)) {
      if (!path || !existsSync(join(ROOT, path))) continue
      mkdirSync(dirname(join(repo, path)), { recursive: true })
      copyFileSync(join(ROOT, path), join(repo, path))
    }
    symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'junction')
    git(repo, 'init', '--quiet', '--initial-branch=main')
    // A `node_modules/` pattern matches directories only, not the symlink.
    writeFileSync(join(repo, '.git', 'info', 'exclude'), '/node_modules\n')
    for (const [key, value] of [
      ['user.name', 'Release Test'],
      ['user.email', 'release-test@example.com'],
      ['commit.gpgsign', 'false'],
      ['tag.gpgsign', 'false']
    ]) {
      git(repo, 'config', key, value)
    }
    current = JSON.parse(read('package.json')).version
    major = Number(current.split('.')[0])
    // A changelog of known content, with the current version released and a change waiting.
    writeFileSync(join(repo, 'CHANGELOG.md'), changelogFixture(current, '### Fixed\n\n- Retry on HTTP 502.'))
    git(repo, 'add', '--all')
    git(repo, 'commit', '--quiet', '-m', 'Start')
    git(repo, 'tag', '--annotate', `v${current}`, '-m', `Release v${current}`)
    git(dir, 'init', '--quiet', '--bare', origin)
    git(repo, 'remote', 'add', 'origin', origin)
    git(repo, 'push', '--quiet', 'origin', 'main', `v${current}`)
  }, 60_000)

  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  function release(...args: string[]) {
    const result = spawnSync(process.execPath, ['scripts/release.js', ...args], {
      cwd: repo,
      env: { ...childEnv, RELEASE_SKIP_NPM_RUN_ALL: '1' },
      encoding: 'utf8'
    })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr }
  }

  /** Runs the release, expects it refused with one sentence matching `message`, and nothing changed. */
  function expectRefusal(args: string[], message: RegExp) {
    const before = [git(repo, 'rev-parse', 'HEAD'), git(repo, 'status', '--porcelain'), git(repo, 'tag')]
    const result = release(...args)
    expect({ ...result, stderr: result.stderr.trim() }).toEqual({ code: 1, stdout: '', stderr: expect.any(String) })
    const sentence = result.stderr.trim()
    expect(sentence).toMatch(message)
    expect(sentence).toMatch(/^[^\n]+\.$/)
    expect(sentence).not.toMatch(/[.;:]\s+[A-Z]/)
    expect([git(repo, 'rev-parse', 'HEAD'), git(repo, 'status', '--porcelain'), git(repo, 'tag')]).toEqual(before)
  }

  it('refuses anything but one plain X.Y.Z version', () => {
    expectRefusal([], /^Give the new version as the one argument/)
    expectRefusal(['1.2.3', '1.2.4'], /^Give the new version as the one argument/)
    for (const version of ['v9.0.0', '9.0', '9.0.0-rc.1', '09.0.0', 'latest']) {
      expectRefusal([version], /is not a plain X\.Y\.Z version/)
    }
  })

  it('refuses a version that is not above the released current one', () => {
    expectRefusal([current], /is the current version and is already released/)
    const [a, b, c] = current.split('.').map(Number)
    const lower = c > 0 ? [a, b, c - 1] : b > 0 ? [a, b - 1, 0] : a > 0 ? [a - 1, 0, 0] : undefined
    if (lower) expectRefusal([lower.join('.')], new RegExp(`is lower than the current version ${current}`))
  })

  it('refuses a work tree with changes or untracked files', () => {
    writeFileSync(join(repo, 'README.md'), `${read('README.md')}\nMore.\n`)
    expectRefusal([`${major + 1}.0.0`], /uncommitted changes or untracked files/)
    git(repo, 'checkout', '--', 'README.md')
    writeFileSync(join(repo, 'notes.txt'), 'draft\n')
    expectRefusal([`${major + 1}.0.0`], /uncommitted changes or untracked files/)
    unlinkSync(join(repo, 'notes.txt'))
  })

  it('refuses to release from another branch or a detached HEAD', () => {
    git(repo, 'switch', '--quiet', '--create', 'topic')
    expectRefusal([`${major + 1}.0.0`], /^Releases are made from main, but the branch is topic; run `git switch main`/)
    git(repo, 'switch', '--quiet', '--detach', 'main')
    expectRefusal([`${major + 1}.0.0`], /^Releases are made from main, but HEAD is detached/)
    git(repo, 'switch', '--quiet', 'main')
    git(repo, 'branch', '--quiet', '--delete', 'topic')
  })

  it('refuses a version whose tag exists', () => {
    git(repo, 'tag', `v${major + 1}.0.0`)
    expectRefusal([`${major + 1}.0.0`], new RegExp(`^The tag v${major + 1}\\.0\\.0 already exists`))
    git(repo, 'tag', '--delete', `v${major + 1}.0.0`)
  })

  it('refuses when the Unreleased section lists no changes', () => {
    writeFileSync(join(repo, 'CHANGELOG.md'), changelogFixture(current, '### Added'))
    git(repo, 'commit', '--quiet', '--all', '-m', 'Empty the Unreleased section')
    expectRefusal([`${major + 1}.0.0`], /^The `## \[Unreleased\]` section of CHANGELOG\.md is empty/)
    git(repo, 'reset', '--quiet', '--hard', 'HEAD~1')
  })

  it('sets the version everywhere, releases the changelog, rebuilds dist/, commits and tags, and pushes nothing', () => {
    const version = `${major + 1}.0.0`
    const tag = `v${version}`
    const start = git(repo, 'rev-parse', 'HEAD')
    const remoteBefore = git(repo, 'ls-remote', 'origin')
    const docs = git(repo, 'ls-files', '--', '*.md', 'action.yml')
      .split('\n')
      .filter(path => path !== 'CHANGELOG.md')
    const docsBefore = new Map(docs.map(path => [path, read(path)]))
    const dayBefore = today()

    const result = spawnSync('npm', ['run', 'release', '--', version], {
      cwd: repo,
      env: { ...childEnv, RELEASE_SKIP_NPM_RUN_ALL: '1' },
      encoding: 'utf8',
      shell: process.platform === 'win32'
    })
    expect({ code: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' })
    expect(result.stdout.split('\n')).toContain(`  git push origin main ${tag}`)
    expect(result.stdout).toContain('Nothing was pushed.')

    // The version, everywhere it is recorded, and in the bundle's User-Agent.
    const lock = JSON.parse(read('package-lock.json'))
    expect([JSON.parse(read('package.json')).version, lock.version, lock.packages[''].version]).toEqual([
      version,
      version,
      version
    ])
    expect(read('src/version.ts')).toContain(`export const VERSION = '${version}'\n`)
    const bundle = read('dist/index.js')
    expect(bundle).toContain(`const VERSION = '${version}';`)
    expect(bundle).toContain('const USER_AGENT = `datasaur-token-action/${VERSION}`;')
    expect(bundle).not.toContain(`const VERSION = '${current}';`)

    // A new major version: the docs' @vN references follow it.
    const changedDocs: string[] = []
    for (const [path, before] of docsBefore) {
      const expected = setMajorReferences(before, major, major + 1)
      expect([path, read(path)]).toEqual([path, expected])
      if (expected !== before) changedDocs.push(path)
    }
    expect(changedDocs).toContain('README.md')

    // The changelog: the change released under today's date, Unreleased empty, links updated.
    const date = read('CHANGELOG.md').match(/^## \[\d+\.\d+\.\d+\] – (\S+)$/m)?.[1]
    expect([dayBefore, today()]).toContain(date)
    expect(read('CHANGELOG.md')).toBe(
      [
        '# Changelog',
        '',
        '## [Unreleased]',
        '',
        `## [${version}] – ${date}`,
        '',
        '### Fixed',
        '',
        '- Retry on HTTP 502.',
        '',
        `## [${current}] – 2025-01-15`,
        '',
        '### Added',
        '',
        '- The first release.',
        '',
        `[Unreleased]: ${REPOSITORY_URL}/compare/${tag}...HEAD`,
        `[${version}]: ${REPOSITORY_URL}/compare/v${current}...${tag}`,
        `[${current}]: ${REPOSITORY_URL}/releases/tag/v${current}`,
        ''
      ].join('\n')
    )

    // One commit on top of the start, holding exactly the release's edits, with the annotated tag on it.
    expect(git(repo, 'status', '--porcelain')).toBe('')
    expect(git(repo, 'log', '--format=%s', `${start}..HEAD`)).toBe(`Release ${tag}`)
    const committed = git(repo, 'diff', '--name-only', start, 'HEAD').split('\n')
    expect(committed.filter(path => !path.startsWith('dist/'))).toEqual(
      ['CHANGELOG.md', 'package-lock.json', 'package.json', 'src/version.ts', ...changedDocs].sort()
    )
    expect(committed).toContain('dist/index.js')
    expect(git(repo, 'cat-file', '-t', tag)).toBe('tag')
    expect(git(repo, 'rev-parse', `${tag}^{commit}`)).toBe(git(repo, 'rev-parse', 'HEAD'))
    expect(git(repo, 'tag', '--list', '--format=%(contents)', tag)).toBe(`Release ${tag}`)
    expect(git(repo, 'ls-remote', 'origin')).toBe(remoteBefore)
  }, 120_000)
})
