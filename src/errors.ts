/**
 * Errors whose `message` is written for the person reading a failed workflow run. Every message is
 * built from values this action controls or has sanitised; none ever includes a secret, a token or a
 * raw response body, so `main.ts` can pass it to the runner unchanged.
 */
export class ActionError extends Error {}

/** An input is missing or malformed; raised before any request is sent. */
export class InputError extends ActionError {
  constructor(
    readonly input: string,
    message: string
  ) {
    super(message)
  }
}

/**
 * One attempt at the token endpoint failed. `retryable` is decided where the failure is understood
 * (transport or response); `reason` is a short label for retry log lines ("HTTP 503", "ECONNRESET");
 * `retryAfter` is the server's Retry-After header, left for `retry.ts` to interpret.
 */
export class AttemptError extends ActionError {
  constructor(
    message: string,
    readonly options: { retryable: boolean; reason: string; retryAfter?: string }
  ) {
    super(message)
  }
}
