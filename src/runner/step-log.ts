import type * as core from '@actions/core'
import type { ExchangeLog } from '../exchange/exchange.js'
import { neutralizeLine, Redactor } from '../text/log-text.js'

/** The part of `@actions/core` this action uses; tests and the benchmark run the real one. */
export type Runner = Pick<typeof core, 'getInput' | 'setSecret' | 'info' | 'debug' | 'warning' | 'setFailed'>

/** Where the step log's lines go: the process's output guard, or a test's pass-through. */
export interface LogOutput {
  readonly redactor: Redactor
  /** Runs `write` so that what it writes (already made safe) passes the guard unchanged. */
  trusted<T>(write: () => T): T
}

/** For a run without the process guard (the in-process tests): writes go straight through. */
export function passThrough(): LogOutput {
  return { redactor: new Redactor(), trusted: write => write() }
}

/**
 * Everything the step prints goes through here: secrets are masked with the runner and cut out of
 * every line, and no line can be read as a workflow command. The redactor is the output guard's, so
 * whatever else the process writes is redacted of the same secrets.
 */
export class StepLog implements ExchangeLog {
  readonly redactor: Redactor

  constructor(
    private readonly runner: Runner,
    private readonly output: LogOutput = passThrough()
  ) {
    this.redactor = output.redactor
  }

  mask(value: string): void {
    this.output.trusted(() => this.runner.setSecret(value))
    this.redactor.add(value)
  }

  private clean(text: string): string {
    return neutralizeLine(this.redactor.redact(text))
  }

  info(text: string): void {
    this.output.trusted(() => this.runner.info(this.clean(text)))
  }

  debug(text: string): void {
    this.output.trusted(() => this.runner.debug(this.clean(text)))
  }

  warning(text: string): void {
    this.output.trusted(() => this.runner.warning(this.clean(text)))
  }

  fail(text: string): void {
    this.output.trusted(() => this.runner.setFailed(this.clean(text)))
  }
}
