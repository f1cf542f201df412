// The runner log model (support/runner-log.js) against literal stdout and stderr: each test pins one
// behaviour of actions/runner that the leak and injection checks of other suites rely on. The runner's
// own unit tests, transcribed, are in runner-l0/. Its ProcessInvokerL0 tests start processes and check
// exit codes, environments and encodings, none of them how output is cut into lines or how the two
// streams are ordered, so the tests of that here follow src/Runner.Sdk/ProcessInvoker.cs itself.

import { describe, it, expect } from '@jest/globals'
import {
  injectedCommands,
  renderBothOrders,
  renderRunnerLog,
  visibleSecrets,
  type RunnerLog
} from './support/runner-log.js'

/** The lines of one stream, each ended by a newline as the action writes them. */
const stdout = (...lines: string[]): string => lines.map(line => `${line}\n`).join('')
const stderr = stdout

describe('the V2 parser (::name::data)', () => {
  it('processes a registered command at the start of a line and after leading whitespace', () => {
    const log = renderRunnerLog(stdout('::error::boom', '   ::warning::careful', '\t::notice::fyi'))

    expect(log.lines).toEqual(['Error: boom', 'Warning: careful', 'Notice: fyi'])
    expect(log.raw).toEqual(['##[error]boom', '##[warning]careful', '##[notice]fyi'])
    expect(log.commands.map(c => [c.name, c.parser, c.data, c.line])).toEqual([
      ['error', 'v2', 'boom', 1],
      ['warning', 'v2', 'careful', 2],
      ['notice', 'v2', 'fyi', 3]
    ])
  })

  it('matches command names without regard to case', () => {
    const log = renderRunnerLog(stdout('::ERROR::loud'))

    expect(log.lines).toEqual(['Error: loud'])
    expect(log.commands[0].name).toBe('error')
  })

  it('prints `::` text that is not a registered command at the start of a line as it is', () => {
    const lines = ['Server said ::error::nope', '::not-a-command::data', 'ratio 1::2', '::error no closing pair']
    const log = renderRunnerLog(stdout(...lines))

    expect(log.lines).toEqual(lines)
    expect(log.commands).toEqual([])
  })

  it('splits properties on commas and unescapes %2C, %3A, %0A and %25 in them', () => {
    const log = renderRunnerLog(stdout('::error file=a%2Cb.ts,line=3,title=x%3Ay%0Az%25,,bare::message'))

    expect(log.commands[0].properties).toEqual({ file: 'a,b.ts', line: '3', title: 'x:y\nz%' })
    expect(log.commands[0].data).toBe('message')
  })

  it("reads properties the way String.Split('=', 2, RemoveEmptyEntries) does, ignoring case of names", () => {
    const log = renderRunnerLog(stdout('::error =lead=1,dup==2,Name=a,name=b,empty=,=novalue,bare::m'))

    expect(log.commands[0].properties).toEqual({ lead: '1', dup: '2', Name: 'b' })
  })

  it('unescapes %0A, %0D and %25 in data, %25 last so %250A stays literal', () => {
    const log = renderRunnerLog(stdout('::error::first%0Asecond%0D%0Athird 100%25 %250A'))

    expect(log.commands[0].data).toBe('first\nsecond\r\nthird 100% %0A')
    expect(log.lines).toEqual(['Error: first', 'second', 'third 100% %0A'])
  })
})

