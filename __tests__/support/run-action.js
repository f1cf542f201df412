// Runs the bundled action the way the GitHub runner does: `node dist/index.js` in a child process,
// inputs as INPUT_<NAME> variables with action.yml's defaults filled in, GITHUB_OUTPUT and GITHUB_ENV
// pointing at fresh files, and the results read back in the runner's `name<<delimiter` format.

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readActionInputs } from './action-inputs.js'
import { FileCommandError, processFileCommand, readKeyValuePairs } from './runner-files.js'
import { readLines } from './runner-log.js'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const ACTION_ENTRY = join(ROOT, 'dist', 'index.js')

/** The environment the runner gives an action for these inputs (defaults from action.yml). */
export function inputEnv(inputs) {
  const env = {}
  for (const [name, spec] of Object.entries(readActionInputs(join(ROOT, 'action.yml')))) {
    const value = inputs[name] ?? spec.default ?? ''
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = String(value)
  }
  return env
}

/**
 * Reads a GITHUB_OUTPUT / GITHUB_ENV file as the runner does after the step (support/runner-files.js):
 * `name=value` lines and `name<<delimiter` blocks, per platform. Where the runner would fail the step
 * over the file, this throws a FileCommandError with the runner's message.
 * @param {string | Uint8Array} text
 * @param {{ name?: import('./runner-files.js').FileCommandName, platform?: import('./runner-files.js').Platform }} [options]
 *   `name`: which file command it is (`output`, `env`, `state`), for how the runner stores the values
 * @returns {Record<string, string>}
 */
export function parseFileCommands(text, { name, platform } = {}) {
  if (!name) return Object.fromEntries(readKeyValuePairs(text, platform))
  const result = processFileCommand(name, text, { platform })
  if (result.failure !== undefined) throw new FileCommandError(result.failure, Object.entries(result.values))
  return { ...result.values }
}

/**
 * @param {Record<string, string>} inputs action inputs by name (snake_case)
 * @param {{ env?: Record<string, string>, node?: string, entry?: string, timeoutMs?: number }} [options]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string, outputs: Record<string, string>,
 *   env: Record<string, string>, outputFile: string, envFile: string, durationMs: number }>}
 */
export async function runAction(inputs, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'datasaur-action-'))
  const outputPath = join(dir, 'output')
  const envPath = join(dir, 'env')
  writeFileSync(outputPath, '')
  writeFileSync(envPath, '')
  const env = {
    PATH: process.env.PATH ?? '',
    SYSTEMROOT: process.env.SYSTEMROOT ?? '',
    HOME: process.env.HOME ?? '',
    GITHUB_OUTPUT: outputPath,
    GITHUB_ENV: envPath,
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: dir,
    ...inputEnv(inputs),
    ...options.env
  }
  const started = performance.now()
  const child = spawn(options.node ?? process.execPath, [options.entry ?? ACTION_ENTRY], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => (stdout += chunk))
  child.stderr.on('data', chunk => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  const code = await new Promise(resolve => child.on('close', resolve))
  clearTimeout(timer)
  const durationMs = performance.now() - started
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
    durationMs
  }
}

/** The lines of both streams, split where the runner splits them (CR, LF, CRLF). */
const streamLines = (/** @type {{ stdout: string, stderr?: string }} */ result) => [
  ...readLines(result.stdout),
  ...readLines(result.stderr ?? '')
]

/**
 * The lines of both streams, raw, that are not `::add-mask::` commands: where a secret must never appear,
 * masked or not. (support/runner-log.js renders the log as the runner shows it.)
 */
export function visibleLog(result) {
  return streamLines(result)
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
}

/** Values the action registered with `::add-mask::` on either stream, decoded as the runner decodes them. */
export function maskedValues(result) {
  return streamLines(result)
    .filter(line => line.startsWith('::add-mask::'))
    .map(line => line.slice('::add-mask::'.length).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'))
}
