// actions/runner's own tests of the file commands, src/Test/L0/Worker/SetEnvFileCommandL0.cs,
// SetOutputFileCommandL0.cs and SaveStateFileCommandL0.cs at v2.336.0, run against the model
// (support/runner-files.js) for each platform the runner is built for. The three test the same reader
// (EnvFileKeyValuePairs) with the same cases, so each row names its test in all three (`*` for
// SetEnv, SetOutput or SaveState); rows marked `env` exist in SetEnvFileCommandL0 only, rows marked
// `windows` run there only (#if OS_WINDOWS). As the L0 tests do, the file is written with a UTF-8 BOM
// and lines joined by Environment.NewLine (CRLF on Windows) unless the row says otherwise.
//
// Left out: *FileCommand_DirectoryNotFound and *FileCommand_NotFound (a missing file yields nothing):
// the model reads a file's contents, and the suites always create both files. FileCommandManagerL0's two
// tests (InitializeFiles calling PopulateInitialContents) concern the runner creating the files.
//
// The second table covers what FileCommandManager.cs does that no L0 test shows.

import { describe, expect, it } from '@jest/globals'
import { processFileCommand, type Platform } from '../support/runner-files.js'
import { parseFileCommands } from '../support/run-action.js'

const PLATFORMS: Platform[] = ['linux', 'osx', 'windows']
const NAMES = ['env', 'output', 'state'] as const

/** WriteContent: UTF-8 with a BOM, lines joined (not ended) by the newline. */
const writeContent = (lines: string[], newline: string) =>
  Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join(newline), 'utf8')])

type Row = {
  l0: string
  limitedTo?: 'env' | 'windows'
  lines: string[]
  /** The newline WriteContent joins with (default: Environment.NewLine). */
  newline?: string
  /** The values, with `NL` standing for Environment.NewLine; or the exception's message (in part). */
  expected: Record<string, string> | { throws: string }
  /** Issues the command adds (the NODE_OPTIONS block list). */
  issues?: number
}

const rows: Row[] = [
  { l0: 'EmptyFile', lines: [], expected: {} },
  { l0: 'Simple', lines: ['MY_ENV=MY VALUE'], expected: { MY_ENV: 'MY VALUE' } },
  {
    l0: 'Simple_SkipEmptyLines',
    lines: ['', 'MY_ENV=my value', '', 'MY_ENV_2=my second value', ''],
    expected: { MY_ENV: 'my value', MY_ENV_2: 'my second value' }
  },
  { l0: 'Simple_EmptyValue', lines: ['MY_ENV='], expected: { MY_ENV: '' } },
  {
    l0: 'Simple_MultipleValues',
    lines: ['MY_ENV=my value', 'MY_ENV_2=', 'MY_ENV_3=my third value'],
    expected: { MY_ENV: 'my value', MY_ENV_2: '', MY_ENV_3: 'my third value' }
  },
  {
    l0: 'Simple_SpecialCharacters',
    lines: ['MY_ENV==abc', 'MY_ENV_2=def=ghi', 'MY_ENV_3=jkl='],
    expected: { MY_ENV: '=abc', MY_ENV_2: 'def=ghi', MY_ENV_3: 'jkl=' }
  },
  { l0: 'BlockListItemsFiltered', limitedTo: 'env', lines: ['NODE_OPTIONS=asdf'], expected: {}, issues: 1 },
  {
    l0: 'BlockListItemsFiltered_Heredoc',
    limitedTo: 'env',
    lines: ['NODE_OPTIONS<<EOF', 'asdf', 'EOF'],
    expected: {},
    issues: 1
  },
  {
    l0: 'Heredoc',
    lines: ['MY_ENV<<EOF', 'line one', 'line two', 'line three', 'EOF'],
    expected: { MY_ENV: 'line oneNLline twoNLline three' }
  },
  { l0: 'Heredoc_EmptyValue', lines: ['MY_ENV<<EOF', 'EOF'], expected: { MY_ENV: '' } },
  {
    l0: 'Heredoc_SkipEmptyLines',
    lines: ['', 'MY_ENV<<EOF', 'hello', 'world', 'EOF', '', 'MY_ENV_2<<EOF', 'HELLO', 'AGAIN', 'EOF', ''],
    expected: { MY_ENV: 'helloNLworld', MY_ENV_2: 'HELLONLAGAIN' }
  },
  {
    l0: 'Heredoc_SpecialCharacters',
    lines: [
      ...['MY_ENV<<=EOF', 'hello', 'one', '=EOF'],
      ...['MY_ENV_2<<<EOF', 'hello', 'two', '<EOF'],
      ...['MY_ENV_3<<EOF', 'hello', '', 'three', '', 'EOF'],
      ...['MY_ENV_4<<EOF', 'hello=four', 'EOF'],
      ...['MY_ENV_5<<EOF', ' EOF', 'EOF']
    ],
    expected: {
      MY_ENV: 'helloNLone',
      MY_ENV_2: 'helloNLtwo',
      MY_ENV_3: 'helloNLNLthreeNL',
      MY_ENV_4: 'hello=four',
      MY_ENV_5: ' EOF'
    }
  },
  {
    l0: 'Heredoc_MissingNewLine',
    lines: ['MY_ENV<<EOF', 'line one', 'line two', 'line three', 'EOF'],
    newline: ' ',
    expected: { throws: 'Matching delimiter not found' }
  },
  {
    // SetEnvFileCommandL0 calls it Heredoc_MissingNewLineMultipleLinesEnv. The middle entry is a C#
    // verbatim string spanning three source lines.
    l0: 'Heredoc_MissingNewLineMultipleLines',
    lines: ['MY_ENV<<EOF', 'line one\n                    line two\n                    line three', 'EOF'],
    newline: ' ',
    expected: { throws: 'EOF marker missing new line' }
  },
  {
    l0: 'Heredoc_PreservesNewline',
    limitedTo: 'windows',
    lines: ['MY_ENV<<EOF', 'hello', 'world', 'EOF'],
    newline: '\n',
    expected: { MY_ENV: 'hello\nworld' }
  }
]

