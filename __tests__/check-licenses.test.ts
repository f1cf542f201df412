import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  bundledPackages,
  checkLicenses,
  declaredLicense,
  licenseAllowed,
  licenseProblems,
  modulePaths,
  nccBuilds,
  packageDirOf
} from '../scripts/check-licenses.js'
import { ROOT } from './support/run-action.js'

const MIT_TEXT = 'MIT License\n\nCopyright (c) Example authors\n\nPermission is hereby granted, free of charge.'

/** Writes `files` (path → contents) under `dir`. */
function writeTree(dir: string, files: Record<string, string>) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
}

/** A package directory's files: its package.json with `license`, and a LICENSE file unless null. */
function pkg(name: string, license: string | undefined, text: string | null = MIT_TEXT): Record<string, string> {
  return {
    [`node_modules/${name}/package.json`]: JSON.stringify({ name, version: '1.2.3', license, main: 'index.js' }),
    [`node_modules/${name}/index.js`]: `module.exports = ${JSON.stringify(name)}\n`,
    ...(text === null ? {} : { [`node_modules/${name}/LICENSE`]: text })
  }
}

describe('reading the bundle script and ncc’s stats', () => {
  it('finds every build of the bundle script, with its options', () => {
    const script = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.bundle
    expect(nccBuilds(script)).toEqual([
      { entry: 'src/index.ts', out: 'dist', license: 'licenses.txt', args: ['--license', 'licenses.txt'] },
      { entry: 'src/post.ts', out: 'dist/post', license: 'licenses.txt', args: ['--license', 'licenses.txt'] },
      { entry: 'src/keeper.ts', out: 'dist/keeper', license: 'licenses.txt', args: ['--license', 'licenses.txt'] },
      { entry: 'src/command.ts', out: 'dist/command', license: 'licenses.txt', args: ['--license', 'licenses.txt'] },
      {
        entry: 'node_modules/undici/index.js',
        out: 'dist/undici',
        license: 'licenses.txt',
        args: ['--license', 'licenses.txt']
      }
    ])
    expect(nccBuilds('tsc && ncc build a.js --minify --out build')).toEqual([
      { entry: 'a.js', out: 'build', license: undefined, args: ['--minify'] }
    ])
  })

  it('collects every file of the stats: concatenated modules, loader-prefixed identifiers, child builds', () => {
    const stats = {
      modules: [
        {
          nameForCondition: '/r/src/main.ts',
          modules: [{ nameForCondition: '/r/node_modules/a/index.js' }, { nameForCondition: '/r/src/b.ts' }]
        },
        { identifier: 'javascript/esm|/r/loader.js!/r/node_modules/@s/c/lib/c.js' },
        { identifier: 'external node-commonjs "node:fs"', name: 'external "node:fs"' }
      ],
      children: [{ modules: [{ nameForCondition: '/r/node_modules/d/d.js' }] }]
    }
    expect([...modulePaths(stats)].sort()).toEqual([
      '/r/node_modules/@s/c/lib/c.js',
      '/r/node_modules/a/index.js',
      '/r/node_modules/d/d.js',
      '/r/src/b.ts',
      '/r/src/main.ts'
    ])
  })

  it('assigns a file to the package under its last node_modules, scope included', () => {
    const root = join(tmpdir(), 'project')
    expect(packageDirOf(root, join(root, 'node_modules', 'tunnel', 'lib', 'tunnel.js'))).toBe(
      join(root, 'node_modules', 'tunnel')
    )
    expect(packageDirOf(root, join(root, 'node_modules', '@actions', 'core', 'lib', 'core.js'))).toBe(
      join(root, 'node_modules', '@actions', 'core')
    )
    expect(
      packageDirOf(root, join(root, 'node_modules', '@actions', 'http-client', 'node_modules', 'undici', 'index.js'))
    ).toBe(join(root, 'node_modules', '@actions', 'http-client', 'node_modules', 'undici'))
    expect(packageDirOf(root, join(root, 'src', 'main.ts'))).toBeUndefined()
    expect(packageDirOf(root, join(root, '..', 'node_modules', 'x', 'index.js'))).toBeUndefined()
  })
})

