import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import {
  checkDependabot,
  checkNodeVersion,
  checkRepository,
  checkWorkflow,
  inconsistentPins,
  isReleaseWorkflow,
  writePermissions
} from '../scripts/check-workflows.js'
import { ROOT } from './support/run-action.js'

// Fixture commits: well-formed, and plainly not any action's.
const CHECKOUT = `actions/checkout@${'1'.repeat(40)} # v7.0.1`
const SETUP_NODE = `actions/setup-node@${'2'.repeat(40)} # v7.0.0`
const ATTEST = `actions/attest@${'3'.repeat(40)} # v4.2.2`

/** A release workflow that keeps every rule; each case below breaks one. */
const GOOD = `name: Release

on:
  push:
    tags: ['v*.*.*']

permissions: {}

jobs:
  verify:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: ${CHECKOUT}
        with:
          persist-credentials: false
      - uses: ${SETUP_NODE}
        with:
          node-version-file: .node-version
          package-manager-cache: false
      - name: Check the tag
        env:
          TAG: \${{ github.ref_name }}
          MESSAGE: \${{ github.event.head_commit.message }}
        run: |
          echo "$TAG on \${{ runner.os }} for \${{ github.event_name }}"
          echo "\${{ needs.verify.outputs.commit }}"
      - uses: ./

  attest:
    needs: verify
    runs-on: ubuntu-latest
    permissions:
      contents: read
      id-token: write
      attestations: write
    steps:
      - uses: ${ATTEST}
        with:
          subject-path: dist/**

  release:
    needs: attest
    runs-on: ubuntu-latest
    permissions:
      contents: write
    steps:
      - run: echo released
`

/** `GOOD` with `from` (which must occur) replaced by `to`. */
function change(from: string, to: string, text = GOOD): string {
  if (!text.includes(from)) throw new Error(`The fixture has no ${JSON.stringify(from)}`)
  return text.replace(from, to)
}

/** The line (1-based) of the first occurrence of `needle` in `text`. */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle)
  if (at < 0) throw new Error(`No ${JSON.stringify(needle)} in the text`)
  return text.slice(0, at).split('\n').length
}

const TAG_TRIGGER = "on:\n  push:\n    tags: ['v*.*.*']\n"
/** `GOOD` without its writing jobs, run on pull requests: a CI workflow that keeps every rule. */
const CI = change(TAG_TRIGGER, 'on:\n  pull_request:\n', GOOD.slice(0, GOOD.indexOf('\n  attest:\n') + 1))
/** The same jobs run on a tag push, under a name that does not say release. */
const TAGGED = change('on:\n  pull_request:\n', TAG_TRIGGER, CI)

