// Prints one version's section of CHANGELOG.md, without its heading: the release notes the release
// workflow gives the GitHub Release.
//
//   node scripts/changelog-section.js 1.2.3 [path/to/CHANGELOG.md]
//
// Also the one reader of CHANGELOG.md's layout (Keep a Changelog: `## [Unreleased]`, then
// `## [X.Y.Z] – YYYY-MM-DD` newest first, then the link reference definitions), which
// scripts/release.js shares.

import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

/** A version heading: `## [1.2.3] – 2026-01-31`; a hyphen is accepted in place of the dash. */
const VERSION_HEADING = /^## \[(\d+\.\d+\.\d+)\](?:\s+[-–]\s+(\d{4}-\d{2}-\d{2}))?\s*$/
const UNRELEASED_HEADING = /^## \[Unreleased\]\s*$/i
/** A link reference definition at the start of a line, such as `[1.2.3]: https://…`. */
const LINK_DEFINITION = /^\[([^\]]+)\]:\s*(\S+)\s*$/

/**
 * The `## ` sections of a changelog, in order, and its link reference definitions.
 * A section runs from its heading to the next `## ` heading or the block of link definitions that
 * ends the file; `start` and `end` are line indexes, the heading's and the one after the section.
 *
 * @param {string} text
 */
export function parseChangelog(text) {
  const lines = text.split('\n')
  /** @type {Map<string, string>} */
  const links = new Map()
  for (const line of lines) {
    const link = LINK_DEFINITION.exec(line)
    if (link) links.set(link[1].toLowerCase(), link[2])
  }
  let linksStart = lines.length
  while (linksStart > 0 && (lines[linksStart - 1].trim() === '' || LINK_DEFINITION.test(lines[linksStart - 1]))) {
    linksStart--
  }
  while (linksStart < lines.length && lines[linksStart].trim() === '') linksStart++

  /** @type {{ name: string, date: string | undefined, start: number, end: number }[]} */
  const sections = []
  for (let i = 0; i < linksStart; i++) {
    if (!lines[i].startsWith('## ')) continue
    const version = VERSION_HEADING.exec(lines[i])
    const name = version ? version[1] : UNRELEASED_HEADING.test(lines[i]) ? 'Unreleased' : lines[i].slice(3).trim()
    sections.push({ name, date: version?.[2], start: i, end: linksStart })
  }
  for (let s = 0; s + 1 < sections.length; s++) sections[s].end = sections[s + 1].start
  return { lines, sections, links, linksStart }
}

/**
 * The body of the section named `name` (a version such as `1.2.3`, or `Unreleased`), without the
 * heading and the blank lines around it; `undefined` when the changelog has no such section.
 *
 * @param {string} text
 * @param {string} name
 */
export function changelogSection(text, name) {
  const { lines, sections } = parseChangelog(text)
  const section = sections.find(s => s.name === name)
  if (!section) return undefined
  return lines
    .slice(section.start + 1, section.end)
    .join('\n')
    .trim()
}

/**
 * Whether a section body says nothing: only blank lines and `###` headings left from a template.
 *
 * @param {string} body
 */
export function isEmptySection(body) {
  return body.split('\n').every(line => line.trim() === '' || /^###\s/.test(line))
}

function main() {
  const [version, path = join(ROOT, 'CHANGELOG.md')] = process.argv.slice(2)
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error('Give the version whose notes to print as X.Y.Z, e.g. `node scripts/changelog-section.js 1.2.3`.')
  }
  const body = changelogSection(readFileSync(path, 'utf8'), version)
  if (body === undefined) {
    throw new Error(`${path} has no \`## [${version}]\` section; release with \`npm run release -- ${version}\`.`)
  }
  if (isEmptySection(body)) {
    throw new Error(`The \`## [${version}]\` section of ${path} is empty; describe the release's changes in it.`)
  }
  process.stdout.write(`${body}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main()
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    process.exitCode = 1
  }
}
