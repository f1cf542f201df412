import dns from 'node:dns'
import { afterEach, describe, expect, it } from '@jest/globals'
import { pendingLookups, sharedLookup } from '../src/exchange/lookup.js'

const realLookup = dns.lookup
afterEach(() => {
  dns.lookup = realLookup
})

/** Replaces dns.lookup with one that records its calls and answers when told. */
function scriptedLookup() {
  const calls: { hostname: string; options: unknown; answer: (...args: unknown[]) => void }[] = []
  dns.lookup = ((hostname: string, options: unknown, answer: (...args: unknown[]) => void) => {
    calls.push({ hostname, options, answer })
  }) as typeof dns.lookup
  return calls
}

describe('sharedLookup', () => {
  it('asks dns.lookup once for concurrent lookups of one name, and answers everyone', () => {
    const calls = scriptedLookup()
    const answers: unknown[][] = []
    sharedLookup('datasaur.test', { family: 0, all: true }, (...args) => answers.push(args))
    sharedLookup('datasaur.test', { family: 0, all: true }, (...args) => answers.push(args))

    expect(calls).toHaveLength(1)
    expect(calls[0].options).toEqual({ family: 0, all: true })
    expect(pendingLookups()).toBe(1)
    calls[0].answer(null, [{ address: '10.0.0.1', family: 4 }])

    expect(answers).toEqual([
      [null, [{ address: '10.0.0.1', family: 4 }]],
      [null, [{ address: '10.0.0.1', family: 4 }]]
    ])
    expect(pendingLookups()).toBe(0)
  })

  it('keeps lookups of other names or options apart, and passes errors on', () => {
    const calls = scriptedLookup()
    const answers: unknown[][] = []
    sharedLookup('a.test', { family: 4 }, (...args) => answers.push(['a', ...args]))
    sharedLookup('b.test', { family: 4 }, (...args) => answers.push(['b', ...args]))
    sharedLookup('a.test', { family: 6 }, (...args) => answers.push(['a6', ...args]))
    sharedLookup('a.test', { family: 4, all: true }, (...args) => answers.push(['a-all', ...args]))
    sharedLookup('a.test', { family: 4, hints: dns.ADDRCONFIG }, (...args) => answers.push(['a-hints', ...args]))
    sharedLookup('a.test', { family: 4, order: 'ipv4first' }, (...args) => answers.push(['a-order', ...args]))
    sharedLookup('a.test', { family: 4, verbatim: true }, (...args) => answers.push(['a-verbatim', ...args]))

    expect(calls.map(call => call.hostname)).toEqual([
      'a.test',
      'b.test',
      'a.test',
      'a.test',
      'a.test',
      'a.test',
      'a.test'
    ])
    expect(pendingLookups()).toBe(7)
    const failure = Object.assign(new Error('not found'), { code: 'ENOTFOUND' })
    calls[1].answer(failure)
    calls[0].answer(null, '10.0.0.1', 4)

    expect(answers).toEqual([
      ['b', failure],
      ['a', null, '10.0.0.1', 4]
    ])
    for (const call of calls.slice(2)) call.answer(null, '10.0.0.2', 4)
    expect(pendingLookups()).toBe(0)
  })

  it('a name looked up again after the answer asks again', () => {
    const calls = scriptedLookup()
    sharedLookup('a.test', {}, () => undefined)
    calls[0].answer(null, '10.0.0.1', 4)
    sharedLookup('a.test', {}, () => undefined)

    expect(calls).toHaveLength(2)
    calls[1].answer(null, '10.0.0.1', 4)
  })

  it('resolves a real name with the system resolver', async () => {
    const address = await new Promise((resolve, reject) =>
      sharedLookup('localhost', { family: 4 }, (error, value) => (error ? reject(error) : resolve(value)))
    )
    expect(address).toBe('127.0.0.1')
  })
})
