import { describe, expect, it } from '@jest/globals'
import { ActionError, AttemptError } from '../src/errors.js'
import {
  backoffDelayMs,
  isRetryableStatus,
  parseHttpDate,
  parseRetryAfterMs,
  retryDelayMs,
  systemClock,
  withRetries,
  type RetryClock,
  type RetryNotice
} from '../src/exchange/retry.js'

/** A clock whose sleeps only advance time, and whose randomness is fixed. */
function fakeClock(random = 1): RetryClock & { slept: number[] } {
  let now = Date.parse('2026-01-01T00:00:00Z')
  const slept: number[] = []
  return {
    slept,
    now: () => now,
    random: () => random,
    sleep: async ms => {
      slept.push(ms)
      now += ms
    }
  }
}

const retryable = (reason = 'HTTP 503', retryAfter?: string) =>
  new AttemptError(`failed: ${reason}.`, { retryable: true, reason, retryAfter })
const final = () => new AttemptError('rejected.', { retryable: false, reason: 'HTTP 401' })

/** Runs withRetries over a script of outcomes; returns what happened. */
async function script(
  outcomes: (Error | string)[],
  maxAttempts: number,
  clock = fakeClock(),
  rateLimitBudgetMs = 120_000
) {
  const notices: RetryNotice[] = []
  let calls = 0
  const result = await withRetries(
    async () => {
      const outcome = outcomes[calls++]
      if (outcome instanceof Error) throw outcome
      return outcome
    },
    { maxAttempts, rateLimitBudgetMs, clock, onRetry: n => notices.push(n) }
  ).catch((error: Error) => error)
  return { result, calls, notices, slept: clock.slept }
}

describe('isRetryableStatus', () => {
  it('retries timeouts, too-early, rate limits and transient server errors only', () => {
    const retried = Array.from({ length: 500 }, (_, i) => i + 100).filter(isRetryableStatus)
    expect(retried).toEqual([408, 425, 429, 500, 502, 503, 504])
  })
})

describe('backoffDelayMs', () => {
  it('is full jitter over [0, min(20 s, 1 s x 2^k)]', () => {
    expect([1, 2, 3, 4, 5, 6].map(k => backoffDelayMs(k, () => 0.999999))).toEqual([
      1999, 3999, 7999, 15999, 19999, 19999
    ])
    expect(backoffDelayMs(3, () => 0)).toBe(0)
    expect(backoffDelayMs(2, () => 0.5)).toBe(2000)
  })
})

describe('retryDelayMs', () => {
  it('is the plain backoff without Retry-After', () => {
    expect(retryDelayMs(2, undefined, () => 0.5)).toBe(2000)
  })

  it('spreads the delay over [Retry-After, ceiling] instead of piling it on Retry-After', () => {
    expect(retryDelayMs(1, 1000, () => 0)).toBe(1000)
    expect(retryDelayMs(1, 1000, () => 0.5)).toBe(1500)
    expect(retryDelayMs(1, 1000, () => 0.999999)).toBe(1999)
    expect(retryDelayMs(3, 1000, () => 0.5)).toBe(4500)
    // With the old clamp (max(jitter, Retry-After)) half of all draws would land on exactly 1000.
    const draws = Array.from({ length: 100 }, (_, i) => retryDelayMs(1, 1000, () => i / 100))
    expect(draws.filter(ms => ms === 1000)).toHaveLength(1)
    expect(Math.min(...draws)).toBe(1000)
    expect(Math.max(...draws)).toBeLessThan(2000)
  })

  it('waits exactly Retry-After when it is beyond the ceiling', () => {
    expect(retryDelayMs(1, 45_000, () => 0.7)).toBe(45_000)
  })

  it('draws the jitter only up to the limit (what is left of the budget), never past it', () => {
    expect(retryDelayMs(1, 1000, () => 0.999999, 1500)).toBe(1499)
    expect(retryDelayMs(1, 1000, () => 0.5, 1500)).toBe(1250)
    expect(retryDelayMs(3, 1000, () => 0.999999, 2000)).toBe(1999)
    // A limit above the ceiling changes nothing; at Retry-After itself, the wait is Retry-After.
    expect(retryDelayMs(1, 1000, () => 0.5, 5000)).toBe(1500)
    expect(retryDelayMs(1, 1000, () => 0.7, 1000)).toBe(1000)
    // Without Retry-After the limit does not apply: those waits count on max_attempts.
    expect(retryDelayMs(2, undefined, () => 0.5, 100)).toBe(2000)
  })
})

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  it('reads delay-seconds', () => expect(parseRetryAfterMs(' 12 ', now)).toBe(12_000))
  it('reads an HTTP-date relative to now', () =>
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000))
  it('treats a date in the past as no wait', () =>
    expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0))
  it.each([
    undefined,
    '',
    'soon',
    '-5',
    '1.5',
    'Mon, 99 Foo 2026',
    'Tue 2030',
    'a 5',
    '2026-01-01T00:00:30Z',
    'Thu, 01 Jan 2026 00:00:30 UTC',
    'thu, 01 jan 2026 00:00:30 GMT',
    'Thu, 1 Jan 2026 00:00:30 GMT',
    'Thu, 31 Feb 2026 00:00:30 GMT',
    'Thu, 01 Jan 2026 24:00:30 GMT',
    'Thu, 01 Jan 2026 00:61:30 GMT',
    'Thu, 01 Jan 2026 00:00:30 GMT extra',
    'Thursday, 01 Jan 2026 00:00:30 GMT',
    'Thu, 01-Jan-26 00:00:30 GMT',
    'Thu Jan 1 00:00:30 2026'
  ])('ignores %j', value => expect(parseRetryAfterMs(value, now)).toBeUndefined())
})

