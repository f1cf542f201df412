// The runner's secret masker: every value registered (by `::add-mask::`, a long stop-commands token, the
// job's secrets) and the encodings derived from it become `***` in everything written to the step log.
// Follows actions/runner v2.336.0:
//   src/Sdk/DTLogging/Logging/SecretMasker.cs   AddValue, MaskSecrets (with ValueSecret.cs)
//   src/Sdk/DTLogging/Logging/ValueEncoders.cs  the encoders
//   src/Runner.Common/HostContext.cs            which encoders the runner registers, in which order

/** Lone surrogates become U+FFFD, as .NET's UTF-8 encoder and Uri.EscapeDataString replace them. */
const wellFormed = (/** @type {string} */ value) =>
  value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')

/** Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) of the value without its first `shift` bytes. */
function base64Shifted(/** @type {string} */ value, /** @type {number} */ shift) {
  const bytes = Buffer.from(value, 'utf8')
  return (bytes.length > shift ? bytes.subarray(shift) : bytes).toString('base64')
}

/**
 * Newtonsoft's JsonConvert.ToString without the quotes: `"`, `\`, control characters (as `\b`, `\t`,
 * `\n`, `\f`, `\r` or `\u00xx` in lower case), and U+0085, U+2028, U+2029 escaped; all else, lone
 * surrogates included, as it is.
 */
function jsonEscape(/** @type {string} */ value) {
  /** @type {Record<string, string>} */
  const named = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' }
  return value.replace(
    // eslint-disable-next-line no-control-regex -- the control characters are what Newtonsoft escapes
    /["\\\u0000-\u001f\u0085\u2028\u2029]/g,
    c => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  )
}

/** Uri.EscapeDataString: all but the RFC 3986 unreserved characters percent-encoded as UTF-8. */
const uriEscape = (/** @type {string} */ value) =>
  encodeURIComponent(wellFormed(value)).replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** SecurityElement.Escape */
const xmlEscape = (/** @type {string} */ value) =>
  value.replace(/[<>"'&]/g, c => ({ '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '&': '&amp;' })[c] ?? c)

/** The secret before (Pre) or after (Post) its last `&` (or first `&+`), as PowerShell may print it apart. */
function ampersandSection(/** @type {string} */ value, /** @type {'pre' | 'post'} */ side) {
  if (!value.includes('&')) return ''
  const plus = value.indexOf('&+')
  let section
  if (side === 'pre') section = value.slice(0, plus >= 0 ? plus + 2 : value.lastIndexOf('&') + 1)
  // With `&+`, PowerShell colours the character after it separately: it is skipped.
  else if (plus >= 0) section = value.length > plus + 3 ? value.slice(plus + 3) : ''
  else section = value.slice(value.lastIndexOf('&') + 1)
  return section.length >= 6 ? section : ''
}

/** ValueEncoders.cs, by the names the runner gives them. */
export const ValueEncoders = {
  Base64StringEscape: (/** @type {string} */ value) => base64Shifted(value, 0),
  Base64StringEscapeShift1: (/** @type {string} */ value) => base64Shifted(value, 1),
  Base64StringEscapeShift2: (/** @type {string} */ value) => base64Shifted(value, 2),
  CommandLineArgumentEscape: (/** @type {string} */ value) => value.replaceAll('"', '\\"'),
  ExpressionStringEscape: (/** @type {string} */ value) => value.replaceAll("'", "''"),
  JsonStringEscape: jsonEscape,
  UriDataEscape: uriEscape,
  XmlDataEscape: xmlEscape,
  TrimDoubleQuotes: (/** @type {string} */ value) =>
    value.length > 8 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : '',
  PowerShellPreAmpersandEscape: (/** @type {string} */ value) => ampersandSection(value, 'pre'),
  PowerShellPostAmpersandEscape: (/** @type {string} */ value) => ampersandSection(value, 'post')
}

/** The encoders HostContext registers, all of them. */
export const HOST_ENCODERS = Object.values(ValueEncoders)

/**
 * @typedef {object} SecretMasker
 * @property {(value: string) => void} addValue registers a value and its encodings (empty strings and
 *   values already registered are skipped)
 * @property {(input: string) => string} maskSecrets every occurrence of every registered string, overlapping
 *   and adjacent ones merged, replaced by `***`
 * @property {string[]} values the values registered, in order, without their encodings
 */

/**
 * A fresh SecretMasker with the given encoders (by default those of HostContext).
 * @param {{ encoders?: ((value: string) => string)[] }} [options]
 * @returns {SecretMasker}
 */
export function createSecretMasker({ encoders = HOST_ENCODERS } = {}) {
  /** @type {string[]} */
  const values = []
  /** @type {Set<string>} */
  const secrets = new Set()
  return {
    values,
    addValue(value) {
      if (!value || values.includes(value)) return
      values.push(value)
      secrets.add(value)
      for (const encode of encoders) {
        const encoded = encode(value)
        if (encoded) secrets.add(encoded)
      }
    },
    maskSecrets(input) {
      if (!input) return ''
      /** @type {number[][]} */
      const ranges = []
      for (const secret of secrets) {
        // ValueSecret.GetPositions advances one character at a time, so overlapping occurrences all count.
        for (let at = input.indexOf(secret); at >= 0; at = input.indexOf(secret, at + 1)) {
          ranges.push([at, at + secret.length])
        }
      }
      ranges.sort((a, b) => a[0] - b[0])
      /** @type {number[][]} */
      const merged = []
      for (const [start, end] of ranges) {
        const last = merged.at(-1)
        if (last && start <= last[1]) last[1] = Math.max(last[1], end)
        else merged.push([start, end])
      }
      let out = ''
      let from = 0
      for (const [start, end] of merged) {
        out += `${input.slice(from, start)}***`
        from = end
      }
      return out + input.slice(from)
    }
  }
}
