// How AttemptConnections chooses each request's way: the agent it hands http-client, direct or through
// the proxy read from the environment, against a real CONNECT proxy (support/proxy.js).

import http, { createServer, type IncomingMessage } from 'node:http'
import https from 'node:https'
import { afterEach, describe, expect, it } from '@jest/globals'
import { AttemptConnections } from '../src/exchange/attempt-connections.js'
import { sharedLookup } from '../src/exchange/lookup.js'
import { parseProxy, type ProxyEnvironment } from '../src/exchange/proxy.js'
import { relayTo, startProxy } from './support/proxy.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function proxies(value: string, noProxy = ''): ProxyEnvironment {
  return { proxy: parseProxy('https_proxy', value), noProxy }
}

describe('AttemptConnections.requestInfo', () => {
  it('sends a request direct with an agent of its own, the shared lookup, and an IPv6 address unbracketed', () => {
    const connections = new AttemptConnections()
    const info = connections.requestInfo('POST', new URL('https://[2001:db8::1]:8443/api/oauth/token?x=1'), {
      Accept: 'application/json'
    })
    expect(info.httpModule).toBe(https)
    expect(info.parsedUrl.href).toBe('https://[2001:db8::1]:8443/api/oauth/token?x=1')
    expect(info.options).toMatchObject({
      host: '2001:db8::1',
      port: 8443,
      path: '/api/oauth/token?x=1',
      method: 'POST',
      headers: { Accept: 'application/json' },
      lookup: sharedLookup
    })
    expect(info.options.agent).toBeInstanceOf(https.Agent)
    const plain = connections.requestInfo('POST', new URL('http://127.0.0.1/t'), {})
    expect(plain.httpModule).toBe(http)
    expect(plain.options).toMatchObject({ host: '127.0.0.1', port: 80, path: '/t' })
    expect(plain.options.agent).not.toBeInstanceOf(https.Agent)
    expect(plain.options.agent).toBeInstanceOf(http.Agent)
    expect(connections.requestInfo('POST', new URL('https://datasaur.test/t'), {}).options.port).toBe(443)
    expect(connections.proxy).toBeUndefined()
  })

  it('goes direct for a host no_proxy lists, and through the proxy otherwise, keeping the brackets', () => {
    const connections = new AttemptConnections(proxies('https://ci:pw@proxy.corp:8443', 'direct.test'))
    const direct = connections.requestInfo('POST', new URL('https://direct.test/t'), {})
    expect(direct.options.agent).toBeInstanceOf(https.Agent)
    expect(connections.proxy).toBeUndefined()

    const info = connections.requestInfo('POST', new URL('https://[2001:db8::1]/t'), {})
    expect(info.httpModule).toBe(https)
    expect(info.options.host).toBe('[2001:db8::1]')
    expect(info.options.lookup).toBeUndefined()
    expect((info.options.agent as unknown as { proxyOptions: object }).proxyOptions).toEqual({
      host: 'proxy.corp',
      port: 8443
    })
    expect(connections.proxy).toBe('proxy.corp:8443')
    expect(connections.proxyInUse?.variable).toBe('https_proxy')
  })

  it('tunnels a plain http request through the proxy too', async () => {
    const server = createServer((_req, res) => res.end('through'))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise(resolve => server.close(resolve)))
    const proxy = await startProxy({ fallback: relayTo((server.address() as { port: number }).port) })
    cleanups.push(proxy.close)
    const connections = new AttemptConnections(proxies(`ci-user:pw@127.0.0.1:${proxy.port}`))
    cleanups.push(() => connections.destroyAll())

    const info = connections.requestInfo('GET', new URL('http://datasaur.test:8080/t'), {})
    const body = await new Promise<string>((resolve, reject) => {
      const request = http.request(info.options, (response: IncomingMessage) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (text += chunk))
        response.on('end', () => resolve(text))
      })
      request.on('error', reject)
      request.end()
    })
    expect(body).toBe('through')
    expect(proxy.connects).toEqual([
      { target: 'datasaur.test:8080', authorization: `Basic ${Buffer.from('ci-user:pw').toString('base64')}` }
    ])
  })
})
