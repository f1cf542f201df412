import { describe, expect, it } from '@jest/globals'
import { InputError } from '../src/errors.js'
import { CREDENTIAL_LENGTH_LIMIT, getSettings, INPUT_DEFAULTS, type InputName } from '../src/inputs.js'

/** An input source like the runner's: given values, action.yml defaults for the rest. */
function source(values: Partial<Record<InputName, string>>) {
  const masked: string[] = []
  const calls: string[] = []
  return {
    masked,
    calls,
    getInput(name: InputName) {
      calls.push(`get:${name}`)
      return (values[name] ?? INPUT_DEFAULTS[name] ?? '').trim()
    },
    setSecret(value: string) {
      calls.push(`mask:${value}`)
      masked.push(value)
    }
  }
}

const valid = { client_id: 'id', client_secret: 's3cret' }

function inputError(values: Partial<Record<InputName, string>>): InputError {
  try {
    getSettings(source(values))
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}

describe('getSettings', () => {
  it('applies the defaults', () => {
    const settings = getSettings(source(valid))
    expect(settings).toEqual({
      clientId: 'id',
      clientSecret: 's3cret',
      tokenUrl: new URL('https://datasaur.ai/api/oauth/token'),
      endpointInput: 'base_url',
      otherHostHint: expect.stringContaining('https://app.datasaur.ai'),
      baseUrlIgnored: false,
      authMethod: 'client_secret_post',
      scope: '',
      exportEnv: true,
      envName: 'DATASAUR_ACCESS_TOKEN',
      maxAttempts: 5,
      timeoutMs: 30_000,
      rateLimitBudgetMs: 120_000,
      refresh: false
    })
  })

  it('masks the secret before reading anything else', () => {
    const src = source(valid)
    getSettings(src)
    expect(src.calls.slice(0, 2)).toEqual(['get:client_secret', 'mask:s3cret'])
  })

  it('masks the secret even when a later input is invalid', () => {
    const src = source({ ...valid, auth_method: 'nope' })
    expect(() => getSettings(src)).toThrow(InputError)
    expect(src.masked).toEqual(['s3cret'])
  })

  it.each([
    ['https://datasaur.ai', 'https://datasaur.ai/api/oauth/token'],
    ['https://datasaur.ai/', 'https://datasaur.ai/api/oauth/token'],
    ['https://host.example/datasaur', 'https://host.example/datasaur/api/oauth/token'],
    ['https://host.example/datasaur//', 'https://host.example/datasaur/api/oauth/token'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/api/oauth/token'],
    ['http://localhost:8080/x/', 'http://localhost:8080/x/api/oauth/token'],
    ['http://[::1]:8080', 'http://[::1]:8080/api/oauth/token']
  ])('derives the token endpoint from base_url %s', (baseUrl, expected) => {
    expect(getSettings(source({ ...valid, base_url: baseUrl })).tokenUrl.href).toBe(expected)
  })

  it('lets token_url override base_url and keeps its query', () => {
    const settings = getSettings(
      source({ ...valid, base_url: 'https://ignored.example', token_url: 'https://auth.example/t?tenant=a' })
    )
    expect(settings.tokenUrl.href).toBe('https://auth.example/t?tenant=a')
  })

  it('reads every other input', () => {
    const settings = getSettings(
      source({
        ...valid,
        auth_method: 'client_secret_basic',
        scope: '  read   write ',
        export_env: 'False',
        env_name: 'MY_TOKEN',
        max_attempts: '10',
        timeout_seconds: '0.5',
        rate_limit_wait_seconds: '900'
      })
    )
    expect(settings).toMatchObject({
      authMethod: 'client_secret_basic',
      scope: 'read write',
      exportEnv: false,
      envName: 'MY_TOKEN',
      maxAttempts: 10,
      timeoutMs: 500,
      rateLimitBudgetMs: 900_000
    })
  })

  it.each(['true', 'True', 'TRUE'])('accepts the YAML boolean %s', value => {
    expect(getSettings(source({ ...valid, export_env: value })).exportEnv).toBe(true)
  })

  it.each(['false', 'False', 'FALSE'])('accepts the YAML boolean %s', value => {
    expect(getSettings(source({ ...valid, export_env: value })).exportEnv).toBe(false)
  })

  it.each([
    ['true', true],
    ['FALSE', false]
  ])('reads refresh %s as %s', (value, expected) => {
    expect(getSettings(source({ ...valid, refresh: value })).refresh).toBe(expected)
  })

  it('masks nothing when the secret is empty, and says it is required', () => {
    const src = source({ client_id: 'id', client_secret: '' })
    expect(() => getSettings(src)).toThrow(/Input 'client_secret' is required/)
    expect(src.masked).toEqual([])
  })

  it('joins scope names separated by runs of spaces, tabs or line breaks with one space', () => {
    expect(getSettings(source({ ...valid, scope: 'read  \t write\n\nadmin' })).scope).toBe('read write admin')
  })

  it.each([
    ['0.25', 250],
    ['.25', 250],
    ['.5', 500],
    ['300', 300_000]
  ])('reads timeout_seconds %s as %i ms', (value, ms) => {
    expect(getSettings(source({ ...valid, timeout_seconds: value })).timeoutMs).toBe(ms)
  })

  it.each(['+1', '2e1', '+.5', '.5e1', '1.', '1..5', ' 5x'])('refuses timeout_seconds %j', value => {
    expect(inputError({ ...valid, timeout_seconds: value }).input).toBe('timeout_seconds')
  })

  it.each([
    'https://datasaur.example/graphql-gateway',
    'https://datasaur.example/graphql/v2',
    'https://datasaur.example/oauth/token-service'
  ])('takes %s as a deployment root', value => {
    expect(getSettings(source({ ...valid, base_url: value })).tokenUrl.href).toBe(
      `${value}/api/oauth/token`.replace('//api', '/api')
    )
  })

  it.each([
    ['client_id', { client_id: '' }, /Input 'client_id' is required.*forks/],
    ['client_secret', { client_secret: '' }, /Input 'client_secret' is required.*forks/],
    ['base_url', { base_url: 'not a url' }, /Input 'base_url' is not a valid URL/],
    ['base_url', { base_url: 'ftp://datasaur.ai' }, /Input 'base_url' must be an https URL/],
    ['base_url', { base_url: 'http://datasaur.ai' }, /Input 'base_url' uses plain http.*use https/],
    ['base_url', { base_url: 'http://127.0.0.1.example.com' }, /plain http/],
    ['base_url', { base_url: 'https://datasaur.ai/?x=1' }, /Input 'base_url' must not contain a query/],
    ['base_url', { base_url: 'https://user:pass@datasaur.ai' }, /Input 'base_url' must not contain credentials/],
    ['token_url', { token_url: 'https://datasaur.ai/token#frag' }, /Input 'token_url' must not contain a fragment/],
    ['token_url', { token_url: 'https://datasaur.ai/token#' }, /Input 'token_url' must not contain a fragment/],
    ['base_url', { base_url: 'https://datasaur.ai/?' }, /Input 'base_url' must not contain a query/],
    ['token_url', { token_url: 'https://u:p@datasaur.ai/token' }, /Input 'token_url' must not contain credentials/],
    [
      'auth_method',
      { auth_method: 'basic' },
      /Input 'auth_method' must be one of client_secret_post, client_secret_basic/
    ],
    ['scope', { scope: 'read "write"' }, /Input 'scope' must be space-separated/],
    ['export_env', { export_env: 'yes' }, /Input 'export_env' must be a boolean/],
    ['refresh', { refresh: 'on' }, /Input 'refresh' must be a boolean \(true or false\); got 'on'/],
    ['env_name', { env_name: '1TOKEN' }, /Input 'env_name' must be a valid environment variable name/],
    ['env_name', { env_name: 'MY-TOKEN' }, /Input 'env_name' must be a valid environment variable name/],
    ['base_url', { base_url: 'datasaur.ai' }, /Input 'base_url' is not a valid URL: 'datasaur\.ai'\./],
    [
      'token_url',
      { token_url: 'https://bob:hunter2-pw@datasaur.example:443x/t' },
      /^Input 'token_url' is not a valid URL: 'https:\/\/\*\*\*@datasaur\.example:443x\/t'\./
    ],
    [
      'base_url',
      { base_url: 'https://app.datasaur.ai/graphql' },
      /Input 'base_url' is the GraphQL API's URL, https:\/\/app\.datasaur\.ai\/graphql; set it to the deployment's root \(https:\/\/app\.datasaur\.ai\): the action adds \/api\/oauth\/token\./
    ],
    [
      'base_url',
      { base_url: 'https://datasaur.example/prefix/graphql/' },
      /root \(https:\/\/datasaur\.example\/prefix\)/
    ],
    [
      'base_url',
      { base_url: 'https://datasaur.ai/api/oauth/token' },
      /Input 'base_url' is a token endpoint URL, https:\/\/datasaur\.ai\/api\/oauth\/token; set base_url to the deployment's root \(https:\/\/datasaur\.ai\), or pass the full endpoint URL as token_url\./
    ],
    ['base_url', { base_url: 'https://h.example/ds/oauth/token' }, /root \(https:\/\/h\.example\/ds\)/],
    ['base_url', { base_url: 'https://app.datasaur.ai/graphql//' }, /root \(https:\/\/app\.datasaur\.ai\)/],
    ['base_url', { base_url: 'https://h.example/graphql/x/graphql' }, /root \(https:\/\/h\.example\/graphql\/x\)/],
    [
      'base_url',
      { base_url: 'https://h.example/oauth/token/x/api/oauth/token' },
      /root \(https:\/\/h\.example\/oauth\/token\/x\)/
    ],
    ['base_url', { base_url: 'https://user@datasaur.ai' }, /Input 'base_url' must not contain credentials/],
    ['scope', { scope: 'read\u00a0write' }, /Input 'scope' must be space-separated/],
    ['scope', { scope: 'read\u3000write' }, /Input 'scope' must be space-separated/],
    ['env_name', { env_name: '##[add-mask]x' }, /got '# #\[add-mask\]x'/],
    ['max_attempts', { max_attempts: '0' }, /Input 'max_attempts' must be a whole number from 1 to 10/],
    ['max_attempts', { max_attempts: '11' }, /Input 'max_attempts'/],
    ['max_attempts', { max_attempts: '2.5' }, /Input 'max_attempts'/],
    ['timeout_seconds', { timeout_seconds: '0' }, /Input 'timeout_seconds' must be a number of seconds above 0/],
    ['timeout_seconds', { timeout_seconds: '301' }, /Input 'timeout_seconds'/],
    ['timeout_seconds', { timeout_seconds: '-1' }, /Input 'timeout_seconds'/],
    ['timeout_seconds', { timeout_seconds: '1e3' }, /Input 'timeout_seconds'/],
    [
      'rate_limit_wait_seconds',
      { rate_limit_wait_seconds: '0' },
      /^Input 'rate_limit_wait_seconds' must be a number of seconds above 0 and at most 900; got '0'\.$/
    ],
    ['rate_limit_wait_seconds', { rate_limit_wait_seconds: '901' }, /at most 900; got '901'/],
    ['rate_limit_wait_seconds', { rate_limit_wait_seconds: 'forever' }, /got 'forever'/]
  ])('rejects a bad %s: %j', (name, values, message) => {
    const error = inputError({ ...valid, ...values })
    expect(error.input).toBe(name)
    expect(error.message).toMatch(message)
    expect(error.message).not.toContain('s3cret')
  })
})

describe('getSettings: credentials longer than any client credential', () => {
  it.each(['client_id', 'client_secret'] as const)('accepts a %s of 1024 characters', name => {
    const value = 'x'.repeat(CREDENTIAL_LENGTH_LIMIT)
    const settings = getSettings(source({ ...valid, [name]: value }))
    expect(name === 'client_id' ? settings.clientId : settings.clientSecret).toBe(value)
  })

  it.each(['client_id', 'client_secret'] as const)(
    'refuses a %s of 1025 characters, naming it and quoting nothing of it',
    name => {
      const error = inputError({ ...valid, [name]: 'x'.repeat(CREDENTIAL_LENGTH_LIMIT + 1) })
      expect(error.input).toBe(name)
      expect(error.message).toBe(
        `Input '${name}' is 1025 characters long, more than the 1024 a client credential can be; ` +
          `check that the ${name} secret holds the credential alone.`
      )
    }
  )

  it('counts characters, not UTF-16 units', () => {
    const astral = '\u{1F511}'
    expect(getSettings(source({ ...valid, client_secret: astral.repeat(1024) })).clientSecret).toHaveLength(2048)
    expect(inputError({ ...valid, client_secret: astral.repeat(1025) }).message).toMatch(/ is 1025 characters long/)
  })

  it('masks an over-long secret before refusing it, and reads no input after the credentials', () => {
    const secret = 's'.repeat(100_000)
    const src = source({ ...valid, client_secret: secret })
    expect(() => getSettings(src)).toThrow(/Input 'client_secret' is 100000 characters long/)
    expect(src.masked).toEqual([secret])
    expect(src.calls).toEqual(['get:client_secret', `mask:${secret}`, 'get:client_id'])
  })

  it('checks client_id first', () => {
    const long = 'x'.repeat(2000)
    expect(inputError({ client_id: long, client_secret: long }).input).toBe('client_id')
  })
})

describe('getSettings with inputs set to empty strings', () => {
  it('uses the defaults of action.yml', () => {
    const given: Partial<Record<InputName, string>> = { client_id: 'id', client_secret: 's' }
    const settings = getSettings({ getInput: name => given[name] ?? '', setSecret: () => undefined })
    expect(settings).toMatchObject({
      tokenUrl: new URL('https://datasaur.ai/api/oauth/token'),
      authMethod: 'client_secret_post',
      exportEnv: true,
      envName: 'DATASAUR_ACCESS_TOKEN',
      maxAttempts: 5,
      timeoutMs: 30_000
    })
  })
})

describe('env_name: names a later step, tool or the runner reads are refused', () => {
  // The rule README states: reserved prefixes, the *_PROXY suffix and a list of names, in any case.
  it.each([
    'GITHUB_TOKEN',
    'runner_temp',
    'ACTIONS_RUNTIME_TOKEN',
    'INPUT_CLIENT_SECRET',
    'input_token',
    'STATE_isPost',
    'LD_PRELOAD',
    'LD_LIBRARY_PATH',
    'DYLD_INSERT_LIBRARIES',
    'ALL_PROXY',
    'all_proxy',
    'FTP_PROXY',
    'https_proxy',
    'HTTP_PROXY',
    'NO_PROXY',
    'NODE_OPTIONS',
    'node_options',
    'NODE_TLS_REJECT_UNAUTHORIZED',
    'NODE_EXTRA_CA_CERTS',
    'NODE_AUTH_TOKEN',
    'NPM_CONFIG_REGISTRY',
    'SSL_CERT_FILE',
    'SSLKEYLOGFILE',
    'GIT_SSH_COMMAND',
    'GIT_ASKPASS',
    'SSH_AUTH_SOCK',
    'JAVA_TOOL_OPTIONS',
    'JDK_JAVA_OPTIONS',
    '_JAVA_OPTIONS',
    'CLASSPATH',
    'PYTHONPATH',
    'PYTHONSTARTUP',
    'PERL5OPT',
    'RUBYOPT',
    'BASH_ENV',
    'BASHOPTS',
    'CURL_CA_BUNDLE',
    'REQUESTS_CA_BUNDLE',
    'DOTNET_ROOT',
    'DOCKER_HOST',
    'CARGO_HOME',
    'LC_ALL',
    'GLIBC_TUNABLES',
    'GCONV_PATH',
    'MAVEN_OPTS',
    'GRADLE_OPTS',
    'GOFLAGS',
    'RUSTFLAGS',
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
    'CI'
  ])('refuses %s', name => {
    const error = inputError({ ...valid, env_name: name })
    expect(error.input).toBe('env_name')
    expect(error.message).toBe(
      `Input 'env_name' must not be ${name}: the runner, a shell or a tool in later steps reads that variable, ` +
        'and a token in it would change what they do. Choose another name, such as DATASAUR_ACCESS_TOKEN.'
    )
  })

  it.each(['DATASAUR_ACCESS_TOKEN', 'DATASAUR_TOKEN', 'MY_TOKEN', 'TOKEN', 'datasaur_token', 'PROXY_TOKEN', '_TOKEN'])(
    'accepts %s',
    name => expect(getSettings(source({ ...valid, env_name: name })).envName).toBe(name)
  )
})

describe('getSettings: where the endpoint came from', () => {
  it('names base_url and offers the other documented host for the default endpoint', () => {
    const settings = getSettings(source(valid))
    expect(settings).toMatchObject({ endpointInput: 'base_url', baseUrlIgnored: false })
    expect(settings.otherHostHint).toBe(
      'Datasaur also serves its API at https://app.datasaur.ai: if your workspace is there, set base_url: https://app.datasaur.ai.'
    )
  })

  it('offers no other host once base_url is set', () => {
    const settings = getSettings(source({ ...valid, base_url: 'https://datasaur.example' }))
    expect(settings).toMatchObject({ endpointInput: 'base_url', otherHostHint: undefined, baseUrlIgnored: false })
  })

  it('names token_url when it is set, and says base_url is then unused', () => {
    const settings = getSettings(
      source({ ...valid, base_url: 'https://datasaur.example', token_url: 'https://auth.example/token' })
    )
    expect(settings).toMatchObject({ endpointInput: 'token_url', otherHostHint: undefined, baseUrlIgnored: true })
    expect(settings.tokenUrl.href).toBe('https://auth.example/token')
    expect(getSettings(source({ ...valid, token_url: 'https://auth.example/token' })).baseUrlIgnored).toBe(false)
  })

  it('keeps an IPv6 literal as the URL writes it', () => {
    expect(getSettings(source({ ...valid, base_url: 'http://[::1]:8080' })).tokenUrl.href).toBe(
      'http://[::1]:8080/api/oauth/token'
    )
  })
})