describe('parseHttpDate: the three forms of RFC 9110 §5.6.7', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  const expected = Date.parse('1994-11-06T08:49:37Z')
  it.each([
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT', expected],
    ['RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT', expected],
    ['asctime with a one-digit day', 'Sun Nov  6 08:49:37 1994', expected],
    ['asctime with a two-digit day', 'Sun Nov 16 08:49:37 1994', Date.parse('1994-11-16T08:49:37Z')],
    ['IMF-fixdate in December', 'Thu, 31 Dec 2026 23:59:59 GMT', Date.parse('2026-12-31T23:59:59Z')]
  ])('reads %s', (_form, text, ms) => expect(parseHttpDate(text, now)).toBe(ms))

  it.each(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((m, i) => [m, i]))(
    'reads the month %s',
    (month, index) => {
      const expectedMs = Date.UTC(2026, index as number, 15, 12, 0, 0)
      expect(parseHttpDate(`Mon, 15 ${month} 2026 12:00:00 GMT`, now)).toBe(expectedMs)
      expect(parseHttpDate(`Monday, 15-${month}-26 12:00:00 GMT`, now)).toBe(expectedMs)
      expect(parseHttpDate(`Mon ${month} 15 12:00:00 2026`, now)).toBe(expectedMs)
    }
  )

  it.each([
    ['a day past the end of the month', 'Sat, 31 Feb 2026 00:00:00 GMT'],
    ['day 00', 'Thu, 00 Jan 2026 00:00:00 GMT'],
    ['hour 24', 'Thu, 01 Jan 2026 24:00:00 GMT'],
    ['minute 60', 'Thu, 01 Jan 2026 00:60:00 GMT'],
    ['second 60', 'Thu, 01 Jan 2026 00:00:60 GMT']
  ])('refuses %s', (_what, text) => expect(parseHttpDate(text, now)).toBeUndefined())

  it('reads a two-digit RFC 850 year as the most recent past year more than 50 years back from the future', () => {
    expect(parseHttpDate('Monday, 01-Jan-76 00:00:00 GMT', now)).toBe(Date.parse('2076-01-01T00:00:00Z'))
    expect(parseHttpDate('Monday, 01-Jan-77 00:00:00 GMT', now)).toBe(Date.parse('1977-01-01T00:00:00Z'))
    expect(parseHttpDate('Friday, 01-Jan-27 00:00:00 GMT', now)).toBe(Date.parse('2027-01-01T00:00:00Z'))
  })
})

