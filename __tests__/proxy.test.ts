import { describe, expect, it } from '@jest/globals'
import { ActionError } from '../src/errors.js'
import {
  bypassesProxy,
  endpointProtocol,
  parseProxy,
  proxyCredentials,
  proxyFor,
  proxySecrets,
  readProxyEnvironment,
  type Proxy
} from '../src/exchange/proxy.js'

function parsed(value: string): Omit<Proxy, 'variable'> {
  const { variable, ...rest } = parseProxy('https_proxy', value)
  expect(variable).toBe('https_proxy')
  return rest
}

function failure(variable: string, value: string): ActionError {
  try {
    parseProxy(variable, value)
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError)
    return error as ActionError
  }
  throw new Error(`expected ${value} to be refused`)
}

describe('parseProxy: the forms curl accepts', () => {
  it.each<[string, Omit<Proxy, 'variable'>]>([
    ['http://proxy.corp:3128', { protocol: 'http:', hostname: 'proxy.corp', port: 3128, address: 'proxy.corp:3128' }],
    ['proxy.corp:3128', { protocol: 'http:', hostname: 'proxy.corp', port: 3128, address: 'proxy.corp:3128' }],
    ['localhost:3128', { protocol: 'http:', hostname: 'localhost', port: 3128, address: 'localhost:3128' }],
    ['127.0.0.1:3128', { protocol: 'http:', hostname: '127.0.0.1', port: 3128, address: '127.0.0.1:3128' }],
    ['proxy.corp', { protocol: 'http:', hostname: 'proxy.corp', port: 80, address: 'proxy.corp:80' }],
    ['proxy.corp:', { protocol: 'http:', hostname: 'proxy.corp', port: 80, address: 'proxy.corp:80' }],
    ['https://proxy.corp', { protocol: 'https:', hostname: 'proxy.corp', port: 443, address: 'proxy.corp:443' }],
    [
      'HTTPS://Proxy.Corp:8443/',
      { protocol: 'https:', hostname: 'proxy.corp', port: 8443, address: 'proxy.corp:8443' }
    ],
    [
      'http://proxy.corp:3128/path?q#f',
      { protocol: 'http:', hostname: 'proxy.corp', port: 3128, address: 'proxy.corp:3128' }
    ],
    ['proxy.corp:3128?q', { protocol: 'http:', hostname: 'proxy.corp', port: 3128, address: 'proxy.corp:3128' }],
    ['proxy.corp:3128#f', { protocol: 'http:', hostname: 'proxy.corp', port: 3128, address: 'proxy.corp:3128' }],
    ['pr%6Fxy.corp', { protocol: 'http:', hostname: 'proxy.corp', port: 80, address: 'proxy.corp:80' }],
    ['http://[::1]:3128', { protocol: 'http:', hostname: '::1', port: 3128, address: '[::1]:3128' }],
    ['[2001:db8::7]', { protocol: 'http:', hostname: '2001:db8::7', port: 80, address: '[2001:db8::7]:80' }],
    [
      'http://proxy.corp:65535',
      { protocol: 'http:', hostname: 'proxy.corp', port: 65535, address: 'proxy.corp:65535' }
    ],
    ['http://proxy.corp:1', { protocol: 'http:', hostname: 'proxy.corp', port: 1, address: 'proxy.corp:1' }],
    ['http://proxy.corp:00080', { protocol: 'http:', hostname: 'proxy.corp', port: 80, address: 'proxy.corp:80' }],
    [
      'user:pw@proxy.internal:3128',
      { protocol: 'http:', hostname: 'proxy.internal', port: 3128, address: 'proxy.internal:3128', auth: 'user:pw' }
    ],
    [
      'http://user:50%off@proxy:3128',
      { protocol: 'http:', hostname: 'proxy', port: 3128, address: 'proxy:3128', auth: 'user:50%off' }
    ],
    [
      'http://ci%40corp:p%40ss%3Aw%zz@proxy:3128',
      { protocol: 'http:', hostname: 'proxy', port: 3128, address: 'proxy:3128', auth: 'ci@corp:p@ss:w%zz' }
    ],
    [
      'http://user:p@ss/w#rd?@proxy:3128',
      { protocol: 'http:', hostname: 'proxy', port: 3128, address: 'proxy:3128', auth: 'user:p@ss/w#rd?' }
    ],
    [
      'http://tok3n@proxy:3128',
      { protocol: 'http:', hostname: 'proxy', port: 3128, address: 'proxy:3128', auth: 'tok3n:' }
    ],
    ['http://user:@proxy', { protocol: 'http:', hostname: 'proxy', port: 80, address: 'proxy:80', auth: 'user:' }],
    ['http://@proxy:3128', { protocol: 'http:', hostname: 'proxy', port: 3128, address: 'proxy:3128' }],
    ['http://:pw@proxy', { protocol: 'http:', hostname: 'proxy', port: 80, address: 'proxy:80', auth: ':pw' }]
  ])('%s', (value, proxy) => {
    expect(parsed(value)).toEqual(proxy)
  })
})

