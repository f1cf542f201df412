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

describe('Redactor: secrets a server echoes HTML-escaped', () => {
  const SECRET = "Kq7Zp2Wm&Xr4Tn8Vb'Hs6Jd3Lf"

  function redactor(...secrets: string[]): Redactor {
    const r = new Redactor()
    for (const secret of secrets) r.add(secret)
    return r
  }

  it.each([
    ['as Spring and Go write it', 'Kq7Zp2Wm&amp;Xr4Tn8Vb&#39;Hs6Jd3Lf'],
    ['as Python writes it', 'Kq7Zp2Wm&amp;Xr4Tn8Vb&#x27;Hs6Jd3Lf'],
    ['in upper-case hex', 'Kq7Zp2Wm&#X26;Xr4Tn8Vb&#X27;Hs6Jd3Lf'],
    ['with leading zeros', 'Kq7Zp2Wm&#00038;Xr4Tn8Vb&#039;Hs6Jd3Lf'],
    ['without semicolons', 'Kq7Zp2Wm&ampXr4Tn8Vb&#39Hs6Jd3Lf'],
    ['escaped twice', 'Kq7Zp2Wm&amp;amp;Xr4Tn8Vb&amp;#39;Hs6Jd3Lf'],
    ['escaped four times', 'Kq7Zp2Wm&amp;amp;amp;amp;Xr4Tn8Vb&#39;Hs6Jd3Lf'],
    ['with its letters as references', '&#75;&#x71;7Zp2Wm&amp;Xr4Tn8Vb&#39;Hs6Jd3L&#102;']
  ])('cuts it out of quoted text %s', (_how, echo) => {
    const r = redactor(SECRET)
    expect(r.mentions(`Bad client credentials: ${echo}`)).toBe(true)
    expect(r.quote(`Bad client credentials: ${echo}`, 200)).toBe('Bad client credentials: ***')
  })

  it('withholds text escaped more times than are undone', () => {
    const echo = 'Kq7Zp2Wm&amp;amp;amp;amp;amp;Xr4Tn8Vb&#39;Hs6Jd3Lf'
    const r = redactor(SECRET)
    expect(r.quote(`got ${echo}`, 200)).toBe(WITHHELD)
    expect(r.mentions(`got ${echo}`)).toBe(true)
    expect(r.quote('got &amp;amp;amp;lt;', 200)).toBe('got <')
    expect(r.quote('got &amp;amp;amp;amp;lt;', 200)).toBe(WITHHELD)
  })

  it('finds the secret under percent and HTML escapes in either order', () => {
    const r = redactor(SECRET)
    expect(r.mentions('x Kq7Zp2Wm%26amp%3BXr4Tn8Vb%26%2339%3BHs6Jd3Lf y')).toBe(true)
    expect(r.mentions('x Kq7Zp2Wm&#37;26Xr4Tn8Vb&#37;27Hs6Jd3Lf y')).toBe(true)
    expect(r.quote('x Kq7Zp2Wm%26amp%3BXr4Tn8Vb%26%2339%3BHs6Jd3Lf y', 200)).toBe(WITHHELD)
  })

  it('finds a secret of few letters under HTML escapes by its exact form', () => {
    const r = redactor("a'b&c")
    expect(r.mentions('x a&#39;b&amp;c y')).toBe(true)
    expect(r.quote('x a&#39;b&amp;c y', 100)).toBe('x *** y')
    expect(r.mentions('x a&#39;b y')).toBe(false)
  })

  it('cuts out a secret that contains an escape, echoed as it is or escaped', () => {
    const secret = 'p&amp;ss-W0rd&#39;9'
    const r = redactor(secret)
    expect(r.quote(`raw ${secret} end`, 100)).toBe('raw *** end')
    expect(r.quote('escaped p&amp;amp;ss-W0rd&amp;#39;9 end', 100)).toBe('escaped *** end')
  })

  it('shows other escaped text decoded, and sanitised after decoding', () => {
    const r = redactor(SECRET)
    expect(r.quote('a &lt;b&gt; &amp; &quot;c&quot;', 100)).toBe('a <b> & c')
    expect(r.quote('line&#10;&#35;&#35;[stop-commands]x', 100)).toBe('line # #[stop-commands]x')
  })
})