describe('licences', () => {
  it('reads a licence from each form package.json has used', () => {
    expect(declaredLicense({ license: 'MIT' })).toBe('MIT')
    expect(declaredLicense({ license: { type: 'ISC' } })).toBe('ISC')
    expect(declaredLicense({ licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }] })).toBe('MIT OR Apache-2.0')
    expect(declaredLicense({})).toBe('')
  })

  it.each([
    ['MIT', true],
    ['Apache-2.0', true],
    ['(MIT OR GPL-3.0-only)', true],
    ['GPL-3.0-only OR LGPL-2.1', false],
    ['MIT AND BSD-3-Clause', true],
    ['MIT AND GPL-2.0-only', false],
    ['(MIT OR GPL-2.0) AND ISC', false],
    ['GPL-3.0-or-later', false],
    ['Apache-2.0 WITH LLVM-exception', false],
    ['SEE LICENSE IN LICENSE.txt', false],
    ['UNLICENSED', false],
    ['', false]
  ])('%j is allowed: %s', (expression, allowed) => {
    expect(licenseAllowed(expression)).toBe(allowed)
  })
})

describe('licenseProblems', () => {
  const root = mkdtempSync(join(tmpdir(), 'check-licenses-problems-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  writeTree(root, {
    ...pkg('good', 'MIT'),
    ...pkg('@scope/gpl', 'GPL-3.0-only'),
    ...pkg('nameless', undefined),
    ...pkg('textless', 'ISC', null)
  })
  const at = (name: string) => [join(root, 'node_modules', name, 'index.js')]
  const stats = (...names: string[]) => ({ modules: names.flatMap(at).map(path => ({ nameForCondition: path })) })

  it('passes a package listed with its licence and text', () => {
    const packages = bundledPackages(root, stats('good'))
    expect(packages).toEqual([
      { name: 'good', version: '1.2.3', license: 'MIT', dir: join(root, 'node_modules', 'good') }
    ])
    expect(licenseProblems(packages, `good\nMIT\n${MIT_TEXT}\n`, 'dist/licenses.txt')).toEqual([])
    expect(licenseProblems(packages, `other\nISC\nText.\n\ngood\nMIT\n${MIT_TEXT}\n`, 'dist/licenses.txt')).toEqual([])
  })

  it('fails a package missing from licenses.txt, or listed without its licence or its text', () => {
    const packages = bundledPackages(root, stats('good'))
    const missing =
      'good@1.2.3 is bundled but dist/licenses.txt has no entry for it with its licence (MIT) and licence text; run `npm run bundle` and commit dist/.'
    expect(licenseProblems(packages, '', 'dist/licenses.txt')).toEqual([missing])
    expect(licenseProblems(packages, `good\n${MIT_TEXT}\n`, 'dist/licenses.txt')).toEqual([missing])
    expect(licenseProblems(packages, `good\nMIT\nMIT License\n`, 'dist/licenses.txt')).toEqual([missing])
    expect(licenseProblems(packages, `not-good\nMIT\n${MIT_TEXT}\n`, 'dist/licenses.txt')).toEqual([missing])
  })

  it('fails a licence off the allow-list, no licence, and no licence file', () => {
    const packages = bundledPackages(root, stats('textless', '@scope/gpl', 'nameless', 'good'))
    expect(packages.map(p => p.name)).toEqual(['@scope/gpl', 'good', 'nameless', 'textless'])
    const licenses = `@scope/gpl\nGPL-3.0-only\n${MIT_TEXT}\n\ngood\nMIT\n${MIT_TEXT}\n\ntextless\nISC\n`
    expect(licenseProblems(packages, licenses, 'dist/licenses.txt')).toEqual([
      '@scope/gpl@1.2.3 is licensed GPL-3.0-only, which is not on the allow-list (MIT, ISC, BSD-2-Clause, BSD-3-Clause, Apache-2.0, 0BSD); replace the package, or add the licence to ALLOWED_LICENSES in scripts/check-licenses.js once its terms are cleared.',
      'nameless@1.2.3 declares no licence in its package.json; bundle it only once its terms are known.',
      'textless@1.2.3 has no licence file, so dist/licenses.txt carries no notice for it; replace the package.'
    ])
  })
})