describe('parseProxy: a value it cannot use', () => {
  const FORM =
    'write it as http://host:port (or host:port, or https://host:port for TLS to the proxy), with user:password@ ' +
    'before the host if the proxy needs credentials. Nothing was requested.'

  it.each([
    ['socks5://user:s3cret@proxy:1080', 'socks5'],
    ['SOCKS5H://proxy:1080', 'socks5h'],
    ['socks4://proxy', 'socks4'],
    ['socks4a://proxy', 'socks4a'],
    ['socks://proxy', 'socks']
  ])('%s: a SOCKS proxy', (value, scheme) => {
    expect(failure('ALL_PROXY', value).message).toBe(
      `ALL_PROXY names a SOCKS proxy (${scheme}://), which this action does not support: in the env of this step, ` +
        "set https_proxy to an HTTP or HTTPS proxy, or set ALL_PROXY to '' if the endpoint is reachable directly. " +
        'Nothing was requested.'
    )
  })

  it.each([
    ['ftp://user:s3cret@proxy:21', 'it has the scheme ftp://, which is not http:// or https://'],
    ['u:s3cret://proxy', 'it is not a URL this action can read as a proxy'],
    [
      'a-very-long-scheme-name-x://proxy',
      'it has the scheme a-very-long-scheme-n://, which is not http:// or https://'
    ],
    ['1http://proxy', 'it is not a URL this action can read as a proxy'],
    ['http://user:s3cret@', 'it has no proxy host'],
    ['http://user:s3cret@:3128', 'it has no proxy host'],
    ['', 'it has no proxy host'],
    ['http://user:s3cret@[]:3128', 'it has no proxy host'],
    [
      'http://user:s3cret@prox y:3128',
      'it has a host that is not a valid host name or IP address (an IPv6 address goes in brackets)'
    ],
    [
      'http://user:s3cret@proxy\\evil:3128',
      'it has a host that is not a valid host name or IP address (an IPv6 address goes in brackets)'
    ],
    [
      'http://user:s3cret@[::1',
      'it has a host that is not a valid host name or IP address (an IPv6 address goes in brackets)'
    ],
    [
      'http://user:s3cret@[::1]3128',
      'it has a host that is not a valid host name or IP address (an IPv6 address goes in brackets)'
    ],
    [
      'http://user:s3cret@[zz]:3128',
      'it has a host that is not a valid host name or IP address (an IPv6 address goes in brackets)'
    ],
    ['http://user:s3cret@proxy:99999', 'it has a port that is not a number from 1 to 65535 (http://proxy)'],
    ['https://user:s3cret@proxy:0', 'it has a port that is not a number from 1 to 65535 (https://proxy)'],
    ['http://user:s3cret@[::1]:x', 'it has a port that is not a number from 1 to 65535 (http://[::1])'],
    ['http://user:s3cret@proxy:3128:1', 'it has a port that is not a number from 1 to 65535 (http://proxy)'],
    ['http://user:s3cret@proxy:123456', 'it has a port that is not a number from 1 to 65535 (http://proxy)'],
    ['http://@proxy:99999', 'it has a port that is not a number from 1 to 65535 (http://proxy)'],
    [
      'http://user:s3cret@x[::1]:3128',
      'it has a host that is not a valid host name or IP address (an IPv6 address goes in brackets)'
    ]
  ])('%s', (value, problem) => {
    const error = failure('https_proxy', value)
    expect(error.message).toBe(`https_proxy is set to a proxy this action cannot use: ${problem}; ${FORM}`)
  })

  it('quotes neither user nor "port" of a value without @, where they may be a user name and a password', () => {
    for (const value of ['ci-user:s3cret', 'ci-user:123456', 'http://ci-user:99999']) {
      const { message } = failure('HTTPS_PROXY', value)
      expect(message).toBe(
        'HTTPS_PROXY is set to a proxy this action cannot use: it has a port that is not a number from 1 to ' +
          `65535; ${FORM}`
      )
      expect(message).not.toMatch(/ci-user|s3cret|123456|99999/)
    }
  })

  it('quotes no credential of any refused value', () => {
    for (const value of ['socks5://ci-user:s3cret@p', 'ftp://ci-user:s3cret@p', 'http://ci-user:s3cret@:1']) {
      expect(failure('https_proxy', value).message).not.toMatch(/ci-user|s3cret/)
    }
  })
})

