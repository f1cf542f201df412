/**
 * The searches the Redactor is built on, each in time linear in the text searched and in the values
 * prepared: a value may be as long as the longest token the response cap lets through, and the
 * runner's timers cannot interrupt a search that runs on the main thread.
 */

/** Told the number of elementary steps each operation took, so that tests can bound them. */
export type CountSteps = (steps: number) => void

export const NO_COUNT: CountSteps = () => undefined

/**
 * A string prepared for Knuth-Morris-Pratt search: found in a text of length m in at most 2m steps,
 * every occurrence, overlapping ones included, whatever the string and the text repeat. The table
 * is built, in at most twice the string's length in steps, at the first search.
 */
export class Pattern {
  /** For each prefix, the length of its longest proper prefix that is also its suffix. */
  private border?: Int32Array

  constructor(
    readonly value: string,
    private readonly count: CountSteps = NO_COUNT
  ) {}

  private borders(): Int32Array {
    if (this.border) return this.border
    const { value } = this
    const border = new Int32Array(value.length)
    let steps = 0
    for (let i = 1, k = 0; i < value.length; i++) {
      while (k > 0 && value.charCodeAt(i) !== value.charCodeAt(k)) {
        k = border[k - 1]
        steps++
      }
      if (value.charCodeAt(i) === value.charCodeAt(k)) k++
      border[i] = k
      steps++
    }
    this.count(steps)
    this.border = border
    return border
  }

  /**
   * Calls `found` with the start of each occurrence in `text`, left to right, until it returns true.
   * The empty string occurs at 0.
   */
  search(text: string, found: (start: number) => boolean): void {
    const { value } = this
    const length = value.length
    if (length === 0) {
      found(0)
      return
    }
    const border = this.borders()
    let steps = 0
    for (let i = 0, k = 0; i < text.length; i++) {
      while (k > 0 && text.charCodeAt(i) !== value.charCodeAt(k)) {
        k = border[k - 1]
        steps++
      }
      steps++
      if (text.charCodeAt(i) === value.charCodeAt(k)) k++
      if (k === length) {
        if (found(i + 1 - length)) break
        k = border[k - 1]
      }
    }
    this.count(steps)
  }

  /** Whether the string occurs in `text`. */
  occursIn(text: string): boolean {
    if (this.value.length > text.length) return false
    let found = false
    this.search(text, () => (found = true))
    return found
  }
}

/** Two primes below 2^26: a residue times a base stays below 2^52, exact in a double. */
const P1 = 67108859
const P2 = 67108837

/** A random base below `prime`, per process, so that a server cannot choose values whose windows collide. */
function randomBase(prime: number): number {
  return 256 + Math.floor(Math.random() * (prime - 512))
}

/** base^(length-1) mod prime: the weight of a window's first character. */
function leadingWeight(base: number, prime: number, length: number): number {
  let weight = 1
  for (let i = 1; i < length; i++) weight = (weight * base) % prime
  return weight
}

/**
 * Strings, each with the run length at which a text sharing that many of its characters in a row is
 * said to repeat it. Each string is stored as the Rabin-Karp hashes of its windows of that length,
 * each distinct window once (at most as many as it has characters), in an open-addressing table; a
 * text is checked in one pass per distinct run length, each window's hash computed from the last in
 * constant time, and a hash found is confirmed by comparing the characters.
 */
export class SharedRuns {
  private readonly groups = new Map<number, WindowTable>()
  /** Values whose windows are stored only when a text long enough to share a run comes. */
  private readonly pending = new Map<number, string[]>()

  constructor(private readonly count: CountSteps = NO_COUNT) {}

  /** Registers `value`, found by any run of `length` of its characters (0 < length <= its length). */
  add(value: string, length: number): void {
    const pending = this.pending.get(length)
    if (pending) pending.push(value)
    else this.pending.set(length, [value])
  }

