import { describe, expect, it } from '@jest/globals'
import { holdToken, TokenKeeper, type HeldToken } from '../src/keeper/tokens.js'

const S = 1000

/** A keeper on a clock the test moves, whose mints the test answers. */
function keeperAt(first: Partial<HeldToken> = {}) {
  let now = 0
  const mints: { resolve: (held: HeldToken) => void; reject: (error: Error) => void }[] = []
  const keeper = new TokenKeeper(
    { value: 'first', expiresAtMs: 3600 * S, lifetimeMs: 3600 * S, announced: true, ...first },
    () => new Promise((resolve, reject) => mints.push({ resolve, reject })),
    () => now
  )
  const token = (value: string, lifetimeS = 3600): HeldToken => ({
    value,
    expiresAtMs: now + lifetimeS * S,
    lifetimeMs: lifetimeS * S,
    announced: false
  })
  return {
    keeper,
    mints,
    token,
    at: (seconds: number) => (now = seconds * S)
  }
}

const settle = () => new Promise(resolve => setImmediate(resolve))

describe('holdToken', () => {
  it('takes the expiry and lifetime the server gave', () => {
    const held = holdToken(
      { accessToken: 't', tokenType: 'bearer', expiresIn: 600, expiresAt: new Date(1_600_000) },
      1_000_000,
      false
    )
    expect(held).toEqual({ value: 't', expiresAtMs: 1_600_000, lifetimeMs: 600_000, announced: false })
  })

  it('counts a token without expires_in as lasting 3600 s from when it was obtained', () => {
    expect(holdToken({ accessToken: 't', tokenType: 'bearer' }, 5000, true)).toEqual({
      value: 't',
      expiresAtMs: 5000 + 3600 * S,
      lifetimeMs: 3600 * S,
      announced: true
    })
  })
})

