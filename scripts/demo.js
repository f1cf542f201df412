// Runs the bundled action as a workflow step would and shows what the workflow sees.
//
// With no settings it starts the project's Datasaur-compatible token endpoint on loopback and uses
// its demo credentials. With DATASAUR_CLIENT_ID and DATASAUR_CLIENT_SECRET set (and optionally
// DATASAUR_BASE_URL) it asks that Datasaur deployment for a real token instead.

import { maskedValues, runAction } from '../__tests__/support/run-action.js'
import { startTokenServer } from '../__tests__/support/token-server.js'

const real = Boolean(process.env.DATASAUR_CLIENT_ID && process.env.DATASAUR_CLIENT_SECRET)
const server = real ? undefined : await startTokenServer()
const inputs = real
  ? {
      client_id: process.env.DATASAUR_CLIENT_ID,
      client_secret: process.env.DATASAUR_CLIENT_SECRET,
      ...(process.env.DATASAUR_BASE_URL ? { base_url: process.env.DATASAUR_BASE_URL } : {})
    }
  : { client_id: server.clientId, client_secret: server.clientSecret, base_url: server.baseUrl }

console.log(
  real ? `Datasaur deployment: ${inputs.base_url ?? 'https://datasaur.ai'}` : `Demo endpoint: ${server.tokenUrl}`
)
const result = await runAction(inputs)
await server?.close()

// What the runner does with the step's output: `::add-mask::` values become *** everywhere, and
// workflow commands are shown as annotations rather than printed.
const masks = maskedValues(result)
const mask = text => masks.reduce((out, value) => out.split(value).join('***'), text)
const log = result.stdout
  .split(/\r?\n/)
  .filter(line => line && !line.startsWith('::add-mask::') && !line.startsWith('::debug::'))
  .map(line => line.replace(/^::error::/, 'Error: '))

console.log('\nStep log:')
for (const line of log) console.log(`  ${mask(line)}`)
if (result.stderr) console.log(mask(result.stderr))
console.log(
  `\nStep ${result.code === 0 ? 'succeeded' : `failed (exit code ${result.code})`} in ${Math.round(result.durationMs)} ms.`
)
console.log('\nOutputs (steps.<id>.outputs):')
for (const [name, value] of Object.entries(result.outputs)) console.log(`  ${name} = ${mask(value)}`)
console.log('\nEnvironment of later steps:')
for (const [name, value] of Object.entries(result.env)) console.log(`  ${name} = ${mask(value)}`)
if (result.outputs.access_token) {
  console.log(`\nThe token (${result.outputs.access_token.length} characters) was masked: it shows as *** in the log.`)
}
process.exitCode = result.code ?? 1