  /** Stores the windows of the values registered for run lengths up to `longest`. */
  private store(longest: number): void {
    for (const [length, values] of this.pending) {
      if (length > longest) continue
      this.pending.delete(length)
      let table = this.groups.get(length)
      if (!table) {
        table = new WindowTable(length)
        this.groups.set(length, table)
      }
      for (const value of values) this.count(value.length + table.add(value))
    }
  }

  /** How many windows are stored, in all, once every value's are. */
  get size(): number {
    this.store(Infinity)
    let size = 0
    for (const table of this.groups.values()) size += table.size
    return size
  }

  /** Whether `text` has a run in common with some string, as long as that string's run length. */
  sharedWith(text: string): boolean {
    this.store(text.length)
    for (const table of this.groups.values()) {
      if (text.length < table.length) continue
      const { shared, steps } = table.sharedWith(text)
      this.count(text.length + steps)
      if (shared) return true
    }
    return false
  }
}

/** The windows of one length of some strings: each distinct one's two residues, and where it was first seen. */
class WindowTable {
  private readonly b1 = randomBase(P1)
  private readonly b2 = randomBase(P2)
  private readonly w1: number
  private readonly w2: number
  // Stryker disable next-line ArrayDeclaration: each value's index is what push returns, whatever comes before it.
  private readonly sources: string[] = []
  /** How many distinct windows are stored. */
  size = 0
  /** Slots looked at by `find`, in all. */
  private probes = 0
  /**
   * The slots, four numbers each: the residues, the string's index, and the window's start plus 1
   * (0 when the slot is free).
   */
  private slots = new Int32Array(4 * 1024)

  constructor(readonly length: number) {
    this.w1 = leadingWeight(this.b1, P1, length)
    this.w2 = leadingWeight(this.b2, P2, length)
  }

  /** Stores the windows of `value`; returns the steps it took besides hashing them. */
  add(value: string): number {
    const index = this.sources.push(value) - 1
    const hashes = this.hashes(value)
    const probes = this.probes
    this.grow(hashes.length / 2)
    for (let start = 0; start < hashes.length / 2; start++) {
      const slot = this.find(hashes[2 * start], hashes[2 * start + 1])
      // A window repeated (as in `AAAA…`) is stored once: its first occurrence confirms every later one.
      if (this.slots[slot + 3] === 0) this.store(slot, hashes[2 * start], hashes[2 * start + 1], index, start + 1)
    }
    return this.probes - probes
  }

  /** Whether a window of `text` is stored, and the steps it took besides hashing them. */
  sharedWith(text: string): { shared: boolean; steps: number } {
    const { length } = this
    const hashes = this.hashes(text)
    const probes = this.probes
    let steps = 0
    let shared = false
    for (let start = 0; start < hashes.length / 2 && !shared; start++) {
      const slot = this.find(hashes[2 * start], hashes[2 * start + 1])
      if (this.slots[slot + 3] === 0) continue
      const source = this.sources[this.slots[slot + 2]]
      const from = this.slots[slot + 3] - 1
      steps += length
      shared = text.slice(start, start + length) === source.slice(from, from + length)
    }
    return { shared, steps: steps + this.probes - probes }
  }

  private store(slot: number, h1: number, h2: number, index: number, start: number): void {
    this.slots[slot] = h1
    this.slots[slot + 1] = h2
    this.slots[slot + 2] = index
    this.slots[slot + 3] = start
    this.size++
  }

  /** The slot of the window with these residues, or the free slot where it would go. */
  private find(h1: number, h2: number): number {
    const { slots } = this
    const wrap = slots.length - 1
    let slot = (4 * (h1 ^ Math.imul(h2, 0x9e3779b1))) & wrap
    this.probes++
    while (slots[slot + 3] !== 0 && (slots[slot] !== h1 || slots[slot + 1] !== h2)) {
      // Stryker disable next-line ArithmeticOperator: probing backwards finds every window as probing forwards does.
      slot = (slot + 4) & wrap
      this.probes++
    }
    return slot
  }

