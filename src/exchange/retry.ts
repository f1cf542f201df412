import { ActionError, AttemptError } from '../errors.js'

/**
 * HTTP statuses worth another attempt: timeouts, "too early", rate limiting and transient server
 * failures. Every other status, 400/401 `invalid_client` above all, is final: repeating a request
 * the server has judged wrong only delays the error the user needs to see.
 */
const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504])

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status)
}

/** Full-jitter exponential backoff: before attempt k+1, a random delay in [0, min(cap, base·2^k)]. */
export const BACKOFF_BASE_MS = 1000
export const BACKOFF_CAP_MS = 20_000
/** A server asking for a longer pause than this is not waited for: the step fails and says so. */
export const MAX_RETRY_AFTER_MS = 60_000

function backoffCeilingMs(failedAttempts: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** failedAttempts)
}

export function backoffDelayMs(failedAttempts: number, random: () => number): number {
  return Math.floor(random() * backoffCeilingMs(failedAttempts))
}

/**
 * The wait before the next attempt: the full-jitter backoff, but never less than the server's
 * Retry-After. The jitter is drawn over the part of the range the server allows, [Retry-After,
 * ceiling], rather than clamped up to Retry-After: clamping would send half of the jobs of a
 * rate-limited matrix back at the same instant, only to be refused together again. `limitMs` caps
 * the ceiling (what is left of rate_limit_wait_seconds), so a Retry-After that fits the budget is
 * never turned into a wait that does not.
 */
export function retryDelayMs(
  failedAttempts: number,
  retryAfterMs: number | undefined,
  random: () => number,
  limitMs = Infinity
): number {
  if (retryAfterMs === undefined) return backoffDelayMs(failedAttempts, random)
  const ceiling = Math.min(backoffCeilingMs(failedAttempts), limitMs)
  // Stryker disable next-line EqualityOperator: at equality both branches give Retry-After.
  if (retryAfterMs >= ceiling) return retryAfterMs
  return retryAfterMs + Math.floor(random() * (ceiling - retryAfterMs))
}

/** Seconds for a message, to a tenth: rounded up for a wait asked for, down for time left. */
function tenthsUp(ms: number): number {
  return Math.ceil(ms / 100) / 10
}

function tenthsDown(ms: number): number {
  return Math.floor(ms / 100) / 10
}

/**
 * RFC 9110 §10.2.3: Retry-After is delay-seconds or an HTTP-date (§5.6.7). Anything else is ignored,
 * not guessed at: a lenient date parser reads "a 5" as a day in 2001 and "Tue 2030" as a wait of years.
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = parseHttpDate(text, nowMs)
  return date === undefined ? undefined : Math.max(0, date - nowMs)
}

const DAY_NAMES = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun'
const LONG_DAY_NAMES = 'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday'
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const MONTH = `(${MONTHS.join('|')})`
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})'
/** IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = new RegExp(`^(?:${DAY_NAMES}), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`)
/** The obsolete RFC 850 form, e.g. `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC850_DATE = new RegExp(`^(?:${LONG_DAY_NAMES}), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`)
/** ANSI C's asctime() form, e.g. `Sun Nov  6 08:49:37 1994`. */
const ASCTIME_DATE = new RegExp(`^(?:${DAY_NAMES}) ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`)

/** The three HTTP-date forms of RFC 9110 §5.6.7, as milliseconds since the epoch. */
export function parseHttpDate(text: string, nowMs: number): number | undefined {
  let fields: [day: string, month: string, year: number, h: string, m: string, s: string] | undefined
  let match: RegExpExecArray | null
  if ((match = IMF_FIXDATE.exec(text))) {
    fields = [match[1], match[2], Number(match[3]), match[4], match[5], match[6]]
  } else if ((match = RFC850_DATE.exec(text))) {
    // A two-digit year more than 50 years ahead is the most recent past year with those digits.
    const thisYear = new Date(nowMs).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + Number(match[3])
    if (year > thisYear + 50) year -= 100
    fields = [match[1], match[2], year, match[4], match[5], match[6]]
  } else if ((match = ASCTIME_DATE.exec(text))) {
    fields = [match[2], match[1], Number(match[6]), match[3], match[4], match[5]]
  }
  if (!fields) return undefined
  const [day, month, year, hours, minutes, seconds] = fields
  const monthIndex = MONTHS.indexOf(month)
  const date = Date.UTC(year, monthIndex, Number(day), Number(hours), Number(minutes), Number(seconds))
  // Out-of-range fields would roll over into another date: 25:00 into the next day, 31 Feb into March.
  // (A leap second, :60, is refused too: the Retry-After is then ignored, which costs nothing.)
  const outOfRange = Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59
  if (outOfRange || new Date(date).getUTCMonth() !== monthIndex) return undefined
  return date
}

