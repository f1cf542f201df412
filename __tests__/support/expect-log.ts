// Assertions on the log as the runner renders it (support/runner-log.js): what a person reading the
// workflow run sees, and which workflow commands the runner obeyed.

import { expect } from '@jest/globals'
import { injectedCommands, renderRunnerLog, visibleSecrets } from './runner-log.js'

/**
 * The step's stdout, read as the runner reads it, with debug logging on (so `::debug::` lines are
 * shown too): the runner never stopped processing commands, obeyed no command the action does not
 * issue itself, and shows none of `values`. stderr is not parsed for commands here but is shown in
 * the log, so none of `values` may appear there either. Returns the rendered log for further checks.
 */
export function expectSafeLog(result: { stdout: string; stderr?: string }, values: string[]) {
  const log = renderRunnerLog(result.stdout, { debug: true })
  expect(log.failure).toBeUndefined()
  expect(log.stoppedAt).toBeUndefined()
  expect(injectedCommands(log)).toEqual([])
  const secrets = values.filter(Boolean)
  expect(visibleSecrets(log, secrets)).toEqual([])
  for (const value of secrets) expect(result.stderr ?? '').not.toContain(value)
  return log
}
