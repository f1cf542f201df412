/**
 * The one place that makes text safe for the step log. The runner acts on two kinds of workflow
 * command in a step's stdout: `::name::value` at the start of a line (after leading whitespace), and
 * the legacy `##[name]value` anywhere in a line (actions/runner, `ActionCommand.TryParse`). A server
 * that could place either in the log could stop command processing, so that the token's
 * `::add-mask::` is printed instead of obeyed, or set outputs of its own. Text from a server therefore
 * passes through `quote` before it is part of any message, and every line the action prints passes
 * through `neutralizeLine`.
 */

import { formEncode, htmlDecode, percentDecode } from './encoding.js'
import { Dictionary, NO_COUNT, Pattern, SharedRuns, type CountSteps } from './search.js'

/** Printable ASCII without `"` and `\`: the characters RFC 6749 §5.2 allows in `error_description`. */
const UNSAFE_CHARACTERS = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g

/** `##[` anywhere becomes `# #[`, which neither command parser reads. */
function breakLegacyCommands(text: string): string {
  return text.replace(/#(?=#\[)/g, '# ')
}

/** A `::` at the start (after whitespace) becomes `: :`, which the `::name::` parser does not read. */
function breakLeadingCommand(text: string): string {
  // The runner trims .NET whitespace, which also counts U+0085 (NEL), before it looks for `::`.
  return text.replace(/^([\s\u0085]*):(?=:)/, '$1: ')
}

/**
 * Server-supplied text reduced to something that can be printed: control characters and line
 * breaks become spaces, everything else outside printable ASCII is dropped, no workflow command can
 * be formed, and the result is at most `maxLength` characters.
 */
export function logSafe(text: string, maxLength: number): string {
  const printable = text
    .replace(/[\s\p{Cc}]/gu, ' ')
    .replace(UNSAFE_CHARACTERS, '')
    .replace(/ {2,}/g, ' ')
    .trim()
  return truncate(breakLeadingCommand(breakLegacyCommands(printable)), maxLength)
}

/** `text` cut to `maxLength` characters, the cut marked with `…`. */
function truncate(text: string, maxLength: number): string {
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text
}

/**
 * The last guard before a line reaches stdout: whatever it contains, it stays one line and cannot
 * be read as a workflow command. Messages are built from the action's own words and `quote`d server
 * text, so this changes nothing in practice; it is here so that no future path can forget it.
 */
export function neutralizeLine(line: string): string {
  return breakLeadingCommand(breakLegacyCommands(line.replace(/[\r\n\u2028\u2029]+/g, ' ')))
}

/** What a server's echo of a secret most likely looks like, besides the value itself. */
function echoForms(secret: string): string[] {
  const normalized = ['NFC', 'NFD', 'NFKC', 'NFKD'].map(form => secret.normalize(form))
  const forms = [secret, ...normalized].flatMap(value => [
    value,
    // JSON string escaping, as most servers write it and as ASCII-only encoders (Python's default) do.
    JSON.stringify(value).slice(1, -1),
    JSON.stringify(value)
      .slice(1, -1)
      .replace(/[\u007f-\uffff]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    encodeURIComponent(value),
    formEncode(value)
  ])
  return [...new Set(forms)]
}

/** Letters and digits only, lowercased and decomposed: what survives any escaping or sanitising. */
function skeleton(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
}

/**
 * A sanitised form shorter than this is not redacted on its own: it would blank out ordinary words.
 * The skeleton check below still catches a secret whose echo was reduced that far.
 */
const MIN_SANITIZED_FORM = 4
/** A secret whose skeleton has at least this many letters and digits is recognised by it. */
const MIN_SKELETON = 6
/**
 * A text that shares this many letters and digits in a row with a secret's skeleton (or half of a
 * long one) repeats part of it: a server may echo a secret cut short, or with a character changed.
 */
const MIN_SHARED_RUN = 8

/** How many letters and digits in a row of a secret's skeleton a text must share to repeat it. */
function sharedRunLength(letters: number): number {
  return Math.min(letters, Math.max(MIN_SHARED_RUN, Math.ceil(letters / 2)))
}

/**
 * How many layers of escaping are undone before a text is judged: a server may escape text it
 * escaped already (`&amp;#39;`). A text that still decodes further is withheld, since what it hides
 * cannot be checked.
 */
const MAX_DECODING_DEPTH = 4

/**
 * Forms longer than this (those of a long token) are searched for one by one, each in time linear
 * in the text and only in texts at least as long; the shorter ones all at once. A trie of a long
 * form would cost a state per character, for a form that only a text as long can contain.
 */
const LONG_FORM = 4096

/** The decoders a server's text is read back with, besides the JSON forms of `echoForms`. */
const DECODERS = [percentDecode, htmlDecode]

/** Said instead of server text that repeats a secret in a form that could not be cut out exactly. */
export const WITHHELD = '[withheld: it repeats a secret]'

/**
 * The values that must never reach the log, and every form a server may echo them in. Messages are
 * redacted before server text is sanitised (exact forms) and after (the forms sanitising leaves), so
 * an escaped or normalised echo cannot survive as its sanitised skeleton.
 *
 * Every operation takes time linear in the lengths of the values and of the text (a value may be a
 * token as long as the response cap allows): all forms are found in one Aho-Corasick pass
 * (`Dictionary`), and a shared run of a skeleton by rolling hashes of its windows (`SharedRuns`). `count`, when given, is
 * told the steps each operation took.
 */
export class Redactor {
  /** The exact forms, for `redact`: the short ones in one dictionary, each long one on its own. */
  private readonly forms: Dictionary
  private readonly longForms = new Map<string, Pattern>()
  /** The forms in lower case, for `mentions`, which ignores case. */
  private readonly lowerForms: Dictionary
  private readonly longLowerForms = new Map<string, Pattern>()
  /** Runs of the secrets' letters and digits (see `sharedRunLength`). */
  private readonly skeletons: SharedRuns

  constructor(private readonly count: CountSteps = NO_COUNT) {
    this.forms = new Dictionary(count)
    this.lowerForms = new Dictionary(count)
    this.skeletons = new SharedRuns(count)
  }

  add(secret: string): void {
    // Stryker disable next-line ConditionalExpression: an empty secret's forms are all empty, which a Dictionary does not take, and it has no skeleton.
    if (!secret) return
    for (const form of echoForms(secret)) {
      this.addForm(form)
      const sanitized = logSafe(form, Infinity)
      if (sanitized.length >= MIN_SANITIZED_FORM) this.addForm(sanitized)
    }
    const letters = skeleton(secret)
    if (letters.length >= MIN_SKELETON) this.skeletons.add(letters, sharedRunLength(letters.length))
  }

  private addForm(form: string): void {
    const lower = form.toLowerCase()
    // Stryker disable next-line all: either way finds the form; the limit only saves a trie of a long one.
    if (form.length <= LONG_FORM) {
      this.forms.add(form)
      this.lowerForms.add(lower)
      return
    }
    if (!this.longForms.has(form)) this.longForms.set(form, new Pattern(form, this.count))
    if (!this.longLowerForms.has(lower)) this.longLowerForms.set(lower, new Pattern(lower, this.count))
  }

  /** What is stored: the distinct forms, their characters in all, and the distinct skeleton windows. */
  get stored(): { forms: number; characters: number; windows: number } {
    const all = [
      ...this.forms.values(),
      ...this.lowerForms.values(),
      ...this.longForms.keys(),
      ...this.longLowerForms.keys()
    ]
    const characters = all.reduce((sum, form) => sum + form.length, 0)
    return { forms: all.length, characters, windows: this.skeletons.size }
  }

  /**
   * Every known form of every secret replaced with `***`: all forms are found in the text as given,
   * and each stretch they cover, overlapping ones merged, becomes one `***`, so no tail of a longer
   * form survives a shorter one.
   */
  redact(text: string): string {
    /** Where each form found starts and ends, in pairs. */
    const found: number[] = []
    this.forms.search(text, (end, length) => {
      found.push(end - length, end)
      return false
    })
    for (const pattern of this.longForms.values()) {
      const { length } = pattern.value
      if (length > text.length) continue
      pattern.search(text, start => {
        found.push(start, start + length)
        return false
      })
    }
    if (found.length === 0) return text
    return cover(text, found, this.count)
  }

  /**
   * Whether `text` repeats a secret in any form, whatever its case: as it is, or with up to
   * `MAX_DECODING_DEPTH` layers of percent and HTML escapes undone, in any order. A text with more
   * layers than that counts as repeating one, since it cannot be checked.
   */
  mentions(text: string): boolean {
    const decoded = decodings(text, this.count)
    return decoded === undefined || decoded.some(value => this.mentionedIn(value))
  }

  private mentionedIn(value: string): boolean {
    const lower = value.toLowerCase()
    if (this.lowerForms.occursIn(lower)) return true
    for (const pattern of this.longLowerForms.values()) if (pattern.occursIn(lower)) return true
    return this.skeletons.sharedWith(skeleton(value))
  }

  /** Whether `text` is part of a secret, or a secret part of it: then no part of it may be shown. */
  overlaps(text: string): boolean {
    if (this.mentions(text)) return true
    const part = new Pattern(text.toLowerCase(), this.count)
    for (const lower of [...this.lowerForms.values(), ...this.longLowerForms.keys()])
      if (part.occursIn(lower)) return true
    return false
  }

  /**
   * Server text made fit for a message: HTML escapes undone, layer by layer, with every form of a
   * secret cut out before and after each layer (a secret may itself contain `&amp;`); then sanitised
   * and redacted again. It is withheld entirely when it still repeats a secret in some form that
   * could not be cut out. Shortened last, so that no part of a secret is left at the cut.
   */
  quote(text: string, maxLength: number): string {
    let decoded = this.redact(text)
    for (let depth = 0; ; depth++) {
      const next = htmlDecode(decoded)
      if (next === decoded) break
      if (depth === MAX_DECODING_DEPTH) return WITHHELD
      decoded = this.redact(next)
    }
    if (this.mentions(decoded)) return WITHHELD
    return truncate(this.redact(logSafe(decoded, Infinity)), maxLength)
  }
}

/**
 * `text` with each stretch that the pairs of starts and ends in `found` cover, overlapping ones
 * merged, replaced with `***`; in one pass over the text.
 */
function cover(text: string, found: number[], count: CountSteps): string {
  /** For each position, the end of the longest form found starting there (0 if none). */
  const ends = new Int32Array(text.length)
  // Stryker disable next-line EqualityOperator: one step past the pairs writes to no index of the array.
  for (let k = 0; k < found.length; k += 2) ends[found[k]] = Math.max(ends[found[k]], found[k + 1])
  let out = ''
  let kept = 0
  for (let i = 0; i < text.length; i++) {
    if (ends[i] === 0) continue
    let end = ends[i]
    for (let j = i + 1; j < end; j++) end = Math.max(end, ends[j])
    out += `${text.slice(kept, i)}***`
    kept = end
    i = end - 1
  }
  count(text.length + found.length / 2)
  return out + text.slice(kept)
}

/**
 * `text` and what undoing up to `MAX_DECODING_DEPTH` layers of escapes, with the decoders in any
 * order, makes of it, each distinct value once; undefined when a further layer would still change one.
 */
function decodings(text: string, count: CountSteps): string[] | undefined {
  const seen = new Set([text])
  let layer = [text]
  for (let depth = 0; layer.length > 0; depth++) {
    const next: string[] = []
    for (const value of layer) {
      for (const decode of DECODERS) {
        const decoded = decode(value)
        count(value.length)
        if (seen.has(decoded)) continue
        if (depth === MAX_DECODING_DEPTH) return undefined
        seen.add(decoded)
        next.push(decoded)
      }
    }
    layer = next
  }
  return [...seen]
}
