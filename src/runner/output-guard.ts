import { StringDecoder } from 'node:string_decoder'
import { neutralizeLine, Redactor } from '../text/log-text.js'

/** What the guard needs of a stream: process.stdout and process.stderr, or a test's stand-in. */
export interface GuardedStream {
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean
}

export type StreamName = 'stdout' | 'stderr'

type Write = (chunk: string | Uint8Array, callback?: (error?: Error | null) => void) => boolean

/**
 * The one gate between this process and the step log. The runner reads workflow commands from both
 * stdout and stderr (one command manager for both streams), so anything written on either, by this
 * action or by code it runs (a dependency's console.error, Node's debug logging), could stop command
 * processing or print a secret.
 *
 * Once installed, every write to either stream that is not the action's own passes here line by line:
 * known secrets are cut out and the line is made unable to act as a workflow command. The action's
 * own lines (the commands `@actions/core` writes for the step log, which that log has already made
 * safe) are written inside `trusted`, which lets them through unchanged.
 */
export class OutputGuard {
  private readonly raw: Partial<Record<StreamName, Write>> = {}
  /** A foreign line not yet ended, per stream: held until its end, a trusted write or the flush. */
  private readonly pending: Record<StreamName, string> = { stdout: '', stderr: '' }
  /** Set when a foreign chunk ended in CR, so that an LF opening the next one ends no second line. */
  // Stryker disable next-line ObjectLiteral: an empty record reads as false for both streams, as the record given does
  private readonly afterCarriageReturn: Record<StreamName, boolean> = { stdout: false, stderr: false }
  // Stryker disable next-line StringLiteral: StringDecoder reads an empty encoding name as utf8
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') }
  private trustedDepth = 0

  constructor(
    private readonly streams: Record<StreamName, GuardedStream>,
    readonly redactor: Redactor = new Redactor()
  ) {}

  /** Routes every later write to either stream through the guard. */
  install(): this {
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = this.streams[name]
      const original = stream.write.bind(stream) as Write
      this.raw[name] = original
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const callback = rest.find(arg => typeof arg === 'function') as CallbackArg | undefined
        const encoding = typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8'
        const bytes = typeof chunk === 'string' && encoding !== 'utf8' ? Buffer.from(chunk, encoding) : chunk
        if (this.trustedDepth > 0) return original(bytes, callback)
        return this.foreign(name, bytes, callback)
      }) as GuardedStream['write']
    }
    return this
  }

  /** Runs `write` with the action's own writes let through as they are. */
  trusted<T>(write: () => T): T {
    this.endPendingLines()
    this.trustedDepth++
    try {
      return write()
    } finally {
      this.trustedDepth--
    }
  }

  /** Writes one line the action composed itself (a workflow command, say) to `stream`, unchanged. */
  line(stream: StreamName, text: string): void {
    this.trusted(() => this.write(stream, `${text}\n`))
  }

  /**
   * Ends what foreign text is pending and resolves once both streams have handed everything written
   * so far to the operating system: on POSIX, Node writes to pipes asynchronously, and exiting before
   * then would lose the step's last lines.
   */
  flush(): Promise<void> {
    this.endPendingLines()
    return Promise.all(
      (['stdout', 'stderr'] as const).map(name => new Promise<void>(resolve => this.write(name, '', () => resolve())))
    ).then(() => undefined)
  }

  private write(stream: StreamName, text: string, callback?: CallbackArg): boolean {
    const raw = this.raw[stream]
    if (raw) return raw(text, callback)
    return this.streams[stream].write(text, callback)
  }

  private foreign(stream: StreamName, chunk: string | Uint8Array, callback?: CallbackArg): boolean {
    let text = typeof chunk === 'string' ? chunk : this.decoders[stream].write(Buffer.from(chunk))
    if (this.afterCarriageReturn[stream] && text.startsWith('\n')) text = text.slice(1)
    if (text) this.afterCarriageReturn[stream] = text.endsWith('\r')
    // The runner ends a line at CR, LF or CRLF (StreamReader.ReadLine).
    const parts = (this.pending[stream] + text).split(/\r\n|\r|\n/)
    // Stryker disable next-line StringLiteral: split returns at least one part, so pop never gives undefined
    this.pending[stream] = parts.pop() ?? ''
    const out = parts.map(line => `${this.clean(line)}\n`).join('')
    // A write that ended no line has nothing to pass on yet, unless someone waits to hear it was taken.
    if (!out && !callback) return true
    return this.write(stream, out, callback)
  }

  private clean(line: string): string {
    return neutralizeLine(this.redactor.redact(line))
  }

  /** A partial foreign line is ended before a line of the action's own, which must start a line. */
  private endPendingLines(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.pending[stream] + this.decoders[stream].end()
      this.pending[stream] = ''
      if (rest) this.write(stream, `${this.clean(rest)}\n`)
    }
  }
}

type CallbackArg = (error?: Error | null) => void
