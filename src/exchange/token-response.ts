import { ingressCertificateError } from './client-certificate-errors.js'
import { describeEndpoint } from './endpoint.js'
import { AttemptError } from '../errors.js'
import type { AuthMethod } from '../inputs.js'
import type { Redactor } from '../text/log-text.js'
import { isRetryableStatus } from './retry.js'
import type { TokenHttpResponse } from './token-request.js'

/** A validated access token, safe to publish. */
export interface Token {
  accessToken: string
  /** As the server spelled it; always `bearer` in some case. */
  tokenType: string
  /** `expires_in` as sent, in seconds; undefined when the server did not give a lifetime. */
  expiresIn?: number
  expiresAt?: Date
}

/** What the parser needs besides the answer: what to keep out of messages, and what to suggest. */
export interface ResponseContext {
  redactor: Redactor
  /** The input the endpoint came from, named in hints. */
  endpointInput: 'base_url' | 'token_url'
  authMethod: AuthMethod
  /**
   * Set when the endpoint is the default one: said when it answers like something other than a
   * token endpoint, since Datasaur documents another host as well.
   */
  otherHostHint?: string
  /** Whether client_certificate is set, for the answers of an ingress that checks client certificates. */
  clientCertificateSet?: boolean
  /** The client secret and the forms the request carries it in: a token must repeat none of them. */
  secrets: readonly string[]
}

/**
 * Shorter tokens are refused: the runner masks every occurrence of the token in the log, and a token
 * of a few characters would blank ordinary words of every later step.
 */
export const MIN_TOKEN_LENGTH = 8
/** A secret this long cannot turn up inside a token by chance, so a token that contains it is refused. */
const MIN_CONTAINED_SECRET = 8

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

/** Said after an `invalid_client` when the credentials went in HTTP Basic. */
const BASIC_AUTH_HINT =
  "Datasaur documents the form post (auth_method: client_secret_post, the default): remove 'auth_method' and try again."

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

/** The latest `expires_at` that ISO 8601's four-digit year can write. */
const LATEST_EXPIRY_MS = Date.UTC(9999, 11, 31, 23, 59, 59)

/**
 * Turns the endpoint's answer into a validated token, or an `AttemptError` that says what the server
 * answered and what to do. `sentAt` is when the request left, the moment `expires_in` counts from.
 * Server text quoted in a message goes through the redactor, so neither a secret it echoes nor a
 * workflow command it carries reaches the log.
 */
