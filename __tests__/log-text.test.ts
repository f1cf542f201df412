import { describe, expect, it } from '@jest/globals'
import { logSafe, neutralizeLine, Redactor, WITHHELD } from '../src/text/log-text.js'

describe('logSafe', () => {
  it('keeps printable ASCII but for " and \\', () => {
    expect(logSafe('invalid_client: bad (id) [x] {y} ~!@$%^&*', 100)).toBe('invalid_client: bad (id) [x] {y} ~!@$%^&*')
    expect(logSafe('say "hi" \\o/', 100)).toBe('say hi o/')
  })

  it('turns line breaks, tabs and other control characters into single spaces, and trims', () => {
    expect(logSafe('  a\r\nb\tc\u0000d\u001be\u007ff\u0085g  ', 100)).toBe('a b c d e f g')
  })

  it('drops characters outside ASCII, the Unicode line separators among them', () => {
    expect(logSafe('caf\u00e9 \u2028x\u2029y \u202eevil', 100)).toBe('caf x y evil')
  })

  it('leaves one space where dropped characters stood between words', () => {
    expect(logSafe('a \u00e9 b  c', 100)).toBe('a b c')
  })

  it.each([
    ['##[stop-commands]x', '# #[stop-commands]x'],
    ['a ##[add-mask]b', 'a # #[add-mask]b'],
    ['###[set-output]', '## #[set-output]'],
    ['#\n#[x]', '# #[x]'],
    ['::stop-commands::x', ': :stop-commands::x'],
    ['  ::error::x', ': :error::x'],
    ['\n::error::x', ': :error::x'],
    ['a ::b', 'a ::b']
  ])('leaves no workflow command in %j', (text, safe) => expect(logSafe(text, 100)).toBe(safe))

  it('cuts the text at maxLength and marks the cut', () => {
    expect(logSafe('abcdef', 4)).toBe('abcd…')
    expect(logSafe('abcd', 4)).toBe('abcd')
  })
})

describe('neutralizeLine', () => {
  it('keeps a line as it is when it holds no command', () => {
    expect(neutralizeLine('Obtained a bearer token from http://[::1]:8080/api/oauth/token.')).toBe(
      'Obtained a bearer token from http://[::1]:8080/api/oauth/token.'
    )
  })

  it.each([
    ['a\nb\r\nc', 'a b c'],
    ['x\u2028::add-mask::y', 'x ::add-mask::y'],
    ['::set-output name=a::b', ': :set-output name=a::b'],
    ['\u0085::error::x', '\u0085: :error::x'],
    ['text ##[warning]x', 'text # #[warning]x']
  ])('makes %j one harmless line', (line, safe) => expect(neutralizeLine(line)).toBe(safe))
})

