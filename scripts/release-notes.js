// Prints the notes of a GitHub Release: the version's CHANGELOG.md section, then the commit it was
// built from and the `uses:` line that pins it, for users whose policy requires a full commit SHA.
//
//   node scripts/release-notes.js 1.2.3 <40-hex commit SHA> [owner/repository] [path/to/CHANGELOG.md]
//
// The release workflow passes the commit its verify job checked and tested, and its own repository.

import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { changelogSection, isEmptySection } from './changelog-section.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const DEFAULT_REPOSITORY = 'datasaur/datasaur-token-action'

/**
 * The release notes of `version`, built from `commit` in `repository`, with `changes` (the
 * CHANGELOG.md section) first.
 *
 * @param {{ changes: string, version: string, commit: string, repository: string }} release
 */
export function releaseNotes({ changes, version, commit, repository }) {
  const major = version.split('.')[0]
  return [
    changes.trim(),
    '',
    '### Using this release',
    '',
    `Built from commit \`${commit}\`. To pin this exact release, as a policy requiring full-length commit SHAs asks:`,
    '',
    '```yaml',
    `- uses: ${repository}@${commit} # v${version}`,
    '```',
    '',
    `Or follow the major version, which moves to each \`v${major}.x.y\` release: \`uses: ${repository}@v${major}\`.`,
    '',
    `Check that \`dist/\` was built from this commit by this repository's release workflow: \`gh attestation verify dist/index.js --repo ${repository}\`.`,
    ''
  ].join('\n')
}

function main() {
  const [version, commit, repository = DEFAULT_REPOSITORY, path = join(ROOT, 'CHANGELOG.md')] = process.argv.slice(2)
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(
      'Give the version as X.Y.Z and the commit SHA, e.g. `node scripts/release-notes.js 1.2.3 <commit>`.'
    )
  }
  if (!commit || !/^[0-9a-f]{40}$/.test(commit)) {
    throw new Error(`'${commit ?? ''}' is not a full 40-hex commit SHA; give the commit the release tag points to.`)
  }
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) {
    throw new Error(`'${repository}' is not an owner/repository name, such as ${DEFAULT_REPOSITORY}.`)
  }
  const changes = changelogSection(readFileSync(path, 'utf8'), version)
  if (changes === undefined || isEmptySection(changes)) {
    throw new Error(`${path} has no release notes for ${version}; release with \`npm run release -- ${version}\`.`)
  }
  process.stdout.write(releaseNotes({ changes, version, commit, repository }))
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main()
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    process.exitCode = 1
  }
}
