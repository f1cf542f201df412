import { describe, expect, it, jest } from '@jest/globals'
import { Dictionary, Pattern, SharedRuns } from '../src/text/search.js'

/** Every start `pattern` occurs at in `text`, as Pattern.search reports them. */
function starts(pattern: string, text: string): number[] {
  const found: number[] = []
  new Pattern(pattern).search(text, start => {
    found.push(start)
    return false
  })
  return found
}

/** Every start of `pattern` in `text`, found naively. */
function naive(pattern: string, text: string): number[] {
  const found: number[] = []
  for (let i = 0; i + pattern.length <= text.length; i++) if (text.startsWith(pattern, i)) found.push(i)
  return found
}

/** The primes of the window tables' residues. */
const P1 = 67108859
const P2 = 67108837

/** `length` letters, the same for the same `seed`. */
function letters(length: number, seed: number): string {
  let state = seed
  let out = ''
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    out += String.fromCharCode(97 + ((state >>> 16) % 26))
  }
  return out
}

describe('Pattern', () => {
  it.each([
    ['aa', 'aaaa'],
    ['abab', 'abababab'],
    ['aab', 'aaabaab'],
    ['abcabd', 'abcabcabdabcabd'],
    ['aabaaab', 'aabaaabaabaaab aabaaaab'],
    ['abacabab', 'abacababacabab abacabacabab'],
    ['x', 'axbxx'],
    ['abc', 'ab'],
    ['zz', 'abc'],
    ['aab', 'aabab']
  ])('finds every occurrence of %j, overlapping ones included', (pattern, text) => {
    expect(starts(pattern, text)).toEqual(naive(pattern, text))
  })

  it('stops when told to', () => {
    const found: number[] = []
    new Pattern('a').search('aaa', start => {
      found.push(start)
      return start === 1
    })
    expect(found).toEqual([0, 1])
  })

  it('finds the empty string at 0', () => {
    expect(starts('', 'abc')).toEqual([0])
    expect(new Pattern('').occursIn('')).toBe(true)
  })

  it('says whether it occurs, without searching a text shorter than itself', () => {
    let steps = 0
    const pattern = new Pattern('abcd', n => (steps += n))
    steps = 0
    expect(pattern.occursIn('xxabcdxx')).toBe(true)
    expect(pattern.occursIn('xxabcxx')).toBe(false)
    expect(pattern.occursIn('abcd')).toBe(true)
    const before = steps
    expect(pattern.occursIn('abc')).toBe(false)
    expect(steps).toBe(before)
  })

  it('prepares a string in one step per character after the first and one per step back', () => {
    let steps = 0
    // `aab`: `a` extends the border, `b` steps back from it once and then does not.
    new Pattern('aab', n => (steps += n)).search('', () => false)
    expect(steps).toBe(2 + 1)
  })

  it('counts at most two steps per character, preparing at the first search and searching', () => {
    let steps = 0
    const value = 'a'.repeat(999) + 'b'
    const pattern = new Pattern(value, n => (steps += n))
    expect(steps).toBe(0)
    pattern.occursIn('a'.repeat(5000))
    expect(steps).toBeGreaterThanOrEqual(value.length - 1 + 5000)
    expect(steps).toBeLessThanOrEqual(2 * (value.length + 5000))
    steps = 0
    pattern.occursIn('a'.repeat(5000))
    expect(steps).toBeGreaterThanOrEqual(5000)
    expect(steps).toBeLessThanOrEqual(2 * 5000)
  })
})