describe('Redactor', () => {
  const SECRET = 'Ab"cD\\eF-123456'

  function redactor(...secrets: string[]): Redactor {
    const r = new Redactor()
    for (const secret of secrets) r.add(secret)
    return r
  }

  it.each([
    ['as is', SECRET],
    ['JSON-escaped', 'Ab\\"cD\\\\eF-123456'],
    ['URI-encoded', encodeURIComponent(SECRET)],
    ['form-encoded', new URLSearchParams([['', SECRET]]).toString().slice(1)],
    ['as sanitising leaves it', 'AbcDeF-123456']
  ])('cuts the secret out %s', (_form, echo) => {
    expect(redactor(SECRET).redact(`x ${echo} y`)).toBe('x *** y')
  })

  it('cuts out the longest form first, so no tail of a longer one is left', () => {
    const r = redactor('abc', 'abcdef')
    expect(r.redact('abcdefgh')).toBe('***gh')
  })

  it('cuts out the JSON-escaped form of a non-ASCII secret as it is written, non-ASCII left as is', () => {
    expect(redactor('pä"sswörd-42').redact('a pä\\"sswörd-42 b')).toBe('a *** b')
  })

  it('cuts out the normalised and ASCII-escaped JSON forms of a non-ASCII secret', () => {
    const secret = 'pässwörd-42'
    const r = redactor(secret)
    expect(r.redact(`a ${secret.normalize('NFD')} b`)).toBe('a *** b')
    expect(r.redact('a p\\u00e4ssw\\u00f6rd-42 b')).toBe('a *** b')
  })

  it('ignores an empty secret, and does not cut short sanitised forms on their own', () => {
    const r = redactor('', '"é"')
    expect(r.redact('a "é" b "" c')).toBe('a *** b "" c')
  })

  it.each([
    ['the secret', `see ${SECRET}`],
    ['it in another case', 'see ab"cd\\ef-123456'],
    ['it percent-encoded', `see ${encodeURIComponent(SECRET).toLowerCase()}`],
    ['its letters and digits, spaced out', 'A b C d E f 1 2 3 4 5 6'],
    ['its NFKD skeleton', 'ＡｂｃＤｅＦ１２３４５６']
  ])('knows when a text mentions %s', (_what, text) => expect(redactor(SECRET).mentions(text)).toBe(true))

  it('finds a secret of few letters and digits by its exact forms, in any case, decoded or not', () => {
    const r = redactor('aB!?#%&')
    expect(r.mentions('x AB!?#%& y')).toBe(true)
    expect(r.mentions('x ab!?#%& y')).toBe(true)
    expect(r.mentions('x %61%42%21%3F%23%25%26 y')).toBe(true)
    expect(r.mentions('x aB!? y')).toBe(false)
  })

  it('finds the letters of a secret that a server echoed percent-encoded', () => {
    expect(redactor('Sup3rSecret').mentions('got S%75p3r-S%65cret')).toBe(true)
  })

  it('recognises a secret of exactly six letters and digits by them', () => {
    expect(redactor('abc-123').mentions('a b c 1 2 3')).toBe(true)
  })

  it('knows when a text repeats the end of a secret', () => {
    expect(redactor('abcdefghij').mentions('x cdefghij x')).toBe(true)
    expect(redactor('abcdefghij').mentions('x cdefghi x')).toBe(false)
  })

  it('knows when a text repeats a long part of a secret', () => {
    const r = redactor('Sup3rSecretValue99')
    expect(r.mentions('prefix Sup3rSecretValue9 suffix')).toBe(true)
    expect(r.mentions('x perSecretVal y')).toBe(true)
    expect(r.mentions('x erSecret y')).toBe(false)
    expect(redactor('abcdefgh').mentions('xabcdefgx')).toBe(false)
    expect(redactor('abcdefgh').mentions('xabcdefghx')).toBe(true)
  })

  it('does not see a secret where there is none', () => {
    expect(redactor(SECRET).mentions('invalid_client: Client authentication failed.')).toBe(false)
    expect(redactor('abc').mentions('a b c d')).toBe(false)
  })

  it('knows when a text is part of a secret', () => {
    const r = redactor('xhunter2x')
    expect(r.overlaps('hunter2')).toBe(true)
    expect(r.overlaps('HUNTER2')).toBe(true)
    expect(r.overlaps('mac')).toBe(false)
  })

  describe('quote', () => {
    it('redacts, sanitises and shortens server text', () => {
      expect(redactor(SECRET).quote(`bad "${SECRET}"\n##[x]`, 100)).toBe('bad *** # #[x]')
    })

    it('withholds a text that still repeats a secret after redaction', () => {
      expect(redactor(SECRET).quote('secret is a b c d e f 1 2 3 4 5 6', 100)).toBe(WITHHELD)
      expect(redactor('Sup3rSecretValue99').quote('got Sup3rSecretValue9', 100)).toBe(WITHHELD)
    })

    it('shortens only after redacting, so no part of a secret is left at the cut', () => {
      const secret = 'S3CRET-'.repeat(10)
      expect(redactor(secret).quote(`${'x'.repeat(10)} ${secret} tail`, 12)).toBe('xxxxxxxxxx *…')
    })

    it('redacts the sanitised form of a secret whose echo sanitising changed', () => {
      const r = redactor('ab"cd')
      expect(r.quote('got ab\\"cd and abcd', 100)).toBe('got *** and ***')
    })
  })
})