// ncc builds a small project whose node_modules hold an MIT and a GPL package, as `npm run bundle`
// would; the script then checks it as .ci/run checks this repository.
describe('node scripts/check-licenses.js', () => {
  const root = mkdtempSync(join(tmpdir(), 'check-licenses-project-'))
  const script = join(ROOT, 'scripts', 'check-licenses.js')
  const ncc = join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js')
  const bundle = 'ncc build index.js -o dist --license licenses.txt'

  function run() {
    const result = spawnSync(process.execPath, [script, root], { encoding: 'utf8' })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr }
  }

  beforeAll(() => {
    writeTree(root, {
      'package.json': JSON.stringify({ name: 'fixture', private: true, scripts: { bundle } }),
      'index.js': "console.log(require('permissive'), require('@copyleft/lib'))\n",
      ...pkg('permissive', 'MIT'),
      ...pkg('@copyleft/lib', 'GPL-3.0-only')
    })
    mkdirSync(join(root, 'node_modules', '@vercel'), { recursive: true })
    symlinkSync(join(ROOT, 'node_modules', '@vercel', 'ncc'), join(root, 'node_modules', '@vercel', 'ncc'), 'junction')
    const built = spawnSync(process.execPath, [ncc, 'build', 'index.js', '-o', 'dist', '--license', 'licenses.txt'], {
      cwd: root,
      encoding: 'utf8'
    })
    expect(built.status).toBe(0)
  }, 120_000)
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('lists what ncc bundled and fails on the GPL package', () => {
    expect(run()).toEqual({
      code: 1,
      stdout: 'dist/index.js bundles 2: @copyleft/lib@1.2.3 (GPL-3.0-only), permissive@1.2.3 (MIT)\n',
      stderr: [
        'dist/index.js: @copyleft/lib@1.2.3 is licensed GPL-3.0-only, which is not on the allow-list (MIT, ISC, BSD-2-Clause, BSD-3-Clause, Apache-2.0, 0BSD); replace the package, or add the licence to ALLOWED_LICENSES in scripts/check-licenses.js once its terms are cleared.',
        '1 licence problem found.',
        ''
      ].join('\n')
    })
  }, 120_000)

  it('fails when the committed bundle is not what ncc builds', () => {
    const path = join(root, 'dist', 'index.js')
    const committed = readFileSync(path)
    writeFileSync(path, `${committed}\n// edited by hand\n`)
    try {
      expect(run()).toMatchObject({
        code: 1,
        stderr: expect.stringContaining(
          'dist/index.js is not what `ncc build index.js` makes now; run `npm run bundle` and commit dist/.'
        )
      })
    } finally {
      writeFileSync(path, committed)
    }
  }, 120_000)
})

describe('this repository', () => {
  it('bundles only packages with an allowed licence, each listed in its bundle’s licenses.txt', () => {
    const { problems, bundles } = checkLicenses(ROOT)
    expect(problems).toEqual([])
    const names = Object.fromEntries(bundles.map(({ out, packages }) => [out, packages.map(p => p.name)]))
    expect(names).toEqual({
      dist: expect.arrayContaining(['@actions/core', '@actions/http-client', 'tunnel']),
      'dist/post': [],
      'dist/keeper': ['@actions/http-client', 'tunnel'],
      'dist/command': [],
      'dist/undici': ['undici']
    })
    // What ncc reports is what the bundle holds: each package's code is in it.
    const bundled = readFileSync(join(ROOT, 'dist', 'index.js'), 'utf8')
    for (const name of names.dist) expect([name, bundled.includes(`node_modules/${name}/`)]).toEqual([name, true])
  }, 120_000)
})
