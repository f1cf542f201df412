// Prepares a release on the local main branch: `npm run release -- 1.2.3`.
//
// Sets the version in package.json, package-lock.json and src/version.ts (and, for a new major
// version, in the `datasaur/datasaur-token-action@vN` references of the docs), turns CHANGELOG.md's
// `## [Unreleased]` into `## [1.2.3] – <today, UTC>` under a fresh empty `## [Unreleased]`, rebuilds
// dist/, runs `npm run all`, then commits "Release v1.2.3" and creates the annotated tag v1.2.3.
// It pushes nothing: it prints the push command, and the pushed tag starts
// .github/workflows/release.yml, which checks the tag, runs the tests and publishes the release.
//
// Every check runs before the first file is written, so a refusal leaves the work tree as it was.
//
// RELEASE_SKIP_NPM_RUN_ALL=1 skips `npm run all`. It exists for the script's own test, which runs
// inside `npm test` and would otherwise start the whole suite again from within it.

import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isEmptySection, parseChangelog } from './changelog-section.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const REPOSITORY_URL = 'https://github.com/datasaur/datasaur-token-action'
const ACTION_REFERENCE = 'datasaur/datasaur-token-action@v'

/** A release is refused with a message that says what to do; nothing has been written yet. */
export class Refusal extends Error {}

/**
 * `[major, minor, patch]` of a plain `X.Y.Z` version (no `v`, no pre-release, no leading zeros);
 * `undefined` for anything else.
 *
 * @param {string} text
 * @returns {[number, number, number] | undefined}
 */
export function parseVersion(text) {
  const match = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(text)
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined
}

/** @param {[number, number, number]} version */
const format = version => version.join('.')

/**
 * Negative, zero or positive as version `a` is lower than, equal to or higher than `b`.
 *
 * @param {[number, number, number]} a
 * @param {[number, number, number]} b
 */
