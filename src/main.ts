import * as core from '@actions/core'
import { describeEndpoint } from './endpoint.js'
import { getSettings, type InputName, type Settings } from './inputs.js'
import { redact } from './redact.js'
import { systemClock, withRetries, type RetryClock } from './retry.js'
import { buildTokenRequest, sendTokenRequest } from './token-request.js'
import { parseTokenResponse, type Token } from './token-response.js'

/** The part of `@actions/core` this action uses; tests and the benchmark run the real one. */
export type Runner = Pick<
  typeof core,
  'getInput' | 'setSecret' | 'setOutput' | 'exportVariable' | 'info' | 'debug' | 'setFailed'
>

/** Output names, as action.yml declares them. */
export const OUTPUT_NAMES = ['access_token', 'token_type', 'expires_in', 'expires_at'] as const
type OutputName = (typeof OUTPUT_NAMES)[number]

/**
 * The action: read the settings, exchange the credentials for a token, publish it. This is the only
 * module that talks to the runner, so every mask, output, variable and failure is visible here.
 * Nothing is published until the token has passed validation; on any failure nothing is.
 */
export async function run(runner: Runner = core, clock: RetryClock = systemClock): Promise<void> {
  const secrets = new Secrets(runner)
  try {
    const settings = getSettings({
      getInput: (name: InputName) => runner.getInput(name),
      setSecret: value => secrets.mask(value)
    })
    const token = await requestToken(settings, runner, clock, secrets)
    publish(settings, token, runner)
  } catch (error) {
    runner.setFailed(secrets.redact(error instanceof Error ? error.message : String(error)))
  }
}

/**
 * Every value the runner is told to mask. Messages are scrubbed of them too, so a secret echoed back
 * by a server cannot reach the log even where the runner's masking does not apply.
 */
class Secrets {
  readonly values: string[] = []
  constructor(private readonly runner: Runner) {}

  mask(value: string): void {
    this.runner.setSecret(value)
    this.values.push(value)
  }

  redact(text: string): string {
    return redact(text, this.values)
  }
}

async function requestToken(settings: Settings, runner: Runner, clock: RetryClock, secrets: Secrets): Promise<Token> {
  const request = buildTokenRequest(settings)
  for (const value of request.derivedSecrets) secrets.mask(value)
  const endpoint = describeEndpoint(settings.tokenUrl)
  return withRetries(
    async attempt => {
      runner.debug(`Attempt ${attempt}: POST ${endpoint} (${settings.authMethod}).`)
      const sentAt = new Date(clock.now())
      const response = await sendTokenRequest(request, settings.timeoutMs)
      runner.debug(`Attempt ${attempt}: HTTP ${response.status}, ${Buffer.byteLength(response.body)} bytes.`)
      const token = parseTokenResponse(response, sentAt, secrets.values)
      secrets.mask(token.accessToken)
      return token
    },
    {
      maxAttempts: settings.maxAttempts,
      clock,
      onRetry: ({ attempt, maxAttempts, reason, delayMs }) =>
        runner.info(
          secrets.redact(
            `Attempt ${attempt} of ${maxAttempts} failed (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s.`
          )
        )
    }
  )
}

function publish(settings: Settings, token: Token, runner: Runner): void {
  const expiresAt = token.expiresAt ? token.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') : ''
  const outputs: Record<OutputName, string> = {
    access_token: token.accessToken,
    token_type: token.tokenType,
    expires_in: token.expiresIn === undefined ? '' : String(token.expiresIn),
    expires_at: expiresAt
  }
  for (const name of OUTPUT_NAMES) runner.setOutput(name, outputs[name])
  if (settings.exportEnv) runner.exportVariable(settings.envName, token.accessToken)
  runner.info(
    `Obtained a ${token.tokenType} token from ${describeEndpoint(settings.tokenUrl)}` +
      `${expiresAt ? `, valid until ${expiresAt}` : ' (no expiry given)'}` +
      `${settings.exportEnv ? `; exported as ${settings.envName}` : ''}.`
  )
}
