/**
 * The keeper's environment, an allow-list of what the exchange needs: the system's paths, the proxy
 * and CA variables, RUNNER_TEMP, and RUNNER_TRACKING_ID, which the runner looks for at the end of the
 * job to end the processes a job left behind. Nothing else of the step's environment is passed on:
 * not the action's inputs (INPUT_*, the client secret among them), not the runner's tokens
 * (ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_*), not NODE_OPTIONS.
 */
export const KEEPER_VARIABLES = [
  'PATH',
  'HOME',
  'USERPROFILE',
  'SYSTEMROOT',
  'SYSTEMDRIVE',
  'WINDIR',
  'TEMP',
  'TMP',
  'TMPDIR',
  'RUNNER_TEMP',
  'RUNNER_TRACKING_ID',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'NODE_EXTRA_CA_CERTS',
  'NODE_USE_SYSTEM_CA',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR'
]

/** The allowed variables of `env`, in whatever case they are set (Windows ignores case, proxies use both). */
export function keeperEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const allowed = new Set(KEEPER_VARIABLES)
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && allowed.has(name.toUpperCase())) result[name] = value
  }
  return result
}