// [what is wrong, file name, workflow text, the message expected, the text on the line it names]
const BAD: [string, string, string, RegExp, string][] = [
  [
    'an action pinned to a tag',
    'release.yml',
    change(CHECKOUT, 'actions/checkout@v7'),
    /`actions\/checkout@v7` is not pinned to a commit; write `actions\/checkout@<40-hex commit SHA> # vX\.Y\.Z`/,
    'actions/checkout@v7'
  ],
  [
    'an action pinned to a branch',
    'release.yml',
    change(ATTEST, 'actions/attest@main # v4.2.2'),
    /`actions\/attest@main` is not pinned to a commit/,
    'actions/attest@main'
  ],
  [
    'an action pinned to a short SHA',
    'release.yml',
    change(CHECKOUT, 'actions/checkout@1111111 # v7.0.1'),
    /`actions\/checkout@1111111` is not pinned to a commit/,
    'actions/checkout@1111111'
  ],
  [
    'an action with no ref',
    'release.yml',
    change(CHECKOUT, 'actions/checkout'),
    /`actions\/checkout` is not pinned to a commit/,
    'actions/checkout\n'
  ],
  [
    'a SHA pin without its version comment',
    'release.yml',
    change(CHECKOUT, `actions/checkout@${'1'.repeat(40)}`),
    /has no `# vX\.Y\.Z` comment right after it on its line; add the release the SHA belongs to there\.$/,
    `actions/checkout@${'1'.repeat(40)}\n`
  ],
  [
    'a SHA pin whose comment is not a full version',
    'release.yml',
    change(SETUP_NODE, `actions/setup-node@${'2'.repeat(40)} # v7`),
    /`actions\/setup-node@2{40}` has no `# vX\.Y\.Z` comment/,
    '# v7\n'
  ],
  [
    'a SHA pin whose version comment is on another line',
    'release.yml',
    change(`- uses: ${ATTEST}`, `# v4.2.2\n      - uses: actions/attest@${'3'.repeat(40)}`),
    /`actions\/attest@3{40}` has no `# vX\.Y\.Z` comment/,
    `actions/attest@${'3'.repeat(40)}\n`
  ],
  [
    'a pin in flow style, its comment after the mapping',
    'release.yml',
    change(
      `      - uses: ${ATTEST}\n        with:\n          subject-path: dist/**`,
      `      - { uses: actions/attest@${'3'.repeat(40)}, with: { subject-path: x } } # v4.2.2`
    ),
    /`actions\/attest@3{40}` has no `# vX\.Y\.Z` comment right after it on its line/,
    '{ uses: actions/attest'
  ],
  [
    'a reusable workflow pinned to a tag',
    'release.yml',
    change(
      '  release:\n    needs: attest\n',
      '  call:\n    uses: octo/shared/.github/workflows/build.yml@v2\n  release:\n    needs: attest\n'
    ),
    /`octo\/shared\/\.github\/workflows\/build\.yml@v2` is not pinned to a commit/,
    'octo/shared/.github/workflows/build.yml@v2'
  ],
  [
    'a Docker image without a digest',
    'release.yml',
    change('      - run: echo released', '      - uses: docker://alpine:3.20'),
    /`docker:\/\/alpine:3\.20` is not pinned to an image digest/,
    'docker://alpine:3.20'
  ],
  [
    'setup-node caching npm in the release workflow',
    'release.yml',
    change('          package-manager-cache: false', '          package-manager-cache: false\n          cache: npm'),
    /job `verify` of a release workflow uses a cache, which any branch's workflow can write/,
    'cache: npm'
  ],
  [
    'setup-node free to turn on its cache in the release workflow',
    'release.yml',
    change('          package-manager-cache: false\n', ''),
    /job `verify` of a release workflow lets setup-node turn on its package cache; add `package-manager-cache: false`/,
    SETUP_NODE
  ],
  [
    'actions/cache in a workflow that runs on tags, whatever its name',
    'publish.yml',
    change(
      '      - uses: ./',
      `      - uses: actions/cache@${'4'.repeat(40)} # v5.0.0\n        with:\n          path: x\n          key: k`,
      TAGGED
    ),
    /job `verify` of a release workflow uses a cache/,
    'actions/cache@'
  ],
  [
    'a cache in a workflow that runs on releases',
    'publish.yml',
    change(
      TAG_TRIGGER,
      'on:\n  release:\n    types: [published]\n',
      change('package-manager-cache: false', 'package-manager-cache: false\n          cache: npm', TAGGED)
    ),
    /job `verify` of a release workflow uses a cache/,
    'cache: npm'
  ],
  [
    'a checkout that keeps its credentials',
    'release.yml',
    change('        with:\n          persist-credentials: false\n', ''),
    /job `verify` checks out with the token's credentials left in \.git\/config; add `persist-credentials: false`/,
    CHECKOUT
  ],
  [
    'a checkout that keeps its credentials in a workflow that is not a release',
    'ci.yml',
    change('persist-credentials: false', 'persist-credentials: true', CI),
    /job `verify` checks out with the token's credentials left/,
    CHECKOUT
  ],
  [
    'a workflow without top-level permissions',
    'release.yml',
    change('permissions: {}\n\n', ''),
    /has no top-level `permissions`; add `permissions: \{\}`/,
    'name: Release'
  ],
  [
    'a write permission at the top level',
    'release.yml',
    change('permissions: {}\n', 'permissions:\n  contents: write\n'),
    /grants `contents: write` to every job at the top level/,
    'contents: write\n\njobs'
  ],
  [
    'write-all at the top level',
    'release.yml',
    change('permissions: {}\n', 'permissions: write-all\n'),
    /grants `write-all` to every job at the top level/,
    'permissions: write-all'
  ],
  [
    'a write permission the job is not allowed',
    'release.yml',
    change(
      '    permissions:\n      contents: read\n    steps:\n      - uses: actions/checkout',
      '    permissions:\n      contents: write\n    steps:\n      - uses: actions/checkout'
    ),
    /job `verify` holds `contents: write`, which WRITE_PERMISSIONS in scripts\/check-workflows\.js does not give it/,
    'contents: write\n    steps:\n      - uses: actions/checkout'
  ],
  [
    'a further write permission in an allowed job',
    'release.yml',
    change('      contents: write\n', '      contents: write\n      pull-requests: write\n'),
    /job `release` holds `pull-requests: write`/,
    'pull-requests: write'
  ],
  [
    'write-all in a job',
    'release.yml',
    change('      contents: write\n', '      contents: write\n').replace(
      '    permissions:\n      contents: write\n',
      '    permissions: write-all\n'
    ),
    /job `release` holds `write-all`/,
    'permissions: write-all'
  ],
  [
    'a job given its allowed writes in another workflow',
    'ci.yml',
    change('      contents: read\n', '      contents: read\n      id-token: write\n', CI),
    /job `verify` holds `id-token: write`/,
    'id-token: write'
  ],
  [
    'a job allowed to write in the release workflow, elsewhere',
    'ci.yml',
    change('  verify:\n', '  release:\n', change('      contents: read\n', '      contents: write\n', CI)),
    /job `release` holds `contents: write`/,
    'contents: write'
  ],
  [
    'a pull_request_target trigger',
    'ci.yml',
    change('on:\n  pull_request:\n', 'on:\n  pull_request_target:\n    types: [opened]\n', CI),
    /runs on `pull_request_target`, which gives code or data from outside the repository a privileged token/,
    'pull_request_target:'
  ],
  [
    'a workflow_run trigger in a list',
    'ci.yml',
    change('on:\n  pull_request:\n', 'on: [push, workflow_run]\n', CI),
    /runs on `workflow_run`/,
    'on: [push, workflow_run]'
  ],
  [
    'a workflow_run trigger alone',
    'ci.yml',
    change('on:\n  pull_request:\n', 'on: workflow_run\n', CI),
    /runs on `workflow_run`/,
    'on: workflow_run'
  ],
  [
    'github.event written into a script',
    'release.yml',
    change('echo released', 'echo "${{ github.event.pull_request.title }}"'),
    /`\$\{\{ github\.event\.pull_request\.title \}\}` is written into a `run:` script, where a crafted github\.event value runs as shell code; pass it through `env:`/,
    'github.event.pull_request.title'
  ],
  [
    'the whole event, through a function',
    'release.yml',
    change('echo released', "echo '${{ toJSON(github.event) }}'"),
    /`\$\{\{ toJSON\(github\.event\) \}\}` is written into a `run:` script/,
    'toJSON(github.event)'
  ],
  [
    'github.event in index form and any letter case',
    'release.yml',
    change('echo released', "echo ${{ GitHub['event'].issue.title }}"),
    /is written into a `run:` script, where a crafted github\.event value/,
    "GitHub['event']"
  ],
  [
    'github.head_ref written into a script, on a later line of it',
    'release.yml',
    change(
      'echo "${{ needs.verify.outputs.commit }}"',
      'echo "${{ needs.verify.outputs.commit }}"\n          git switch ${{ github.head_ref }}'
    ),
    /`\$\{\{ github\.head_ref \}\}` is written into a `run:` script, where a crafted github\.head_ref value/,
    'git switch'
  ],
  [
    'an input written into a script',
    'release.yml',
    change('echo released', 'echo ${{inputs.version}}'),
    /`\$\{\{inputs\.version\}\}` is written into a `run:` script, where a crafted inputs value/,
    'inputs.version'
  ],
  [
    'a script in a plain one-line scalar',
    'release.yml',
    change('      - run: echo released', "      - run: 'echo ${{ github.event.inputs.name }}'"),
    /is written into a `run:` script, where a crafted github\.event value/,
    'github.event.inputs.name'
  ],
  [
    'setup-node given a version instead of .node-version',
    'release.yml',
    change('node-version-file: .node-version', 'node-version: 24'),
    /job `verify` sets up Node without `node-version-file: \.node-version`/,
    SETUP_NODE
  ],
  [
    'setup-node given a version besides .node-version',
    'release.yml',
    change('node-version-file: .node-version', 'node-version-file: .node-version\n          node-version: 22'),
    /job `verify` sets up Node without `node-version-file: \.node-version`/,
    SETUP_NODE
  ]
]