  /** Makes room for `more` windows, keeping the table at most half full. */
  private grow(more: number): void {
    let capacity = this.slots.length / 4
    if (2 * (this.size + more) <= capacity) return
    // Stryker disable next-line EqualityOperator: only the size of the new table differs, when exactly half full.
    while (2 * (this.size + more) > capacity) capacity *= 2
    const old = this.slots
    this.slots = new Int32Array(4 * capacity)
    this.size = 0
    for (let i = 0; i < old.length; i += 4) {
      if (old[i + 3] !== 0) this.store(this.find(old[i], old[i + 1]), old[i], old[i + 1], old[i + 2], old[i + 3])
    }
  }

  /**
   * The two residues of each window of `text`, in order (none when it is shorter than a window), each
   * computed from the last: `value mod prime` as `value - floor(value / prime) * prime`, exact for
   * |value| < 2^52 and much faster than `%` on numbers beyond 32 bits (the quotient may be one off,
   * which the comparisons after it correct).
   */
  private hashes(text: string): Int32Array {
    const { length, b1, b2, w1, w2 } = this
    const hashes = new Int32Array(2 * Math.max(0, text.length - length + 1))
    let h1 = 0
    let h2 = 0
    // Stryker disable next-line EqualityOperator: a step past the text writes to no index of the array.
    for (let i = 0; i < text.length; i++) {
      const incoming = text.charCodeAt(i)
      const outgoing = i >= length ? text.charCodeAt(i - length) : 0
      h1 = h1 - outgoing * w1
      h1 -= Math.floor(h1 / P1) * P1
      h1 = h1 * b1 + incoming
      h1 -= Math.floor(h1 / P1) * P1
      // Stryker disable next-line all: guards the last ulp of the division above, which no test can reach.
      if (h1 < 0) h1 += P1
      else /* Stryker disable next-line all: as above. */ if (h1 >= P1) h1 -= P1
      h2 = h2 - outgoing * w2
      h2 -= Math.floor(h2 / P2) * P2
      h2 = h2 * b2 + incoming
      h2 -= Math.floor(h2 / P2) * P2
      // Stryker disable next-line all: guards the last ulp of the division above, which no test can reach.
      if (h2 < 0) h2 += P2
      else /* Stryker disable next-line all: as above. */ if (h2 >= P2) h2 -= P2
      // Stryker disable next-line ConditionalExpression: before the first window is complete, the index is negative and writes nothing.
      if (i + 1 >= length) {
        hashes[2 * (i + 1 - length)] = h1
        hashes[2 * (i + 1 - length) + 1] = h2
      }
    }
    return hashes
  }
}

/** Transitions beyond a state's first are keyed by state × this + the character's UTF-16 code. */
const CODES = 0x10000

/** The trie of a Dictionary's strings, in arrays of one entry per state; state 0 is the root. */
interface Trie {
  /** Each state's first child and the character to it (-1: none). */
  firstCode: Int32Array
  firstChild: Int32Array
  /** The root's children, by code (0: none): nearly every character of a text looks here. */
  root: Int32Array
  /** Further children of other states, state × CODES + code → state; and which states have any. */
  more: Map<number, number>
  branches: Uint8Array
  /** Each state's longest proper suffix that is a state too, and the longest string ending there. */
  fail: Int32Array
  longest: Int32Array
}

/**
 * A set of strings prepared for Aho-Corasick search: a text of length m is searched for all of them
 * at once in O(m) steps, however many strings there are and however long. Strings can be added at
 * any time; the trie and its failure links are built again, in time linear in the strings' total
 * length, at the next search. Most states of a trie of long strings have one child, which is kept
 * beside the state; only further children go to a map.
 */
export class Dictionary {
  private readonly words = new Set<string>()
  private trie?: Trie

  constructor(private readonly count: CountSteps = NO_COUNT) {}

