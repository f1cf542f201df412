import type { Settings } from '../inputs.js'
import type { Environment } from '../runner/environment.js'
import type { Redactor } from '../text/log-text.js'
import { describeEndpoint } from './endpoint.js'
import { withRetries, type RetryClock, type RetryNotice } from './retry.js'
import { buildTokenRequest, sendTokenRequest } from './token-request.js'
import { parseTokenResponse, type Token } from './token-response.js'

/**
 * What the exchange reports while it works. Every entry point that gets a token (the step, the token
 * keeper) supplies its own, so the exchange never knows which one it serves: the step prints through
 * the step log, the keeper through its channel.
 */
export interface ExchangeLog {
  /** What messages must not repeat; `mask` adds to it. */
  readonly redactor: Redactor
  /** Registers a value derived from a secret, or the token, before anything else touches it. */
  mask(value: string): void
  debug(text: string): void
  /** A retry: said at info level, since the user waits for it. */
  info(text: string): void
}

/**
 * Settings in, validated token out: builds the request, masks what is derived from the secret, and
 * sends it with the retry policy. The token is masked the moment it has passed validation, before
 * any caller sees it.
 */
export async function exchangeToken(
  settings: Settings,
  environment: Pick<Environment, 'extraCaFile' | 'proxies'>,
  log: ExchangeLog,
  clock: RetryClock
): Promise<Token> {
  const request = buildTokenRequest(settings)
  for (const value of request.derivedSecrets) log.mask(value)
  const endpoint = describeEndpoint(settings.tokenUrl)
  const sendOptions = {
    timeoutMs: settings.timeoutMs,
    redactor: log.redactor,
    extraCaFile: environment.extraCaFile,
    proxies: environment.proxies,
    clientCertificate: settings.clientCertificate
  }
  const responseContext = {
    redactor: log.redactor,
    endpointInput: settings.endpointInput,
    authMethod: settings.authMethod,
    otherHostHint: settings.otherHostHint,
    clientCertificateSet: settings.clientCertificate !== undefined,
    secrets: [settings.clientSecret, ...request.derivedSecrets]
  }
  return withRetries(
    async attempt => {
      log.debug(`Attempt ${attempt}: POST ${endpoint} (${settings.authMethod}).`)
      const sentAt = new Date(clock.now())
      const response = await sendTokenRequest(request, sendOptions)
      log.debug(`Attempt ${attempt}: HTTP ${response.status}, ${Buffer.byteLength(response.body)} bytes.`)
      const token = parseTokenResponse(response, sentAt, responseContext)
      log.mask(token.accessToken)
      return token
    },
    {
      maxAttempts: settings.maxAttempts,
      rateLimitBudgetMs: settings.rateLimitBudgetMs,
      clock,
      onRetry: notice => log.info(retryLine(notice))
    }
  )
}

/** One line per retry: what failed, how long until the next attempt, and which limit it counts on. */
function retryLine({ attempt, maxAttempts, reason, delayMs, rateLimited }: RetryNotice): string {
  const retrying = `Attempt ${attempt} of ${maxAttempts} failed (${reason}); retrying in ${seconds(delayMs)} s`
  if (!rateLimited) return `${retrying}.`
  return (
    `${retrying} as Retry-After asks, not counted against max_attempts ` +
    `(${seconds(rateLimited.usedMs)} of ${seconds(rateLimited.budgetMs)} s of rate_limit_wait_seconds used).`
  )
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1)
}