describe('SharedRuns', () => {
  it('finds a text that shares a run as long as the value asks', () => {
    const runs = new SharedRuns()
    runs.add('abcdefghij', 8)
    expect(runs.sharedWith('xxcdefghijxx')).toBe(true)
    expect(runs.sharedWith('abcdefgh')).toBe(true)
    expect(runs.sharedWith('xxcdefghixx')).toBe(false)
    expect(runs.sharedWith('abcdefg')).toBe(false)
    expect(runs.sharedWith('')).toBe(false)
  })

  it('keeps values of different run lengths apart', () => {
    const runs = new SharedRuns()
    runs.add('abcdefghijklmnop', 10)
    runs.add('qrstuvwx', 4)
    expect(runs.sharedWith('..stuv..')).toBe(true)
    expect(runs.sharedWith('..cdefghijkl..')).toBe(true)
    expect(runs.sharedWith('..cdefghijk..')).toBe(false)
    expect(runs.sharedWith('..cdefghi..')).toBe(false)
  })

  it('keeps every window of many values, growing its table', () => {
    const runs = new SharedRuns()
    const values = Array.from({ length: 300 }, (_, i) => `v${i.toString(36).padStart(4, '0')}${'xyz'.repeat(3)}w${i}`)
    for (const value of values) runs.add(value, 6)
    for (const value of values) expect(runs.sharedWith(`..${value.slice(0, 6)}..`)).toBe(true)
    expect(runs.sharedWith('..v00zz..')).toBe(false)
    expect(runs.size).toBeGreaterThan(300)
    expect(runs.size).toBeLessThanOrEqual(values.reduce((sum, value) => sum + value.length - 5, 0))
  })

  it('stores a repeated window once', () => {
    const runs = new SharedRuns()
    runs.add('a'.repeat(1000), 10)
    expect(runs.size).toBe(1)
    runs.add('b'.repeat(10), 10)
    expect(runs.size).toBe(2)
    expect(runs.sharedWith('xx' + 'a'.repeat(10))).toBe(true)
    expect(runs.sharedWith('xx' + 'a'.repeat(9) + 'b'.repeat(9))).toBe(false)
  })

  it('confirms a hash found by comparing the characters', () => {
    // A window xy hashes to x × base + y. With both bases 1/2 (mod each prime), `ca` and `ab` collide:
    // 'c' / 2 + 'a' = 'a' / 2 + 'b' because 'c' − 'a' = 2 × ('b' − 'a').
    const primes = [67108859, 67108837]
    const random = jest.spyOn(Math, 'random')
    for (const prime of primes) random.mockReturnValueOnce(((prime + 1) / 2 - 256 + 0.5) / (prime - 512))
    try {
      let steps = 0
      const runs = new SharedRuns(n => (steps += n))
      runs.add('ca', 2)
      expect(runs.sharedWith('zz')).toBe(false)
      steps = 0
      expect(runs.sharedWith('xab')).toBe(false)
      // Three characters hashed, two windows looked up, and the colliding one compared.
      expect(steps).toBe(3 + 2 + 2)
      expect(runs.sharedWith('xca')).toBe(true)
    } finally {
      random.mockRestore()
    }
  })

  it('counts the characters hashed, the slots probed and the characters compared', () => {
    let steps = 0
    const runs = new SharedRuns(n => (steps += n))
    runs.add('abcdefghij', 5)
    // Nothing is stored before a text of five characters or more is checked.
    expect(steps).toBe(0)
    expect(runs.sharedWith('abcd')).toBe(false)
    expect(steps).toBe(0)
    expect(runs.sharedWith('zzzzzzzzzzzzzzzzzzzz')).toBe(false)
    expect(steps).toBeGreaterThanOrEqual(10 + 6 + 20 + 16)
    expect(steps).toBeLessThan(10 + 6 * 3 + 20 + 16 * 3)
    steps = 0
    expect(runs.sharedWith('zzzzzzzzzzzzzzzzzzzz')).toBe(false)
    expect(steps).toBeGreaterThanOrEqual(20 + 16)
    expect(steps).toBeLessThan(20 + 16 * 3)
    steps = 0
    expect(runs.sharedWith('zzcdefgzz')).toBe(true)
    expect(steps).toBeGreaterThanOrEqual(9 + 3 + 5)
  })

  it('counts nothing for a text shorter than every run length', () => {
    let steps = 0
    const runs = new SharedRuns(n => (steps += n))
    runs.add('abcdefghij', 5)
    expect(runs.sharedWith('zzzzzz')).toBe(false)
    steps = 0
    expect(runs.sharedWith('abcd')).toBe(false)
    expect(steps).toBe(0)
  })

  /** The two bases of the next window table made `b1` and `b2`, for as long as `check` runs. */
  function withBases(b1: number, b2: number, check: () => void): void {
    const random = jest.spyOn(Math, 'random')
    for (const [base, prime] of [
      [b1, P1],
      [b2, P2]
    ])
      random.mockReturnValueOnce((base - 256 + 0.5) / (prime - 512))
    try {
      check()
    } finally {
      random.mockRestore()
    }
  }

  // With base b, the window xy hashes to x × b + y. Where one base is 1/2 (mod its prime), `ca` and
  // `ab` have the same residue; where it is (1025 + prime) / 2, their residues differ by exactly
  // 1,024, so that both windows start looking at the same slot of the table.
  it.each([
    ['the first residue differs', (P1 + 1025) / 2, (P2 + 1) / 2],
    ['the second residue differs', (P1 + 1) / 2, (P2 + 1025) / 2]
  ])('keeps two windows apart that look at the same slot when %s', (_which, b1, b2) => {
    withBases(b1, b2, () => {
      let steps = 0
      const runs = new SharedRuns(n => (steps += n))
      runs.add('cab', 2)
      expect(runs.size).toBe(2)
      steps = 0
      expect(runs.sharedWith('xab')).toBe(true)
      // Three characters hashed; `xa` found missing at the first slot, `ab` at the second; and `ab` compared.
      expect(steps).toBe(3 + 1 + 2 + 2)
      expect(runs.sharedWith('xca')).toBe(true)
      expect(runs.sharedWith('xcb')).toBe(false)
    })
  })

  it('grows its table only past half full, moving the windows it holds once', () => {
    let steps = 0
    const runs = new SharedRuns(n => (steps += n))
    // 500 distinct windows, then 12 more: the table of 1,024 slots is then exactly half full.
    const first = letters(503, 7)
    const second = letters(15, 8)
    runs.add(first, 4)
    expect(runs.size).toBe(500)
    runs.add(second, 4)
    steps = 0
    expect(runs.size).toBe(512)
    // Storing the 12 windows hashes 15 characters and probes a few slots for each (some dozens in all
    // at worst), far fewer than moving the 500 windows held would.
    expect(steps).toBeGreaterThanOrEqual(15 + 12)
    expect(steps).toBeLessThan(15 + 500)
    runs.add('zzzz', 4)
    steps = 0
    expect(runs.size).toBe(513)
    // One more window: the 512 held move to a table twice as large.
    expect(steps).toBeGreaterThanOrEqual(4 + 512 + 1)
    expect(runs.sharedWith(`..${first.slice(100, 104)}..`)).toBe(true)
    expect(runs.sharedWith(`..${second.slice(3, 7)}..`)).toBe(true)
  })

  it('stores the windows of each run length when a text as long comes', () => {
    let steps = 0
    const runs = new SharedRuns(n => (steps += n))
    runs.add('abcdefghijklmnop', 10)
    runs.add('qrstuvwx', 4)
    runs.add('yz0123', 4)
    expect(runs.sharedWith('..stuv..')).toBe(true)
    const stored = steps
    expect(stored).toBeGreaterThanOrEqual(8 + 6 + 5 + 3)
    expect(runs.sharedWith('..z012..')).toBe(true)
    expect(runs.sharedWith('..cdefghijkl..')).toBe(true)
    expect(runs.size).toBe(7 + 5 + 3)
  })
})