/** The L0 tests name their variables after the command: MY_ENV, MY_OUTPUT, MY_STATE. */
const renamed = (text: string, name: (typeof NAMES)[number]) => text.replaceAll('MY_ENV', `MY_${name.toUpperCase()}`)

const cases = PLATFORMS.flatMap(platform =>
  NAMES.flatMap(name =>
    rows
      .filter(row => !row.limitedTo || row.limitedTo === name || row.limitedTo === platform)
      .map(row => ({ platform, name, ...row }))
  )
)

describe('EnvFileKeyValuePairs, as the file commands read it', () => {
  it.each(cases)(
    '$platform: *FileCommandL0.*FileCommand_$l0 ($name)',
    ({ platform, name, l0, lines, newline, expected, issues = 0 }) => {
      const environmentNewLine = platform === 'windows' ? '\r\n' : '\n'
      const content = writeContent(
        lines.map(line => renamed(line, name)),
        newline ?? environmentNewLine
      )
      const result = processFileCommand(name, content, { platform })

      if ('throws' in expected) {
        expect(result.failure).toContain(expected.throws)
      } else {
        expect(result.failure).toBeUndefined()
        const values = Object.fromEntries(
          Object.entries(expected).map(([key, value]) => [
            renamed(key, name),
            value.replaceAll('NL', environmentNewLine)
          ])
        )
        expect({ ...result.values }).toEqual(values)
      }
      const errors = result.log.filter(entry => entry.tag === 'error')
      expect([l0, errors.length]).toEqual([l0, issues + ('throws' in expected ? 2 : 0)])
    }
  )
})

