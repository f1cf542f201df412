// A job as the runner runs it, for the suites that need more than one step: the action's step
// (node dist/index.js), `run:` steps (a bash script), and the action's post step (node
// dist/post/index.js), sharing what a job shares:
//   - RUNNER_TEMP and a workspace, and RUNNER_TRACKING_ID, which every step's environment carries and by
//     which the runner finds, at the end of the job, the processes the job left behind;
//   - what GITHUB_ENV and GITHUB_PATH added, for the later steps; GITHUB_STATE, for the post step;
//   - the secret masker: a mask registered in one step masks the log of every later one.
// Each step's log is rendered as the runner builds it (runner-log.js), in both orders of its streams,
// batch by batch: the runner reads stdout and stderr on two threads and takes whatever both queues
// hold when either has a line (ProcessInvoker.ProcessOutput), so lines of the two streams that arrive
// close together may be read in either order. Here lines less than BATCH_GAP_MS apart share a batch;
// lines further apart are read in the order they arrived.

import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { ROOT, inputEnv, parseFileCommands } from './run-action.js'
import { ORDERS, readLines, renderRunnerLog } from './runner-log.js'

export const BATCH_GAP_MS = 50
export const ACTION_MAIN = join(ROOT, 'dist', 'index.js')
export const ACTION_POST = join(ROOT, 'dist', 'post', 'index.js')

/** Values the runner puts in every step's environment that no process of the action may pass on. */
export const RUNNER_SECRETS = {
  ACTIONS_RUNTIME_TOKEN: 'runtime-token-of-the-job-0123456789',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'id-token-request-token-0123456789',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.actions.example/id?audience=x'
}

/**
 * @typedef {{ stream: 'stdout' | 'stderr', text: string, at: number }} Chunk
 * @typedef {{ code: number | null, signal: string | null, stdout: string, stderr: string, chunks: Chunk[],
 *   durationMs: number, logs: Record<'stderr-first' | 'stdout-first', import('./runner-log.js').RunnerLog> }} StepResult
 */

/**
 * The lines of both streams, grouped into the batches the runner would read: a new batch begins when a
 * line arrives BATCH_GAP_MS or more after the one before it (on either stream).
 * @param {Chunk[]} chunks
 * @returns {{ stdout: string[], stderr: string[] }[]}
 */
export function batchesOf(chunks) {
  /** @type {{ stream: 'stdout' | 'stderr', line: string, at: number }[]} */
  const lines = []
  for (const stream of /** @type {const} */ (['stdout', 'stderr'])) {
    let pending = ''
    for (const chunk of chunks.filter(c => c.stream === stream)) {
      const parts = (pending + chunk.text).split(/\r\n|\r|\n/)
      pending = parts.pop() ?? ''
      for (const line of parts) lines.push({ stream, line, at: chunk.at })
    }
    if (pending) lines.push({ stream, line: pending, at: chunks.at(-1)?.at ?? 0 })
  }
  lines.sort((a, b) => a.at - b.at)
  /** @type {{ stdout: string[], stderr: string[] }[]} */
  const batches = []
  let last = -Infinity
  for (const { stream, line, at } of lines) {
    if (at - last >= BATCH_GAP_MS || batches.length === 0) batches.push({ stdout: [], stderr: [] })
    batches[batches.length - 1][stream].push(line)
    last = at
  }
  return batches
}

/** Runs `command`, recording each chunk of its output with the time it arrived. */
function runProcess(command, args, env, timeoutMs = 60_000) {
  return new Promise(resolve => {
    const started = performance.now()
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    /** @type {Chunk[]} */
    const chunks = []
    for (const stream of /** @type {const} */ (['stdout', 'stderr'])) {
      child[stream].setEncoding('utf8')
      child[stream].on('data', text => chunks.push({ stream, text, at: performance.now() }))
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const text = stream =>
        chunks
          .filter(c => c.stream === stream)
          .map(c => c.text)
          .join('')
      resolve({
        code,
        signal,
        stdout: text('stdout'),
        stderr: text('stderr'),
        chunks,
        durationMs: performance.now() - started
      })
    })
  })
}

/**
 * @param {{ debug?: boolean }} [options]
 */
