// actions/runner's own tests of the command manager, src/Test/L0/Worker/ActionCommandManagerL0.cs at
// v2.336.0, transcribed and run against the model (support/runner-log.js createStep). Each row is a
// sequence of lines given to TryProcessCommand, with what the runner returns for each (true: processed
// as a command; false: printed as text; 'throws': the exception ends the step), then the state the L0
// test asserts afterwards.
//
// Left out:
//   EnablePluginInternalCommand, DisablePluginInternalCommand  internal-set-repo-path is registered only
//     for the runner's own plugins, never for an action's output
//   AddMatcherTranslatesFilePath  problem matchers and container path translation
//   SetOutputCommand_EmitsTelemetryOnce, SaveStateCommand_EmitsTelemetryOnce  the telemetry is not
//     modelled; their TryProcessCommand results are transcribed below
// The L0 fixture registers a subset of the extensions; the model registers all, which changes no result.

import { describe, expect, it } from '@jest/globals'
import { tryParseV2, validateLinesAndColumns } from '../support/runner-commands.js'
import { createStep, RunnerError } from '../support/runner-log.js'

type Step = ReturnType<typeof createStep>
type Row = {
  l0: string
  options?: Parameters<typeof createStep>[0]
  lines: [line: string, processed: boolean | 'throws'][]
  then?: (step: Step) => void
}

const rows: Row[] = [
  {
    l0: 'StopProcessCommand',
    lines: [
      ['##[stop-commands]stopToken', true],
      ['##[set-env name=foo]bar', false],
      ['##[stopToken]', true],
      ['##[set-env name=foo]bar', true]
    ]
  },
  ...[
    ['stop-commands', '1'],
    ['', '1'],
    ['set-env', '1'],
    ['stop-commands', 'true'],
    ['', 'true'],
    ['set-env', 'true']
  ].map(([token, value]): Row => ({
    // ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS=value: StringUtil.ConvertToBoolean reads both as true.
    l0: `StopProcessCommand__AllowsInvalidStopTokens__IfEnvVarIsSet(${JSON.stringify(token)}, ${JSON.stringify(value)})`,
    options: { allowUnsecureStopCommandTokens: true },
    lines: [[`::stop-commands::${token}`, true]]
  })),
  ...['stop-commands', '', 'set-env'].map((token): Row => ({
    l0: `StopProcessCommand__FailOnInvalidStopTokens(${JSON.stringify(token)})`,
    lines: [[`::stop-commands::${token}`, 'throws']]
  })),
  {
    l0: 'StopProcessCommandAcceptsValidToken',
    lines: [
      ['::stop-commands::randomToken', true],
      ['##[set-env name=foo]bar', false],
      ['::randomToken::', true],
      ['##[set-env name=foo]bar', true]
    ]
  },
  {
    l0: 'StopProcessCommandMasksValidTokenForEntireRun',
    lines: [
      ['::stop-commands::randomToken', true],
      ['##[set-env name=foo]bar', false]
    ],
    then: step => {
      expect(step.masker.maskSecrets('randomToken')).toBe('***')
      expect(step.tryProcessCommand('::randomToken::')).toBe(true)
      expect(step.tryProcessCommand('##[set-env name=foo]bar')).toBe(true)
      expect(step.masker.maskSecrets('randomToken')).toBe('***')
    }
  },
  {
    l0: 'EchoProcessCommand',
    then: step => {
      expect(step.echo).toBe(false)
      for (const [line, echo] of [
        ['::echo::on', true],
        ['::echo::off', false],
        ['::echo::ON', true],
        ['::echo::Off   ', false]
      ] as const) {
        expect(step.tryProcessCommand(line)).toBe(true)
        expect(step.echo).toBe(echo)
      }
    },
    lines: []
  },
  {
    // ExecutionContext.InitializeJob with ACTIONS_STEP_DEBUG=true turns the echo on.
    l0: 'EchoProcessCommandDebugOn',
    options: { debug: true },
    lines: [],
    then: step => {
      expect(step.echo).toBe(true)
      expect(step.tryProcessCommand('::echo::off')).toBe(true)
      expect(step.echo).toBe(false)
      expect(step.tryProcessCommand('::echo::on')).toBe(true)
      expect(step.echo).toBe(true)
    }
  },
  {
    // CommandResult is Failed after each: the model lists the commands whose processing failed.
    l0: 'EchoProcessCommandInvalid',
    lines: [
      ['::echo::invalid', true],
      ['::echo::', true]
    ],
    then: step => {
      expect(step.log('stdout-first').failedCommands.map(c => c.input)).toEqual(['::echo::invalid', '::echo::'])
      expect(step.echo).toBe(false)
    }
  },
  {
    l0: 'AddMaskWithMultilineValue',
    lines: [
      ['::add-mask::abc%0Ddef%0Aghi%0D%0Ajkl', true],
      ['::add-mask:: %0D  %0A   %0D%0A    %0D', true]
    ],
    then: ({ masker }) => {
      for (const value of ['abc', 'def', 'ghi', 'jkl', 'abc\rdef\nghi\r\njkl'])
        expect(masker.maskSecrets(value)).toBe('***')
      for (const value of ['', ' ', '  ', '   ', '    ']) expect(masker.maskSecrets(value)).toBe(value)
    }
  },
  {
    l0: 'SetOutputCommand_EmitsTelemetryOnce',
    lines: [
      ['::set-output name=foo::bar', true],
      ['::set-output name=foo2::bar2', true]
    ]
  },
  {
    l0: 'SaveStateCommand_EmitsTelemetryOnce',
    lines: [
      ['::save-state name=foo::bar', true],
      ['::save-state name=foo2::bar2', true]
    ]
  }
]