describe('the legacy parser (##[name]data)', () => {
  it('finds a command anywhere in a line and takes the rest of the line as its data', () => {
    const log = renderRunnerLog(stdout('upstream said: ##[error]it broke'))

    expect(log.lines).toEqual(['Error: it broke'])
    // The action writes only `::name::data`, so even an `error` found this way came from relayed text.
    expect(injectedCommands(log).map(c => c.name)).toEqual(['error'])
    expect(log.commands).toEqual([
      {
        name: 'error',
        properties: {},
        data: 'it broke',
        parser: 'legacy',
        stream: 'stdout',
        line: 1,
        input: 'upstream said: ##[error]it broke'
      }
    ])
  })

  it('splits properties on semicolons and unescapes %3B and %5D, matching names without regard to case', () => {
    const log = renderRunnerLog(stdout('##[WARNING file=a%3Bb;line=2]x%5Dy'))

    expect(log.lines).toEqual(['Warning: x]y'])

    expect(log.commands[0].properties).toEqual({ file: 'a;b', line: '2' })
    expect(log.commands[0].data).toBe('x]y')
  })

  it('stops commands on an echoed server message, and a long token is masked at once', () => {
    const log = renderRunnerLog(
      stdout(
        'Attempt 1 failed (HTTP 503 ##[stop-commands]resume); retrying',
        '::add-mask::tok',
        'token tok issued',
        '::error::never an annotation'
      )
    )

    expect(log.commands.map(c => [c.name, c.parser, c.data])).toEqual([
      ['stop-commands', 'legacy', 'resume); retrying']
    ])
    expect(log.lines).toEqual([
      'Attempt 1 failed (HTTP 503 ##[stop-commands]***',
      '::add-mask::tok',
      'token tok issued',
      '::error::never an annotation'
    ])
    // The token holds a space, so no command can ever name it: commands stay off to the end.
    expect(log.stoppedAt).toEqual({ stream: 'stdout', line: 1 })
    expect(log.masks).toEqual(['resume); retrying'])
    expect(visibleSecrets(log, ['tok'])).toEqual(['tok'])
    expect(injectedCommands(log).map(c => c.name)).toEqual(['stop-commands'])
  })
})

describe('stop-commands', () => {
  it('prints commands as text until the token comes back, then processes them again', () => {
    const log = renderRunnerLog(
      stdout(
        '::stop-commands::pause1',
        '::add-mask::tok',
        'tok is here',
        '::pause1::',
        '::add-mask::tok',
        'tok again',
        '::pause1::'
      )
    )

    // Once used, the token is no command any more: its second appearance is plain text.
    expect(log.lines).toEqual([
      '::stop-commands::pause1',
      '::add-mask::tok',
      'tok is here',
      '::pause1::',
      '*** again',
      '::pause1::'
    ])
    expect(log.commands.map(c => [c.name, c.line])).toEqual([
      ['stop-commands', 1],
      ['pause1', 4],
      ['add-mask', 5]
    ])
    expect(log.masks).toEqual(['tok'])
    expect(log.stoppedAt).toBeUndefined()
    expect(visibleSecrets(log, ['tok'])).toEqual(['tok'])
  })

  it('resumes on a legacy ##[token] anywhere in a line, but not on a line that parses as another V2 command', () => {
    const log = renderRunnerLog(
      stdout('::stop-commands::pause1', '::debug::x ##[pause1]', 'echoed ##[pause1] text', '::error::back')
    )

    expect(log.lines).toEqual([
      '::stop-commands::pause1',
      '::debug::x ##[pause1]',
      'echoed ##[pause1] text',
      'Error: back'
    ])
    expect(log.commands.map(c => [c.name, c.parser])).toEqual([
      ['stop-commands', 'v2'],
      ['pause1', 'legacy'],
      ['error', 'v2']
    ])
  })

  it('masks a token longer than six characters from the stop-commands line on; six or fewer stay readable', () => {
    const long = renderRunnerLog(stdout('::stop-commands::longtoken', '::longtoken::', 'longtoken'))
    const short = renderRunnerLog(stdout('::stop-commands::sixsix', '::sixsix::'))

    expect(long.lines).toEqual(['::stop-commands::***', '::***::', '***'])
    expect(long.masks).toEqual(['longtoken'])
    expect(short.lines).toEqual(['::stop-commands::sixsix', '::sixsix::'])
    expect(short.masks).toEqual([])
  })

  it.each([
    ['an empty token', ''],
    ['a registered command', 'set-output'],
    ['pause-logging', 'PAUSE-LOGGING']
  ])('fails the step on %s and reads no further output', (_, token) => {
    const log = renderRunnerLog(stdout(`::stop-commands::${token}`, '::add-mask::tok', 'tok'))

    expect(log.failure?.line).toBe(1)
    expect(log.failure?.message).toMatch(/^You cannot use a endToken that is an empty string/)
    expect(log.lines).toEqual([`Error: ${log.failure?.message}`])
    expect(log.masks).toEqual([])
    expect(log.stoppedAt).toBeUndefined()
  })
})