  get size(): number {
    return this.words.size
  }

  /** The strings, as added. */
  values(): IterableIterator<string> {
    return this.words.values()
  }

  add(value: string): void {
    if (!value || this.words.has(value)) return
    this.words.add(value)
    this.trie = undefined
  }

  /**
   * Calls `found` with the end and length of the longest string that ends at each position of
   * `text` where one ends, left to right, until it returns true.
   */
  search(text: string, found: (end: number, length: number) => boolean): void {
    const trie = (this.trie ??= this.build())
    const { fail, longest, root } = trie
    let steps = 0
    let state = 0
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i)
      // Stryker disable next-line ConditionalExpression: child() looks in the root's table itself; this only saves the call.
      let target = state === 0 ? root[code] : child(trie, state, code)
      while (target === 0 && state !== 0) {
        state = fail[state]
        target = child(trie, state, code)
        steps++
      }
      state = target
      steps++
      if (longest[state] > 0 && found(i + 1, longest[state])) break
    }
    this.count(steps)
  }

  /** Whether any of the strings occurs in `text`. */
  occursIn(text: string): boolean {
    let found = false
    this.search(text, () => (found = true))
    return found
  }

  /** The trie of every string, and its failure links and longest matches, computed in order of depth. */
  private build(): Trie {
    let size = 1
    for (const word of this.words) size += word.length
    const trie: Trie = {
      firstCode: new Int32Array(size).fill(-1),
      firstChild: new Int32Array(size),
      root: new Int32Array(CODES),
      more: new Map(),
      branches: new Uint8Array(size),
      fail: new Int32Array(size),
      longest: new Int32Array(size)
    }
    const parent = new Int32Array(size)
    const code = new Int32Array(size)
    const depth = new Int32Array(size)
    const word = new Int32Array(size)
    let states = 1
    let deepest = 0
    for (const value of this.words) {
      let state = 0
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i)
        let next = child(trie, state, c)
        if (next === 0) {
          next = states++
          if (state === 0) trie.root[c] = next
          else if (
            // Stryker disable next-line ConditionalExpression,EqualityOperator,UnaryOperator: a first child kept in the map instead is found there as well.
            trie.firstCode[state] === -1
          ) {
            trie.firstCode[state] = c
            trie.firstChild[state] = next
          } else {
            trie.more.set(state * CODES + c, next)
            trie.branches[state] = 1
          }
          parent[next] = state
          code[next] = c
          depth[next] = i + 1
        }
        state = next
      }
      word[state] = value.length
      deepest = Math.max(deepest, value.length)
    }
    // Counting sort by depth: a state's failure link is shallower than the state.
    const first = new Int32Array(deepest + 2)
    for (let state = 0; state < states; state++) first[depth[state] + 1]++
    // Stryker disable next-line EqualityOperator: one step past the end writes to no index of the array.
    for (let d = 1; d < first.length; d++) first[d] += first[d - 1]
    const byDepth = new Int32Array(states)
    for (let state = 0; state < states; state++) byDepth[first[depth[state]]++] = state
    const { fail, longest } = trie
    let steps = size + states
    for (const state of byDepth) {
      let link = 0
      if (parent[state] !== 0) {
        let candidate = fail[parent[state]]
        let target = child(trie, candidate, code[state])
        while (target === 0 && candidate !== 0) {
          candidate = fail[candidate]
          target = child(trie, candidate, code[state])
          steps++
        }
        link = target
      }
      fail[state] = link
      longest[state] = word[state] || longest[link]
    }
    this.count(steps)
    return trie
  }
}

/** The child of `state` by `code` in `trie`, or 0 (the root is no one's child). */
function child(trie: Trie, state: number, code: number): number {
  if (state === 0) return trie.root[code]
  if (trie.firstCode[state] === code) return trie.firstChild[state]
  return trie.branches[state] ? (trie.more.get(state * CODES + code) ?? 0) : 0
}
