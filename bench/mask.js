// One run of the benchmark's `mask` figure, in a fresh process so the code is as cold as in a step:
//   node bench/mask.js <directory of src/text compiled> <run|random|same> <token length> <secret length>
// Prints, as JSON, the milliseconds (elapsed, and CPU time of the process) it took to add the secret and
// the token to a fresh Redactor and redact a line holding both (`mask`), and then to quote a server
// text as long as the response cap that holds both, HTML-escaped twice (`quote`).

import { pathToFileURL } from 'node:url'
import { join } from 'node:path'

const [dir, shape, tokenLength, secretLength] = process.argv.slice(2)
const { Redactor } = await import(pathToFileURL(join(dir, 'log-text.js')).href)

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** Characters that the forms of a secret (JSON, percent, form encoding, normalisation) all write differently. */
const SPECIAL = `&'"\\%/+= \u00e4\u00c5\u20ac`
const random = (length, alphabet) =>
  Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('')

const n = Number(tokenLength)
const run = Math.round(n * 0.6)
const tokens = {
  // One letter for 60 %, then random ones: the shape that cost minutes when every run of the skeleton was kept.
  run: () => 'A'.repeat(run) + random(n - run, ALNUM),
  random: () => random(n, ALNUM),
  same: () => 'A'.repeat(n)
}
const token = tokens[shape]()
const secret = random(Number(secretLength), ALNUM + SPECIAL)

const serverText = `Bad credentials: ${secret} ${token} &amp;#39; `.padEnd(64 * 1024, 'x')
const cpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
const started = { wall: performance.now(), cpu: cpuMs() }
const redactor = new Redactor()
redactor.add(secret)
redactor.add(token)
const line = redactor.redact(`token ${token} and secret ${secret}`)
const masked = { wall: performance.now(), cpu: cpuMs() }
const quoted = redactor.quote(serverText, 200)
const done = { wall: performance.now(), cpu: cpuMs() }

if (line !== 'token *** and secret ***' || !quoted.startsWith('Bad credentials: *** ***')) {
  console.error(`not redacted: ${line.slice(0, 80)} / ${quoted.slice(0, 80)}`)
  process.exit(3)
}
console.log(
  JSON.stringify({
    mask: { wall: masked.wall - started.wall, cpu: masked.cpu - started.cpu },
    quote: { wall: done.wall - masked.wall, cpu: done.cpu - masked.cpu }
  })
)