export function compareVersions(a, b) {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

/** @param {string} version */
const notPlainVersion = version =>
  new Refusal(
    `'${version}' is not a plain X.Y.Z version; give one like \`npm run release -- 1.2.3\` (no \`v\`, no pre-release suffix).`
  )

/**
 * The current and the new version, parsed, when `version` may be released after `currentText`
 * (package.json's version): it must be higher, or equal when the current version has never been
 * released (no tag, no CHANGELOG section), as for the first release.
 *
 * @param {string} version
 * @param {string} currentText
 * @param {boolean} currentReleased
 * @returns {[[number, number, number], [number, number, number]]}
 */
export function checkVersion(version, currentText, currentReleased) {
  const next = parseVersion(version)
  if (!next) throw notPlainVersion(version)
  const current = parseVersion(currentText)
  if (!current) {
    throw new Refusal(
      `package.json's version '${currentText}' is not X.Y.Z; correct it, commit it, and run the release again.`
    )
  }
  const order = compareVersions(next, current)
  if (order < 0 || (order === 0 && currentReleased)) {
    const suggestion = currentReleased ? format([current[0], current[1], current[2] + 1]) : currentText
    throw new Refusal(
      `${version} is ${order < 0 ? `lower than the current version ${currentText}` : 'the current version and is already released'}; give a higher one, e.g. \`npm run release -- ${suggestion}\`.`
    )
  }
  return [current, next]
}

/**
 * CHANGELOG.md with the Unreleased section released as `version` on `date`: a fresh empty
 * `## [Unreleased]`, then `## [version] – date` with what Unreleased held, and the link references
 * (Keep a Changelog) pointing Unreleased at the changes since the new tag and the new version at the
 * changes since the previous one.
 *
 * @param {string} text
 * @param {string} version
 * @param {string} date YYYY-MM-DD
 */
export function releaseChangelog(text, version, date) {
  const { lines, sections } = parseChangelog(text)
  const unreleased = sections.find(section => section.name === 'Unreleased')
  if (!unreleased) {
    throw new Refusal('CHANGELOG.md has no `## [Unreleased]` section; add one above the releases listing the changes.')
  }
  if (sections.some(section => section.name === version)) {
    throw new Refusal(`CHANGELOG.md already has a section for ${version}; give a version that has not been released.`)
  }
  const body = lines
    .slice(unreleased.start + 1, unreleased.end)
    .join('\n')
    .trim()
  if (isEmptySection(body)) {
    throw new Refusal(
      'The `## [Unreleased]` section of CHANGELOG.md is empty; list the changes of this release in it, commit, and run the release again.'
    )
  }
  const previous = sections.find(section => parseVersion(section.name))?.name

  const released = [
    ...lines.slice(0, unreleased.start + 1),
    '',
    `## [${version}] – ${date}`,
    '',
    ...body.split('\n'),
    '',
    ...lines.slice(unreleased.end)
  ]
  const unreleasedLink = `[Unreleased]: ${REPOSITORY_URL}/compare/v${version}...HEAD`
  const versionLink = previous
    ? `[${version}]: ${REPOSITORY_URL}/compare/v${previous}...v${version}`
    : `[${version}]: ${REPOSITORY_URL}/releases/tag/v${version}`
  const at = released.findIndex(line => /^\[unreleased\]:/i.test(line))
  if (at >= 0) {
    released.splice(at, 1, unreleasedLink, versionLink)
  } else {
    const { linksStart } = parseChangelog(released.join('\n'))
    if (linksStart < released.length) {
      released.splice(linksStart, 0, unreleasedLink, versionLink)
    } else {
      while (released.length > 0 && released[released.length - 1].trim() === '') released.pop()
      released.push('', unreleasedLink, versionLink, '')
    }
  }
  return released.join('\n')
}

/**
 * package.json with its `version` set, edited in place so nothing else in the file changes.
 *
 * @param {string} text
 * @param {string} version
 */
export function setPackageVersion(text, version) {
  const updated = text.replace(/^( {2}"version":\s*)"[^"]*"/m, `$1"${version}"`)
  if (JSON.parse(updated).version !== version) {
    throw new Refusal(
      "package.json's `version` is not on a line of its own where npm writes it; format package.json as npm does (two-space indent), commit it, and run the release again."
    )
  }
  return updated
}

/**
 * package-lock.json with the two places npm records the package's own version set: the top-level
 * `version` and `packages[""].version`.
 *
 * @param {string} text
 * @param {string} version
 */
export function setLockVersion(text, version) {
  const updated = text
    .replace(/^( {2}"version":\s*)"[^"]*"/m, `$1"${version}"`)
    .replace(/("packages":\s*\{\s*"":\s*\{[^{}]*?"version":\s*)"[^"]*"/, `$1"${version}"`)
  const lock = JSON.parse(updated)
  if (lock.version !== version || lock.packages?.['']?.version !== version) {
    throw new Refusal(
      "package-lock.json does not record the package's version where npm writes it; run `npm install`, commit package-lock.json, and run the release again."
    )
  }
  return updated
}

/**
 * src/version.ts with `VERSION` set.
 *
 * @param {string} text
 * @param {string} version
 */
export function setSourceVersion(text, version) {
  const pattern = /^(export const VERSION = )'[^']*'/m
  if (!pattern.test(text)) {
    throw new Refusal("src/version.ts has no `export const VERSION = '…'` line; restore it and commit it.")
  }
  return text.replace(pattern, `$1'${version}'`)
}

/**
 * Text with every `datasaur/datasaur-token-action@v<from>` reference changed to `@v<to>`.
 *
 * @param {string} text
 * @param {number} from
 * @param {number} to
 */
export function setMajorReferences(text, from, to) {
  return text.replace(new RegExp(`(${ACTION_REFERENCE})${from}(?![\\w.])`, 'g'), `$1${to}`)
}

/**
 * @param {string[]} args
 * @returns {string}
 */
function git(...args) {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trimEnd()
}

/** @param {string} ref */
function refExists(ref) {
  return spawnSync('git', ['rev-parse', '--quiet', '--verify', ref], { cwd: ROOT, stdio: 'ignore' }).status === 0
}

/**
 * Runs an npm script with its output on stderr, so stdout carries only the outcome.
 *
 * @param {string} script
 */
function npmRun(script) {
  console.error(`\n> npm run ${script}`)
  const result = spawnSync('npm', ['run', script], {
    cwd: ROOT,
    stdio: ['inherit', 2, 2],
    shell: process.platform === 'win32'
  })
  return result.status === 0
}

/** @param {string} path */
const read = path => readFileSync(join(ROOT, path), 'utf8')

/** @param {string[]} args */
function release(args) {
  if (args.length !== 1) {
    throw new Refusal('Give the new version as the one argument, e.g. `npm run release -- 1.2.3`.')
  }
  const [version] = args
  if (!parseVersion(version)) throw notPlainVersion(version)
  const tag = `v${version}`

  let branch = ''
  try {
    branch = git('symbolic-ref', '--quiet', '--short', 'HEAD')
  } catch {
    // A detached HEAD has no branch name.
  }
  if (branch !== 'main') {
    throw new Refusal(
      `Releases are made from main, but ${branch ? `the branch is ${branch}` : 'HEAD is detached'}; run \`git switch main\` and run the release again.`
    )
  }
  if (git('status', '--porcelain')) {
    throw new Refusal(
      'The work tree has uncommitted changes or untracked files (see `git status`); commit, stash or remove them, and run the release again.'
    )
  }

  const currentText = JSON.parse(read('package.json')).version
  const changelog = read('CHANGELOG.md')
  const currentReleased =
    refExists(`refs/tags/v${currentText}`) ||
    parseChangelog(changelog).sections.some(section => section.name === currentText)
  const [current, next] = checkVersion(version, currentText, currentReleased)
  if (refExists(`refs/tags/${tag}`)) {
    throw new Refusal(`The tag ${tag} already exists; give a later version, or delete the tag if it was a mistake.`)
  }

  // Everything is computed before anything is written.
  const today = new Date().toISOString().slice(0, 10)
  /** @type {Map<string, string>} */
  const edits = new Map([
    ['CHANGELOG.md', releaseChangelog(changelog, version, today)],
    ['package.json', setPackageVersion(read('package.json'), version)],
    ['package-lock.json', setLockVersion(read('package-lock.json'), version)],
    ['src/version.ts', setSourceVersion(read('src/version.ts'), version)]
  ])
  if (next[0] !== current[0]) {
    const docs = git('ls-files', '-z', '--', '*.md', 'action.yml')
      .split('\0')
      .filter(path => path && path !== 'CHANGELOG.md')
    for (const path of docs) {
      const text = read(path)
      const updated = setMajorReferences(text, current[0], next[0])
      if (updated !== text) edits.set(path, updated)
    }
  }
  for (const [path, text] of edits) writeFileSync(join(ROOT, path), text)
  console.error(`Wrote release ${version} into ${[...edits.keys()].join(', ')}.`)

  const undo = 'discard the release edits with `git checkout -- .`, fix and commit the cause, and run the release again'
  if (!npmRun('bundle')) throw new Error(`Nothing was committed: \`npm run bundle\` failed (see above); ${undo}.`)
  if (process.env.RELEASE_SKIP_NPM_RUN_ALL === '1') {
    console.error('\nSkipped `npm run all` (RELEASE_SKIP_NPM_RUN_ALL is set).')
  } else if (!npmRun('all')) {
    throw new Error(`Nothing was committed: \`npm run all\` failed (see above); ${undo}.`)
  }

  const unexpected = git('status', '--porcelain', '--untracked-files=all')
    .split('\n')
    .map(line => line.slice(3))
    .filter(path => path && !edits.has(path) && !path.startsWith('dist/'))
  if (unexpected.length > 0) {
    throw new Error(
      `Nothing was committed: the build changed files a release does not touch (${unexpected.join(', ')}); ${undo}.`
    )
  }

  git('add', '--all', '--', ...edits.keys(), 'dist')
  git('commit', '--quiet', '-m', `Release ${tag}`)
  git('tag', '--annotate', tag, '-m', `Release ${tag}`)
  const commit = git('rev-parse', '--short', 'HEAD')

  console.log(`
Committed "Release ${tag}" (${commit}) and tagged it ${tag}. Nothing was pushed.

Push the commit and the tag; the tag starts the release workflow, which checks it, runs the tests,
creates the GitHub Release from CHANGELOG.md and moves v${next[0]} to ${tag}:

  git push origin main ${tag}

To undo instead, before pushing: git tag -d ${tag} && git reset --hard HEAD~1`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    release(process.argv.slice(2))
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    process.exitCode = 1
  }
}