describe('add-mask', () => {
  it('masks later lines only, and prints nothing for the command itself', () => {
    const log = renderRunnerLog(stdout('before s3cret', '::add-mask::s3cret', 'after s3cret and s3cret'))

    expect(log.lines).toEqual(['before s3cret', 'after *** and ***'])
    expect(log.masks).toEqual(['s3cret'])
    expect(visibleSecrets(log, ['s3cret'])).toEqual(['s3cret'])
  })

  it('registers the unescaped value, so a %25 in the command masks a literal %', () => {
    const log = renderRunnerLog(stdout('::add-mask::100%25sure', 'it is 100%sure'))

    expect(log.masks).toEqual(['100%sure'])
    expect(log.lines).toEqual(['it is ***'])
  })

  it('also registers each trimmed line of a multi-line value', () => {
    const log = renderRunnerLog(stdout('::add-mask::line-one%0A  line-two  ', 'line-two alone', 'line-one too'))

    expect(log.masks).toEqual(['line-one\n  line-two  ', 'line-one', 'line-two'])
    expect(log.lines).toEqual(['*** alone', '*** too'])
  })

  it('warns instead of registering an empty or blank value', () => {
    const log = renderRunnerLog(stdout('::add-mask::', '::add-mask::   '))

    expect(log.masks).toEqual([])
    expect(log.lines).toEqual([
      "Warning: Can't add secret mask for empty string in ##[add-mask] command.",
      "Warning: Can't add secret mask for empty string in ##[add-mask] command."
    ])
  })

  it('masks the encodings the runner derives: base64, URI, JSON and XML escapes', () => {
    const secret = 's3cr3t/+&"<x>'
    const log = renderRunnerLog(
      stdout(
        `::add-mask::${secret}`,
        Buffer.from(secret).toString('base64'),
        `q=${encodeURIComponent(secret)}`,
        JSON.stringify({ secret }),
        '<v>s3cr3t/+&amp;&quot;&lt;x&gt;</v>'
      )
    )

    expect(log.lines).toEqual(['***', 'q=***', '{"secret":"***"}', '<v>***</v>'])
  })

  it('merges overlapping and adjacent occurrences into one ***', () => {
    const log = renderRunnerLog(stdout('::add-mask::abab', 'xabababx', '::add-mask::cd', 'ycdcdy'))

    expect(log.lines).toEqual(['x***x', 'y***y'])
  })
})

describe('debug logging', () => {
  const lines = ['::debug::details%0Amore', '::group::Title', '::endgroup::', '::set-output name=out::v']

  it('hides ::debug:: lines and echoes no commands by default', () => {
    const log = renderRunnerLog(stdout(...lines))

    expect(log.lines).toEqual([
      '##[group]Title',
      '##[endgroup]',
      expect.stringMatching(/^Warning: The `set-output` command is deprecated/)
    ])
    expect(log.commands.map(c => c.name)).toEqual(['debug', 'group', 'endgroup', 'set-output'])
  })

  it('shows ::debug:: lines and echoes commands that are not silent when debug is on', () => {
    const log = renderRunnerLog(stdout(...lines, '::add-mask::v'), { debug: true, stepId: 'token' })

    expect(log.lines).toEqual([
      '##[debug]details',
      '##[debug]more',
      '::group::Title',
      '##[group]Title',
      '::endgroup::',
      '##[endgroup]',
      '::set-output name=out::v',
      expect.stringMatching(/^Warning: The `set-output` command is deprecated/),
      "##[debug]steps.token.outputs.out='v'",
      '::add-mask::***'
    ])
  })
})

describe('commands the action never issues', () => {
  it('reports set-output and other deprecated commands as injected', () => {
    const log = renderRunnerLog(
      stdout('::add-mask::tok', '::error::failed', '::set-output name=access_token::tok', '::save-state name=s::x')
    )

    expect(injectedCommands(log).map(c => c.name)).toEqual(['set-output', 'save-state'])
  })

  it('reports nothing for the commands the action issues itself', () => {
    const log = renderRunnerLog(stdout('::add-mask::tok', '::debug::d', '::warning::w', '::notice::n', '::error::e'))

    expect(log.commands).toHaveLength(5)
    expect(injectedCommands(log)).toEqual([])
  })

  it('fails set-env and add-path, which the runner disables', () => {
    const log = renderRunnerLog(stdout('::set-env name=NODE_OPTIONS::--require=x', '::add-path::/tmp/evil'))

    expect(log.lines).toEqual([
      "Error: Unable to process command '::set-env name=NODE_OPTIONS::--require=x' successfully.",
      expect.stringMatching(/^Error: The `set-env` command is disabled/),
      "Error: Unable to process command '::add-path::/tmp/evil' successfully.",
      expect.stringMatching(/^Error: The `add-path` command is disabled/)
    ])
    expect(injectedCommands(log).map(c => c.name)).toEqual(['set-env', 'add-path'])
  })
})

