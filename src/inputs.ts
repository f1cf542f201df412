import { InputError } from './errors.js'
import { loadClientCertificate, type ClientCertificate } from './exchange/client-certificate.js'
import { isLoopbackHost } from './exchange/endpoint.js'
import { logSafe } from './text/log-text.js'

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
  timeout_seconds: '30',
  rate_limit_wait_seconds: '120',
  refresh: 'false',
  client_certificate: '',
  client_key: '',
  client_key_passphrase: ''
} as const

export type InputName = keyof typeof INPUT_DEFAULTS

export const AUTH_METHODS = ['client_secret_post', 'client_secret_basic'] as const
export type AuthMethod = (typeof AUTH_METHODS)[number]

/** The token endpoint path below `base_url`, as Datasaur serves it. */
export const TOKEN_PATH = 'api/oauth/token'

/**
 * Datasaur's credentials page gives the token endpoint on the default host, while its API guide and
 * its own clients use this one; when the default endpoint answers like something else, say so.
 */
export const OTHER_DOCUMENTED_BASE_URL = 'https://app.datasaur.ai'
const OTHER_HOST_HINT =
  `Datasaur also serves its API at ${OTHER_DOCUMENTED_BASE_URL}: if your workspace is there, set ` +
  `base_url: ${OTHER_DOCUMENTED_BASE_URL}.`

/**
 * The longest client_id or client_secret accepted, in characters. OAuth client credentials are
 * rarely over 256 characters (Datasaur's are far shorter); a longer value is a file or a wrong secret
 * pasted in, and is refused before any request, without being quoted.
 */
export const CREDENTIAL_LENGTH_LIMIT = 1024
export const MAX_ATTEMPTS_LIMIT = 10
export const TIMEOUT_SECONDS_LIMIT = 300
export const RATE_LIMIT_WAIT_SECONDS_LIMIT = 900

/** Everything the action needs, validated; built once by `getSettings`. */
export interface Settings {
  clientId: string
  clientSecret: string
  tokenUrl: URL
  /** The input `tokenUrl` came from, for messages that say what to check. */
  endpointInput: 'base_url' | 'token_url'
  /** A hint for answers that are not a token endpoint's, when the endpoint is the default one. */
  otherHostHint?: string
  /** Set when `base_url` was given but `token_url` overrides it. */
  baseUrlIgnored: boolean
  authMethod: AuthMethod
  scope: string
  exportEnv: boolean
  envName: string
  maxAttempts: number
  timeoutMs: number
  /** How long, from the first attempt, answers with Retry-After are waited for (rate_limit_wait_seconds). */
  rateLimitBudgetMs: number
  /** Keep a valid token available for the rest of the job, through the token keeper and `datasaur-token`. */
  refresh: boolean
  /** The TLS client certificate to present, when the server asks for one (client_certificate, client_key). */
  clientCertificate?: ClientCertificate
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
  const clientId = bounded('client_id', required('client_id', read('client_id')))
  bounded('client_secret', required('client_secret', clientSecret))

  const tokenUrlInput = read('token_url')
  const baseUrlInput = read('base_url')
  const tokenUrl = tokenUrlInput
    ? parseEndpoint('token_url', tokenUrlInput)
    : tokenUrlFromBase(parseBaseUrl(baseUrlInput))
  const defaultEndpoint = !tokenUrlInput && baseUrlInput === INPUT_DEFAULTS.base_url