describe('ActionCommandManager.TryProcessCommand', () => {
  it.each(rows)('ActionCommandManagerL0.$l0', ({ options, lines, then }) => {
    const step = createStep(options)
    for (const [line, processed] of lines) {
      if (processed === 'throws') expect(() => step.tryProcessCommand(line)).toThrow(RunnerError)
      else expect([line, step.tryProcessCommand(line)]).toEqual([line, processed])
    }
    then?.(step)
  })
})

/** `new HashSet<string>(new string[1] { "warning" })` */
const warning = new Set(['warning'])

/** Each row: the line, what the L0 test asserts the parser gave, and the properties after validation. */
const columns: [line: string, before: Record<string, string>, after: Record<string, string>][] = [
  // Columns when lines are different
  ['::warning line=1,endLine=2,col=1,endColumn=2::this is a warning', { col: '1' }, { line: '1', endLine: '2' }],
  // No lines with columns
  ['::warning col=1,endColumn=2::this is a warning', { col: '1', endColumn: '2' }, {}],
  // No line with endLine
  ['::warning endLine=1::this is a warning', { endLine: '1' }, { line: '1', endLine: '1' }],
  // No column with endColumn
  ['::warning line=1,endColumn=2::this is a warning', { endColumn: '2' }, { line: '1', col: '2', endColumn: '2' }],
  // Empty Strings
  ['::warning line=,endLine=3::this is a warning', {}, { line: '3', endLine: '3' }],
  // Nonsensical line values
  ['::warning line=4,endLine=3::this is a warning', {}, {}],
  // Nonsensical column values
  ['::warning line=1,endLine=1,col=3,endColumn=2::this is a warning', {}, { line: '1', endLine: '1' }],
  // Valid
  [
    '::warning line=1,endLine=1,col=1,endColumn=2::this is a warning',
    {},
    { line: '1', endLine: '1', col: '1', endColumn: '2' }
  ],
  // Backwards compatibility
  ['::warning line=1,col=1,file=test.txt::this is a warning', {}, { line: '1', col: '1', file: 'test.txt' }]
]

describe('IssueCommandExtension.ValidateLinesAndColumns', () => {
  it.each(columns)('ActionCommandManagerL0.IssueCommandInvalidColumns: %j', (line, before, after) => {
    const command = tryParseV2(line, warning)
    if (!command) throw new Error(`${line} did not parse`)
    expect(command.properties).toMatchObject(before)
    validateLinesAndColumns(command)

    // The L0 test checks the keys it names; the row lists them all.
    expect({ ...command.properties }).toEqual(after)
  })
})