describe('Redactor: time linear in the values and the text', () => {
  /** A redactor that counts its steps. */
  function counting(): { r: Redactor; steps: () => number } {
    let steps = 0
    return { r: new Redactor(n => (steps += n)), steps: () => steps }
  }

  /** Letters and digits from a fixed linear congruential sequence: the same in every run. */
  function pseudoRandom(length: number, seed = 1): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    let state = seed
    let out = ''
    for (let i = 0; i < length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0
      out += alphabet[(state >>> 16) % alphabet.length]
    }
    return out
  }

  /** The steps to add `value` and then redact and check `text`. */
  function stepsFor(value: string, text: string): number {
    const { r, steps } = counting()
    r.add(value)
    expect(r.redact(text)).toContain('***')
    expect(r.mentions(text)).toBe(true)
    expect(r.mentions(pseudoRandom(text.length, 7))).toBe(false)
    r.quote(text, 200)
    return steps()
  }

  it.each([
    ['A run of one letter, then random letters', (n: number) => 'A'.repeat((n * 8) / 13) + pseudoRandom((n * 5) / 13)],
    ['random letters', (n: number) => pseudoRandom(n)],
    ['one letter', (n: number) => 'A'.repeat(n)],
    ['a short period', (n: number) => 'ab1'.repeat(n / 3)]
  ])('%s: the steps grow in proportion to the length', (_shape, token) => {
    const small = token(1_300 * 6)
    const large = token(1_300 * 12)
    const smallSteps = stepsFor(small, `echo ${small} and ${small.slice(0, 4_000)}`)
    const largeSteps = stepsFor(large, `echo ${large} and ${large.slice(0, 8_000)}`)
    // Quadratic work would take some 10^7 steps here, and four times as many for twice the length.
    expect(smallSteps).toBeLessThan(60 * small.length)
    expect(largeSteps).toBeLessThan(60 * large.length)
    expect(largeSteps / smallSteps).toBeLessThan(2.2)
  })

  it('stores each distinct window of a skeleton once, at most as many as it has characters', () => {
    const { r, steps } = counting()
    const token = 'A'.repeat(4_000) + pseudoRandom(2_500)
    r.add(token)
    expect(r.stored).toEqual({ forms: 2, characters: 2 * token.length, windows: 3_251 - 750 })
    // The token and its lower case; the skeleton's windows of 3,250 from its 3,251 starts, of which
    // the first 751 are all A and one window.
    expect(steps()).toBeLessThan(10 * token.length)
    const same = new Redactor()
    same.add('A'.repeat(6_500))
    expect(same.stored).toEqual({ forms: 2, characters: 13_000, windows: 1 })
  })

  it('finds a long token among many short secrets in one pass per run length', () => {
    const { r, steps } = counting()
    for (let i = 0; i < 50; i++) r.add(pseudoRandom(64, i + 1))
    const before = steps()
    const text = pseudoRandom(6_400, 99)
    expect(r.mentions(text)).toBe(false)
    expect(steps() - before).toBeLessThan(60 * text.length)
  })

  it('keeps a form longer than 4,096 characters on its own, and finds it, its parts and its case', () => {
    const token = `Tok-${pseudoRandom(5_000)}`
    const r = new Redactor()
    r.add(token)
    r.add('short-secret-1')
    expect(r.redact(`a ${token} b short-secret-1 c`)).toBe('a *** b *** c')
    expect(r.redact(token.slice(1))).toBe(token.slice(1))
    expect(r.mentions(`x ${token.toUpperCase()} y`)).toBe(true)
    expect(r.overlaps(token.slice(100, 120).toLowerCase())).toBe(true)
    expect(r.overlaps('no-such-part')).toBe(false)
  })

  it('redacts overlapping echoes of a periodic secret as one stretch', () => {
    const r = new Redactor()
    r.add('abab-abab')
    expect(r.redact('xabab-abab-abab-ababy')).toBe('x***y')
    expect(r.redact('abab-ababab-abab')).toBe('***')
    r.add('xyz-12345')
    expect(r.redact('xyz-12345xyz-12345')).toBe('******')
  })
})

