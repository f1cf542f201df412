// actions/runner's own tests of the two command parsers, src/Test/L0/Worker/ActionCommandL0.cs at v2.336.0,
// transcribed as a table and run against the model (support/runner-commands.js). Every case of both
// tests is here. Where the L0 helper IsEqualCommand compares data without regard to case, or not at all
// when one side is empty, the rows expect the exact data the parser returns (an empty string).

import { describe, expect, it } from '@jest/globals'
import { tryParse, tryParseV2 } from '../support/runner-commands.js'

/** `new HashSet<string>() { "do-something" }`: the default comparer, which is case-sensitive. */
const commands = new Set(['do-something'])

type Row = [l0: string, message: string, expected: { properties: Record<string, string>; data: string } | undefined]

const legacy: Row[] = [
  ['CommandParserTest', '##[do-something k1=v1;]msg', { properties: { k1: 'v1' }, data: 'msg' }],
  ['CommandParserTest', '##[do-something]', { properties: {}, data: '' }],
  [
    'CommandParserTest',
    '##[do-something k1=%3B=%0D=%0A=%5D;]%3B-%0D-%0A-%5D',
    { properties: { k1: ';=\r=\n=]' }, data: ';-\r-\n-]' }
  ],
  [
    'CommandParserTest',
    '##[do-something k1=%253B=%250D=%250A=%255D;]%253B-%250D-%250A-%255D',
    { properties: { k1: '%3B=%0D=%0A=%5D' }, data: '%3B-%0D-%0A-%5D' }
  ],
  ['CommandParserTest', '##[do-something k1=;k2=;]', { properties: {}, data: '' }],
  ['CommandParserTest', '>>>   ##[do-something k1=v1;]msg', { properties: { k1: 'v1' }, data: 'msg' }]
]

const v2: Row[] = [
  ['CommandParserV2Test', '::do-something k1=v1,::msg', { properties: { k1: 'v1' }, data: 'msg' }],
  ['CommandParserV2Test', '::do-something::', { properties: {}, data: '' }],
  [
    'CommandParserV2Test',
    '::do-something k1=;=%2C=%0D=%0A=]=%3A,::;-%0D-%0A-]-:-,',
    { properties: { k1: ';=,=\r=\n=]=:' }, data: ';-\r-\n-]-:-,' }
  ],
  [
    'CommandParserV2Test',
    '::do-something k1=;=%252C=%250D=%250A=]=%253A,::;-%250D-%250A-]-:-,',
    { properties: { k1: ';=%2C=%0D=%0A=]=%3A' }, data: ';-%0D-%0A-]-:-,' }
  ],
  ['CommandParserV2Test', '::do-something k1=,k2=,::', { properties: {}, data: '' }],
  ['CommandParserV2Test', '::do-something k1=v1::', { properties: { k1: 'v1' }, data: '' }],
  ['CommandParserV2Test', '   ::do-something k1=v1,::msg', { properties: { k1: 'v1' }, data: 'msg' }],
  ['CommandParserV2Test', '   >>>   ::do-something k1=v1,::msg', undefined]
]

describe('ActionCommand.TryParse (##[name props]data)', () => {
  it.each(legacy)('LoggingCommandL0.%s: %j', (_, message, expected) => {
    const parsed = tryParse(message, commands)

    expect(parsed && { command: parsed.command, properties: { ...parsed.properties }, data: parsed.data }).toEqual(
      expected && { command: 'do-something', ...expected }
    )
  })
})

describe('ActionCommand.TryParseV2 (::name props::data)', () => {
  it.each(v2)('LoggingCommandL0.%s: %j', (_, message, expected) => {
    const parsed = tryParseV2(message, commands)

    expect(parsed && { command: parsed.command, properties: { ...parsed.properties }, data: parsed.data }).toEqual(
      expected && { command: 'do-something', ...expected }
    )
  })
})
