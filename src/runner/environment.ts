import { readFileSync } from 'node:fs'
import { ActionError } from '../errors.js'
import type { CommandFile } from './file-commands.js'
import { logSafe } from '../text/log-text.js'
import { readProxyEnvironment, type ProxyEnvironment } from '../exchange/proxy.js'

/** What the action takes from the step's environment besides its inputs. */
export interface Environment {
  /**
   * GITHUB_OUTPUT, where outputs go, GITHUB_ENV, where the variable goes (only with export_env), and with
   * refresh, GITHUB_PATH, where the command's directory goes, and GITHUB_STATE, for the post step.
   */
  files: { output: CommandFile; env?: CommandFile; path?: CommandFile; state?: CommandFile }
  /** RUNNER_TEMP, where the token keeper's directory is made (only with refresh). */
  runnerTemp?: string
  /** NODE_EXTRA_CA_CERTS, checked to name a readable file of PEM certificates. */
  extraCaFile?: string
  /** The proxy variables that apply to the endpoint's scheme, and no_proxy (checked to be usable). */
  proxies: ProxyEnvironment
  /** Set when NODE_TLS_REJECT_UNAUTHORIZED=0 asks Node not to verify certificates (it is ignored). */
  tlsVerificationOffRequested: boolean
}

/**
 * Reads and checks the environment. The runner's file-command variables must be set: without them
 * `@actions/core` would print outputs, the token among them, as `::set-output` lines in the log, and
 * any runner that can run `node24` sets them. NODE_EXTRA_CA_CERTS is checked before any request
 * because Node only prints a warning and carries on when the file cannot be loaded, which would end
 * in a certificate error that says nothing about the file. The proxy variable that applies to the
 * endpoint's scheme is checked too: one that cannot be used fails the step before any request (mask
 * `proxySecrets(env)` first: its message names the variable, never its credentials).
 */
export function readEnvironment(
  env: NodeJS.ProcessEnv,
  exportEnv: boolean,
  refresh = false,
  protocol: 'http:' | 'https:' = 'https:'
): Environment {
  const files: Environment['files'] = { output: commandFile(env, 'GITHUB_OUTPUT') }
  if (exportEnv) files.env = commandFile(env, 'GITHUB_ENV')
  if (refresh) {
    files.path = commandFile(env, 'GITHUB_PATH')
    files.state = commandFile(env, 'GITHUB_STATE')
  }
  const runnerTemp = refresh ? requiredVariable(env, 'RUNNER_TEMP') : undefined
  const extraCaFile = env.NODE_EXTRA_CA_CERTS || undefined
  if (extraCaFile) checkCaFile(extraCaFile)
  return {
    files,
    runnerTemp,
    extraCaFile,
    proxies: readProxyEnvironment(env, protocol),
    tlsVerificationOffRequested: env.NODE_TLS_REJECT_UNAUTHORIZED === '0'
  }
}

function commandFile(env: NodeJS.ProcessEnv, variable: string): CommandFile {
  const path = env[variable]
  if (path) return { variable, path }
  throw new ActionError(
    `${variable} is not set, so the token cannot be handed to later steps: this action needs a runner that ` +
      'supports file commands and the node24 runtime (2.327.1 or later). Nothing was requested or published.'
  )
}

function requiredVariable(env: NodeJS.ProcessEnv, variable: string): string {
  const value = env[variable]
  if (value) return value
  throw new ActionError(
    `${variable} is not set, and refresh: true needs it for the token keeper: run the action on a GitHub ` +
      'Actions runner, or set refresh: false. Nothing was requested or published.'
  )
}

function checkCaFile(path: string): void {
  const shown = `'${logSafe(path, 200)}'`
  let contents: Buffer
  try {
    contents = readFileSync(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`
    throw new ActionError(
      `NODE_EXTRA_CA_CERTS is set to ${shown}, but that file ${problem}: check the path (a file from the ` +
        'repository needs actions/checkout before this step).'
    )
  }
  if (!contents.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ActionError(
      `NODE_EXTRA_CA_CERTS is set to ${shown}, but that file holds no PEM certificate ` +
        '(-----BEGIN CERTIFICATE-----): convert the CA certificate to PEM.'
    )
  }
}
