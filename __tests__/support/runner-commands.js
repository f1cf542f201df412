// How actions/runner reads one line as a workflow command, and the .NET string semantics it relies on.
// Follows actions/runner v2.336.0:
//   src/Runner.Common/ActionCommand.cs        TryParseV2 (`::name props::data`), TryParse (`##[name props]data`)
//   src/Runner.Worker/ActionCommandManager.cs the command set (StringComparer.OrdinalIgnoreCase) and
//                                             IssueCommandExtension.ValidateLinesAndColumns
//
// Not modelled: the runner's `StartsWith` and `IndexOf` of a string (`::`, `##[`) use the current culture,
// which under ICU skips characters that collate as ignorable (controls, U+00AD...). Both parsers then cut
// the line at fixed offsets from the match, so an ignorable character before or inside the marker yields
// a name no command has; the model searches ordinally.

/** .NET `char.IsWhiteSpace`, for the runner's `Trim()`, `TrimStart()` and `TrimEntries`. */
const WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const LEADING = new RegExp(`^[${WHITESPACE}]+`)
const TRAILING = new RegExp(`[${WHITESPACE}]+$`)

/** String.TrimStart() */
export const trimStart = (/** @type {string} */ text) => text.replace(LEADING, '')
/** String.Trim() */
export const trim = (/** @type {string} */ text) => text.replace(LEADING, '').replace(TRAILING, '')

/**
 * Greek letters with a iota subscript: their full uppercase (what `toUpperCase` gives) is two letters,
 * their simple uppercase (what .NET uses) is the titlecase letter.
 */
function greekSimpleUpper(/** @type {number} */ cp) {
  if ((cp >= 0x1f80 && cp <= 0x1f87) || (cp >= 0x1f90 && cp <= 0x1f97) || (cp >= 0x1fa0 && cp <= 0x1fa7)) {
    return cp + 8
  }
  return { 0x1fb3: 0x1fbc, 0x1fc3: 0x1fcc, 0x1ff3: 0x1ffc }[cp]
}

/**
 * A code point as .NET's ordinal case-insensitive comparison sees it: its simple uppercase mapping
 * (ICU `u_toupper`), except that U+0131 (dotless i) and U+017F (long s) stay themselves
 * (System.Globalization.Native `InitOrdinalCasingPage`). So no character outside ASCII ever equals an
 * ASCII letter, while `é` does equal `É`; there is no Unicode case folding (`ß` is not `ss`).
 */
function ordinalUpper(/** @type {number} */ cp) {
  if (cp < 0x80) return cp >= 0x61 && cp <= 0x7a ? cp - 0x20 : cp
  if (cp === 0x131 || cp === 0x17f) return cp
  const greek = greekSimpleUpper(cp)
  if (greek !== undefined) return greek
  const upper = String.fromCodePoint(cp).toUpperCase()
  const first = /** @type {number} */ (upper.codePointAt(0))
  // A full mapping to several letters (`ß` to `SS`) has no simple mapping: the letter stays itself.
  return upper.length === String.fromCodePoint(first).length ? first : cp
}

/** `text` in the form in which StringComparer.OrdinalIgnoreCase compares it. */
export function ordinalFold(/** @type {string} */ text) {
  let out = ''
  for (const ch of text) out += String.fromCodePoint(ordinalUpper(/** @type {number} */ (ch.codePointAt(0))))
  return out
}

/** string.Equals(a, b, StringComparison.OrdinalIgnoreCase) */
export const equalsIgnoreCase = (/** @type {string} */ a, /** @type {string} */ b) =>
  a.length === b.length && ordinalFold(a) === ordinalFold(b)

/** A HashSet<string> with StringComparer.OrdinalIgnoreCase, remembering the first spelling of each name. */
export class CommandSet {
  /** @param {Iterable<string>} [names] */
  constructor(names = []) {
    /** @type {Map<string, string>} */
    this.names = new Map()
    for (const name of names) this.add(name)
  }
  /** @param {string} name */
  has(name) {
    return this.names.has(ordinalFold(name))
  }
  /** @param {string} name */
  add(name) {
    if (!this.has(name)) this.names.set(ordinalFold(name), name)
  }
  /** @param {string} name */
  delete(name) {
    this.names.delete(ordinalFold(name))
  }
  /** The spelling the set holds for `name`. @param {string} name */
  get(name) {
    return this.names.get(ordinalFold(name))
  }
}

