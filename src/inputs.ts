import { InputError } from './errors.js'
import { isLoopbackHost } from './endpoint.js'

/**
 * Input names and the defaults `action.yml` declares for them. A test keeps the two identical, so
 * this is the one list to change when an input is added. `undefined` marks a required input.
 */
export const INPUT_DEFAULTS = {
  client_id: undefined,
  client_secret: undefined,
  base_url: 'https://datasaur.ai',
  token_url: '',
  auth_method: 'client_secret_post',
  scope: '',
  export_env: 'true',
  env_name: 'DATASAUR_ACCESS_TOKEN',
  max_attempts: '5',
  timeout_seconds: '30'
} as const

export type InputName = keyof typeof INPUT_DEFAULTS

export const AUTH_METHODS = ['client_secret_post', 'client_secret_basic'] as const
export type AuthMethod = (typeof AUTH_METHODS)[number]

/** The token endpoint path below `base_url`, as Datasaur serves it. */
export const TOKEN_PATH = 'api/oauth/token'

export const MAX_ATTEMPTS_LIMIT = 10
export const TIMEOUT_SECONDS_LIMIT = 300

/** Everything the action needs, validated; built once by `getSettings`. */
export interface Settings {
  clientId: string
  clientSecret: string
  tokenUrl: URL
  authMethod: AuthMethod
  scope: string
  exportEnv: boolean
  envName: string
  maxAttempts: number
  timeoutMs: number
}

/** How inputs reach this module: `main.ts` passes `@actions/core`'s functions. */
export interface InputSource {
  /** The input's value, trimmed; empty when unset. */
  getInput(name: InputName): string
  /** Registers a value with the runner's log masking. */
  setSecret(value: string): void
}

/**
 * Reads and validates every input. The secret is masked the moment it is read, before any check
 * that could fail, so no later message can reveal it. Throws `InputError` naming the first bad input.
 */
export function getSettings(source: InputSource): Settings {
  const clientSecret = source.getInput('client_secret')
  if (clientSecret) source.setSecret(clientSecret)
  // The runner fills in action.yml's defaults; an input set to '' explicitly gets the default too.
  const read = (name: InputName): string => source.getInput(name) || (INPUT_DEFAULTS[name] ?? '')
  const clientId = required('client_id', read('client_id'))
  required('client_secret', clientSecret)

  const tokenUrlInput = read('token_url')
  const tokenUrl = tokenUrlInput
    ? parseEndpoint('token_url', tokenUrlInput)
    : tokenUrlFromBase(parseEndpoint('base_url', read('base_url')))

  return {
    clientId,
    clientSecret,
    tokenUrl,
    authMethod: parseAuthMethod(read('auth_method')),
    scope: parseScope(read('scope')),
    exportEnv: parseBoolean('export_env', read('export_env')),
    envName: parseEnvName(read('env_name')),
    maxAttempts: parseMaxAttempts(read('max_attempts')),
    timeoutMs: parseTimeout(read('timeout_seconds')) * 1000
  }
}

function required(name: InputName, value: string): string {
  if (!value) {
    throw new InputError(
      name,
      `Input '${name}' is required but was empty. If it comes from a secret or variable, make sure it ` +
        'is defined and available to this workflow (secrets are not passed to workflows triggered from forks).'
    )
  }
  return value
}

/**
 * Parses `base_url` or `token_url`. Credentials must travel only over TLS, so plain http is accepted
 * for loopback hosts alone (local test endpoints). RFC 6749 §3.2: the endpoint URI must not include
 * a fragment; a query is allowed on `token_url` and kept.
 */