/** Time and chance, injected so the policy is tested without waiting. */
export interface RetryClock {
  now(): number
  sleep(ms: number): Promise<void>
  random(): number
}

export const systemClock: RetryClock = {
  now: () => Date.now(),
  sleep: ms => new Promise(resolve => setTimeout(resolve, ms)),
  random: () => Math.random()
}

export interface RetryNotice {
  /** Attempts counted against max_attempts so far, the failed one included unless it was rate-limited. */
  attempt: number
  maxAttempts: number
  reason: string
  delayMs: number
  /**
   * Set when the failure carried a Retry-After: the wait is on the rate-limit budget rather than on
   * max_attempts, and this is how much of the budget will have gone by the end of the wait.
   */
  rateLimited?: { usedMs: number; budgetMs: number }
}

export interface RetryOptions {
  /** Failures without Retry-After (network errors, timeouts, 5xx) that end the step. */
  maxAttempts: number
  /**
   * How long, from the first attempt, answers that carry a Retry-After are waited for. They do not
   * use up max_attempts: a matrix of hundreds of jobs against a rate-limited endpoint needs many
   * more of them than a flaky network does, and the server says when to come back.
   */
  rateLimitBudgetMs: number
  clock: RetryClock
  onRetry: (notice: RetryNotice) => void
}

/**
 * Runs `attempt` until it succeeds, fails with a final error, uses `maxAttempts` on failures without
 * Retry-After, or runs out of `rateLimitBudgetMs` on failures with one. The delay is the backoff, but
 * never shorter than the server's Retry-After. The backoff grows with every failure, rate-limited or
 * not, so the jobs of a large matrix spread out further each time the endpoint turns them away.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions
): Promise<T> {
  const { maxAttempts, rateLimitBudgetMs, clock } = options
  const startedMs = clock.now()
  let counted = 0
  for (let failures = 0; ; failures++) {
    try {
      return await attempt(failures + 1)
    } catch (error) {
      if (!(error instanceof AttemptError) || !error.options.retryable) throw error
      const nowMs = clock.now()
      const retryAfterMs = parseRetryAfterMs(error.options.retryAfter, nowMs)
      const made = `${failures + 1} ${failures === 0 ? 'attempt' : 'attempts'}`
      // Stryker disable next-line ConditionalExpression: without Retry-After the comparison is false anyway.
      if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) {
        throw new ActionError(
          `${error.message} The server asked to wait ${Math.ceil(retryAfterMs / 1000)} s before trying ` +
            `again (Retry-After), longer than the ${MAX_RETRY_AFTER_MS / 1000} s this action waits; ` +
            `gave up after ${made}, re-run the job later.`
        )
      }
      const leftMs = rateLimitBudgetMs - (nowMs - startedMs)
      const delayMs = retryDelayMs(failures + 1, retryAfterMs, clock.random, leftMs)
      const notice = { attempt: counted + 1, maxAttempts, reason: error.options.reason, delayMs }
      if (retryAfterMs === undefined) {
        counted++
        if (counted >= maxAttempts) {
          const attempts = `${counted} ${counted === 1 ? 'attempt' : 'attempts'}`
          throw new ActionError(`${error.message} Gave up after ${attempts} (max_attempts).`)
        }
        options.onRetry(notice)
      } else {
        // Only a Retry-After that itself runs past the budget ends the step; the jitter never does.
        if (retryAfterMs > leftMs) {
          throw new ActionError(
            `${error.message} The server asked to wait ${tenthsUp(retryAfterMs)} s (Retry-After), but only ` +
              `${tenthsDown(Math.max(0, leftMs))} s of the ${rateLimitBudgetMs / 1000} s of rate_limit_wait_seconds ` +
              `were left; gave up after ${made} in ${tenthsDown(nowMs - startedMs)} s. Raise ` +
              'rate_limit_wait_seconds, or re-run the job later.'
          )
        }
        const usedMs = nowMs + delayMs - startedMs
        options.onRetry({ ...notice, rateLimited: { usedMs, budgetMs: rateLimitBudgetMs } })
      }
      await clock.sleep(delayMs)
    }
  }
}