export function parseTokenResponse(response: TokenHttpResponse, sentAt: Date, context: ResponseContext): Token {
  const where = describeEndpoint(response.url)
  const json = parseJson(response.body)
  const contentType = context.redactor.quote(String(response.headers['content-type'] ?? 'none'), 60)
  if (response.status !== 200) throw endpointError(response, where, json, contentType, context)

  if (!response.body.trim()) {
    // An answer cut short before its first byte: the next attempt may get all of it.
    throw new AttemptError(`The token endpoint ${where} answered HTTP 200 with an empty body.`, {
      retryable: true,
      reason: 'HTTP 200, empty body'
    })
  }
  if (!isObject(json)) {
    throw invalid(
      `The token endpoint ${where} answered HTTP 200 with content type '${contentType}', but a JSON object was ` +
        `expected; a proxy or login page may be in the way. Check '${context.endpointInput}'.${otherHost(context)}`
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
  refuseUnpublishable(accessToken, where, context)
  // RFC 6749 §7.1: a client must not use a token whose type it does not understand.
  const tokenType = json.token_type
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    // The token is not masked yet, so the type is quoted only when it is a short word that shares
    // nothing with the token or a secret; anything else could carry part of one.
    const quotable =
      typeof tokenType === 'string' &&
      /^[A-Za-z0-9_.-]{1,20}$/.test(tokenType) &&
      !accessToken.includes(tokenType) &&
      !context.redactor.overlaps(tokenType)
    const got = quotable ? `'${tokenType}'` : typeof tokenType === 'string' ? 'an unsupported value' : 'none'
    throw invalid(`The token endpoint ${where} answered with token_type ${got}; only bearer tokens are supported.`)
  }
  const expiresIn = parseExpiresIn(json.expires_in, where)
  const expiresAt = expiresIn === undefined ? undefined : new Date(sentAt.getTime() + expiresIn * 1000)
  if (expiresAt && !(expiresAt.getTime() <= LATEST_EXPIRY_MS)) {
    throw invalid(
      `The token endpoint ${where} answered with an expires_in of ${expiresIn} s, which ends after the year 9999 ` +
        'and is not a token lifetime.'
    )
  }
  return { accessToken, tokenType, expiresIn, expiresAt }
}

/**
 * Refuses a token that must not be published: it is not masked yet, so no message quotes it. A token
 * that repeats the client secret (in any case, or inside a longer value) would hand the long-lived
 * secret to every later step through GITHUB_ENV; a very short one would be masked all over the log;
 * and `datasaur-token` prints the token on a line of its own, where the runner would obey `::name::`
 * at its start or `##[name]` anywhere in it as a workflow command.
 */
function refuseUnpublishable(accessToken: string, where: string, context: ResponseContext): void {
  const token = accessToken.toLowerCase()
  const repeatsSecret = context.secrets.some(secret => {
    const form = secret.toLowerCase()
    return token === form || (form.length >= MIN_CONTAINED_SECRET && token.includes(form))
  })
  if (repeatsSecret) {
    throw invalid(
      `The token endpoint ${where} answered with an access_token that repeats the client secret; it was not used, ` +
        `so the secret is not handed to later steps. Check that '${context.endpointInput}' points at a Datasaur ` +
        'token endpoint and not at a service that echoes the request.'
    )
  }
  if (accessToken.length < MIN_TOKEN_LENGTH) {
    throw invalid(
      `The token endpoint ${where} answered with an access_token shorter than ${MIN_TOKEN_LENGTH} characters; it ` +
        'was not used, since masking it would hide that text everywhere in the log. Check that ' +
        `'${context.endpointInput}' points at a Datasaur token endpoint.`
    )
  }
  if (accessToken.startsWith('::') || accessToken.includes('##[')) {
    throw invalid(
      `The token endpoint ${where} answered with an access_token that the runner would read as a workflow ` +
        "command (it begins with '::' or contains '##['); it was not used."
    )
  }
}

/**
 * `expires_in` is RECOMMENDED (RFC 6749 §5.1): absent or `null` means no lifetime was given, and so
 * does 0, which would otherwise make the token expire the moment it was requested.
 */
function parseExpiresIn(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (!isWholeSeconds(seconds)) {
    throw invalid(`The token endpoint ${where} answered with an expires_in that is not a whole number of seconds.`)
  }
  return seconds === 0 ? undefined : seconds
}

/** A count of seconds: a non-negative integer that a number holds exactly (false for any non-number). */
function isWholeSeconds(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function endpointError(
  response: TokenHttpResponse,
  where: string,
  json: unknown,
  contentType: string,
  context: ResponseContext
): AttemptError {
  const { status } = response
  const certificate = ingressCertificateError(status, response.body, where, context.clientCertificateSet)
  if (certificate) return certificate
  const serverText = (key: string, maxLength: number): string =>
    isObject(json) && typeof json[key] === 'string' ? context.redactor.quote(json[key], maxLength) : ''
  const oauthError = serverText('error', 64)
  const description = serverText('error_description', 200)
  const oauthHint = OAUTH_ERROR_HINTS.get(oauthError)
  const retryable = isRetryableStatus(status) && !oauthHint
  const notJson = Boolean(response.body.trim()) && json === undefined

  let message = `The token endpoint ${where} answered HTTP ${status}`
  if (oauthError) {
    message += ` with error '${oauthError}'${description ? ` (${description})` : ''}`
  } else if (notJson) {
    // An HTML page from a proxy, a WAF or a login wall: say what came instead of the JSON error.
    message += ` with content type '${contentType}' where JSON was expected`
  }
  message += '.'
  const hint = oauthHint ?? STATUS_HINTS.get(status)
  if (hint) message += ` ${hint}`
  if (oauthError === 'invalid_client' && context.authMethod === 'client_secret_basic') message += ` ${BASIC_AUTH_HINT}`
  if (!oauthError && (status === 404 || status === 405 || notJson)) message += otherHost(context)

  return new AttemptError(message, {
    retryable,
    reason: `HTTP ${status}${oauthError ? ` ${oauthError}` : ''}`,
    retryAfter: response.headers['retry-after']
  })
}

function otherHost(context: ResponseContext): string {
  return context.otherHostHint ? ` ${context.otherHostHint}` : ''
}

function invalid(message: string): AttemptError {
  // A 200 that fails validation is a broken or hostile answer, not a passing fault.
  return new AttemptError(message, { retryable: false, reason: 'invalid token response' })
}

/** JSON, allowing the UTF-8 byte order mark some servers put first (RFC 8259 §8.1 lets parsers ignore it). */
// Stryker disable BlockStatement: an empty catch block returns undefined as well.
function parseJson(body: string): unknown {
  try {
    return JSON.parse(body.replace(/^\uFEFF/, ''))
  } catch {
    return undefined
  }
}
// Stryker restore BlockStatement

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