function parseEndpoint(name: 'base_url' | 'token_url', value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError(name, `Input '${name}' is not a valid URL. Expected an https URL such as https://datasaur.ai.`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(name, `Input '${name}' must be an https URL, got the scheme '${url.protocol}'.`)
  }
  if (url.username || url.password) {
    throw new InputError(
      name,
      `Input '${name}' must not contain credentials (user:password@); pass them as client_id and client_secret.`
    )
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new InputError(
      name,
      `Input '${name}' uses plain http to '${url.hostname}'; use https so the credentials are encrypted in transit.`
    )
  }
  if (value.includes('#') || (name === 'base_url' && (url.search || value.includes('?')))) {
    const what = name === 'base_url' ? 'a query or fragment' : 'a fragment'
    throw new InputError(name, `Input '${name}' must not contain ${what}.`)
  }
  return url
}

/** `<base_url>/api/oauth/token`, keeping a path prefix and ignoring a trailing slash. */
export function tokenUrlFromBase(base: URL): URL {
  const url = new URL(base.href)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${TOKEN_PATH}`
  return url
}

function parseAuthMethod(value: string): AuthMethod {
  const method = AUTH_METHODS.find(m => m === value)
  if (!method) {
    throw new InputError(
      'auth_method',
      `Input 'auth_method' must be one of ${AUTH_METHODS.join(', ')}; got '${value}'.`
    )
  }
  return method
}

/** RFC 6749 §3.3: space-separated scope tokens of visible ASCII other than `"` and `\`. */
function parseScope(value: string): string {
  const scope = value.split(/\s+/).filter(Boolean).join(' ')
  if (!/^[\x21\x23-\x5B\x5D-\x7E ]*$/.test(scope)) {
    throw new InputError(
      'scope',
      "Input 'scope' must be space-separated scope names of visible ASCII characters, without '\"' or '\\'."
    )
  }
  return scope
}

/** The YAML 1.2 core-schema booleans, as `core.getBooleanInput` accepts them. */
function parseBoolean(name: InputName, value: string): boolean {
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new InputError(name, `Input '${name}' must be a boolean (true or false); got '${value}'.`)
}

/**
 * Variables that shells, Node, the dynamic loader or HTTP clients act on (this action among them, in
 * the proxy and private-CA setup): a token in their place breaks later steps.
 */
const PROTECTED_ENV_NAMES = [
  'PATH',
  'HOME',
  'SHELL',
  'ENV',
  'BASH_ENV',
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
  'DYLD_INSERT_LIBRARIES',
  'CI'
]

/**
 * The runner rejects or misbehaves on variables it owns, and a name with other characters cannot be
 * read back as `$NAME` in a shell, so both are refused up front. Windows treats names without case.
 */
function parseEnvName(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw new InputError(
      'env_name',
      `Input 'env_name' must be a valid environment variable name (letters, digits and '_', not starting with a digit); got '${value}'.`
    )
  }
  if (/^(GITHUB|RUNNER|ACTIONS)_/i.test(value)) {
    throw new InputError(
      'env_name',
      `Input 'env_name' must not start with GITHUB_, RUNNER_ or ACTIONS_, which the runner reserves; got '${value}'.`
    )
  }
  if (PROTECTED_ENV_NAMES.includes(value.toUpperCase())) {
    throw new InputError(
      'env_name',
      `Input 'env_name' must not replace ${value.toUpperCase()}, which later steps depend on; choose another name.`
    )
  }
  return value
}

function parseMaxAttempts(value: string): number {
  const attempts = /^\d+$/.test(value) ? Number(value) : NaN
  if (!(attempts >= 1 && attempts <= MAX_ATTEMPTS_LIMIT)) {
    throw new InputError(
      'max_attempts',
      `Input 'max_attempts' must be a whole number from 1 to ${MAX_ATTEMPTS_LIMIT}; got '${value}'.`
    )
  }
  return attempts
}

function parseTimeout(value: string): number {
  const seconds = /^\d+(\.\d+)?$|^\.\d+$/.test(value) ? Number(value) : NaN
  if (!(seconds > 0 && seconds <= TIMEOUT_SECONDS_LIMIT)) {
    throw new InputError(
      'timeout_seconds',
      `Input 'timeout_seconds' must be a number of seconds above 0 and at most ${TIMEOUT_SECONDS_LIMIT}; got '${value}'.`
    )
  }
  return seconds
}