describe('checkWorkflow', () => {
  it('finds nothing wrong with a workflow that keeps every rule, and reads its pins', () => {
    expect(checkWorkflow('release.yml', GOOD)).toEqual({
      problems: [],
      pins: [
        { action: 'actions/checkout', sha: '1'.repeat(40), version: 'v7.0.1', line: lineOf(GOOD, CHECKOUT) },
        { action: 'actions/setup-node', sha: '2'.repeat(40), version: 'v7.0.0', line: lineOf(GOOD, SETUP_NODE) },
        { action: 'actions/attest', sha: '3'.repeat(40), version: 'v4.2.2', line: lineOf(GOOD, ATTEST) }
      ]
    })
  })

  it.each(BAD)('finds %s', (_what, name, text, message, onLine) => {
    const { problems } = checkWorkflow(name, text)
    expect(problems).toEqual([{ line: lineOf(text, onLine), message: expect.stringMatching(message) }])
    // Each message says what to do, in one sentence.
    expect(problems[0].message).toMatch(/;.+\.$|^is not valid YAML.*\.$/)
  })

  it('accepts a quoted pin, and the rules in flow style', () => {
    const text = change(`- uses: ${CHECKOUT}`, `- uses: 'actions/checkout@${'1'.repeat(40)}' # v7.0.1`)
    expect(checkWorkflow('release.yml', text).problems).toEqual([])
    const flow = change(
      '    permissions:\n      contents: read\n    steps:\n      - uses: actions/checkout',
      '    permissions: { contents: read }\n    steps:\n      - uses: actions/checkout'
    ).replace('        with:\n          persist-credentials: false\n', '        with: { persist-credentials: false }\n')
    expect(flow).not.toBe(GOOD)
    expect(checkWorkflow('release.yml', flow).problems).toEqual([])
  })

  it('checks CI workflows by the same rules, less the release workflow’s', () => {
    expect(checkWorkflow('ci.yml', CI).problems).toEqual([])
    const cached = change('package-manager-cache: false', 'cache: npm', CI)
    expect(checkWorkflow('ci.yml', cached).problems).toEqual([])
    const tagged = change('on:\n  pull_request:\n', TAG_TRIGGER, cached)
    expect(checkWorkflow('publish.yml', tagged).problems).toEqual([
      { line: lineOf(tagged, SETUP_NODE), message: expect.stringMatching(/lets setup-node turn on its package cache/) },
      { line: lineOf(tagged, 'cache: npm'), message: expect.stringMatching(/uses a cache/) }
    ])
  })

  it('finds text that is not YAML, where the parser stops', () => {
    const text = change('permissions: {}', 'permissions: {')
    expect(checkWorkflow('release.yml', text)).toEqual({
      problems: [
        { line: expect.any(Number), message: expect.stringMatching(/^is not valid YAML \(\w+\); fix the syntax\.$/) }
      ],
      pins: []
    })
    expect(checkWorkflow('release.yml', text).problems[0].line).toBeGreaterThanOrEqual(lineOf(text, 'permissions: {'))
  })

  it('names a release workflow by its file, a tag push or a release event', () => {
    expect(isReleaseWorkflow('release.yml', { push: { branches: ['main'] } })).toBe(true)
    expect(isReleaseWorkflow('publish.yml', { push: { tags: ['v*'] } })).toBe(true)
    expect(isReleaseWorkflow('publish.yml', { release: { types: ['published'] } })).toBe(true)
    expect(isReleaseWorkflow('publish.yml', ['release'])).toBe(true)
    expect(isReleaseWorkflow('ci.yml', { push: { branches: ['main'] }, pull_request: null })).toBe(false)
    expect(isReleaseWorkflow('ci.yml', 'push')).toBe(false)
  })

  it('counts the write permissions of each form of `permissions`', () => {
    expect(writePermissions('write-all')).toEqual(['write-all'])
    expect(writePermissions('read-all')).toEqual([])
    expect(writePermissions({})).toEqual([])
    expect(writePermissions(undefined)).toEqual([])
    expect(writePermissions({ contents: 'read', 'id-token': 'write', packages: 'none' })).toEqual(['id-token'])
  })
})