describe('readProxyEnvironment: which variable applies', () => {
  const all = {
    https_proxy: 'http://a:1',
    HTTPS_PROXY: 'http://b:2',
    http_proxy: 'http://c:3',
    HTTP_PROXY: 'http://d:4',
    all_proxy: 'http://e:5',
    ALL_PROXY: 'http://f:6'
  }
  const chosen = (env: NodeJS.ProcessEnv, protocol: 'http:' | 'https:' = 'https:') =>
    readProxyEnvironment(env, protocol).proxy?.variable

  it('reads https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY for https, in that order', () => {
    expect(chosen(all)).toBe('https_proxy')
    expect(chosen({ ...all, https_proxy: undefined })).toBe('HTTPS_PROXY')
    expect(chosen({ ...all, https_proxy: '', HTTPS_PROXY: '' })).toBe('all_proxy')
    expect(chosen({ ALL_PROXY: 'http://f:6', http_proxy: 'http://c:3', HTTP_PROXY: 'http://d:4' })).toBe('ALL_PROXY')
    expect(chosen({ http_proxy: 'http://c:3', HTTP_PROXY: 'http://d:4' })).toBeUndefined()
  })

  it('reads http_proxy, all_proxy, ALL_PROXY for http, never HTTP_PROXY', () => {
    expect(chosen(all, 'http:')).toBe('http_proxy')
    expect(chosen({ ...all, http_proxy: '' }, 'http:')).toBe('all_proxy')
    expect(chosen({ HTTP_PROXY: 'http://d:4', ALL_PROXY: 'http://f:6' }, 'http:')).toBe('ALL_PROXY')
    expect(chosen({ HTTP_PROXY: 'http://d:4', HTTPS_PROXY: 'http://b:2' }, 'http:')).toBeUndefined()
  })

  it('checks only the variable that applies', () => {
    expect(chosen({ https_proxy: 'http://a:1', HTTPS_PROXY: 'socks5://b', http_proxy: 'ftp://c' })).toBe('https_proxy')
    expect(() => readProxyEnvironment({ HTTPS_PROXY: 'socks5://b' }, 'https:')).toThrow(/^HTTPS_PROXY names a SOCKS/)
    expect(() => readProxyEnvironment({ http_proxy: 'http://c:0' }, 'http:')).toThrow(/^http_proxy is set to a proxy/)
  })

  it('checks it even when no_proxy exempts every host', () => {
    expect(() => readProxyEnvironment({ https_proxy: 'http://p:0', no_proxy: '*' }, 'https:')).toThrow(/port/)
  })

  it('reads no_proxy, then NO_PROXY', () => {
    expect(readProxyEnvironment({ no_proxy: 'a', NO_PROXY: 'b' }, 'https:').noProxy).toBe('a')
    expect(readProxyEnvironment({ no_proxy: '', NO_PROXY: 'b' }, 'https:').noProxy).toBe('b')
    expect(readProxyEnvironment({}, 'https:')).toEqual({ proxy: undefined, noProxy: '' })
  })

  it('takes the scheme of the endpoint', () => {
    expect(endpointProtocol({ tokenUrl: new URL('http://127.0.0.1:8080/t') })).toBe('http:')
    expect(endpointProtocol({ tokenUrl: new URL('https://app.datasaur.ai/api/oauth/token') })).toBe('https:')
  })
})

