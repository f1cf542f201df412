import { describe, expect, it } from '@jest/globals'
import { formEncode, htmlDecode, percentDecode } from '../src/text/encoding.js'

describe('formEncode', () => {
  it('encodes as application/x-www-form-urlencoded: space as +, reserved characters escaped', () => {
    expect(formEncode("a b+c/d=e:f%g~h!i*j'k(l)")).toBe('a+b%2Bc%2Fd%3De%3Af%25g%7Eh%21i*j%27k%28l%29')
    expect(formEncode('plain-._')).toBe('plain-._')
  })
})

describe('percentDecode', () => {
  it('decodes runs of escapes together, so multi-byte characters come back whole', () => {
    expect(percentDecode('p%C3%A4ss%2Fword')).toBe('päss/word')
  })

  it('leaves stray percent signs and escapes that are no UTF-8 as they are', () => {
    expect(percentDecode('100% sure %zz')).toBe('100% sure %zz')
    expect(percentDecode('half %C3 a char')).toBe('half %C3 a char')
  })
})

describe('percentDecode, byte by byte', () => {
  it('decodes the well-formed sequences of a run and leaves each bad byte as its escape', () => {
    expect(percentDecode('%41%FF%42%43')).toBe('A%FFBC')
    expect(percentDecode('%C3%A4%C3%41')).toBe('ä%C3A')
    expect(percentDecode('%80%41')).toBe('%80A')
  })

  it.each([
    ['%C2%80', '\u0080'],
    ['%DF%BF', '\u07ff'],
    ['%E0%A0%80', '\u0800'],
    ['%ED%9F%BF', '\ud7ff'],
    ['%EF%BF%BF', '\uffff'],
    ['%F0%90%80%80', '\u{10000}'],
    ['%F4%8F%BF%BF', '\u{10ffff}'],
    ['%7F', '\u007f']
  ])('decodes the UTF-8 sequence %s at the edge of its range', (escaped, character) => {
    expect(percentDecode(escaped)).toBe(character)
  })

  it.each([
    ['an overlong two-byte form', '%C0%80', '%C0%80'],
    ['an overlong two-byte form of an ASCII letter', '%C1%81', '%C1%81'],
    ['an overlong three-byte form', '%E0%9F%BF', '%E0%9F%BF'],
    ['a surrogate', '%ED%A0%80', '%ED%A0%80'],
    ['an overlong four-byte form', '%F0%8F%BF%BF', '%F0%8F%BF%BF'],
    ['a code point above U+10FFFF', '%F4%90%80%80', '%F4%90%80%80'],
    ['a lead byte beyond F4', '%F5%80%80%80', '%F5%80%80%80'],
    ['a sequence cut short by the run', '%E2%82', '%E2%82'],
    ['a second byte that continues nothing', '%C3%C3%A4', '%C3ä'],
    ['a last byte that is no continuation', '%E2%82%41', '%E2%82A'],
    ['a third byte above BF', '%E2%82%C0', '%E2%82%C0'],
    ['a fourth byte below 80', '%F0%90%80%41', '%F0%90%80A']
  ])('leaves %s as its escapes', (_what, escaped, decoded) => {
    expect(percentDecode(escaped)).toBe(decoded)
  })
})

describe('htmlDecode', () => {
  it.each([
    ['&amp; &lt; &gt; &quot; &apos;', `& < > " '`],
    ['&AMP; &LT; &GT; &QUOT; &COPY; &REG;', '& < > " \u00a9 \u00ae'],
    ['&nbsp;&iexcl;&yuml;&eacute;&Eacute;&frac34;', '\u00a0\u00a1\u00ff\u00e9\u00c9\u00be'],
    ['&#39; &#039; &#x27; &#X27; &#x00000041;', "' ' ' ' A"],
    ['&#128273; &#x1F511;', '\u{1F511} \u{1F511}']
  ])('decodes %j', (text, decoded) => expect(htmlDecode(text)).toBe(decoded))

  it('decodes references without their semicolon, a name by its longest known prefix', () => {
    expect(htmlDecode('a&ampb &lt3 &#39x &#x27g &copy2')).toBe("a&b <3 'x 'g \u00a92")
    expect(htmlDecode('&notin; &ampx; &amp;;')).toBe('\u00acin; &x; &;')
  })

  it('makes a number that names no character U+FFFD', () => {
    expect(htmlDecode('&#0; &#xD800; &#xDFFF; &#x110000; &#99999999999999999999;')).toBe(
      '\ufffd \ufffd \ufffd \ufffd \ufffd'
    )
    expect(htmlDecode('&#xD7FF;&#xE000;&#x10FFFF;&#1;')).toBe('\ud7ff\ue000\u{10ffff}\u0001')
  })

  it('leaves what is no reference as it is', () => {
    expect(htmlDecode('a & b &; &# &#x; &#xg; &unknown; &Amp; &1;')).toBe('a & b &; &# &#x; &#xg; &unknown; &Amp; &1;')
  })

  it('undoes one layer at a time', () => {
    expect(htmlDecode('&amp;#39; &amp;amp;')).toBe('&#39; &amp;')
  })
})

describe('formEncode, as URLSearchParams writes it', () => {
  it.each([
    ['every printable ASCII character', Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')],
    ['control characters', '\u0000\t\n\r\u001f\u007f'],
    ['non-ASCII characters', 'päss wörd €\u{1F511}'],
    ['lone surrogates', 'a\ud800b\udc00c\udbff'],
    ['a surrogate pair', '\ud83d\udd11']
  ])('encodes %s alike', (_what, value) => {
    expect(formEncode(value)).toBe(new URLSearchParams([['', value]]).toString().slice(1))
  })
})