describe('inconsistentPins', () => {
  const pin = (file: string, action: string, sha: string, version: string, line = 3) => ({
    file,
    pin: { action, sha, version, line }
  })

  it('finds one release pinned to two commits, and one commit under two versions', () => {
    expect(
      inconsistentPins([
        pin('a.yml', 'actions/checkout', '1'.repeat(40), 'v7.0.1'),
        pin('b.yml', 'actions/checkout', '2'.repeat(40), 'v7.0.1', 9),
        pin('c.yml', 'github/codeql-action/init', '5'.repeat(40), 'v4.36.2'),
        pin('c.yml', 'github/codeql-action/analyze', '5'.repeat(40), 'v4.36.1', 12)
      ])
    ).toEqual([
      {
        file: 'b.yml',
        line: 9,
        message: `pins actions/checkout v7.0.1 to ${'2'.repeat(40)}, but a.yml:3 pins it to ${'1'.repeat(40)}; one release has one commit.`
      },
      {
        file: 'c.yml',
        line: 12,
        message: `calls github/codeql-action@${'5'.repeat(40)} v4.36.1, but c.yml:3 calls the same commit v4.36.2; correct the comment.`
      }
    ])
  })

  it('accepts the same pin twice and different releases of one action', () => {
    expect(
      inconsistentPins([
        pin('a.yml', 'actions/checkout', '1'.repeat(40), 'v7.0.1'),
        pin('b.yml', 'actions/checkout', '1'.repeat(40), 'v7.0.1'),
        pin('b.yml', 'actions/checkout', '2'.repeat(40), 'v6.0.3')
      ])
    ).toEqual([])
  })
})