describe('bypassesProxy: no_proxy by curl rules', () => {
  it.each<[string, string, boolean]>([
    ['datasaur.test', 'https://datasaur.test', true],
    ['datasaur.test', 'https://api.datasaur.test', true],
    ['datasaur.test', 'https://notdatasaur.test', false],
    ['datasaur.test', 'https://datasaur.test.evil', false],
    ['.datasaur.test', 'https://datasaur.test', true],
    ['.datasaur.test', 'https://api.datasaur.test', true],
    ['*.datasaur.test', 'https://api.datasaur.test', true],
    ['*.datasaur.test', 'https://datasaur.test', true],
    ['*.datasaur.test', 'https://xdatasaur.test', false],
    ['DATASAUR.Test', 'https://datasaur.test', true],
    ['datasaur.test.', 'https://datasaur.test', true],
    ['datasaur.test', 'https://datasaur.test.', true],
    ['*', 'https://anything.example', true],
    ['a.example, *', 'https://anything.example', true],
    ['*example', 'https://example', false],
    ['', 'https://datasaur.test', false],
    [',, ,', 'https://datasaur.test', false],
    ['.', 'https://datasaur.test', false],
    ['a.example,datasaur.test', 'https://datasaur.test', true],
    ['a.example datasaur.test', 'https://datasaur.test', true],
    [' a.example ,\tdatasaur.test ', 'https://datasaur.test', true],
    ['datasaur.test:443', 'https://datasaur.test', true],
    ['datasaur.test:443', 'https://datasaur.test:8443', false],
    ['datasaur.test:8443', 'https://datasaur.test:8443', true],
    ['datasaur.test:80', 'http://datasaur.test', true],
    ['datasaur.test:80', 'https://datasaur.test', false],
    ['datasaur.test:x', 'https://datasaur.test', false],
    ['10.1.2.3', 'https://10.1.2.3', true],
    ['10.1.2.3', 'https://10.1.2.4', false],
    ['10.0.0.0/8', 'https://10.1.2.3', true],
    ['10.0.0.0/8', 'https://11.1.2.3', false],
    ['10.0.0.0/33', 'https://10.1.2.3', false],
    ['10.0.0.0/x', 'https://10.1.2.3', false],
    ['10.0.0.0/8/8', 'https://10.1.2.3', false],
    ['10.1.2.3:443', 'https://10.1.2.3', true],
    ['10.1.2.3:444', 'https://10.1.2.3', false],
    ['2.3', 'https://10.1.2.3', false],
    ['10.1.2.3', 'https://10.1.2.3.example', false],
    ['2001:db8::1', 'https://[2001:db8::1]', true],
    ['[2001:db8::1]', 'https://[2001:db8::1]', true],
    ['[2001:db8::1]:443', 'https://[2001:db8::1]', true],
    ['[2001:db8::1]:444', 'https://[2001:db8::1]', false],
    ['2001:db8::/32', 'https://[2001:db8::1]', true],
    ['2001:db8::/64', 'https://[2001:db8::1]', true],
    ['2001:db8::/64', 'https://[2001:db8:0:1::1]', false],
    ['10.1.2.3/32', 'https://10.1.2.3', true],
    ['a[2001:db8::1]', 'https://[2001:db8::1]', false],
    ['[2001:db8::1]x', 'https://[2001:db8::1]', false],
    ['datasaur.test:+443', 'https://datasaur.test', false],
    ['datasaur.test:443.0', 'https://datasaur.test', false],
    ['2001:db8::/129', 'https://[2001:db8::1]', false],
    ['2001:db9::/32', 'https://[2001:db8::1]', false],
    ['10.1.2.3', 'https://[::ffff:10.1.2.3]', false],
    ['db8::1', 'https://[2001:db8::1]', false]
  ])('%j for %s: %s', (noProxy, url, expected) => {
    expect(bypassesProxy(noProxy, new URL(url))).toBe(expected)
  })
})