describe('visibleSecrets', () => {
  it('lists the values that appear in the rendered text', () => {
    const log = renderRunnerLog(stdout('::add-mask::hidden', 'hidden and shown'))

    expect(visibleSecrets(log, ['hidden', 'shown', 'absent'])).toEqual(['shown'])
  })

  it('refuses an empty value, which any log would contain', () => {
    const log = renderRunnerLog(stdout('text'))

    expect(() => visibleSecrets(log, [''])).toThrow(TypeError)
  })
})

it('reads lines ended by \\n, \\r\\n or \\r, keeping empty lines', () => {
  const log = renderRunnerLog('one\r\ntwo\rthree\n\nfour')

  expect(log.lines).toEqual(['one', 'two', 'three', '', 'four'])
  expect(log.text).toBe('one\ntwo\nthree\n\nfour')
})

describe('stderr', () => {
  it('is read for commands too: a ##[set-output in a stderr line is a command', () => {
    const log = renderRunnerLog('', { stderr: stderr('node: warning ##[set-output name=access_token]forged') })

    expect(log.commands.map(c => [c.name, c.parser, c.stream, c.line])).toEqual([['set-output', 'legacy', 'stderr', 1]])
    expect(injectedCommands(log).map(c => c.name)).toEqual(['set-output'])
    expect(log.lines).toEqual([expect.stringMatching(/^Warning: The `set-output` command is deprecated/)])
  })

  it('shares one stop-commands state with stdout: a stop on stderr turns off the commands on stdout', () => {
    const out = stdout('::add-mask::tok', 'tok', '::error::boom')
    const logs = renderBothOrders(out, { stderr: stderr('::stop-commands::pause-here') })

    // stderr first: stdout's commands are printed as text, and the token is never masked.
    expect(logs['stderr-first'].lines).toEqual(['::stop-commands::***', '::add-mask::tok', 'tok', '::error::boom'])
    expect(logs['stderr-first'].stoppedAt).toEqual({ stream: 'stderr', line: 1 })
    expect(visibleSecrets(logs['stderr-first'], ['tok'])).toEqual(['tok'])
    // stdout first: its commands are obeyed before the stop arrives, which is still in force at the end.
    expect(logs['stdout-first'].lines).toEqual(['***', 'Error: boom', '::stop-commands::***'])
    expect(logs['stdout-first'].stoppedAt).toEqual({ stream: 'stderr', line: 1 })
  })

  it('shares one masker with stdout: a mask registered on stderr hides a later stdout line only if stderr comes first', () => {
    const logs = renderBothOrders(stdout('token tok-123456 issued'), { stderr: stderr('::add-mask::tok-123456') })

    expect(logs['stderr-first'].lines).toEqual(['token *** issued'])
    expect(logs['stdout-first'].lines).toEqual(['token tok-123456 issued'])
    expect(visibleSecrets(logs['stdout-first'], ['tok-123456'])).toEqual(['tok-123456'])
  })

  it('is masked by what stdout registered only when stdout comes first', () => {
    const logs = renderBothOrders(stdout('::add-mask::tok-123456'), { stderr: stderr('Error: tok-123456 rejected') })

    expect(logs['stdout-first'].lines).toEqual(['Error: *** rejected'])
    expect(logs['stderr-first'].lines).toEqual(['Error: tok-123456 rejected'])
  })

  it('shares the echo setting with stdout', () => {
    const logs = renderBothOrders(stdout('::group::g'), { stderr: stderr('::echo::on') })

    expect(logs['stderr-first'].lines).toEqual(['::group::g', '##[group]g'])
    expect(logs['stdout-first'].lines).toEqual(['##[group]g'])
  })

  it('ends the reading of both streams at an invalid stop token on either', () => {
    const logs = renderBothOrders(stdout('::add-mask::tok-123456', 'tok-123456'), {
      stderr: stderr('::stop-commands::error', 'after')
    })

    expect(logs['stderr-first'].failure).toEqual({ stream: 'stderr', line: 1, message: expect.any(String) })
    expect(logs['stderr-first'].lines).toEqual([expect.stringMatching(/^Error: You cannot use a endToken/)])
    expect(logs['stderr-first'].masks).toEqual([])
    expect(logs['stdout-first'].failure).toEqual({ stream: 'stderr', line: 1, message: expect.any(String) })
    expect(logs['stdout-first'].lines).toEqual(['***', expect.stringMatching(/^Error: You cannot use a endToken/)])
  })

  it('splits lines at CR, LF and CRLF, so a CR cannot hide a command inside a line', () => {
    const log = renderRunnerLog('', { stderr: 'progress 50%\r::add-mask::tok-123456\r\ntok-123456\n' })

    expect(log.lines).toEqual(['progress 50%', '***'])
    expect(log.commands.map(c => [c.name, c.line])).toEqual([['add-mask', 2]])
  })

  it('reads stderr first by default, as the runner does with one batch holding both', () => {
    const log = renderRunnerLog(stdout('out'), { stderr: stderr('err') })

    expect(log.order).toBe('stderr-first')
    expect(log.lines).toEqual(['err', 'out'])
    expect(renderRunnerLog(stdout('out'), { stderr: stderr('err'), order: 'stdout-first' }).lines).toEqual([
      'out',
      'err'
    ])
  })
})