describe('Dictionary', () => {
  /** The end and length of the longest string ending at each position where one ends. */
  function matches(words: string[], text: string): [number, number][] {
    const dictionary = new Dictionary()
    for (const word of words) dictionary.add(word)
    const found: [number, number][] = []
    dictionary.search(text, (end, length) => {
      found.push([end, length])
      return false
    })
    return found
  }

  /** The same, found naively. */
  function naiveMatches(words: string[], text: string): [number, number][] {
    const found: [number, number][] = []
    for (let end = 1; end <= text.length; end++) {
      const longest = Math.max(0, ...words.filter(word => word && text.slice(0, end).endsWith(word)).map(w => w.length))
      if (longest) found.push([end, longest])
    }
    return found
  }

  it.each([
    [['he', 'she', 'his', 'hers'], 'ushers and his sheep'],
    [['a', 'ab', 'bab', 'bc', 'bca', 'c', 'caa'], 'abccab bcaab'],
    [['aaaa', 'aa'], 'aaaaaaa'],
    [['abcd', 'bc', 'bcde'], 'abcde xbcdey'],
    [['päss', 'äss', '\u{1F511}k'], 'xpäss \u{1F511}\u{1F511}k'],
    [['abab', 'babb', 'bb'], 'abababbabb'],
    [['xyz'], 'xyxyzxy'],
    [[''], 'abc']
  ])('finds the longest of %j ending at each position', (words, text) => {
    expect(matches(words, text)).toEqual(naiveMatches(words, text))
  })

  it('takes strings added after a search at the next one, and each string once', () => {
    const dictionary = new Dictionary()
    dictionary.add('abc')
    expect(dictionary.occursIn('xxabcxx')).toBe(true)
    expect(dictionary.occursIn('xxbcdxx')).toBe(false)
    dictionary.add('bcd')
    dictionary.add('bcd')
    expect(dictionary.occursIn('xxbcdxx')).toBe(true)
    expect(dictionary.size).toBe(2)
    expect([...dictionary.values()]).toEqual(['abc', 'bcd'])
  })

  it('stops when told to', () => {
    const dictionary = new Dictionary()
    dictionary.add('a')
    const ends: number[] = []
    dictionary.search('aaaa', end => {
      ends.push(end)
      return end === 2
    })
    expect(ends).toEqual([1, 2])
  })

  it('finds nothing in an empty dictionary, and takes no empty string', () => {
    const dictionary = new Dictionary()
    dictionary.add('')
    expect(dictionary.size).toBe(0)
    expect(dictionary.occursIn('abc')).toBe(false)
  })

  it.each([
    [['a\u0001'], 'xa\u0001'],
    [['a\u0001', 'ab'], 'a\u0001 ab'],
    [['ab', 'a\u0001'], 'a\u0001 ab']
  ])('finds %j, whatever the codes of the characters', (words, text) => {
    expect(matches(words, text)).toEqual(naiveMatches(words, text))
    expect(matches(words, text).length).toBe(words.length)
  })

  it('counts one step per character and state to prepare, and one per step along a failure link', () => {
    let steps = 0
    const dictionary = new Dictionary(n => (steps += n))
    dictionary.add('aab')
    // 4 characters (the root among them) and 4 states; the link of `aab` steps from `a` to the root.
    dictionary.search('', () => false)
    expect(steps).toBe(4 + 4 + 1)
    steps = 0
    // 4 characters, and at the third `a` one step back from `aa` to `a`.
    dictionary.search('aaab', () => false)
    expect(steps).toBe(4 + 1)
  })

  it('does not prepare again for a string it has', () => {
    let steps = 0
    const dictionary = new Dictionary(n => (steps += n))
    dictionary.add('abc')
    expect(dictionary.occursIn('abc')).toBe(true)
    dictionary.add('abc')
    steps = 0
    expect(dictionary.occursIn('abc')).toBe(true)
    expect(steps).toBe(3)
  })

  it('counts each character inserted, each state linked and each step of a search', () => {
    let steps = 0
    const dictionary = new Dictionary(n => (steps += n))
    dictionary.add('aaab')
    dictionary.add('ab')
    expect(steps).toBe(0)
    expect(dictionary.occursIn('aaaa')).toBe(false)
    // 6 characters inserted; 6 states (the root among them) linked, 2 more steps along failure links
    // (from aaab's `b`); 4 characters searched and 3 steps back along failure links (aaa to aa).
    expect(steps).toBeGreaterThanOrEqual(6 + 5 + 4)
    expect(steps).toBeLessThanOrEqual(6 + 6 + 3 + 4 + 3)
    steps = 0
    dictionary.occursIn('b'.repeat(1000))
    expect(steps).toBe(1000)
  })
})