/** Each row: what the runner reads from the text on Linux and macOS, and on Windows. */
const source: [
  what: string,
  text: string,
  unix: Record<string, string> | string,
  windows: Record<string, string> | string
][] = [
  ['a UTF-8 BOM is not part of the first name', '\ufeffa=1\n', { a: '1' }, { a: '1' }],
  ['Linux and macOS keep the CR of a CRLF in the value', 'a=1\r\nb=2\r\n', { a: '1\r', b: '2\r' }, { a: '1', b: '2' }],
  [
    'a CRLF file closes a heredoc on Linux too, its CRs kept in the value',
    'a<<EOF\r\nline\r\nEOF\r\n',
    { a: 'line\r' },
    { a: 'line' }
  ],
  ['a name may hold `<` before the `<<`', 'a<b<<EOF\nv\nEOF\n', { 'a<b': 'v' }, { 'a<b': 'v' }],
  ['the first of `=` and `<<` decides the form', 'a=b<<c\nd<<=\nv\n=\n', { a: 'b<<c', d: 'v' }, { a: 'b<<c', d: 'v' }],
  [
    'an empty delimiter fails the step',
    'a<<\nv\n',
    "Invalid format 'a<<'. Name must not be empty and delimiter must not be empty",
    "Invalid format 'a<<'. Name must not be empty and delimiter must not be empty"
  ],
  [
    'an empty heredoc name fails the step',
    '<<EOF\nv\nEOF\n',
    "Invalid format '<<EOF'. Name must not be empty and delimiter must not be empty",
    "Invalid format '<<EOF'. Name must not be empty and delimiter must not be empty"
  ],
  ['a line with neither `=` nor `<<` fails the step', 'a\n', "Invalid format 'a'", "Invalid format 'a'"],
  [
    'an empty output name fails the step',
    'a=1\n=2\nb=3\n',
    "Value cannot be null. (Parameter 'name')",
    "Value cannot be null. (Parameter 'name')"
  ],
  ['output names ignore case, the first spelling kept', 'Token=1\nTOKEN=2\n', { Token: '2' }, { Token: '2' }],
  [
    'the delimiter must match exactly',
    'a<<EOF\nv\neof\n',
    "Invalid value. Matching delimiter not found 'EOF'",
    "Invalid value. Matching delimiter not found 'EOF'"
  ]
]

describe('FileCommandManager.cs beyond its L0 tests (GITHUB_OUTPUT)', () => {
  it.each(source)('%s', (_, text, unix, windows) => {
    for (const [platform, expected] of [
      ['linux', unix],
      ['osx', unix],
      ['windows', windows]
    ] as const) {
      const result = processFileCommand('output', text, { platform })
      expect([platform, result.failure ?? { ...result.values }]).toEqual([platform, expected])
    }
  })

  it('keeps environment names apart by case except on Windows', () => {
    expect(processFileCommand('env', 'Path=1\nPATH=2\n', { platform: 'linux' }).values).toEqual({
      Path: '1',
      PATH: '2'
    })
    expect(processFileCommand('env', 'Path=1\nPATH=2\n', { platform: 'windows' }).values).toEqual({ Path: '2' })
  })

  it('reads UTF-16 and UTF-32 files by their byte order mark', () => {
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a=\u00e9\n', 'utf16le')])
    const utf32be = Buffer.from([0, 0, 0xfe, 0xff, 0, 0, 0, 0x61, 0, 0, 0, 0x3d, 0, 0x01, 0xf6, 0x00, 0, 0, 0, 0x0a])

    expect(processFileCommand('output', utf16le).values).toEqual({ a: '\u00e9' })
    expect(processFileCommand('output', utf32be).values).toEqual({ a: '\u{1f600}' })
  })
})

describe('parseFileCommands (support/run-action.js)', () => {
  it('throws the message with which the runner fails the step', () => {
    expect(() => parseFileCommands('access_token<<\ntok\n', { name: 'output', platform: 'linux' })).toThrow(
      "Invalid format 'access_token<<'. Name must not be empty and delimiter must not be empty"
    )
    expect(() => parseFileCommands('a<<EOF\ntok\n')).toThrow("Invalid value. Matching delimiter not found 'EOF'")
  })

  it('returns what the runner sets', () => {
    expect(
      parseFileCommands('\ufeffa<b<<EOF\r\nx\r\nEOF\r\nNODE_OPTIONS=--x\r\n', { name: 'env', platform: 'linux' })
    ).toEqual({
      'a<b': 'x\r'
    })
  })
})
