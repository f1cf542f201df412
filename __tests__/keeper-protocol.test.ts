import { describe, expect, it } from '@jest/globals'
import { keeperEnvironment } from '../src/keeper/environment.js'
import { decodePayload, encodePayload } from '../src/keeper/payload.js'
import {
  encodeRequest,
  encodeResponse,
  parseRequest,
  parseResponse,
  type KeeperResponse
} from '../src/keeper/protocol.js'
import { cmdQuote, commandScripts, shellQuote } from '../src/keeper/scripts.js'
import type { Settings } from '../src/inputs.js'

const KEY = 'a'.repeat(64)

describe('parseRequest', () => {
  it('reads the requests a client sends, with the key', () => {
    expect(parseRequest(encodeRequest(KEY, { op: 'token' }), KEY)).toEqual({ op: 'token' })
    expect(parseRequest(encodeRequest(KEY, { op: 'token', minValidity: 60 }), KEY)).toEqual({
      op: 'token',
      minValidity: 60
    })
    expect(parseRequest(encodeRequest(KEY, { op: 'token', minValidity: 0 }), KEY)).toEqual({
      op: 'token',
      minValidity: 0
    })
    expect(parseRequest(encodeRequest(KEY, { op: 'stop' }), KEY)).toEqual({ op: 'stop' })
  })

  it.each([
    ['no key', '{"op":"token"}'],
    ['a wrong key', `{"op":"token","key":"${'b'.repeat(64)}"}`],
    ['a shorter key', `{"op":"token","key":"${'a'.repeat(63)}"}`],
    ['a key that is not a string', '{"op":"token","key":1}'],
    ['no JSON', 'token please'],
    ['JSON that is no object', '"token"'],
    ['null', 'null'],
    ['an unknown operation', `{"op":"dump","key":"${KEY}"}`],
    ['no operation', `{"key":"${KEY}"}`],
    ['a negative validity', `{"op":"token","key":"${KEY}","minValidity":-1}`],
    ['a fractional validity', `{"op":"token","key":"${KEY}","minValidity":1.5}`],
    ['a validity as text', `{"op":"token","key":"${KEY}","minValidity":"60"}`]
  ])('refuses %s', (_, line) => {
    expect(parseRequest(line, KEY)).toBeUndefined()
  })
})

describe('parseResponse', () => {
  it('reads what the keeper answers', () => {
    const token: KeeperResponse = {
      ok: true,
      op: 'token',
      token: 't',
      expiresAt: 5,
      masks: ['t', 'n'],
      announced: false
    }
    expect(parseResponse(encodeResponse(token))).toEqual(token)
    expect(parseResponse(encodeResponse({ ok: true, op: 'stop', minted: 3 }))).toEqual({
      ok: true,
      op: 'stop',
      minted: 3
    })
    expect(parseResponse(encodeResponse({ ok: false, error: 'down' }))).toEqual({ ok: false, error: 'down' })
  })

  it.each([
    'not json',
    'null',
    '7',
    '{"ok":false}',
    '{"ok":false,"error":1}',
    '{"ok":"yes"}',
    '{"ok":true,"op":"stop"}',
    '{"ok":true,"op":"stop","minted":"1"}',
    '{"ok":true,"op":"other","token":"t","expiresAt":1,"masks":[],"announced":true}',
    '{"ok":true,"op":"token","expiresAt":1,"masks":[],"announced":true}',
    '{"ok":true,"op":"token","token":"t","expiresAt":"1","masks":[],"announced":true}',
    '{"ok":true,"op":"token","token":"t","expiresAt":1,"masks":"t","announced":true}',
    '{"ok":true,"op":"token","token":"t","expiresAt":1,"masks":[1],"announced":true}',
    '{"ok":true,"op":"token","token":"t","expiresAt":1,"masks":[],"announced":"yes"}'
  ])('refuses %s', line => {
    expect(parseResponse(line)).toBeUndefined()
  })
})