/** Properties as the runner's Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) holds them. */
export const properties = {
  /** @param {Record<string, string>} props @param {string} key */
  key: (props, key) => Object.keys(props).find(k => equalsIgnoreCase(k, key)),
  /** @param {Record<string, string>} props @param {string} key */
  get: (props, key) => {
    const found = properties.key(props, key)
    return found === undefined ? undefined : props[found]
  },
  /** The indexer's set: an existing key keeps its spelling. @param {Record<string, string>} props @param {string} key @param {string} value */
  set: (props, key, value) => {
    props[properties.key(props, key) ?? key] = value
  },
  /** @param {Record<string, string>} props @param {string} key */
  remove: (props, key) => {
    const found = properties.key(props, key)
    if (found !== undefined) delete props[found]
  }
}

// ActionCommand.cs: each table is applied in order with String.Replace (ordinal), so `%25` comes last.
const DATA_ESCAPES = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%25', '%']
]
const PROPERTY_ESCAPES = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%3A', ':'],
  ['%2C', ','],
  ['%25', '%']
]
const LEGACY_ESCAPES = [
  ['%3B', ';'],
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%5D', ']'],
  ['%25', '%']
]
const unescape = (/** @type {string} */ text, /** @type {string[][]} */ table) =>
  table.reduce((out, [escaped, plain]) => out.replaceAll(escaped, plain), text)

/**
 * `k=v` pairs split on `separator`, empty entries dropped. A pair is then split with
 * `String.Split('=', 2, RemoveEmptyEntries)`, which skips the empty entries that `=` signs leave before the
 * key and before the value: `=k=v` and `k==v` both give `k` = `v`, `k=` and `=v` give nothing.
 */
function parseProperties(/** @type {string} */ text, /** @type {string} */ separator, /** @type {string[][]} */ table) {
  /** @type {Record<string, string>} */
  const props = Object.create(null)
  for (const pair of text.split(separator)) {
    const rest = pair.replace(/^=+/, '')
    const eq = rest.indexOf('=')
    if (eq < 0) continue
    const value = rest.slice(eq + 1).replace(/^=+/, '')
    if (value) properties.set(props, rest.slice(0, eq), unescape(value, table))
  }
  return props
}

/**
 * @typedef {object} ParsedCommand
 * @property {string} command the name as the line spells it (ActionCommand.Command)
 * @property {Record<string, string>} properties unescaped, keys compared without regard to case
 * @property {string} data unescaped
 * @property {'v2' | 'legacy'} parser
 */

/** Anything with `has(name)`: a Set (the L0 tests' HashSet with the default comparer) or a CommandSet. */
/** @typedef {{ has(name: string): boolean }} Registered */

/**
 * ActionCommand.TryParseV2: `::name props::data` once leading whitespace is trimmed.
 * @param {string} message @param {Registered} registered @returns {ParsedCommand | undefined}
 */
export function tryParseV2(message, registered) {
  if (!message) return undefined
  const text = trimStart(message)
  if (!text.startsWith('::')) return undefined
  const end = text.indexOf('::', 2)
  if (end < 0) return undefined
  const info = text.slice(2, end)
  const space = info.indexOf(' ')
  const command = space < 0 ? info : info.slice(0, space)
  // An empty name fails ActionCommand's constructor, which the parser's catch turns into "no command".
  if (!command || !registered.has(command)) return undefined
  const props = space > 0 ? parseProperties(trim(info.slice(space + 1)), ',', PROPERTY_ESCAPES) : Object.create(null)
  return { command, properties: props, data: unescape(text.slice(end + 2), DATA_ESCAPES), parser: 'v2' }
}

/**
 * ActionCommand.TryParse: `##[name props]data` at the first `##[` anywhere in the line.
 * @param {string} message @param {Registered} registered @returns {ParsedCommand | undefined}
 */