describe('checkNodeVersion and checkDependabot', () => {
  const action = "runs:\n  using: 'node24'\n  main: dist/index.js\n"

  it('wants .node-version to name the runtime of action.yml', () => {
    expect(checkNodeVersion('24\n', action)).toBeUndefined()
    expect(checkNodeVersion('v24.11.0', action)).toBeUndefined()
    expect(checkNodeVersion('22\n', action)).toBe(
      'names Node 22, but action.yml runs the action on node24; set it to `24`.'
    )
    expect(checkNodeVersion('lts/*', action)).toMatch(/^holds `lts\/\*`, not a Node version/)
    expect(checkNodeVersion(undefined, action)).toBe('is missing; create it with the line `24`.')
  })

  it('wants npm and the actions updated with a cooldown', () => {
    const config = (cooldown: string) =>
      `version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n${cooldown}  - package-ecosystem: github-actions\n    directory: /\n${cooldown}`
    expect(checkDependabot(config('    cooldown:\n      default-days: 7\n'))).toEqual([])
    expect(checkDependabot(config(''))).toEqual([
      'updates npm without a cooldown; add `cooldown: { default-days: 7 }`.',
      'updates github-actions without a cooldown; add `cooldown: { default-days: 7 }`.'
    ])
    expect(checkDependabot('version: 2\nupdates: []\n')).toEqual([
      'has no `package-ecosystem: npm` update; add one.',
      'has no `package-ecosystem: github-actions` update; add one.'
    ])
    expect(checkDependabot(undefined)).toEqual([expect.stringMatching(/^is missing/)])
  })
})

