// Runs the action's own code, `run()` from src/main.ts, in this process: with the real @actions/core
// printing to stdout, anything else printing to stderr (both captured here, as the runner reads both
// for commands), the real @actions/http-client, and GITHUB_OUTPUT / GITHUB_ENV
// files in a temporary directory. It sees what the bundle suites see, but runs src/, so a broken
// change to src/ is caught here too, and waits are recorded instead of slept.

import * as core from '@actions/core'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../src/main.js'
import type { RetryClock } from '../../src/exchange/retry.js'
import { inputEnv, parseFileCommands } from './run-action.js'

/** Variables of the test machine's own environment that the action reads; unset unless a test sets them. */
const AMBIENT = [
  'https_proxy',
  'HTTPS_PROXY',
  'http_proxy',
  'HTTP_PROXY',
  'all_proxy',
  'ALL_PROXY',
  'no_proxy',
  'NO_PROXY',
  'NODE_EXTRA_CA_CERTS',
  'NODE_TLS_REJECT_UNAUTHORIZED',
  'RUNNER_DEBUG'
]

export interface InProcessResult {
  /** 1 when the step failed (what `core.setFailed` sets), else 0. */
  code: number
  stdout: string
  /** What was written to process.stderr during the run. */
  stderr: string
  outputs: Record<string, string>
  env: Record<string, string>
  outputFile: string
  envFile: string
  /** Every wait the retry policy asked for, in ms, in order. */
  sleeps: number[]
  /** Timers the run started with setTimeout that had neither fired nor been cleared when it ended. */
  pendingTimers: number
}

export interface InProcessOptions {
  /** Variables of the step's environment (proxy, TLS, RUNNER_DEBUG...); `undefined` removes one. */
  env?: Record<string, string | undefined>
  /** Replaces parts of the clock; by default time is real, waits are recorded and skipped, random is 0. */
  clock?: Partial<RetryClock>
  /** Where run() looks for the keeper's bundle (refresh: true); by default beside src/main.ts. */
  distDir?: string
}

/**
 * Runs the action once with `inputs` (action.yml's defaults for the rest). Not reentrant: it sets
 * process.env and captures process.stdout and process.stderr for the duration of the run.
 */
export async function runInProcess(
  inputs: Record<string, string>,
  options: InProcessOptions = {}
): Promise<InProcessResult> {
  const dir = mkdtempSync(join(tmpdir(), 'datasaur-in-process-'))
  const outputPath = join(dir, 'output')
  const envPath = join(dir, 'env')
  writeFileSync(outputPath, '')
  writeFileSync(envPath, '')
  const sleeps: number[] = []
  const clock: RetryClock = {
    now: () => Date.now(),
    sleep: async ms => {
      sleeps.push(ms)
    },
    random: () => 0,
    ...options.clock
  }
  const variables: Record<string, string | undefined> = {
    // What the machine running the tests has set must not change what the action does.
    ...Object.fromEntries(AMBIENT.map(name => [name, undefined])),
    GITHUB_OUTPUT: outputPath,
    GITHUB_ENV: envPath,
    ...inputEnv(inputs),
    ...options.env
  }
  const saved = Object.fromEntries(Object.keys(variables).map(name => [name, process.env[name]]))
  let stdout = ''
  let stderr = ''
  const timers = trackTimers()
  const restore: (() => void)[] = []
  try {
    setVariables(variables)
    restore.push(capture(process.stdout, text => (stdout += text)))
    restore.push(capture(process.stderr, text => (stderr += text)))
    process.exitCode = undefined
    await run(core, clock, process.env, { distDir: options.distDir })
  } finally {
    for (const undo of restore) undo()
    setVariables(saved)
    timers.stop()
  }
  const code = process.exitCode === 1 ? 1 : 0
  process.exitCode = undefined
  const outputFile = readFileSync(outputPath, 'utf8')
  const envFile = readFileSync(envPath, 'utf8')
  rmSync(dir, { recursive: true, force: true })
  return {
    code,
    stdout,
    stderr,
    outputs: parseFileCommands(outputFile, { name: 'output' }),
    env: parseFileCommands(envFile, { name: 'env' }),
    outputFile,
    envFile,
    sleeps,
    pendingTimers: timers.pending.size
  }
}

/** Sends what is written to `stream` to `sink` instead, until the returned function is called. */
function capture(stream: NodeJS.WriteStream, sink: (text: string) => void): () => void {
  const write = stream.write
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const encoding = typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8'
    sink(
      typeof chunk === 'string' ? Buffer.from(chunk, encoding).toString('utf8') : Buffer.from(chunk).toString('utf8')
    )
    const callback = rest.find(arg => typeof arg === 'function') as (() => void) | undefined
    if (callback) process.nextTick(callback)
    return true
  }) as typeof stream.write
  return () => {
    stream.write = write
  }
}

/** Records the timers started with the global setTimeout until `stop()`, and which are still pending. */
function trackTimers(): { pending: Set<unknown>; stop(): void } {
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis
  const pending = new Set<unknown>()
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = realSet(() => {
      pending.delete(timer)
      callback(...args)
    }, ms)
    pending.add(timer)
    return timer
  }) as typeof setTimeout
  globalThis.clearTimeout = ((timer: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(timer)
    realClear(timer)
  }) as typeof clearTimeout
  return {
    pending,
    stop() {
      globalThis.setTimeout = realSet
      globalThis.clearTimeout = realClear
    }
  }
}

function setVariables(variables: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(variables)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
}
