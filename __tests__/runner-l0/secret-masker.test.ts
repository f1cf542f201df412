// actions/runner's own tests of the secret masker and its value encoders, run against the model
// (support/runner-masker.js):
//   src/Test/L0/HostContextL0.cs at v2.336.0: DefaultSecretMaskers and SecretSectionMasking, with the
//     encoders HostContext registers;
//   src/Test/L0/SecretMaskerL0.cs, the masker's own tests, which actions/runner removed in d6aded5a5
//     (2018) when it moved to the masker it still uses; that masker merges and replaces as the one
//     tested did, so the cases stand, with its `***` for the old `********`, and with the JSON and URI
//     encoders that the old masker applied itself (the two TestHostContext registers).
//
// Left out of HostContextL0:
//   CreateServiceReturnsNewInstance, GetServiceReturnsSingleton  the runner's service locator
//   SecretMaskerForProxy  masks the proxy password of http_proxy in the runner's own trace log
//   AuthMigrationDisabledByDefault, AuthMigrationReenableTaskNotRunningByDefault,
//   AuthMigrationEnableDisable, AuthMigrationAutoReset  the runner's authentication
// Left out of SecretMaskerL0: HandlesEmptyInput's MaskSecrets(null), which JavaScript strings cannot be.

import { describe, expect, it } from '@jest/globals'
import { createSecretMasker, ValueEncoders } from '../support/runner-masker.js'

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64')

describe('HostContextL0.DefaultSecretMaskers', () => {
  const masker = createSecretMasker()
  for (const value of [
    'Password123!',
    'Pass"word"123!',
    'Pass word 123!',
    'Pass<word>123!',
    "Pass'word'123!",
    '"Password123!!"',
    '"short"'
  ]) {
    masker.addValue(value)
  }

  it.each([
    ['123***123', '123Password123!123'],
    ['password123', 'password123'],
    ['123***123', '123Pass\\"word\\"123!123'],
    ['123***123', '123Pass%20word%20123%21123'],
    ['123***123', '123Pass&lt;word&gt;123!123'],
    ['123***123', "123Pass''word''123!123"],
    ['OlBh***', base64(':Password123!')],
    ['YTpQ***', base64('a:Password123!')],
    ['YWI6***', base64('ab:Password123!')],
    ['YWJjOlBh***', base64('abc:Password123!')],
    ['YWJjZDpQ***', base64('abcd:Password123!')],
    ['YWJjZGU6***', base64('abcde:Password123!')],
    ['123***123', '123Password123!!123'],
    ['123short123', '123short123'],
    ['123***123', '123"short"123']
  ])('gives %j for %j', (masked, input) => {
    expect(masker.maskSecrets(input)).toBe(masked)
  })
})

// The L0 strings hold C#'s "\x0033[96m": a \x escape takes up to four hex digits, so that is the digit 3
// (U+0033) before `[96m`, not an escape character.
describe('HostContextL0.SecretSectionMasking', () => {
  it.each([
    ['secret&secret&secret', 'secret&secret&\u0033[96msecret\u0033[0m', '***\u0033[96m***\u0033[0m'],
    ['secret&secret+secret', 'secret&\u0033[96msecret+secret\u0033[0m', '***\u0033[96m***\u0033[0m'],
    ['secret+secret&secret', 'secret+secret&\u0033[96msecret\u0033[0m', '***\u0033[96m***\u0033[0m'],
    ['secret&secret&+secretsecret', 'secret&secret&+\u0033[96ms\u0033[0mecretsecret', '***\u0033[96ms\u0033[0m***'],
    ['secret&+secret&secret', 'secret&+\u0033[96ms\u0033[0mecret&secret', '***\u0033[96ms\u0033[0m***'],
    ['secret&+secret&+secret', 'secret&+\u0033[96ms\u0033[0mecret&+secret', '***\u0033[96ms\u0033[0m***'],
    ['secret&+secret&secret&+secret', 'secret&+\u0033[96ms\u0033[0mecret&secret&+secret', '***\u0033[96ms\u0033[0m***'],
    ['secret&secret&+', 'secret&secret&+\u0033[96m\u0033[0m', '***\u0033[96m\u0033[0m']
  ])('masks %j in %j', (secret, rawOutput, maskedOutput) => {
    const masker = createSecretMasker()
    masker.addValue(secret)

    expect(masker.maskSecrets(rawOutput)).toBe(maskedOutput)
  })
})

describe('SecretMaskerL0', () => {
  /** The old masker: no encoders of its own but JSON and URI escaping. */
  const withValues = (...values: string[]) => {
    const masker = createSecretMasker({ encoders: [ValueEncoders.JsonStringEscape, ValueEncoders.UriDataEscape] })
    for (const value of values) masker.addValue(value)
    return masker
  }

  it.each([
    ['HandlesEmptyInput', ['abcd'], '', ''],
    ['HandlesNoMasks', [], 'abcdefg', 'abcdefg'],
    ['ReplacesValue', ['def'], 'abcdefg', 'abc***g'],
    ['ReplacesMultipleInstances', ['def'], 'abcdefgdef', 'abc***g***'],
    ['ReplacesMultipleAdjacentInstances', ['abc'], 'abcabcdef', '***def'],
    ['ReplacesMultipleSecrets', ['bcd', 'fgh'], 'abcdefghi', 'a***e***i'],
    ['ReplacesOverlappingSecrets', ['def', 'bcd'], 'abcdefg', 'a***g'],
    ['ReplacesAdjacentSecrets', ['efg', 'bcd'], 'abcdefgh', 'a***h'],
    ['HandlesJsonEscapedInput', ['b\\c'], 'ab\\\\cd', 'a***d'],
    ['HandlesUrlEscapedInput', ['b c'], 'ab%20cd', 'a***d']
  ])('%s', (_, values, input, masked) => {
    expect(withValues(...values).maskSecrets(input)).toBe(masked)
  })
})