describe('the repository', () => {
  const workflowsDir = join(ROOT, '.github', 'workflows')
  const workflows = readdirSync(workflowsDir).filter(name => /\.ya?ml$/.test(name))

  it('keeps every rule, and every remote `uses:` line is one of the pins read', () => {
    const result = checkRepository(ROOT)
    expect(result.problems).toEqual([])
    expect(workflows).toEqual(expect.arrayContaining(['ci.yml', 'codeql.yml', 'release.yml']))
    let remote = 0
    for (const name of workflows) {
      const text = readFileSync(join(workflowsDir, name), 'utf8')
      remote += text.split('\n').filter(line => /^\s*(?:-\s+)?uses:\s*(?!\.\/)\S/.test(line)).length
    }
    expect(result).toEqual({ problems: [], workflows: workflows.length, pins: remote })
    expect(remote).toBeGreaterThanOrEqual(10)
  })

  it('fails each real workflow when one of its pins goes back to a tag', () => {
    for (const name of workflows) {
      const text = readFileSync(join(workflowsDir, name), 'utf8')
      const unpinned = text.replace(/@[0-9a-f]{40} # (v\d+)\.\d+\.\d+/, '@$1')
      expect([name, unpinned === text]).toEqual([name, false])
      expect(checkWorkflow(name, unpinned).problems).toEqual([
        { line: expect.any(Number), message: expect.stringContaining('is not pinned to a commit') }
      ])
    }
  })
})

// The script as .ci/run runs it, against a copy of the repository's workflow files.
describe('node scripts/check-workflows.js', () => {
  const dir = mkdtempSync(join(tmpdir(), 'check-workflows-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  for (const path of ['.github', 'action.yml', '.node-version'])
    cpSync(join(ROOT, path), join(dir, path), { recursive: true })

  function run(env: NodeJS.ProcessEnv = {}) {
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-workflows.js'), dir], {
      env: { ...process.env, GITHUB_ACTIONS: '', ...env },
      encoding: 'utf8'
    })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr }
  }

  it('passes the repository and fails once a bad workflow is seeded, naming file and line', () => {
    expect(run()).toEqual({
      code: 0,
      stdout: expect.stringMatching(
        /^\d+ workflows checked: \d+ remote actions pinned by commit, no problems found\.\n$/
      ),
      stderr: ''
    })

    const seeded = `name: Seeded\non:\n  pull_request_target:\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v7\n      - run: echo "\${{ github.event.pull_request.title }}"\n`
    writeFileSync(join(dir, '.github', 'workflows', 'seeded.yml'), seeded)
    const result = run()
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      '.github/workflows/seeded.yml:3: runs on `pull_request_target`, which gives code or data from outside the repository a privileged token; use `pull_request` or `push` instead.',
      '.github/workflows/seeded.yml:1: has no top-level `permissions`; add `permissions: {}` and grant each job only what it needs.',
      expect.stringMatching(/^\.github\/workflows\/seeded\.yml:8: `actions\/checkout@v7` is not pinned to a commit/),
      expect.stringMatching(
        /^\.github\/workflows\/seeded\.yml:8: job `build` checks out with the token's credentials left/
      ),
      expect.stringMatching(
        /^\.github\/workflows\/seeded\.yml:9: `\$\{\{ github\.event\.pull_request\.title \}\}` is written into a `run:` script/
      ),
      '5 workflow problems found.'
    ])

    // In a workflow run, the problems become annotations on the file and line.
    expect(run({ GITHUB_ACTIONS: 'true' }).stderr).toContain(
      '::error file=.github/workflows/seeded.yml,line=8::.github/workflows/seeded.yml `actions/checkout@v7` is not pinned'
    )
  })
})
