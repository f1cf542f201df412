// Assertions on the log as the runner renders it (support/runner-log.js): what a person reading the
// workflow run sees, and which workflow commands the runner obeyed. The runner reads commands from
// stdout and stderr alike, and in which order it reads a batch of the two is not fixed, so every
// assertion here holds in both extreme orders: all of stderr first, and all of stdout first.

import { expect } from '@jest/globals'
import {
  injectedCommands,
  ORDERS,
  renderBothOrders,
  visibleSecrets,
  type RenderOptions,
  type RunnerLog
} from './runner-log.js'

/** What a run leaves for the runner: its two streams and, when the suite has them, its runner files. */
export interface StepOutput {
  stdout: string
  stderr?: string
  outputFile?: string
  envFile?: string
}

/**
 * The step's streams read as the runner reads them, in both orders, with debug logging on (so
 * `::debug::` lines and the values of the runner files are shown too): the runner never stopped
 * processing commands, obeyed no command the action does not issue itself, could read the files, and
 * shows none of `values`. Returns the log rendered with stdout first, for further checks.
 */
export function expectSafeLog(result: StepOutput, values: string[]): RunnerLog {
  const logs = renderBothOrders(result.stdout, {
    stderr: result.stderr ?? '',
    debug: true,
    files: { env: result.envFile, output: result.outputFile }
  })
  const secrets = values.filter(Boolean)
  for (const order of ORDERS) {
    const log = logs[order]
    expect({
      order,
      failure: log.failure,
      stoppedAt: log.stoppedAt,
      injected: injectedCommands(log),
      visible: visibleSecrets(log, secrets),
      failedFiles: log.failedFiles
    }).toEqual({ order, failure: undefined, stoppedAt: undefined, injected: [], visible: [], failedFiles: [] })
  }
  return logs['stdout-first']
}

/**
 * What `select` reads from the step's log, which must be the same whichever stream the runner reads
 * first (the error annotations, say).
 */
export function inBothOrders<T>(
  result: StepOutput,
  select: (log: RunnerLog) => T,
  options: Omit<RenderOptions, 'order' | 'stderr'> = {}
): T {
  const logs = renderBothOrders(result.stdout, { ...options, stderr: result.stderr ?? '' })
  const selected = select(logs['stderr-first'])
  expect(select(logs['stdout-first'])).toEqual(selected)
  return selected
}
