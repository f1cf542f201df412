import * as core from '@actions/core'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { StartedKeeper } from './keeper/start.js'
import { describeEndpoint } from './exchange/endpoint.js'
import { readEnvironment, type Environment } from './runner/environment.js'
import { checkWritable, writeFileCommands, type FileCommands } from './runner/file-commands.js'
import { getSettings, type InputName, type Settings } from './inputs.js'
import { StepLog, type LogOutput, type Runner } from './runner/step-log.js'
import { keyFileWarning } from './exchange/client-certificate.js'
import { exchangeToken } from './exchange/exchange.js'
import { endpointProtocol, proxySecrets } from './exchange/proxy.js'
import { systemClock, type RetryClock } from './exchange/retry.js'
import type { Token } from './exchange/token-response.js'

export type { Runner } from './runner/step-log.js'

/** Output names, as action.yml declares them. */
export const OUTPUT_NAMES = ['access_token', 'token_type', 'expires_in', 'expires_at'] as const
type OutputName = (typeof OUTPUT_NAMES)[number]

/**
 * The action: read the settings, exchange the credentials for a token, publish it. This is the only
 * module that talks to the runner, so every mask, output, variable, log line and failure is visible
 * here. Nothing is published until the token has passed validation; on any failure nothing is.
 */
export async function run(
  runner: Runner = core,
  clock: RetryClock = systemClock,
  env: NodeJS.ProcessEnv = process.env,
  options: RunOptions = {}
): Promise<void> {
  const log = new StepLog(runner, options.output)
  try {
    const settings = getSettings({
      getInput: (name: InputName) => runner.getInput(name),
      setSecret: value => log.mask(value)
    })
    for (const value of proxySecrets(env)) log.mask(value)
    const environment = readEnvironment(env, settings.exportEnv, settings.refresh, endpointProtocol(settings))
    checkWritable(Object.values(environment.files))
    if (environment.tlsVerificationOffRequested) {
      // Node reads the variable at every TLS connection, the proxy's included: without it, every
      // certificate is verified, and Node prints no warning of its own that would say otherwise.
      delete env.NODE_TLS_REJECT_UNAUTHORIZED
      log.warning(
        'NODE_TLS_REJECT_UNAUTHORIZED=0 is set but ignored: this action always verifies TLS certificates. ' +
          'For a private CA, set NODE_EXTRA_CA_CERTS to its certificate instead.'
      )
    }
    if (settings.baseUrlIgnored) log.warning("Input 'base_url' is not used because 'token_url' is set.")
    const keyWarning = keyFileWarning(settings.clientCertificate, env.GITHUB_WORKSPACE)
    if (keyWarning) log.warning(keyWarning)
    const token = await exchangeToken(settings, environment, log, clock)
    const keeper = settings.refresh ? await startRefresh(settings, token, environment, clock, env, options) : undefined
    try {
      publish(settings, token, environment.files, log, keeper)
    } catch (error) {
      await keeper?.stop()
      throw error
    }
  } catch (error) {
    log.fail(error instanceof Error ? error.message : String(error))
  }
}

/** How the step runs besides its inputs: the process's output guard, and where its bundles are. */
export interface RunOptions {
  output?: LogOutput
  /** The directory of dist/index.js, beside which the keeper's and the command's bundles are. */
  distDir?: string
}

/**
 * Starts the token keeper of `refresh: true`. Its code is loaded only here, so a step without refresh
 * neither loads nor runs any of it.
 */
async function startRefresh(
  settings: Settings,
  token: Token,
  environment: Environment,
  clock: RetryClock,
  env: NodeJS.ProcessEnv,
  options: RunOptions
): Promise<StartedKeeper> {
  const { startKeeper } = await import('./keeper/start.js')
  return startKeeper(settings, token, clock.now(), {
    env,
    runnerTemp: environment.runnerTemp ?? '',
    distDir: options.distDir ?? dirname(fileURLToPath(import.meta.url)),
    node: process.execPath,
    platform: process.platform
  })
}

function publish(
  settings: Settings,
  token: Token,
  files: Environment['files'],
  log: StepLog,
  keeper: StartedKeeper | undefined
): void {
  // Whole seconds, never later than the lifetime allows.
  const expiresAt = token.expiresAt ? `${token.expiresAt.toISOString().slice(0, 19)}Z` : ''
  const outputs: Record<OutputName, string> = {
    access_token: token.accessToken,
    token_type: token.tokenType,
    expires_in: token.expiresIn === undefined ? '' : String(token.expiresIn),
    expires_at: expiresAt
  }
  const commands: FileCommands[] = [{ ...files.output, values: OUTPUT_NAMES.map(name => [name, outputs[name]]) }]
  if (files.env) commands.push({ ...files.env, values: [[settings.envName, token.accessToken]] })
  if (keeper && files.path && files.state) {
    commands.push({ ...files.path, lines: [keeper.commandDir] })
    commands.push({ ...files.state, values: [keeper.state] })
  }
  writeFileCommands(commands)
  log.info(
    `Obtained a ${token.tokenType} token from ${describeEndpoint(settings.tokenUrl)}` +
      `${expiresAt ? `, valid until ${expiresAt}` : ' (no expiry given)'}` +
      `${settings.exportEnv ? `; exported as ${settings.envName}` : ''}.`
  )
  if (keeper) {
    log.info('The token keeper is running: later steps of this job get a valid token from `datasaur-token`.')
  }
}