describe('proxyFor', () => {
  const proxy = parseProxy('https_proxy', 'proxy.corp:3128')

  it('is the proxy unless no_proxy or loopback exempts the host', () => {
    expect(proxyFor({ proxy, noProxy: 'other.test' }, new URL('https://datasaur.test'))).toBe(proxy)
    expect(proxyFor({ proxy, noProxy: 'datasaur.test' }, new URL('https://datasaur.test'))).toBeUndefined()
    for (const host of ['localhost', '127.0.0.1', '127.9.8.7', '[::1]']) {
      expect(proxyFor({ proxy, noProxy: '' }, new URL(`https://${host}:8443`))).toBeUndefined()
    }
    expect(proxyFor({ proxy, noProxy: '' }, new URL('https://localhost.datasaur.test'))).toBe(proxy)
    expect(proxyFor({ noProxy: '' }, new URL('https://datasaur.test'))).toBeUndefined()
    expect(proxyFor(undefined, new URL('https://datasaur.test'))).toBeUndefined()
  })
})

describe('proxyCredentials: what is masked', () => {
  it.each([
    [
      'user and password, percent-encoded',
      'http://ci-user:p%40ss@proxy.corp:3128',
      [
        'p%40ss',
        'p@ss',
        'ci-user:p%40ss',
        'ci-user:p@ss',
        Buffer.from('ci-user:p%40ss').toString('base64'),
        Buffer.from('ci-user:p@ss').toString('base64')
      ]
    ],
    [
      'a user name alone (a token)',
      'http://tok3n@proxy.corp',
      ['tok3n', 'tok3n:', Buffer.from('tok3n:').toString('base64')]
    ],
    ['no scheme', 'u:pw@proxy.corp:8080', ['pw', 'u:pw', Buffer.from('u:pw').toString('base64')]],
    ['a literal %', 'http://u:50%off@p:1', ['50%off', 'u:50%off', Buffer.from('u:50%off').toString('base64')]],
    [
      'an unencoded @ in the password',
      'HTTPS://u:p@ss@p',
      ['p@ss', 'u:p@ss', Buffer.from('u:p@ss').toString('base64')]
    ],
    [
      'a value it cannot use',
      'socks5://u:s3cret@p',
      ['s3cret', 'u:s3cret', Buffer.from('u:s3cret').toString('base64')]
    ],
    [
      'a :// inside the password',
      'u:s3cret://p@h',
      ['s3cret://p', 'u:s3cret://p', Buffer.from('u:s3cret://p').toString('base64')]
    ],
    ['no user name', 'http://:pw@h', ['pw', ':pw', Buffer.from(':pw').toString('base64')]]
  ])('from %s', (_what, proxy, secrets) => {
    expect(proxyCredentials(proxy)).toEqual(secrets)
  })

  it('finds nothing in a proxy without credentials', () => {
    expect(proxyCredentials(undefined)).toEqual([])
    expect(proxyCredentials('')).toEqual([])
    expect(proxyCredentials('http://proxy.corp:3128')).toEqual([])
    expect(proxyCredentials('http://@proxy.corp:3128')).toEqual([])
    expect(proxyCredentials('http://[bad')).toEqual([])
  })

  it('reads all six proxy variables', () => {
    const env = {
      https_proxy: 'http://a:1@p',
      HTTPS_PROXY: 'http://b:2@p',
      http_proxy: 'http://c:3@p',
      HTTP_PROXY: 'http://d:4@p',
      all_proxy: 'http://e:5@p',
      ALL_PROXY: 'socks5://f:6@p',
      no_proxy: 'g:7@p'
    }
    expect(proxySecrets(env).filter(value => value.length === 1)).toEqual(['1', '2', '3', '4', '5', '6'])
  })
})