describe('command names compared as .NET OrdinalIgnoreCase compares them', () => {
  it('ignores the case of ASCII letters', () => {
    const log = renderRunnerLog(
      stdout('::ADD-Mask::tok-123456', 'tok-123456', '##[Stop-Commands]Resume-Me', '::error::x', '::RESUME-ME::')
    )

    // The masker, unlike the command set, is case-sensitive: the resuming line shows the token in capitals.
    expect(log.lines).toEqual(['***', '##[Stop-Commands]***', '::error::x', '::RESUME-ME::'])
    expect(log.commands.map(c => c.name)).toEqual(['add-mask', 'stop-commands', 'Resume-Me'])
  })

  it.each([
    ['a Kelvin sign for k', '::add-mas\u212a::tok-123456'],
    ['a long s for s', '::add-ma\u017fk::tok-123456'],
    ['a full-width letter', '::add-mas\uff4b::tok-123456']
  ])('does not fold %s into ASCII, as JavaScript case mapping would', (_, line) => {
    const log = renderRunnerLog(stdout(line, 'tok-123456'))

    expect(log.commands).toEqual([])
    expect(log.lines).toEqual([line, 'tok-123456'])
  })

  it('matches a non-ASCII stop token by its simple uppercase, and no further', () => {
    const resumed = renderRunnerLog(
      stdout('::stop-commands::\u00e9t\u00e9-token', '::\u00c9T\u00c9-TOKEN::', '::error::back')
    )
    const notResumed = renderRunnerLog(
      stdout('::stop-commands::stra\u00dfe-token', '::STRASSE-TOKEN::', '::error::off')
    )

    expect(resumed.stoppedAt).toBeUndefined()
    expect(resumed.lines.at(-1)).toBe('Error: back')
    expect(notResumed.stoppedAt).toEqual({ stream: 'stdout', line: 1 })
    expect(notResumed.lines.at(-1)).toBe('::error::off')
    // A dotless i has the uppercase I, but not for ordinal comparisons.
    const dotless = renderRunnerLog(stdout('::stop-commands::\u0131-token', '::I-TOKEN::', '::error::off'))
    expect(dotless.stoppedAt).toEqual({ stream: 'stdout', line: 1 })
  })
})

