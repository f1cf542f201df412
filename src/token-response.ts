import { describeEndpoint } from './endpoint.js'
import { AttemptError } from './errors.js'
import { redact } from './redact.js'
import { isRetryableStatus } from './retry.js'
import type { TokenHttpResponse } from './token-request.js'

/** A validated access token, safe to publish. */
export interface Token {
  accessToken: string
  /** As the server spelled it; always `bearer` in some case. */
  tokenType: string
  /** `expires_in` as sent, in seconds; undefined when the server did not say. */
  expiresIn?: number
  expiresAt?: Date
}

/**
 * RFC 6749 §5.2 error codes that describe the request itself: sending it again cannot succeed,
 * whatever the status it came with. Each has the hint the user needs.
 */
const OAUTH_ERROR_HINTS = new Map<string, string>(
  Object.entries({
    invalid_client:
      'The client ID or secret was rejected: check the client_id and client_secret secrets. ' +
      'Regenerating Datasaur OAuth credentials invalidates the old ones, and OAuth credentials need a Growth or Enterprise plan.',
    invalid_request:
      'The server found the request malformed: check token_url or base_url points at a Datasaur token endpoint.',
    unauthorized_client:
      'This client is not allowed to use the client_credentials grant: check the credentials were generated for API access.',
    unsupported_grant_type:
      'The server does not accept the client_credentials grant at this endpoint: check token_url or base_url.',
    invalid_scope: "The server rejected the requested scope: check the 'scope' input or leave it empty.",
    invalid_grant: 'The server rejected the grant: check the client credentials and the endpoint.'
  })
)

/** Hints for statuses that came without an OAuth error body. */
const STATUS_HINTS = new Map<number, string>([
  [401, 'Check the client_id and client_secret secrets, and auth_method.'],
  [
    403,
    'The server or a proxy refused the request; check the credentials and that the runner may reach this endpoint.'
  ],
  [404, "No token endpoint at this address: check 'base_url' or 'token_url'."],
  [405, "This address does not accept POST: check 'base_url' or 'token_url'."]
])

/**
 * Turns the endpoint's answer into a validated token, or an `AttemptError` that says what the server
 * answered and what to do. `sentAt` is when the request left, the moment `expires_in` counts from.
 * `secrets` are scrubbed from any server text quoted in a message before it is shortened, so an
 * echoed secret cannot survive even in part.
 */
export function parseTokenResponse(response: TokenHttpResponse, sentAt: Date, secrets: string[] = []): Token {
  const where = describeEndpoint(response.url)
  const json = parseJson(response.body)
  const quote = (text: string, maxLength: number): string => sanitize(redact(text, secrets), maxLength)
  const contentType = quote(String(response.headers['content-type'] ?? 'none'), 60)
  if (response.status !== 200) throw endpointError(response, where, json, contentType, quote)

  if (!isObject(json)) {
    throw invalid(
      `The token endpoint ${where} answered HTTP 200 with content type '${contentType}', but a JSON object was ` +
        "expected; a proxy or login page may be in the way. Check 'base_url' or 'token_url'."
    )
  }
  const accessToken = json.access_token
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw invalid(`The token endpoint ${where} answered HTTP 200 without an access_token.`)
  }
  // RFC 6749 A.12: visible ASCII only. Anything else (a line break above all) could forge lines in
  // the runner's GITHUB_ENV and GITHUB_OUTPUT files, so such a token is never used.
  if (!/^[\x21-\x7E]+$/.test(accessToken)) {
    throw invalid(
      `The token endpoint ${where} answered with an access_token containing characters outside visible ASCII; it was not used.`
    )
  }
  // RFC 6749 §7.1: a client must not use a token whose type it does not understand.
  const tokenType = json.token_type
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    // The token is not masked yet, so the type is quoted only when it is a short word that shares
    // nothing with the token or a secret; anything else could carry part of one.
    const quotable =
      typeof tokenType === 'string' &&
      /^[A-Za-z0-9_.-]{1,20}$/.test(tokenType) &&
      ![accessToken, ...secrets].some(value => value.includes(tokenType))
    const got = quotable ? `'${tokenType}'` : typeof tokenType === 'string' ? 'an unsupported value' : 'none'
    throw invalid(`The token endpoint ${where} answered with token_type ${got}; only bearer tokens are supported.`)
  }
  const expiresIn = parseExpiresIn(json.expires_in, where)
  const expiresAt = expiresIn === undefined ? undefined : new Date(sentAt.getTime() + expiresIn * 1000)
  if (expiresAt && Number.isNaN(expiresAt.getTime())) {
    throw invalid(`The token endpoint ${where} answered with an expires_in too large to be a date.`)
  }
  return { accessToken, tokenType, expiresIn, expiresAt }
}

function parseExpiresIn(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds < 0) {
    throw invalid(`The token endpoint ${where} answered with an expires_in that is not a whole number of seconds.`)
  }
  return seconds
}

function endpointError(
  response: TokenHttpResponse,
  where: string,
  json: unknown,
  contentType: string,
  quote: (text: string, maxLength: number) => string
): AttemptError {
  const { status } = response
  const serverText = (key: string, maxLength: number): string =>
    isObject(json) && typeof json[key] === 'string' ? quote(json[key], maxLength) : ''
  const oauthError = serverText('error', 64)
  const description = serverText('error_description', 200)
  const oauthHint = OAUTH_ERROR_HINTS.get(oauthError)
  const retryable = isRetryableStatus(status) && !oauthHint

  let message = `The token endpoint ${where} answered HTTP ${status}`
  if (oauthError) {
    message += ` with error '${oauthError}'${description ? ` (${description})` : ''}`
  } else if (response.body.trim() && json === undefined) {
    // An HTML page from a proxy, a WAF or a login wall: say what came instead of the JSON error.
    message += ` with content type '${contentType}' where JSON was expected`
  }
  message += '.'
  const hint = oauthHint ?? STATUS_HINTS.get(status)
  if (hint) message += ` ${hint}`

  const retryAfter = response.headers['retry-after']
  return new AttemptError(message, {
    retryable,
    reason: `HTTP ${status}${oauthError ? ` ${oauthError}` : ''}`,
    retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined
  })
}

function invalid(message: string): AttemptError {
  // A 200 that fails validation is a broken or hostile answer, not a passing fault.
  return new AttemptError(message, { retryable: false, reason: 'invalid token response' })
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Server-supplied text that goes into a message: RFC 6749 §5.2 limits `error` and
 * `error_description` to printable ASCII without `"` and `\`; everything else is dropped, and the
 * text is cut short, so a response cannot inject workflow commands or flood the log.
 */
function sanitize(text: string, maxLength: number): string {
  const clean = text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '').trim()
  return clean.length > maxLength ? `${clean.slice(0, maxLength)}…` : clean
}
