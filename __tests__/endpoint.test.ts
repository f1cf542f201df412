import { describe, expect, it } from '@jest/globals'
import { checkRedirect, describeEndpoint, isLoopbackHost } from '../src/exchange/endpoint.js'

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '127.10.200.30', '[::1]'])('accepts %s', host =>
    expect(isLoopbackHost(host)).toBe(true)
  )
  it.each([
    'datasaur.ai',
    'api.localhost',
    '127.0.0.1.nip.io',
    'localhost.example.com',
    '10.0.0.1',
    '[::2]',
    '128.0.0.1',
    'a127.0.0.1'
  ])('rejects %s', host => expect(isLoopbackHost(host)).toBe(false))
})

describe('describeEndpoint', () => {
  it('drops the query and fragment', () =>
    expect(describeEndpoint(new URL('https://h.example/p/token?key=v#f'))).toBe('https://h.example/p/token'))
})

describe('checkRedirect', () => {
  const from = new URL('https://datasaur.example/api/oauth/token')
  const noSecret = () => false

  it.each([
    [307, '/v2/token', 'https://datasaur.example/v2/token'],
    [308, 'https://auth.datasaur.example/token', 'https://auth.datasaur.example/token']
  ])('follows %i to %s', (status, location, expected) => {
    const decision = checkRedirect(from, status, location, noSecret)
    expect(decision).toEqual({ follow: true, url: new URL(expected) })
  })

  it('refuses a downgrade from https even to loopback http', () => {
    const secure = new URL('https://localhost/token')
    expect(checkRedirect(secure, 307, 'http://localhost:443/token', noSecret)).toEqual({
      follow: false,
      reason: 'redirected (307) to http://localhost:443/token, which is not https'
    })
  })

  it('follows loopback http to loopback http on the same port only', () => {
    const local = new URL('http://127.0.0.1:8080/token')
    expect(checkRedirect(local, 307, '/other', noSecret).follow).toBe(true)
    expect(checkRedirect(local, 307, 'http://127.0.0.1:8081/token', noSecret).follow).toBe(false)
  })

  it.each([
    [302, '/v2/token', /redirected \(302\) to https:\/\/datasaur\.example\/v2\/token, which would drop the POST body/],
    [301, '/v2/token', /\(301\)/],
    [303, '/v2/token', /\(303\)/],
    [307, 'https://evil.example/token', /to another host or port, https:\/\/evil\.example\/token/],
    [307, 'https://notdatasaur.example/token', /another host/],
    [307, 'https://example/token', /another host/],
    [307, 'https://datasaur.example:8443/token', /another host/],
    [307, 'http://datasaur.example/token', /which is not https/],
    [307, 'https://u:p@datasaur.example/token', /embedded credentials/],
    [307, 'https://u@datasaur.example/token', /embedded credentials/],
    [307, 'https://:p@datasaur.example/token', /embedded credentials/],
    [307, undefined, /without a Location header/],
    [307, 'http://[invalid', /invalid Location header/]
  ])('does not follow %i to %s', (status, location, reason) => {
    const decision = checkRedirect(from, status, location, noSecret)
    expect(decision.follow).toBe(false)
    if (!decision.follow) expect(decision.reason).toMatch(reason)
  })

  it('neither follows nor quotes a Location that mentions a secret, before anything else', () => {
    const mentions = (text: string) => text.toLowerCase().includes('hunter2')
    for (const location of ['https://HUNTER2.datasaur.example/token', 'hunter2:x', '/p?k=Hunter2']) {
      expect(checkRedirect(from, 307, location, mentions)).toEqual({
        follow: false,
        reason: 'redirected (307) to a Location that contains the client secret'
      })
    }
    expect(checkRedirect(from, 307, '/v2/token', mentions).follow).toBe(true)
  })

  it('quotes a Location log-safe', () => {
    const decision = checkRedirect(from, 302, '/a::b', noSecret)
    expect(decision).toEqual({
      follow: false,
      reason: 'redirected (302) to https://datasaur.example/a::b, which would drop the POST body'
    })
  })

  it('names only the scheme of a Location that is not http', () => {
    expect(checkRedirect(from, 307, 'javascript:alert(1)', noSecret)).toEqual({
      follow: false,
      reason: "redirected (307) to a URL that is not http or https (scheme 'javascript')"
    })
    expect(checkRedirect(from, 307, 'data:text/html,x', noSecret).follow).toBe(false)
  })

  it('refuses a change of scheme on loopback', () => {
    const local = new URL('http://127.0.0.1:8080/token')
    expect(checkRedirect(local, 307, 'https://127.0.0.1:8080/token', noSecret)).toEqual({
      follow: false,
      reason: 'redirected (307) to https://127.0.0.1:8080/token, which changes the scheme'
    })
  })

  it('cuts a long scheme short', () => {
    expect(checkRedirect(from, 307, 'abcdefghijklmnopqrstuvwxyz:x', noSecret)).toEqual({
      follow: false,
      reason: "redirected (307) to a URL that is not http or https (scheme 'abcdefghijklmnopqrst')"
    })
  })

  it('does not follow loopback http to a subdomain that is not loopback', () => {
    const local = new URL('http://localhost:8080/token')
    expect(checkRedirect(local, 307, 'http://api.localhost:8080/token', noSecret)).toEqual({
      follow: false,
      reason: 'redirected (307) to http://api.localhost:8080/token, which is not https'
    })
  })

  it.each([
    ['http://localhost/token', 'http://localhost:443/token'],
    ['https://datasaur.example/token', 'https://datasaur.example:80/token'],
    ['https://datasaur.example/token', 'https://datasaur.example:8443/token']
  ])('tells the default port from an explicit other one: %s to %s', (source, location) => {
    expect(checkRedirect(new URL(source), 307, location, noSecret)).toEqual({
      follow: false,
      reason: `redirected (307) to another host or port, ${location}`
    })
  })

  it('follows an explicit default port, which is the same port', () => {
    expect(checkRedirect(from, 308, 'https://datasaur.example:443/v2', noSecret)).toEqual({
      follow: true,
      url: new URL('https://datasaur.example/v2')
    })
  })
})