describe('withRetries', () => {
  it('returns the first success and sleeps the backoff between attempts', async () => {
    const run = await script([retryable(), retryable('ECONNRESET'), 'token'], 5)
    expect(run.result).toBe('token')
    expect(run.calls).toBe(3)
    expect(run.slept).toEqual([2000, 4000])
    expect(run.notices).toEqual([
      { attempt: 1, maxAttempts: 5, reason: 'HTTP 503', delayMs: 2000 },
      { attempt: 2, maxAttempts: 5, reason: 'ECONNRESET', delayMs: 4000 }
    ])
  })

  it('stops at once on a final error', async () => {
    const run = await script([final(), 'token'], 5)
    expect(run.calls).toBe(1)
    expect(run.slept).toEqual([])
    expect((run.result as Error).message).toBe('rejected.')
  })

  it('rethrows errors it does not understand', async () => {
    const run = await script([new TypeError('bug'), 'token'], 5)
    expect(run.calls).toBe(1)
    expect(run.result).toBeInstanceOf(TypeError)
  })

  it('names the attempts and the last failure after the last attempt', async () => {
    const run = await script([retryable(), retryable(), retryable('HTTP 504')], 3)
    expect(run.calls).toBe(3)
    expect(run.slept).toHaveLength(2)
    expect(run.result).toBeInstanceOf(ActionError)
    expect((run.result as Error).message).toBe('failed: HTTP 504. Gave up after 3 attempts (max_attempts).')
  })

  it('makes one attempt when max_attempts is 1', async () => {
    const run = await script([retryable(), 'token'], 1)
    expect(run.calls).toBe(1)
    expect((run.result as Error).message).toMatch(/Gave up after 1 attempt \(max_attempts\)/)
  })

  it('never waits less than Retry-After, in seconds or as a date', async () => {
    const clock = fakeClock(0)
    const date = new Date(clock.now() + 9000).toUTCString()
    const run = await script([retryable('HTTP 429', '5'), retryable('HTTP 503', date), 'token'], 5, clock)
    expect(run.result).toBe('token')
    expect(run.slept[0]).toBe(5000)
    // The date is read when the answer arrives, 5 s after the clock started: 4 s remain.
    expect(run.slept[1]).toBe(4000)
  })

  it('draws the wait between Retry-After and the backoff ceiling', async () => {
    const run = await script([retryable('HTTP 429', '1'), 'token'], 5, fakeClock(0.9))
    expect(run.slept).toEqual([1900])
  })

  it('gives up at once when Retry-After exceeds 60 s, saying how long the server asked for', async () => {
    const run = await script([retryable('HTTP 429', '120'), 'token'], 5)
    expect(run.calls).toBe(1)
    expect(run.slept).toEqual([])
    expect((run.result as Error).message).toBe(
      'failed: HTTP 429. The server asked to wait 120 s before trying again (Retry-After), longer than the 60 s ' +
        'this action waits; gave up after 1 attempt, re-run the job later.'
    )
  })

  it('waits a Retry-After of exactly 60 s', async () => {
    const run = await script([retryable('HTTP 429', '60'), 'token'], 5, fakeClock(0))
    expect(run.slept).toEqual([60_000])
  })
})