describe('annotations', () => {
  it('are cut to 4096 characters after masking, in the log and in the annotation', () => {
    const log = renderRunnerLog(
      stdout(
        '::add-mask::tok-123456',
        `::error::${'a'.repeat(4090)}tok-123456 and more`,
        `::warning::${'w'.repeat(5000)}`
      )
    )

    // Cut first, the message would end in `tok-12`, which no mask covers.
    const error = `${'a'.repeat(4090)}*** an`
    expect(log.annotations.map(a => a.message)).toEqual([error, 'w'.repeat(4096)])
    expect(log.lines).toEqual([`Error: ${error}`, `Warning: ${'w'.repeat(4096)}`])
  })

  it('keep their properties unmasked, so a secret in a title is visible', () => {
    const log = renderRunnerLog(stdout('::add-mask::tok-123456', '::error title=tok-123456::failed'))

    expect(log.lines).toEqual(['Error: failed'])
    expect(log.annotations).toEqual([{ type: 'error', message: 'failed', properties: { title: 'tok-123456' } }])
    expect(visibleSecrets(log, ['tok-123456'])).toEqual(['tok-123456'])
  })

  it('records ten of each type, and logs them all', () => {
    const log = renderRunnerLog(stdout(...Array.from({ length: 12 }, (_, i) => `::notice::n${i}`)))

    expect(log.annotations).toHaveLength(10)
    expect(log.lines).toHaveLength(12)
  })

  it('log debug lines for line and column properties that do not fit together', () => {
    const log = renderRunnerLog(stdout('::warning line=4,endLine=3::w'), { debug: true })

    expect(log.lines).toEqual([
      "##[debug]Invalid warning command value. 'endLine' cannot be less than 'line'.",
      'Warning: w'
    ])
    expect(log.annotations[0].properties).toEqual({})
  })
})

describe('composite action markers', () => {
  it('are defused in printed lines, on either stream', () => {
    const log = renderRunnerLog(stdout('##[start-action display=x;id=y]'), {
      stderr: stderr('text ##[end-action id=y]')
    })

    expect(log.lines).toEqual(['text ##[\\end-action id=y]', '##[\\start-action display=x;id=y]'])
  })

  it('are left alone in what a command writes, as the runner leaves them', () => {
    const log = renderRunnerLog(stdout('::group::##[start-action id=y]'))

    expect(log.lines).toEqual(['##[group]##[start-action id=y]'])
  })
})

describe('the file commands after the step', () => {
  const files = {
    env: 'DATASAUR_ACCESS_TOKEN<<EOF\ntok-123456\nEOF\n',
    output: 'access_token<<EOF\ntok-123456\nEOF\ntoken_type=bearer\n'
  }

  it('log each value at debug level, masked with what the step registered on either stream', () => {
    const logs = renderBothOrders(stdout('::debug::done'), {
      stderr: stderr('::add-mask::tok-123456'),
      files,
      debug: true
    })

    for (const log of Object.values(logs) as RunnerLog[]) {
      expect(log.lines.slice(-3)).toEqual([
        "##[debug]DATASAUR_ACCESS_TOKEN='***'",
        '##[debug]Set output access_token = ***',
        '##[debug]Set output token_type = bearer'
      ])
      expect(log.files).toEqual({
        env: { DATASAUR_ACCESS_TOKEN: 'tok-123456' },
        output: { access_token: 'tok-123456', token_type: 'bearer' }
      })
    }
  })

  it('show an unmasked value to anyone who re-runs with debug logging', () => {
    const log = renderRunnerLog('', { files, debug: true })

    expect(visibleSecrets(log, ['tok-123456'])).toEqual(['tok-123456'])
  })

  it('fail the step on a file the runner cannot read, after logging what came before', () => {
    const log = renderRunnerLog('', { files: { output: 'a=1\naccess_token<<\n' }, debug: true })

    expect(log.files.output).toEqual({ a: '1' })
    expect(log.failedFiles).toEqual([
      {
        name: 'output',
        message: "Invalid format 'access_token<<'. Name must not be empty and delimiter must not be empty"
      }
    ])
    expect(log.lines).toEqual([
      '##[debug]Set output a = 1',
      "Error: Unable to process file command 'output' successfully.",
      "Error: Invalid format 'access_token<<'. Name must not be empty and delimiter must not be empty"
    ])
  })

  it('are still read when an invalid stop token ended the step, and its error comes last', () => {
    const log = renderRunnerLog(stdout('::stop-commands::'), { files: { output: 'a=1\n' }, debug: true })

    expect(log.lines).toEqual(['##[debug]Set output a = 1', expect.stringMatching(/^Error: You cannot use a endToken/)])
  })
})
