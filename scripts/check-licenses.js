// Checks the licences of the packages bundled into dist/:
//
//   node scripts/check-licenses.js
//
// For each `ncc build` of the `bundle` script in package.json (dist/index.js and dist/undici/index.js),
// it runs the same build into a temporary directory with `--stats-out`, so the list of bundled
// packages is the one ncc itself reports, and makes sure that build is byte for byte the committed
// bundle. Then every package whose code is in the bundle must
//   - declare a licence on the allow-list below (an SPDX expression: all of an AND, one of an OR), and
//   - appear in that bundle's licenses.txt with that licence and its licence file's text,
// since the bundle is what users run and redistribute, and licenses.txt is the notice that travels
// with it. dist/ itself is never written.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Permissive licences whose terms the bundle meets by carrying the notice in licenses.txt. */
export const ALLOWED_LICENSES = ['MIT', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', 'Apache-2.0', '0BSD']

/**
 * @typedef {{ entry: string, out: string, license: string | undefined, args: string[] }} Bundle
 * @typedef {{ name: string, version: string, license: string, dir: string }} BundledPackage
 */

/**
 * The ncc builds of an npm script: each `ncc build <entry> … -o <out> … --license <file>` between
 * `&&`s. `args` are the options other than `-o`, to repeat the build elsewhere.
 *
 * @param {string} script
 * @returns {Bundle[]}
 */
export function nccBuilds(script) {
  /** @type {Bundle[]} */
  const builds = []
  for (const command of script.split('&&')) {
    const words = command.trim().split(/\s+/)
    if (words[0] !== 'ncc' || words[1] !== 'build' || !words[2]) continue
    /** @type {Bundle} */
    const build = { entry: words[2], out: 'dist', license: undefined, args: [] }
    for (let i = 3; i < words.length; i++) {
      if (words[i] === '-o' || words[i] === '--out') {
        build.out = words[++i]
      } else {
        if (words[i] === '--license') build.license = words[i + 1]
        build.args.push(words[i])
      }
    }
    builds.push(build)
  }
  return builds
}

/**
 * The absolute paths of the files in a webpack stats object (ncc's `--stats-out`), concatenated
 * modules and child compilations included.
 *
 * @param {any} stats
 * @returns {Set<string>}
 */
export function modulePaths(stats) {
  /** @type {Set<string>} */
  const paths = new Set()
  /** @param {any[] | undefined} modules */
  const walk = modules => {
    for (const module of modules ?? []) {
      // Loaders prefix the identifier (`loader!loader!/path/file.js`) and concatenation suffixes it.
      const resource =
        module.nameForCondition ??
        String(module.identifier ?? '')
          .split('!')
          .pop()
          ?.split('|')[0]
      if (resource && isAbsolute(resource)) paths.add(resource)
      walk(module.modules)
    }
  }
  walk(stats?.modules)
  for (const child of stats?.children ?? []) for (const path of modulePaths(child)) paths.add(path)
  return paths
}

/**
 * The package directory a file belongs to: the one under its last `node_modules`, scope included;
 * `undefined` for the project's own files.
 *
 * @param {string} root
 * @param {string} path
 */
export function packageDirOf(root, path) {
  const parts = relative(root, path).split(sep)
  const at = parts.lastIndexOf('node_modules')
  if (at < 0 || parts[0] === '..') return undefined
  const length = parts[at + 1]?.startsWith('@') ? 3 : 2
  if (parts.length < at + length + 1) return undefined
  return join(root, ...parts.slice(0, at + length))
}

/**
 * A package.json's licence as one SPDX expression, from `license` (a string, or the old `{ type }`
 * object) or the old `licenses` array; empty when it declares none.
 *
 * @param {any} manifest
 */
export function declaredLicense(manifest) {
  const { license, licenses } = manifest ?? {}
  if (typeof license === 'string') return license.trim()
  if (typeof license?.type === 'string') return license.type.trim()
  if (Array.isArray(licenses)) {
    return licenses
      .map(entry => (typeof entry === 'string' ? entry : entry?.type))
      .filter(type => typeof type === 'string')
      .join(' OR ')
  }
  return ''
}

/**
 * Whether an SPDX expression lets the package be bundled: each licence of an AND must be allowed,
 * one of an OR is enough. An expression that mixes both needs every licence in it allowed.
 *
 * @param {string} expression
 */
export function licenseAllowed(expression) {
  const ids = expression
    .replace(/[()]/g, ' ')
    .split(/\s+(?:AND|OR)\s+|\s+/)
    .filter(Boolean)
  if (ids.length === 0) return false
  const allowed = /** @param {string} id */ id => ALLOWED_LICENSES.includes(id)
  const hasAnd = /\sAND\s/.test(expression)
  const hasOr = /\sOR\s/.test(expression)
  if (hasOr && !hasAnd) return ids.some(allowed)
  return ids.every(allowed)
}

/**
 * The text of a package's licence file (LICENSE, LICENSE.md, LICENCE.txt, …), as ncc copies it.
 *
 * @param {string} dir
 */
function licenseText(dir) {
  const file = readdirSync(dir).find(name => /^licen[cs]e(\.|$)/i.test(name))
  return file ? readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n').trim() : undefined
}

/**
 * The packages of one build's stats, sorted by name, each once.
 *
 * @param {string} root
 * @param {any} stats
 * @returns {BundledPackage[]}
 */
export function bundledPackages(root, stats) {
  /** @type {Map<string, BundledPackage>} */
  const packages = new Map()
  for (const path of modulePaths(stats)) {
    const dir = packageDirOf(root, path)
    if (!dir || packages.has(dir)) continue
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    packages.set(dir, {
      name: String(manifest.name ?? relative(root, dir)),
      version: String(manifest.version ?? ''),
      license: declaredLicense(manifest),
      dir
    })
  }
  return [...packages.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/**
 * What is wrong with the packages of a bundle whose notices are `licenses` (its licenses.txt).
 *
 * @param {BundledPackage[]} packages
 * @param {string} licenses
 * @param {string} licensesPath as the messages name it
 * @returns {string[]}
 */
export function licenseProblems(packages, licenses, licensesPath) {
  const notices = `\n${licenses.replace(/\r\n/g, '\n')}`
  /** @type {string[]} */
  const problems = []
  for (const { name, version, license, dir } of packages) {
    const id = `${name}@${version}`
    if (!license) {
      problems.push(`${id} declares no licence in its package.json; bundle it only once its terms are known.`)
      continue
    }
    if (!licenseAllowed(license)) {
      problems.push(
        `${id} is licensed ${license}, which is not on the allow-list (${ALLOWED_LICENSES.join(', ')}); replace the package, or add the licence to ALLOWED_LICENSES in scripts/check-licenses.js once its terms are cleared.`
      )
    }
    const text = licenseText(dir)
    if (text === undefined) {
      problems.push(`${id} has no licence file, so ${licensesPath} carries no notice for it; replace the package.`)
    } else if (!notices.includes(`\n${name}\n${license}\n${text}`)) {
      problems.push(
        `${id} is bundled but ${licensesPath} has no entry for it with its licence (${license}) and licence text; run \`npm run bundle\` and commit dist/.`
      )
    }
  }
  return problems
}

/**
 * Runs one ncc build of `root`'s bundle in a temporary directory: ncc's stats, and the files it
 * wrote at the top of the output directory by name.
 *
 * @param {string} root
 * @param {Bundle} bundle
 */
export function buildWithStats(root, bundle) {
  const dir = mkdtempSync(join(tmpdir(), 'check-licenses-'))
  try {
    const out = join(dir, 'out')
    const statsPath = join(dir, 'stats.json')
    const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js')
    const result = spawnSync(
      process.execPath,
      [ncc, 'build', bundle.entry, '-o', out, ...bundle.args, '--stats-out', statsPath, '--quiet'],
      { cwd: root, encoding: 'utf8' }
    )
    if (result.status !== 0) {
      throw new Error(`\`ncc build ${bundle.entry}\` failed: ${(result.stderr || result.stdout).trim()}`)
    }
    /** @type {Map<string, Buffer>} */
    const files = new Map()
    for (const entry of readdirSync(out, { withFileTypes: true })) {
      if (entry.isFile()) files.set(entry.name, readFileSync(join(out, entry.name)))
    }
    return { stats: JSON.parse(readFileSync(statsPath, 'utf8')), files }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Checks every bundle of `root`'s `bundle` script.
 *
 * @param {string} root
 * @returns {{ problems: string[], bundles: { out: string, packages: BundledPackage[] }[] }}
 */
export function checkLicenses(root) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const builds = nccBuilds(String(manifest.scripts?.bundle ?? ''))
  /** @type {string[]} */
  const problems = []
  /** @type {{ out: string, packages: BundledPackage[] }[]} */
  const bundles = []
  if (builds.length === 0) problems.push("package.json's `bundle` script runs no `ncc build`; nothing was checked.")
  for (const build of builds) {
    const bundlePath = `${build.out}/index.js`
    if (!build.license) {
      problems.push(`\`ncc build ${build.entry}\` has no \`--license\`; add \`--license licenses.txt\` to it.`)
      continue
    }
    const licensesPath = `${build.out}/${build.license}`
    const { stats, files } = buildWithStats(root, build)
    for (const name of ['index.js', build.license]) {
      const committed = join(root, build.out, name)
      const built = files.get(name)
      // ncc writes no licence file for a bundle of the project's own code alone.
      if (name === build.license && !built && !existsSync(committed)) continue
      if (!existsSync(committed) || !built || !built.equals(readFileSync(committed))) {
        problems.push(
          `${build.out}/${name} is not what \`ncc build ${build.entry}\` makes now; run \`npm run bundle\` and commit dist/.`
        )
      }
    }
    const packages = bundledPackages(root, stats)
    const licenses = existsSync(join(root, licensesPath)) ? readFileSync(join(root, licensesPath), 'utf8') : ''
    problems.push(...licenseProblems(packages, licenses, licensesPath).map(problem => `${bundlePath}: ${problem}`))
    bundles.push({ out: build.out, packages })
  }
  return { problems, bundles }
}

function main() {
  const { problems, bundles } = checkLicenses(resolve(process.argv[2] ?? ROOT))
  for (const { out, packages } of bundles) {
    const list = packages.map(({ name, version, license }) => `${name}@${version} (${license || 'none'})`)
    console.log(`${out}/index.js bundles ${packages.length}: ${list.join(', ')}`)
  }
  for (const problem of problems) console.error(problem)
  if (problems.length > 0) {
    console.error(`${problems.length} licence problem${problems.length === 1 ? '' : 's'} found.`)
    process.exitCode = 1
  } else {
    console.log('Every bundled package has an allowed licence and its notice in licenses.txt.')
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main()
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    process.exitCode = 1
  }
}