describe('commandScripts', () => {
  it('quotes for the POSIX shell and for cmd.exe', () => {
    expect(shellQuote("/opt/it's here")).toBe("'/opt/it'\\''s here'")
    expect(cmdQuote('C:\\a b\\100%\\x')).toBe('"C:\\a b\\100%%\\x"')
  })

  it('runs the Node binary with the command bundle and the channel file, passing the arguments on', () => {
    const scripts = commandScripts('/n/node', '/a/command/index.js', "/t/it's/channel.json")
    expect(scripts.posix).toBe(
      "#!/bin/sh\nexec '/n/node' '/a/command/index.js' '--channel' '/t/it'\\''s/channel.json' \"$@\"\n"
    )
    expect(scripts.windows).toBe(
      '@"/n/node" "/a/command/index.js" "--channel" "/t/it\'s/channel.json" %*\r\n@exit /b %ERRORLEVEL%\r\n'
    )
  })
})

describe('keeperEnvironment', () => {
  it('passes only what the exchange and the runner need, in whatever case it is set', () => {
    const env = keeperEnvironment({
      PATH: '/bin',
      Path: 'C:\\bin',
      HOME: '/home/r',
      RUNNER_TEMP: '/t',
      RUNNER_TRACKING_ID: 'github_1',
      https_proxy: 'http://proxy:3128',
      HTTPS_PROXY: 'http://proxy:3128',
      all_proxy: 'proxy:3128',
      ALL_PROXY: 'proxy:3128',
      no_proxy: 'localhost',
      NODE_EXTRA_CA_CERTS: '/ca.pem',
      SystemRoot: 'C:\\Windows',
      INPUT_CLIENT_SECRET: 'secret',
      ACTIONS_RUNTIME_TOKEN: 'runtime',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'id',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://id',
      GITHUB_TOKEN: 'gh',
      NODE_OPTIONS: '--require /evil.js',
      DATASAUR_ACCESS_TOKEN: 'token',
      UNSET: undefined
    })
    expect(env).toEqual({
      PATH: '/bin',
      Path: 'C:\\bin',
      HOME: '/home/r',
      RUNNER_TEMP: '/t',
      RUNNER_TRACKING_ID: 'github_1',
      https_proxy: 'http://proxy:3128',
      HTTPS_PROXY: 'http://proxy:3128',
      all_proxy: 'proxy:3128',
      ALL_PROXY: 'proxy:3128',
      no_proxy: 'localhost',
      NODE_EXTRA_CA_CERTS: '/ca.pem',
      SystemRoot: 'C:\\Windows'
    })
  })
})

describe('the payload', () => {
  it('carries the settings and the token to the keeper and back', () => {
    const settings = {
      clientId: 'id',
      clientSecret: 's',
      tokenUrl: new URL('https://datasaur.ai/api/oauth/token?x=1'),
      endpointInput: 'base_url',
      baseUrlIgnored: false,
      authMethod: 'client_secret_post',
      scope: '',
      exportEnv: true,
      envName: 'DATASAUR_ACCESS_TOKEN',
      maxAttempts: 5,
      timeoutMs: 30_000,
      rateLimitBudgetMs: 120_000,
      refresh: true
    } as Settings
    const token = { accessToken: 't', tokenType: 'bearer', expiresIn: 3600, expiresAt: new Date(7_000_000) }
    const decoded = decodePayload(
      encodePayload(settings, token, { obtainedAtMs: 1, key: KEY, socket: '/s.sock', dir: '/d' })
    )

    expect(decoded.settings).toEqual(settings)
    expect(decoded.settings.tokenUrl).toBeInstanceOf(URL)
    expect(decoded.token).toEqual(token)
    expect(decoded.payload).toMatchObject({ obtainedAtMs: 1, key: KEY, socket: '/s.sock', dir: '/d' })
    const untimed = decodePayload(
      encodePayload(
        settings,
        { accessToken: 't', tokenType: 'bearer' },
        { obtainedAtMs: 1, key: KEY, socket: '', dir: '' }
      )
    )
    expect(untimed.token).toEqual({ accessToken: 't', tokenType: 'bearer', expiresIn: undefined, expiresAt: undefined })
  })
})