describe('withRetries: answers with Retry-After spend the rate-limit budget, not max_attempts', () => {
  const limited = (retryAfter = '1') => retryable('HTTP 429', retryAfter)

  it('keeps retrying rate-limited answers beyond max_attempts while the budget lasts', async () => {
    const run = await script([...Array.from({ length: 8 }, () => limited()), 'token'], 2, fakeClock(0))
    expect(run.result).toBe('token')
    expect(run.calls).toBe(9)
    expect(run.slept).toEqual(Array.from({ length: 8 }, () => 1000))
    expect(run.notices.map(n => [n.attempt, n.rateLimited])).toEqual(
      Array.from({ length: 8 }, (_, i) => [1, { usedMs: (i + 1) * 1000, budgetMs: 120_000 }])
    )
  })

  it('counts only failures without Retry-After against max_attempts', async () => {
    const run = await script([limited(), retryable(), limited(), retryable('ECONNRESET'), 'token'], 2, fakeClock(0))
    expect(run.calls).toBe(4)
    expect((run.result as Error).message).toBe('failed: ECONNRESET. Gave up after 2 attempts (max_attempts).')
    expect(run.notices.map(n => [n.attempt, n.reason, n.rateLimited !== undefined])).toEqual([
      [1, 'HTTP 429', true],
      [1, 'HTTP 503', false],
      [2, 'HTTP 429', true]
    ])
  })

  it('gives up when the next wait would end past the budget, counted from the first attempt', async () => {
    const clock = fakeClock(0)
    const run = await script([limited('4'), limited('4'), limited('4'), 'token'], 5, clock, 10_000)
    expect(run.slept).toEqual([4000, 4000])
    expect(run.calls).toBe(3)
    expect((run.result as Error).message).toBe(
      'failed: HTTP 429. The server asked to wait 4 s (Retry-After), but only 2 s of the 10 s of ' +
        'rate_limit_wait_seconds were left; gave up after 3 attempts in 8 s. Raise rate_limit_wait_seconds, ' +
        'or re-run the job later.'
    )
  })

  it('honours a Retry-After that fits the budget whatever the jitter draws', async () => {
    // The old draw over [1 s, 2 s] put the wait at 1.999 s, past a budget of 2 s with 5 ms already gone.
    const clock = fakeClock(0.999999)
    let calls = 0
    const result = await withRetries(
      async () => {
        calls++
        await clock.sleep(5) // the attempt itself takes 5 ms
        if (calls === 1) throw limited('1')
        return 'token'
      },
      { maxAttempts: 1, rateLimitBudgetMs: 2000, clock, onRetry: () => undefined }
    ).catch((error: Error) => error)
    expect(result).toBe('token')
    expect(clock.slept).toEqual([5, 1994, 5])
  })

  it('states the real figures when a Retry-After does not fit what is left', async () => {
    const clock = fakeClock(0)
    const result = await withRetries(
      async () => {
        await clock.sleep(1250)
        throw limited('Thu, 01 Jan 2026 00:00:03 GMT')
      },
      { maxAttempts: 3, rateLimitBudgetMs: 2000, clock, onRetry: () => undefined }
    ).catch((error: Error) => error)
    // At 1.25 s an HTTP-date 1.75 s ahead asks for more than the 0.75 s left: the figures are rounded
    // so that the wait never reads as fitting (up for the wait, down for what is left).
    expect((result as Error).message).toBe(
      'failed: HTTP 429. The server asked to wait 1.8 s (Retry-After), but only 0.7 s of the 2 s of ' +
        'rate_limit_wait_seconds were left; gave up after 1 attempt in 1.2 s. Raise rate_limit_wait_seconds, ' +
        'or re-run the job later.'
    )
  })

  it('says no time was left once the attempts alone used the budget', async () => {
    const clock = fakeClock(0)
    const result = await withRetries(
      async () => {
        await clock.sleep(2500)
        throw limited('0')
      },
      { maxAttempts: 3, rateLimitBudgetMs: 2000, clock, onRetry: () => undefined }
    ).catch((error: Error) => error)
    expect((result as Error).message).toMatch(
      /asked to wait 0 s \(Retry-After\), but only 0 s of the 2 s .* gave up after 1 attempt in 2\.5 s\./
    )
  })

  it('waits the last stretch when it ends exactly at the budget', async () => {
    const run = await script([limited('5'), limited('5'), 'token'], 5, fakeClock(0), 10_000)
    expect(run.result).toBe('token')
    expect(run.slept).toEqual([5000, 5000])
  })

  it('counts the time attempts take, not only the waits', async () => {
    const clock = fakeClock(0)
    let calls = 0
    const result = await withRetries(
      async () => {
        calls++
        await clock.sleep(4000) // the attempt itself takes 4 s
        throw limited('1')
      },
      { maxAttempts: 5, rateLimitBudgetMs: 10_000, clock, onRetry: () => undefined }
    ).catch((error: Error) => error)
    // 4 s + 1 s, 9 s + 1 s = 10 s: allowed; 14 s + 1 s: over.
    expect(calls).toBe(3)
    expect((result as Error).message).toMatch(
      /asked to wait 1 s \(Retry-After\), but only 0 s of the 10 s of rate_limit_wait_seconds were left; gave up after 3 attempts in 14 s\./
    )
  })

  it('spreads rate-limited jobs over a window that widens with each refusal', async () => {
    const run = await script([...Array.from({ length: 6 }, () => limited()), 'token'], 5, fakeClock(0.999999))
    expect(run.slept).toEqual([1999, 3999, 7999, 15999, 19999, 19999])
  })

  it('still fails at once on a Retry-After above 60 s', async () => {
    const run = await script([limited(), limited('61')], 5, fakeClock(0))
    expect(run.calls).toBe(2)
    expect((run.result as Error).message).toMatch(
      /asked to wait 61 s .* gave up after 2 attempts, re-run the job later\.$/
    )
  })
})

describe('systemClock', () => {
  it('tells the time, sleeps for real and draws numbers in [0, 1)', async () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(50)
    const started = Date.now()
    await systemClock.sleep(30)
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
    const draws = Array.from({ length: 20 }, () => systemClock.random())
    expect(new Set(draws).size).toBeGreaterThan(1)
    expect(draws.every(x => x >= 0 && x < 1)).toBe(true)
  })
})
