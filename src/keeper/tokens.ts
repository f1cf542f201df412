import { ActionError } from '../errors.js'
import type { Token } from '../exchange/token-response.js'

/** What a token without `expires_in` is taken to last: Datasaur's documented lifetime. */
export const DEFAULT_LIFETIME_SECONDS = 3600
/** The validity a call asks for when it names none, unless half the token's lifetime is shorter. */
export const DEFAULT_MIN_VALIDITY_SECONDS = 300

/** A token the keeper holds, with when it ends and whether a mask for it has reached the log. */
export interface HeldToken {
  value: string
  expiresAtMs: number
  lifetimeMs: number
  /** A mask for it was announced: by the action's own step (the first token) or by an earlier call. */
  announced: boolean
}

/** What a call gets: the token, and every value whose mask the command must announce first. */
export interface TokenAnswer {
  token: string
  expiresAtMs: number
  /** The current token and, once minted, the next one: announced on every call, ahead of their use. */
  masks: string[]
  /** Whether an earlier call (or the action) announced this token; if not, the command waits after its mask. */
  announced: boolean
}

/** A token from the exchange as the keeper holds it; `obtainedAtMs` counts when there is no expiry. */
export function holdToken(token: Token, obtainedAtMs: number, announced: boolean): HeldToken {
  const lifetimeMs = (token.expiresIn ?? DEFAULT_LIFETIME_SECONDS) * 1000
  const expiresAtMs = token.expiresAt ? token.expiresAt.getTime() : obtainedAtMs + lifetimeMs
  return { value: token.accessToken, expiresAtMs, lifetimeMs, announced }
}

/**
 * The keeper's tokens: the current one, and the next, minted ahead of need. A call that finds the
 * current token past half its lifetime starts the next mint without waiting for it, and every answer
 * lists both tokens' masks, so a token is normally announced long before it is first returned. Only a
 * call that finds no token valid long enough waits for a mint; concurrent calls share that one mint,
 * and since the validity asked for is always below the lifetime, one mint satisfies them all: no mint
 * starts while a newer token than the current one is held or on its way.
 */
export class TokenKeeper {
  private current: HeldToken
  private next: HeldToken | undefined
  private minting: Promise<void> | undefined
  /** Tokens minted by this keeper (the first one came from the action). */
  minted = 0

  constructor(
    first: HeldToken,
    private readonly mint: () => Promise<HeldToken>,
    private readonly now: () => number
  ) {
    this.current = first
  }

  /**
   * The validity a call needs, in ms: `requestedSeconds`, or by default 300 s or half the lifetime,
   * whichever is shorter. A validity not below the lifetime could never be met by a fresh token.
   */
  minValidityMs(requestedSeconds: number | undefined): number {
    const lifetimeMs = (this.next ?? this.current).lifetimeMs
    if (requestedSeconds === undefined) return Math.min(DEFAULT_MIN_VALIDITY_SECONDS * 1000, lifetimeMs / 2)
    if (requestedSeconds * 1000 >= lifetimeMs) {
      throw new ActionError(
        `--min-validity ${requestedSeconds} is not below the token's lifetime of ${lifetimeMs / 1000} s, so no ` +
          'token could satisfy it: ask for less.'
      )
    }
    return requestedSeconds * 1000
  }

  /** A token valid for at least the validity asked for, minting one only when none is. */
  async get(requestedSeconds?: number): Promise<TokenAnswer> {
    const minValidityMs = this.minValidityMs(requestedSeconds)
    let token = this.usable(minValidityMs)
    if (!token) {
      await this.startMint()
      token = this.usable(minValidityMs)
      if (!token) {
        throw new ActionError(
          `The new token is valid for less than the ${minValidityMs / 1000} s asked for: the endpoint issues ` +
            'shorter-lived tokens than before; ask for less with --min-validity.'
        )
      }
    }
    if (this.pastHalfLife(token) && !this.next && !this.minting) {
      // Failure is left for the call that needs the token to meet and report.
      this.startMint().catch(() => undefined)
    }
    const masks = [token, this.next].filter(held => held !== undefined)
    const answer = { token: token.value, expiresAtMs: token.expiresAtMs, masks: masks.map(held => held.value) }
    const announced = token.announced
    for (const held of masks) held.announced = true
    return { ...answer, announced }
  }

  /** The current token if valid long enough, else the next one (which then becomes current). */
  private usable(minValidityMs: number): HeldToken | undefined {
    const validFor = (held: HeldToken): number => held.expiresAtMs - this.now()
    if (validFor(this.current) >= minValidityMs) return this.current
    if (this.next && validFor(this.next) >= minValidityMs) {
      this.current = this.next
      this.next = undefined
      return this.current
    }
    return undefined
  }

  private pastHalfLife(held: HeldToken): boolean {
    return this.now() >= held.expiresAtMs - held.lifetimeMs / 2
  }

  /** The one mint under way, started if there is none; its token becomes the next one. */
  private startMint(): Promise<void> {
    this.minting ??= this.mint()
      .then(held => {
        this.minted++
        this.next = held
      })
      .finally(() => {
        this.minting = undefined
      })
    return this.minting
  }
}