export function createJob({ debug = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'datasaur-job-'))
  const runnerTemp = join(dir, '_temp')
  const workspace = join(dir, 'workspace')
  mkdirSync(runnerTemp)
  mkdirSync(workspace)
  const trackingId = `github_${randomUUID()}`
  /** @type {Record<string, string>} */
  const jobEnv = {}
  /** @type {string[]} newest first, as the runner prepends them */
  const paths = []
  /** @type {Record<string, string>} */
  let actionState = {}
  /** @type {string[]} */
  let secrets = []
  let stepCount = 0

  /** The environment of a step, as the runner builds it. */
  const stepEnv = (/** @type {Record<string, string>} */ extra = {}) => ({
    PATH: [...paths, process.env.PATH ?? ''].join(delimiter),
    HOME: process.env.HOME ?? '',
    SYSTEMROOT: process.env.SYSTEMROOT ?? '',
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TRACKING_ID: trackingId,
    GITHUB_WORKSPACE: workspace,
    ...(debug ? { RUNNER_DEBUG: '1' } : {}),
    ...RUNNER_SECRETS,
    ...jobEnv,
    ...extra
  })

  /** Fresh runner files for one step. */
  const stepFiles = () => {
    const stepDir = join(runnerTemp, '_runner_file_commands', String(++stepCount))
    mkdirSync(stepDir, { recursive: true })
    const files = {
      GITHUB_OUTPUT: join(stepDir, 'output'),
      GITHUB_ENV: join(stepDir, 'env'),
      GITHUB_PATH: join(stepDir, 'path'),
      GITHUB_STATE: join(stepDir, 'state'),
      GITHUB_STEP_SUMMARY: join(stepDir, 'summary')
    }
    for (const file of Object.values(files)) writeFileSync(file, '')
    return files
  }

  /** Renders the step's log in both orders, with the masks of the job so far, and registers its own. */
  const render = (/** @type {Omit<StepResult, 'logs'>} */ result, files = {}) => {
    const batches = batchesOf(result.chunks)
    const logs = Object.fromEntries(
      ORDERS.map(order => [order, renderRunnerLog('', { batches, order, secrets, debug, files })])
    )
    secrets = [...new Set([...secrets, ...logs['stderr-first'].masks, ...logs['stdout-first'].masks])]
    return /** @type {StepResult} */ ({ ...result, logs })
  }

  return {
    dir,
    runnerTemp,
    workspace,
    trackingId,
    env: jobEnv,
    paths,
    get secrets() {
      return secrets
    },

    /**
     * The action's step: `node dist/index.js` with INPUT_* for `inputs` (action.yml's defaults for the rest).
     * @param {Record<string, string>} inputs
     * @param {{ env?: Record<string, string>, entry?: string }} [options]
     */
    async action(inputs, options = {}) {
      const files = stepFiles()
      const result = await runProcess(process.execPath, [options.entry ?? ACTION_MAIN], {
        ...stepEnv(options.env),
        ...inputEnv(inputs),
        ...files
      })
      const read = name => readFileSync(files[name], 'utf8')
      const outputs = parseFileCommands(read('GITHUB_OUTPUT'), { name: 'output' })
      const env = parseFileCommands(read('GITHUB_ENV'), { name: 'env' })
      const state = parseFileCommands(read('GITHUB_STATE'), { name: 'state' })
      const added = readLines(read('GITHUB_PATH')).filter(Boolean)
      Object.assign(jobEnv, env)
      // The runner prepends each line in turn: the last one comes first.
      paths.unshift(...[...added].reverse())
      actionState = { ...actionState, ...state }
      return {
        ...render(result, { env: read('GITHUB_ENV'), output: read('GITHUB_OUTPUT') }),
        outputs,
        env,
        state,
        path: added
      }
    },

    /**
     * A `run:` step with bash, as the runner runs it: a script file, `bash --noprofile --norc -eo pipefail`.
     * @param {string} script
     * @param {{ env?: Record<string, string>, timeoutMs?: number }} [options]
     */
    async run(script, options = {}) {
      const file = join(runnerTemp, `script-${++stepCount}.sh`)
      writeFileSync(file, script)
      const result = await runProcess(
        'bash',
        ['--noprofile', '--norc', '-eo', 'pipefail', file],
        { ...stepEnv(options.env), ...stepFiles() },
        options.timeoutMs
      )
      return render(result)
    },

    /** The action's post step, with the state its step saved. */
    async post(options = {}) {
      const state = Object.fromEntries(Object.entries(actionState).map(([name, value]) => [`STATE_${name}`, value]))
      const result = await runProcess(process.execPath, [options.entry ?? ACTION_POST], {
        ...stepEnv(options.env),
        ...state,
        ...stepFiles()
      })
      return render(result)
    },

    /**
     * The processes whose environment holds this job's RUNNER_TRACKING_ID, as the runner finds them at the
     * end of the job (JobExtension, "Cleaning up orphan processes"): on Linux, through /proc/<pid>/environ.
     */
    processes() {
      const found = []
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue
        try {
          const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0')
          if (environ.includes(`RUNNER_TRACKING_ID=${trackingId}`)) {
            const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean)
            found.push({ pid: Number(entry), environ, cmdline })
          }
        } catch {
          // Gone, or not ours to read.
        }
      }
      return found
    },

    /** Every file under RUNNER_TEMP and the workspace, with its contents. */
    files() {
      const all = []
      const walk = path => {
        for (const entry of readdirSync(path)) {
          const full = join(path, entry)
          const stat = statSync(full, { throwIfNoEntry: false })
          if (stat?.isDirectory()) walk(full)
          else if (stat?.isFile()) all.push({ path: full, content: readFileSync(full) })
        }
      }
      for (const root of [runnerTemp, workspace]) if (existsSync(root)) walk(root)
      return all
    },

    /** The end of the job: orphan processes killed, the job's directories removed. */
    end() {
      for (const { pid } of this.processes()) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // Already gone.
        }
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
