// actions/runner's own tests of what ExecutionContext writes to the log and attaches to the run,
// src/Test/L0/Worker/ExecutionContextL0.cs at v2.336.0, run against the model (support/runner-log.js
// createStep).
//
// Left out:
//   AddIssue_OverrideLogMessage  the log message override is used by problem matchers only
//   AddIssue_AddStepAndLineNumberInformation  the step and line numbers attached to an annotation
//   ApplyContinueOnError_CheckResultAndOutcome, ActionResult_Lowercase, PublishStepTelemetry_*,
//   PublishStepResult_*, RegisterPostJobStep_*, RegisterPostJobAction_*  step results, telemetry, post steps
//   GetExpressionValues_ContainerStepHost, ActionVariables_*, InitializeJob_*  expression contexts and
//   variables: the model takes the outcome (`debug`) as an option

import { describe, expect, it } from '@jest/globals'
import { createStep } from '../support/runner-log.js'

describe('ExecutionContext', () => {
  it('ExecutionContextL0.AddIssue_CountWarningsErrors: keeps ten annotations of each type, and logs them all', () => {
    const step = createStep()
    for (let i = 0; i < 15; i++) step.addIssue('error', 'error')
    for (let i = 0; i < 14; i++) step.addIssue('warning', 'warning')
    const log = step.log('stdout-first')

    expect(log.annotations.filter(a => a.type === 'error')).toHaveLength(10)
    expect(log.annotations.filter(a => a.type === 'warning')).toHaveLength(10)
    expect(log.raw).toHaveLength(29)
  })

  it('ExecutionContextL0.AddIssue_TrimMessageSize: cuts each annotation to 4096 characters', () => {
    const step = createStep()
    for (const type of ['error', 'warning', 'notice'] as const) step.addIssue(type, 'a'.repeat(5000))

    expect(step.log('stdout-first').annotations.map(a => [a.type, a.message.length])).toEqual([
      ['error', 4096],
      ['warning', 4096],
      ['notice', 4096]
    ])
  })

  it('ExecutionContextL0.Debug_Multilines: writes one log line per line of a debug message', () => {
    // ACTIONS_STEP_DEBUG=true. Debug(null) has no JavaScript counterpart: it writes nothing.
    const step = createStep({ debug: true })
    for (const message of ['', '\n', '\r\n', 'test', 'te\nst', 'te\r\nst']) step.debug(message)

    expect(step.log('stdout-first').raw).toEqual([
      '##[debug]',
      '##[debug]',
      '##[debug]',
      '##[debug]',
      '##[debug]',
      '##[debug]test',
      '##[debug]te',
      '##[debug]st',
      '##[debug]te',
      '##[debug]st'
    ])
  })
})
