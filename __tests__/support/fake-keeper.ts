// A stand-in for the token keeper's bundle, for the suites that start a keeper from src/ in this
// process (keeper-start.test.ts, main-refresh.test.ts).

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A stand-in for the keeper's bundle, written to a temporary dist/: it does what the step needs of a
 * keeper (reads the payload from stdin, listens, says ready, answers token and stop requests with the
 * published token) and records its environment, arguments and payload in RUNNER_TEMP/record.json, so
 * that what the step hands it can be checked. The real keeper is run from the committed bundle in
 * refresh.bundle.test.ts; the suites that run src/ use this one, since mutation testing has no dist/.
 */
export const FAKE_KEEPER = `
import { createServer } from 'node:net'
import { fstatSync, readFileSync, writeFileSync } from 'node:fs'
let text = ''
// What holds each of the keeper's standard streams, and its process group and session (the fields
// after the command name in /proc/self/stat: state, parent, group, session).
const streams = [0, 1, 2].map(fd => {
  const stats = fstatSync(fd)
  return stats.isFIFO() || stats.isSocket() ? 'pipe' : stats.isCharacterDevice() ? 'device' : 'other'
})
const [, , group, session] = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').map(Number)
process.stdin.setEncoding('utf8')
process.stdin.on('data', chunk => (text += chunk))
process.stdin.on('end', () => {
  const payload = JSON.parse(text)
  if (process.env.RUNNER_TEMP) {
    writeFileSync(process.env.RUNNER_TEMP + '/record.json', JSON.stringify({ env: process.env, argv: process.argv, cwd: process.cwd(), payload, streams, pid: process.pid, group, session }))
  }
  const server = createServer(socket => socket.on('data', line => {
    const request = JSON.parse(String(line))
    if (request.key !== payload.key) return socket.destroy()
    if (request.op === 'stop') return socket.end(JSON.stringify({ ok: true, op: 'stop', minted: 0 }) + '\\n', () => process.exit(0))
    socket.end(JSON.stringify({ ok: true, op: 'token', token: payload.token.accessToken, expiresAt: 1, masks: [], announced: true }) + '\\n')
  }))
  server.listen(payload.socket, () => process.stdout.write('ready\\n'))
})
`

/** Writes a dist/ directory holding `body` as keeper/index.js (an ES module); the caller removes it. */
export function writeFakeDist(body = FAKE_KEEPER): string {
  const dist = mkdtempSync(join(tmpdir(), 'datasaur-dist-'))
  mkdirSync(join(dist, 'keeper'))
  writeFileSync(join(dist, 'keeper', 'index.js'), body)
  writeFileSync(join(dist, 'keeper', 'package.json'), '{"type":"module"}')
  return dist
}