export function tryParse(message, registered) {
  if (!message) return undefined
  const prefix = message.indexOf('##[')
  if (prefix < 0) return undefined
  const bracket = message.indexOf(']', prefix)
  if (bracket < 0) return undefined
  const info = message.slice(prefix + 3, bracket)
  const space = info.indexOf(' ')
  const command = space < 0 ? info : info.slice(0, space)
  if (!command || !registered.has(command)) return undefined
  const props = space > 0 ? parseProperties(info.slice(space + 1), ';', LEGACY_ESCAPES) : Object.create(null)
  return { command, properties: props, data: unescape(message.slice(bracket + 1), LEGACY_ESCAPES), parser: 'legacy' }
}

/**
 * int.TryParse(string) with NumberStyles.Integer and the invariant culture: optional white space
 * (U+0009 to U+000D, space), a sign, digits, and a value that fits an Int32. Trailing NULs are allowed too.
 */
function parseInt32(/** @type {string | undefined} */ text) {
  const match = text === undefined ? null : /^[\t-\r ]*([+-]?[0-9]+)[\t-\r ]*\0*$/.exec(text)
  if (!match) return undefined
  const value = Number(match[1])
  return value >= -2147483648 && value <= 2147483647 ? value : undefined
}

/**
 * IssueCommandExtension.ValidateLinesAndColumns: corrects the line and column properties of an
 * annotation in place and returns the debug messages the runner writes about them.
 * @param {{ command: string, properties: Record<string, string> }} command
 * @returns {string[]}
 */
export function validateLinesAndColumns({ command, properties: props }) {
  /** @type {string[]} */
  const debug = []
  let line = properties.get(props, 'line')
  const endLine = properties.get(props, 'endLine')
  let lineNumber = parseInt32(line)
  const endLineNumber = parseInt32(endLine)
  let columnNumber = parseInt32(properties.get(props, 'col'))
  const endColumnNumber = parseInt32(properties.get(props, 'endColumn'))
  let hasStartLine = lineNumber !== undefined
  const hasEndLine = endLineNumber !== undefined
  let hasStartColumn = columnNumber !== undefined
  const hasEndColumn = endColumnNumber !== undefined
  const hasColumn = hasStartColumn || hasEndColumn
  const invalid = (/** @type {string} */ why) => debug.push(`Invalid ${command} command value. ${why}`)

  if (hasEndLine && !hasStartLine) {
    invalid("'endLine' can only be set if 'line' is provided")
    properties.set(props, 'line', /** @type {string} */ (endLine))
    hasStartLine = true
    line = endLine
    // The runner keeps the start line's number from the failed parse: 0.
    lineNumber = 0
  }
  if (hasEndColumn && !hasStartColumn) {
    invalid("'endColumn' can only be set if 'col' is provided")
    properties.set(props, 'col', /** @type {string} */ (properties.get(props, 'endColumn')))
    hasStartColumn = true
    columnNumber = 0
  }
  if (!hasStartLine && hasColumn) {
    invalid("'col' and 'endColumn' can only be set if 'line' value is provided.")
    properties.remove(props, 'col')
    properties.remove(props, 'endColumn')
  }
  if (hasEndLine && line !== endLine && hasColumn) {
    invalid("'col' and 'endColumn' cannot be set if 'line' and 'endLine' are different values.")
    properties.remove(props, 'col')
    properties.remove(props, 'endColumn')
  }
  if (hasStartLine && hasEndLine && /** @type {number} */ (endLineNumber) < /** @type {number} */ (lineNumber)) {
    invalid("'endLine' cannot be less than 'line'.")
    properties.remove(props, 'line')
    properties.remove(props, 'endLine')
  }
  if (
    hasStartColumn &&
    hasEndColumn &&
    /** @type {number} */ (endColumnNumber) < /** @type {number} */ (columnNumber)
  ) {
    invalid("'endColumn' cannot be less than 'col'.")
    properties.remove(props, 'col')
    properties.remove(props, 'endColumn')
  }
  return debug
}
