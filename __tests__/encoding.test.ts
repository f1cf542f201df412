import { describe, expect, it } from '@jest/globals'
import { formEncode, percentDecode } from '../src/text/encoding.js'

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
