// actions/runner's own tests of OutputManager, src/Test/L0/Worker/OutputManagerL0.cs at v2.336.0, as far
// as they are not about problem matchers, run against the model (support/runner-log.js createStep). The
// StripCompositeMarkers tests come with the rewrite of `##[start-action` and `##[end-action` (commit
// ecb5f298f, "Composite Action Step Markers", 23 February 2026, first released in v2.332.0), which
// v2.336.0 contains. The L0 fixture mocks the command manager; the model runs its own, which processes
// none of these lines but `##[group]`, and that writes the same line the fixture's regular output does.
//
// Left out:
//   AddMatcher_Clobber, AddMatcher_Prepend, MatcherCode, DoesNotResetMatchingMatcher, InitialMatchers,
//   MatcherLineColumn, MatcherDoesNotReceiveCommand, MatcherRemoveColorCodes, RemoveMatcher,
//   ResetsOtherMatchers, MatcherSeverity, MatcherTimeout, MatcherFile, MatcherFile_JobContainer,
//   MatcherFile_StepContainer, MatcherFromPath, MatcherDefaultFromPath  problem matchers
//   CaptureTelemetryForGitUnsafeRepository  telemetry (the line itself is printed as it is)

import { describe, expect, it } from '@jest/globals'
import { createStep } from '../support/runner-log.js'

/** Each row: the L0 test, the line processed, and the messages written (ExecutionContext.Write). */
const rows: [l0: string, line: string, messages: string[]][] = [
  [
    'StripCompositeMarkers_StartAction',
    '##[start-action display=Fake;id=fake]',
    ['##[\\start-action display=Fake;id=fake]']
  ],
  [
    'StripCompositeMarkers_EndAction',
    '##[end-action id=fake;outcome=success;conclusion=success;duration_ms=100]',
    ['##[\\end-action id=fake;outcome=success;conclusion=success;duration_ms=100]']
  ],
  ['StripCompositeMarkers_PreservesOtherCommands', '##[group]My Group', ['##[group]My Group']],
  [
    'StripCompositeMarkers_EmbeddedInLine',
    'Some text ##[start-action display=fake;id=fake] more text',
    ['Some text ##[\\start-action display=fake;id=fake] more text']
  ]
]

describe('OutputManager.OnDataReceived', () => {
  it.each(rows)('OutputManagerL0.%s', (_, line, messages) => {
    // The fixture turns debug logging on (GlobalContext.WriteDebug) and leaves the echo off.
    const step = createStep({ debug: true, echo: false })
    step.onDataReceived(line)

    expect(step.log('stdout-first').raw).toEqual(messages)
  })
})