describe('TokenKeeper', () => {
  it('returns the current token while it is valid long enough, without minting', async () => {
    const { keeper, mints, at } = keeperAt()
    at(100)
    expect(await keeper.get()).toEqual({ token: 'first', expiresAtMs: 3600 * S, masks: ['first'], announced: true })
    at(1799)
    expect((await keeper.get(1000)).token).toBe('first')
    expect(mints).toHaveLength(0)
    expect(keeper.minted).toBe(0)
  })

  it('past half its lifetime, starts the next mint without waiting, and announces the next token once minted', async () => {
    const { keeper, mints, token, at } = keeperAt()
    at(1800)
    expect(await keeper.get()).toEqual({ token: 'first', expiresAtMs: 3600 * S, masks: ['first'], announced: true })
    expect(mints).toHaveLength(1)
    await keeper.get()
    expect(mints).toHaveLength(1)
    mints[0].resolve(token('second'))
    await settle()

    expect(await keeper.get()).toEqual({
      token: 'first',
      expiresAtMs: 3600 * S,
      masks: ['first', 'second'],
      announced: true
    })
    expect(keeper.minted).toBe(1)
    // A newer token is held: no further mint until it is itself due.
    await keeper.get()
    expect(mints).toHaveLength(1)
  })

  it('moves to the announced next token once the current one is not valid long enough', async () => {
    const { keeper, mints, token, at } = keeperAt()
    at(1800)
    await keeper.get()
    mints[0].resolve(token('second'))
    await settle()
    await keeper.get()
    at(3301)

    expect(await keeper.get()).toEqual({
      token: 'second',
      expiresAtMs: 1800 * S + 3600 * S,
      masks: ['second'],
      announced: true
    })
    expect(mints).toHaveLength(1)
  })

  it('a next token nobody announced is returned as not announced, and then counts as announced', async () => {
    const { keeper, mints, token, at } = keeperAt()
    at(1800)
    await keeper.get()
    mints[0].resolve(token('second'))
    await settle()
    at(3400)

    expect(await keeper.get()).toMatchObject({ token: 'second', masks: ['second'], announced: false })
    expect(await keeper.get()).toMatchObject({ token: 'second', announced: true })
  })

  it('waits for a mint when no token is valid long enough, and concurrent calls share it', async () => {
    const { keeper, mints, token, at } = keeperAt()
    at(3500)
    const calls = Array.from({ length: 20 }, () => keeper.get())
    await settle()
    expect(mints).toHaveLength(1)
    mints[0].resolve(token('fresh'))
    const answers = await Promise.all(calls)

    expect(new Set(answers.map(answer => answer.token))).toEqual(new Set(['fresh']))
    expect(answers[0]).toEqual({ token: 'fresh', expiresAtMs: 7100 * S, masks: ['fresh'], announced: false })
    expect(answers.slice(1).every(answer => answer.announced)).toBe(true)
    expect(keeper.minted).toBe(1)
  })

  it('a call that needs a token waits for the mint already under way', async () => {
    const { keeper, mints, token, at } = keeperAt()
    at(1800)
    await keeper.get()
    at(3500)
    const waiting = keeper.get()
    await settle()
    expect(mints).toHaveLength(1)
    mints[0].resolve(token('second'))

    expect((await waiting).token).toBe('second')
  })

  it('a failed mint fails the calls waiting for it, and the next call tries again', async () => {
    const { keeper, mints, token, at } = keeperAt()
    at(3500)
    const waiting = keeper.get()
    await settle()
    mints[0].reject(new Error('The token endpoint answered HTTP 503.'))
    await expect(waiting).rejects.toThrow('The token endpoint answered HTTP 503.')
    expect(keeper.minted).toBe(0)

    const retry = keeper.get()
    await settle()
    expect(mints).toHaveLength(2)
    mints[1].resolve(token('second'))
    expect((await retry).token).toBe('second')
  })

  it('a failed mint ahead of need is left for the call that needs the token', async () => {
    const { keeper, mints, token, at } = keeperAt()
    at(1800)
    await keeper.get()
    mints[0].reject(new Error('down'))
    await settle()

    expect((await keeper.get()).token).toBe('first')
    expect(mints).toHaveLength(2)
    mints[1].resolve(token('second'))
  })

  it('defaults to 300 s of validity, or half the lifetime when that is shorter', () => {
    expect(keeperAt().keeper.minValidityMs(undefined)).toBe(300 * S)
    expect(keeperAt({ lifetimeMs: 400 * S, expiresAtMs: 400 * S }).keeper.minValidityMs(undefined)).toBe(200 * S)
    expect(keeperAt({ lifetimeMs: 600 * S, expiresAtMs: 600 * S }).keeper.minValidityMs(undefined)).toBe(300 * S)
  })

  it('takes a validity below the lifetime, and refuses one that is not', async () => {
    const { keeper } = keeperAt({ lifetimeMs: 600 * S, expiresAtMs: 600 * S })
    expect(keeper.minValidityMs(599)).toBe(599 * S)
    expect(keeper.minValidityMs(0)).toBe(0)
    expect(() => keeper.minValidityMs(600)).toThrow(
      "--min-validity 600 is not below the token's lifetime of 600 s, so no token could satisfy it: ask for less."
    )
    await expect(keeper.get(601)).rejects.toThrow('is not below')
  })

  it('judges the validity by the newest token held', async () => {
    const { keeper, mints, token, at } = keeperAt({ lifetimeMs: 600 * S, expiresAtMs: 600 * S })
    at(300)
    await keeper.get()
    mints[0].resolve(token('longer', 7200))
    await settle()

    expect(keeper.minValidityMs(1000)).toBe(1000 * S)
  })

  it('says so when a new token is valid for less than asked', async () => {
    const { keeper, mints, token, at } = keeperAt()
    at(3500)
    const waiting = keeper.get(1000)
    await settle()
    mints[0].resolve(token('short', 500))

    await expect(waiting).rejects.toThrow(
      'The new token is valid for less than the 1000 s asked for: the endpoint issues shorter-lived tokens than before'
    )
  })

  it('a token exactly as valid as asked is valid enough, a moment later it is not', async () => {
    const { keeper, mints, token, at } = keeperAt()
    at(3300)
    expect((await keeper.get(300)).token).toBe('first')
    at(3300.001)
    const later = keeper.get(300)
    await settle()
    mints[0].resolve(token('second'))

    expect((await later).token).toBe('second')
  })
})
