// What dist/ was built from: a SHA-256 over everything `npm run bundle` reads (src/, the TypeScript
// configuration, package.json's bundle script and the locked dependency versions), written to
// dist/sources.sha256 at the end of every bundle. The demo compares it with the sources it finds, by
// content rather than by file times (a clone sets every file's time to the moment of the clone).
//
//   node scripts/dist-sources.js --write   record the digest of the current sources in dist/
//   node scripts/dist-sources.js           say whether dist/ was built from the current sources (exit 1 if not)

import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const DIGEST_FILE = join('dist', 'sources.sha256')

/** Every file of `dir`, recursively, as paths relative to `root`, in a fixed order. */
function filesOf(root, dir) {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort()
}

/**
 * The digest of the bundle's sources in `root`. Line ends are read as LF, so a checkout that converts
 * them (Windows) has the same digest.
 */
export function sourcesDigest(root = ROOT) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
  const hash = createHash('sha256')
  const add = (name, content) => hash.update(`${name}\0${content.replace(/\r\n/g, '\n')}\0`)
  add('bundle script', manifest.scripts?.bundle ?? '')
  add('locked packages', JSON.stringify(lock.packages ?? {}))
  for (const file of ['tsconfig.json', ...filesOf(root, 'src')]) add(file, readFileSync(join(root, file), 'utf8'))
  return hash.digest('hex')
}

/** The digest dist/ records, or undefined when it records none. */
export function builtFrom(root = ROOT) {
  const file = join(root, DIGEST_FILE)
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--write')) {
    writeFileSync(join(ROOT, DIGEST_FILE), `${sourcesDigest()}\n`)
  } else {
    const current = builtFrom() === sourcesDigest()
    console.log(current ? 'dist/ is built from the current sources.' : 'dist/ is not built from the current sources.')
    process.exitCode = current ? 0 : 1
  }
}
