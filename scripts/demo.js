// Runs the bundled action as a workflow step would and shows what the workflow sees. It needs no
// install: dist/ is committed and the demo uses only Node's own modules. When the build tools are
// installed and src/ differs from what dist/ was built from (scripts/dist-sources.js compares their
// content), it rebuilds dist/ first, so an edit in src/ shows here at once.
//
// With no settings it starts the project's Datasaur-compatible token endpoint on loopback and uses
// its demo credentials. With DATASAUR_CLIENT_ID and DATASAUR_CLIENT_SECRET set (and optionally
// DATASAUR_BASE_URL, default https://datasaur.ai) it asks that Datasaur deployment for a real token.

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runAction } from '../__tests__/support/run-action.js'
import { renderBothOrders } from '../__tests__/support/runner-log.js'
import { startTokenServer } from '../__tests__/support/token-server.js'
import { builtFrom, ROOT, sourcesDigest } from './dist-sources.js'

if (builtFrom() !== sourcesDigest()) {
  if (existsSync(join(ROOT, 'node_modules', '@vercel', 'ncc'))) {
    console.log('src/ differs from what dist/ was built from: rebuilding dist/ (npm run bundle).')
    const build = spawnSync('npm', ['run', 'bundle', '--silent'], { cwd: ROOT, stdio: 'inherit', shell: true })
    if (build.status !== 0) process.exit(build.status ?? 1)
  } else {
    console.log(
      'src/ differs from what dist/ was built from; showing the committed dist/ (npm ci, then npm run demo, rebuilds it).'
    )
  }
}

const { DATASAUR_CLIENT_ID: clientId, DATASAUR_CLIENT_SECRET: clientSecret, DATASAUR_BASE_URL: baseUrl } = process.env
if (Boolean(clientId) !== Boolean(clientSecret)) {
  const missing = clientId ? 'DATASAUR_CLIENT_SECRET' : 'DATASAUR_CLIENT_ID'
  console.error(
    `${missing} is not set: set both DATASAUR_CLIENT_ID and DATASAUR_CLIENT_SECRET to ask a Datasaur ` +
      'deployment for a real token, or neither to use the local demo endpoint.'
  )
  process.exit(2)
}
const real = Boolean(clientId && clientSecret)
const server = real ? undefined : await startTokenServer()
const inputs = real
  ? { client_id: clientId, client_secret: clientSecret, ...(baseUrl ? { base_url: baseUrl } : {}) }
  : { client_id: server.clientId, client_secret: server.clientSecret, base_url: server.baseUrl }

console.log(real ? `Datasaur deployment: ${baseUrl || 'https://datasaur.ai'}` : `Demo endpoint: ${server.tokenUrl}`)
const result = await runAction(inputs)
await server?.close()

// What the runner makes of the step's stdout and stderr (__tests__/support/runner-log.js): masked values
// become *** everywhere, and workflow commands are obeyed rather than printed. The runner may read
// either stream first; the log is shown with stdout first, and again if stderr first would change it.
const logs = renderBothOrders(result.stdout, {
  stderr: result.stderr,
  files: { env: result.envFile, output: result.outputFile }
})
const log = logs['stdout-first']
const sameLines = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort())

/** A heading and its lines, or "(none)" under it when there are none. */
function section(heading, lines) {
  console.log(`\n${heading}`)
  for (const line of lines.length ? lines : ['(none)']) console.log(`  ${line}`)
}

section('Step log:', log.lines)
if (!sameLines(log.lines, logs['stderr-first'].lines)) {
  section('Step log, if the runner reads standard error first:', logs['stderr-first'].lines)
}
console.log(
  `\nStep ${result.code === 0 ? 'succeeded' : `failed (exit code ${result.code})`} in ${Math.round(result.durationMs)} ms.`
)
section(
  'Outputs (steps.<id>.outputs):',
  Object.entries(result.outputs).map(([name, value]) => `${name} = ${log.mask(value)}`)
)
section(
  'Environment of later steps:',
  Object.entries(result.env).map(([name, value]) => `${name} = ${log.mask(value)}`)
)
if (result.outputs.access_token) {
  console.log(`\nThe token (${result.outputs.access_token.length} characters) was masked: it shows as *** in the log.`)
}
process.exitCode = result.code ?? 1