  return {
    clientId,
    clientSecret,
    tokenUrl,
    endpointInput: tokenUrlInput ? 'token_url' : 'base_url',
    otherHostHint: defaultEndpoint ? OTHER_HOST_HINT : undefined,
    baseUrlIgnored: Boolean(tokenUrlInput) && baseUrlInput !== INPUT_DEFAULTS.base_url,
    authMethod: parseAuthMethod(read('auth_method')),
    scope: parseScope(read('scope')),
    exportEnv: parseBoolean('export_env', read('export_env')),
    envName: parseEnvName(read('env_name')),
    maxAttempts: parseMaxAttempts(read('max_attempts')),
    timeoutMs: parseSeconds('timeout_seconds', read('timeout_seconds'), TIMEOUT_SECONDS_LIMIT) * 1000,
    rateLimitBudgetMs:
      parseSeconds('rate_limit_wait_seconds', read('rate_limit_wait_seconds'), RATE_LIMIT_WAIT_SECONDS_LIMIT) * 1000,
    refresh: parseBoolean('refresh', read('refresh')),
    // Read last, and its key material masked as it is read.
    clientCertificate: loadClientCertificate(
      {
        certificate: source.getInput('client_certificate'),
        key: source.getInput('client_key'),
        passphrase: source.getInput('client_key_passphrase')
      },
      value => source.setSecret(value)
    )
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

function bounded(name: 'client_id' | 'client_secret', value: string): string {
  // Characters, not UTF-16 units: a value of astral characters counts each once.
  const length = value.length > CREDENTIAL_LENGTH_LIMIT ? Array.from(value).length : value.length
  if (length > CREDENTIAL_LENGTH_LIMIT) {
    throw new InputError(
      name,
      `Input '${name}' is ${length} characters long, more than the ${CREDENTIAL_LENGTH_LIMIT} a client credential ` +
        `can be; check that the ${name} secret holds the credential alone.`
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
  // A value that is no URL is quoted to show what was given, without anything that looks like
  // credentials (`//user:password@`).
  const quoted = quoteInput(value.replace(/\/\/[^/?#]*@/, '//***@'))
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError(
      name,
      `Input '${name}' is not a valid URL: ${quoted}. Expected an https URL such as https://datasaur.ai.`
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(name, `Input '${name}' must be an https URL, got the scheme '${logSafe(url.protocol, 20)}'.`)
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

/**
 * `base_url` is the deployment's root. Its two likely mix-ups, the GraphQL API's URL and the token
 * endpoint's, would otherwise be posted to as `<url>/api/oauth/token` and end in a bare 404.
 */
function parseBaseUrl(value: string): URL {
  const url = parseEndpoint('base_url', value)
  const path = url.pathname.replace(/\/+$/, '')
  const root = (suffix: RegExp): string => {
    const rootUrl = new URL(url.href)
    rootUrl.pathname = path.replace(suffix, '')
    return rootUrl.href.replace(/\/$/, '')
  }
  if (/\/graphql$/i.test(path)) {
    throw new InputError(
      'base_url',
      `Input 'base_url' is the GraphQL API's URL, ${url.href}; set it to the deployment's root ` +
        `(${root(/\/graphql$/i)}): the action adds /${TOKEN_PATH}.`
    )
  }
  if (/\/oauth\/token$/i.test(path)) {
    throw new InputError(
      'base_url',
      `Input 'base_url' is a token endpoint URL, ${url.href}; set base_url to the deployment's root ` +
        `(${root(/(\/api)?\/oauth\/token$/i)}), or pass the full endpoint URL as token_url.`
    )
  }
  return url
}

/**
 * An input's value as messages quote it: made log-safe, since an input may carry text a workflow does
 * not control (an issue title, say).
 */
function quoteInput(value: string): string {
  return `'${logSafe(value, 100)}'`
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
      `Input 'auth_method' must be one of ${AUTH_METHODS.join(', ')}; got ${quoteInput(value)}.`
    )
  }
  return method
}

/**
 * RFC 6749 §3.3: scope tokens of visible ASCII other than `"` and `\`, separated by spaces. Runs of
 * ASCII whitespace (a YAML block may bring line breaks) become one space; any other whitespace, such
 * as a no-break space, is not a separator and is refused.
 */
function parseScope(value: string): string {
  const scope = value.split(/[ \t\r\n]+/).join(' ')
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
  throw new InputError(name, `Input '${name}' must be a boolean (true or false); got ${quoteInput(value)}.`)
}

/**
 * Names a token must not take over, because something other than the later steps' own code reads
 * them: the runner (`GITHUB_`, `RUNNER_`, `ACTIONS_`, and `INPUT_`/`STATE_`, which feed later actions'
 * inputs and state), the dynamic loader (`LD_`, `DYLD_`), proxies (`*_PROXY`, any case), TLS and
 * language tools (`NODE_`, `NPM_CONFIG_`, `GIT_`, `SSH_`, `SSL`, `PYTHON`, `JAVA_`, `PERL`, `RUBY`,
 * `BASH`, `CURL_`, `DOTNET_`, `DOCKER_`, `CARGO_`, and the named ones below), the C library (`LC_`,
 * `GLIBC_TUNABLES`, `GCONV_PATH`) and shells. The README states the same rule.
 */
export const RESERVED_ENV_PREFIXES = [
  'GITHUB_',
  'RUNNER_',
  'ACTIONS_',
  'INPUT_',
  'STATE_',
  'LD_',
  'DYLD_',
  'NODE_',
  'NPM_CONFIG_',
  'GIT_',
  'SSH_',
  'SSL',
  'PYTHON',
  'JAVA_',
  'PERL',
  'RUBY',
  'BASH',
  'CURL_',
  'DOTNET_',
  'DOCKER_',
  'CARGO_',
  'LC_'
]
export const RESERVED_ENV_SUFFIX = '_PROXY'
export const RESERVED_ENV_NAMES = [
  'PATH',
  'HOME',
  'SHELL',
  'ENV',
  'IFS',
  'SHELLOPTS',
  'CDPATH',
  'PS4',
  'PROMPT_COMMAND',
  'TMPDIR',
  'TEMP',
  'TMP',
  'LANG',
  'TZ',
  'CI',
  'CLASSPATH',
  'JDK_JAVA_OPTIONS',
  '_JAVA_OPTIONS',
  'REQUESTS_CA_BUNDLE',
  'GLIBC_TUNABLES',
  'GCONV_PATH',
  'MAVEN_OPTS',
  'GRADLE_OPTS',
  'GOFLAGS',
  'RUSTFLAGS'
]

/**
 * A name with characters other than letters, digits and `_` cannot be read back as `$NAME` in a
 * shell, and a reserved name (see above) would change what later steps do. Windows treats names
 * without case, and so do proxy-aware tools (`all_proxy`), so the check ignores case.
 */
function parseEnvName(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw new InputError(
      'env_name',
      "Input 'env_name' must be a valid environment variable name (letters, digits and '_', not starting " +
        `with a digit); got ${quoteInput(value)}.`
    )
  }
  const upper = value.toUpperCase()
  const reserved =
    RESERVED_ENV_NAMES.includes(upper) ||
    RESERVED_ENV_PREFIXES.some(prefix => upper.startsWith(prefix)) ||
    upper.endsWith(RESERVED_ENV_SUFFIX)
  if (reserved) {
    throw new InputError(
      'env_name',
      `Input 'env_name' must not be ${value}: the runner, a shell or a tool in later steps reads that ` +
        'variable, and a token in it would change what they do. Choose another name, such as DATASAUR_ACCESS_TOKEN.'
    )
  }
  return value
}

function parseMaxAttempts(value: string): number {
  const attempts = /^\d+$/.test(value) ? Number(value) : NaN
  if (!(attempts >= 1 && attempts <= MAX_ATTEMPTS_LIMIT)) {
    throw new InputError(
      'max_attempts',
      `Input 'max_attempts' must be a whole number from 1 to ${MAX_ATTEMPTS_LIMIT}; got ${quoteInput(value)}.`
    )
  }
  return attempts
}

/** A number of seconds above 0 and at most `limit`, written as plain decimals. */
function parseSeconds(name: InputName, value: string, limit: number): number {
  const seconds = /^\d+(\.\d+)?$|^\.\d+$/.test(value) ? Number(value) : NaN
  if (!(seconds > 0 && seconds <= limit)) {
    throw new InputError(
      name,
      `Input '${name}' must be a number of seconds above 0 and at most ${limit}; got ${quoteInput(value)}.`
    )
  }
  return seconds
}