describe('Redactor: edge cases of the forms kept', () => {
  it('says what it withholds in words', () => {
    expect(WITHHELD).toBe('[withheld: it repeats a secret]')
  })

  it('does not cut a sanitised form shorter than four characters out of ordinary words', () => {
    // `on"` sanitises to `on`, which would blank out parts of most words.
    const r = new Redactor()
    r.add('on"')
    expect(r.redact('a long reason: on" x')).toBe('a long reason: *** x')
  })

  it('cuts out every occurrence of a long form, and one exactly as long as the text', () => {
    const token = `Tok-${'k7Zp2Wm9'.repeat(600)}`
    const r = new Redactor()
    r.add(token)
    expect(r.redact(token)).toBe('***')
    expect(r.redact(`${token} and ${token}`)).toBe('*** and ***')
  })

  it('knows a long form in another case when its letters and digits are too few to be recognised', () => {
    const token = `${'-!'.repeat(2_500)}Q`
    const r = new Redactor()
    r.add(token)
    expect(r.mentions(`x ${token.toLowerCase()} y`)).toBe(true)
    expect(r.mentions(`x ${token.slice(1)} y`)).toBe(false)
  })

  it('knows that a text repeating a secret overlaps it, though the secret is no part of the text', () => {
    const r = new Redactor()
    r.add('abcdefgh')
    expect(r.overlaps('before abcdefgh after')).toBe(true)
  })

  it('counts a text escaped more times than are undone as repeating a secret', () => {
    const r = new Redactor()
    r.add('zzzzzzzz')
    // Five layers of percent escapes around `A`: one more than are undone.
    expect(r.mentions(`%${'25'.repeat(5)}41`)).toBe(true)
    expect(r.mentions(`%${'25'.repeat(3)}41`)).toBe(false)
  })
})

describe('Redactor: the steps each operation counts', () => {
  function counting(...secrets: string[]): { r: Redactor; steps: () => number; reset: () => void } {
    let steps = 0
    const r = new Redactor(n => (steps += n))
    for (const secret of secrets) r.add(secret)
    // Builds the dictionaries, which is counted once, at the first search.
    r.redact('')
    r.mentions('')
    return { r, steps: () => steps, reset: () => (steps = 0) }
  }

  it('reads a text without escapes once per decoder and once for the forms', () => {
    const { r, steps, reset } = counting('secret-value-1')
    const text = '- '.repeat(500)
    reset()
    expect(r.mentions(text)).toBe(false)
    // No letters or digits: there is no skeleton to look for.
    expect(steps()).toBe(3 * text.length)
  })

  it('does not search a text for a long form longer than the text, nor rebuild a text with nothing to cut', () => {
    const { r, steps, reset } = counting(`Tok-${'k7Zp2Wm9'.repeat(600)}`)
    const text = 'no secret here'
    reset()
    expect(r.redact(text)).toBe(text)
    // The one pass of the (empty) dictionary of short forms.
    expect(steps()).toBe(text.length)
  })

  it('counts the text once more and each stretch it cuts when it rebuilds the text', () => {
    // `wxyz` has one form, and too few letters for a skeleton.
    const { r, steps, reset } = counting('wxyz')
    const n = 100
    const text = 'wxyz'.repeat(n)
    reset()
    expect(r.redact(text)).toBe('***'.repeat(n))
    // The search reads each character and, after each match but the last, steps back to the root
    // once (n - 1); the rebuild reads each character and each of the n matches.
    expect(steps()).toBe(text.length + (n - 1) + text.length + n)
  })

  it('keeps the prepared search of a long form when the secret is added again', () => {
    const token = `Tok-${'k7Zp2Wm9'.repeat(600)}`
    const text = `a ${token} b`
    const once = counting(token)
    once.r.redact(text)
    once.reset()
    once.r.redact(text)
    const twice = counting(token)
    twice.r.redact(text)
    twice.r.add(token)
    twice.reset()
    twice.r.redact(text)
    expect(twice.steps()).toBe(once.steps())
  })

  it('keeps the prepared search of a long form in lower case when the secret is added again', () => {
    // Too few letters and digits for a skeleton, whose windows would be hashed again.
    const token = `${'-!'.repeat(2_500)}Q`
    const text = `a ${token.toLowerCase()} b`
    const once = counting(token)
    expect(once.r.mentions(text)).toBe(true)
    once.reset()
    once.r.mentions(text)
    const twice = counting(token)
    twice.r.mentions(text)
    twice.r.add(token)
    twice.reset()
    twice.r.mentions(text)
    expect(twice.steps()).toBe(once.steps())
  })
})
