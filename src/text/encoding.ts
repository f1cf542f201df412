/**
 * The encodings a secret travels in, and back: used to send it and to recognise it when echoed. Every
 * decoder here reads its text once, left to right, so its time is linear in the text's length.
 */

/**
 * A value encoded as `application/x-www-form-urlencoded`, exactly as URLSearchParams writes it (the
 * WHATWG URL Standard's serializer: all but letters, digits and `*-._` percent-encoded as UTF-8,
 * space as `+`, a lone surrogate as U+FFFD), from encodeURIComponent, which is many times faster on
 * a long value and leaves five more characters unescaped.
 */
export function formEncode(value: string): string {
  const wellFormed = value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
  return encodeURIComponent(wellFormed).replace(/[!'()~]|%20/g, c =>
    c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`
  )
}

/**
 * Decodes each run of %XX escapes, byte sequence by byte sequence: every well-formed UTF-8 sequence
 * becomes its character, and a byte that starts none (a stray continuation byte, an overlong form, a
 * surrogate, a sequence cut short) is left as its escape, so one bad byte cannot hide the rest of the
 * run. Stray '%' signs are left as they are.
 */
export function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, run => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex')
    let out = ''
    for (let i = 0; i < bytes.length;) {
      const length = utf8SequenceLength(bytes, i)
      out += length ? bytes.toString('utf8', i, i + length) : run.slice(3 * i, 3 * i + 3)
      i += length || 1
    }
    return out
  })
}

/**
 * The length of the well-formed UTF-8 sequence at `bytes[i]`, or 0 when none starts there
 * (The Unicode Standard, Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
 */
function utf8SequenceLength(bytes: Buffer, i: number): number {
  const lead = bytes[i]
  if (lead < 0x80) return 1
  let length: number
  let low = 0x80
  let high = 0xbf
  if (lead >= 0xc2 && lead <= 0xdf) length = 2
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3
    if (lead === 0xe0) low = 0xa0
    if (lead === 0xed) high = 0x9f
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4
    if (lead === 0xf0) low = 0x90
    if (lead === 0xf4) high = 0x8f
  } else return 0
  for (let k = 1; k < length; k++) {
    const byte = bytes[i + k]
    // Past the end `byte` is undefined, which fails both comparisons.
    if (!(byte >= (k === 1 ? low : 0x80) && byte <= (k === 1 ? high : 0xbf))) return 0
  }
  return length
}

/**
 * The HTML named character references a server's escaping writes: the five of XML and HTML escapers
 * (Go's html.EscapeString, Python's html.escape, PHP's htmlspecialchars, Spring's HtmlUtils), their
 * upper-case legacy spellings, and the Latin-1 set (U+00A0 to U+00FF, in order), which HTML4-style
 * escapers (Spring, Apache Commons' escapeHtml4) use for every such character.
 */
const NAMED_REFERENCES = new Map<string, string>([
  ['amp', '&'],
  ['AMP', '&'],
  ['lt', '<'],
  ['LT', '<'],
  ['gt', '>'],
  ['GT', '>'],
  ['quot', '"'],
  ['QUOT', '"'],
  ['apos', "'"],
  ['COPY', '\u00a9'],
  ['REG', '\u00ae'],
  ...(
    'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 ' +
    'acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml ' +
    'Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde ' +
    'Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ' +
    'ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide ' +
    'oslash ugrave uacute ucirc uuml yacute thorn yuml'
  )
    .split(' ')
    .map((name, i): [string, string] => [name, String.fromCharCode(0xa0 + i)])
])
/** The longest name above. */
const LONGEST_NAME = 6

/**
 * Decodes HTML character references once: named ones (the table above), decimal `&#39;` and
 * hexadecimal `&#x27;` / `&#X27;`, with or without the closing `;` (HTML decodes these names and
 * numbers without it too). A name is matched by its longest known prefix, as HTML does (`&ampx`
 * is `&x`). A number that is no character (0, a surrogate, above U+10FFFF) becomes U+FFFD, as in
 * HTML. What a decoding produces is not decoded again here: `&amp;#39;` becomes `&#39;`.
 */
export function htmlDecode(text: string): string {
  return text.replace(
    /&(?:#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));?|([A-Za-z][A-Za-z0-9]*)(;?))/g,
    (reference, hex, decimal, name, semicolon) => {
      if (name === undefined) return codePoint(hex === undefined ? parseInt(decimal, 10) : parseInt(hex, 16))
      for (let length = Math.min(name.length, LONGEST_NAME); length > 0; length--) {
        const character = NAMED_REFERENCES.get(name.slice(0, length))
        if (character !== undefined)
          return character + reference.slice(1 + length + (length === name.length ? semicolon.length : 0))
      }
      return reference
    }
  )
}

/** The character of a numeric reference, or U+FFFD when the number names none. */
function codePoint(value: number): string {
  const valid = value > 0 && value <= 0x10ffff && !(value >= 0xd800 && value <= 0xdfff)
  return valid ? String.fromCodePoint(value) : '\ufffd'
}
