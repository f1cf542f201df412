/**
 * The one place that makes text safe for the step log. The runner acts on two kinds of workflow
 * command in a step's stdout: `::name::value` at the start of a line (after leading whitespace), and
 * the legacy `##[name]value` anywhere in a line (actions/runner, `ActionCommand.TryParse`). A server
 * that could place either in the log could stop command processing, so that the token's
 * `::add-mask::` is printed instead of obeyed, or set outputs of its own. Text from a server therefore
 * passes through `quote` before it is part of any message, and every line the action prints passes
 * through `neutralizeLine`.
 */

import { formEncode, percentDecode } from './encoding.js'

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

/** The runs of a secret's skeleton that, found in a text, mean the text repeats part of the secret. */
function skeletonRuns(letters: string): string[] {
  const length = Math.min(letters.length, Math.max(MIN_SHARED_RUN, Math.ceil(letters.length / 2)))
  return Array.from({ length: letters.length - length + 1 }, (_, i) => letters.slice(i, i + length))
}

/** Said instead of server text that repeats a secret in a form that could not be cut out exactly. */
export const WITHHELD = '[withheld: it repeats a secret]'

/**
 * The values that must never reach the log, and every form a server may echo them in. Messages are
 * redacted before server text is sanitised (exact forms) and after (the forms sanitising leaves), so
 * an escaped or normalised echo cannot survive as its sanitised skeleton.
 */
export class Redactor {
  private readonly forms = new Set<string>()
  /** Runs of the secrets' letters and digits (see `skeletonRuns`). */
  private readonly skeletons = new Set<string>()

  add(secret: string): void {
    if (!secret) return
    for (const form of echoForms(secret)) {
      this.forms.add(form)
      const sanitized = logSafe(form, Infinity)
      if (sanitized.length >= MIN_SANITIZED_FORM) this.forms.add(sanitized)
    }
    const letters = skeleton(secret)
    if (letters.length >= MIN_SKELETON) for (const run of skeletonRuns(letters)) this.skeletons.add(run)
  }

  /** Every known form of every secret replaced with `***`, longest first so no tail survives. */
  redact(text: string): string {
    const forms = [...this.forms].sort((a, b) => b.length - a.length)
    return forms.reduce((out, form) => out.split(form).join('***'), text)
  }

  /** Whether `text` repeats a secret in any form, decoded or not, whatever its case. */
  mentions(text: string): boolean {
    const candidates = [text, percentDecode(text)]
    const lower = candidates.map(value => value.toLowerCase())
    const exact = [...this.forms].some(form => lower.some(value => value.includes(form.toLowerCase())))
    return exact || candidates.some(value => [...this.skeletons].some(s => skeleton(value).includes(s)))
  }

  /** Whether `text` is part of a secret, or a secret part of it: then no part of it may be shown. */
  overlaps(text: string): boolean {
    const lower = text.toLowerCase()
    return this.mentions(text) || [...this.forms].some(form => form.toLowerCase().includes(lower))
  }

  /**
   * Server text made fit for a message: redacted, sanitised, redacted again, and withheld entirely
   * when it still repeats a secret in some form that could not be cut out. Shortened last, so that
   * no part of a secret is left at the cut.
   */
  quote(text: string, maxLength: number): string {
    if (this.mentions(this.redact(text))) return WITHHELD
    return truncate(this.redact(logSafe(this.redact(text), Infinity)), maxLength)
  }
}
