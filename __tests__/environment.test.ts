import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readEnvironment } from '../src/runner/environment.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'datasaur-environment-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const FILES = { GITHUB_OUTPUT: '/runner/output', GITHUB_ENV: '/runner/env' }

function failure(env: NodeJS.ProcessEnv, exportEnv = true): string {
  try {
    readEnvironment(env, exportEnv)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected readEnvironment to fail')
}

describe('readEnvironment: the runner files', () => {
  it('names both files with export_env, and only GITHUB_OUTPUT without it', () => {
    expect(readEnvironment(FILES, true).files).toEqual({
      output: { variable: 'GITHUB_OUTPUT', path: '/runner/output' },
      env: { variable: 'GITHUB_ENV', path: '/runner/env' }
    })
    expect(readEnvironment({ GITHUB_OUTPUT: '/runner/output' }, false).files).toEqual({
      output: { variable: 'GITHUB_OUTPUT', path: '/runner/output' }
    })
  })

  it.each([
    ['GITHUB_OUTPUT', { GITHUB_ENV: '/runner/env' }],
    ['GITHUB_OUTPUT', { GITHUB_OUTPUT: '', GITHUB_ENV: '/runner/env' }],
    ['GITHUB_ENV', { GITHUB_OUTPUT: '/runner/output' }]
  ])('refuses to run without %s', (variable, env) => {
    expect(failure(env)).toBe(
      `${variable} is not set, so the token cannot be handed to later steps: this action needs a runner that ` +
        'supports file commands and the node24 runtime (2.327.1 or later). Nothing was requested or published.'
    )
  })
})

describe('readEnvironment: TLS settings', () => {
  it('notes NODE_TLS_REJECT_UNAUTHORIZED=0 only', () => {
    expect(readEnvironment({ ...FILES, NODE_TLS_REJECT_UNAUTHORIZED: '0' }, true).tlsVerificationOffRequested).toBe(
      true
    )
    expect(readEnvironment({ ...FILES, NODE_TLS_REJECT_UNAUTHORIZED: '1' }, true).tlsVerificationOffRequested).toBe(
      false
    )
    expect(readEnvironment(FILES, true).tlsVerificationOffRequested).toBe(false)
  })

  it('accepts a readable file of PEM certificates as NODE_EXTRA_CA_CERTS', () => {
    const path = join(dir, 'ca.pem')
    writeFileSync(path, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    expect(readEnvironment({ ...FILES, NODE_EXTRA_CA_CERTS: path }, true).extraCaFile).toBe(path)
    expect(readEnvironment({ ...FILES, NODE_EXTRA_CA_CERTS: '' }, true).extraCaFile).toBeUndefined()
  })

  it('refuses a missing file, an unreadable one and one without a PEM certificate', () => {
    const missing = join(dir, 'missing.pem')
    expect(failure({ ...FILES, NODE_EXTRA_CA_CERTS: missing })).toBe(
      `NODE_EXTRA_CA_CERTS is set to '${missing}', but that file does not exist: check the path (a file from ` +
        'the repository needs actions/checkout before this step).'
    )
    expect(failure({ ...FILES, NODE_EXTRA_CA_CERTS: dir })).toContain('but that file cannot be read (EISDIR)')
    const der = join(dir, 'ca.der')
    writeFileSync(der, 'MIIB')
    expect(failure({ ...FILES, NODE_EXTRA_CA_CERTS: der })).toBe(
      `NODE_EXTRA_CA_CERTS is set to '${der}', but that file holds no PEM certificate ` +
        '(-----BEGIN CERTIFICATE-----): convert the CA certificate to PEM.'
    )
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.pem')
      writeFileSync(locked, '-----BEGIN CERTIFICATE-----')
      chmodSync(locked, 0)
      expect(failure({ ...FILES, NODE_EXTRA_CA_CERTS: locked })).toContain('cannot be read (EACCES)')
    }
  })

  it('quotes the path log-safe', () => {
    expect(failure({ ...FILES, NODE_EXTRA_CA_CERTS: '/x/##[add-mask]y' })).toContain("set to '/x/# #[add-mask]y'")
  })
})

describe('readEnvironment: refresh', () => {
  const REFRESH = { ...FILES, GITHUB_PATH: '/runner/path', GITHUB_STATE: '/runner/state', RUNNER_TEMP: '/runner/temp' }

  it('names GITHUB_PATH and GITHUB_STATE and reads RUNNER_TEMP with refresh, and none of them without', () => {
    const environment = readEnvironment(REFRESH, true, true)
    expect(environment.files.path).toEqual({ variable: 'GITHUB_PATH', path: '/runner/path' })
    expect(environment.files.state).toEqual({ variable: 'GITHUB_STATE', path: '/runner/state' })
    expect(environment.runnerTemp).toBe('/runner/temp')
    const without = readEnvironment(REFRESH, true, false)
    expect([without.files.path, without.files.state, without.runnerTemp]).toEqual([undefined, undefined, undefined])
  })

  it('fails without RUNNER_TEMP, naming it', () => {
    expect(() => readEnvironment({ ...REFRESH, RUNNER_TEMP: '' }, true, true)).toThrow(
      new Error(
        'RUNNER_TEMP is not set, and refresh: true needs it for the token keeper: run the action on a GitHub ' +
          'Actions runner, or set refresh: false. Nothing was requested or published.'
      )
    )
  })
})

describe('readEnvironment: the proxy', () => {
  it("reads the variable of the endpoint's scheme and no_proxy", () => {
    const env = { ...FILES, https_proxy: 'proxy.corp:3128', http_proxy: 'http://other:8080', no_proxy: '.corp' }
    expect(readEnvironment(env, true).proxies).toEqual({
      proxy: {
        variable: 'https_proxy',
        protocol: 'http:',
        hostname: 'proxy.corp',
        port: 3128,
        address: 'proxy.corp:3128'
      },
      noProxy: '.corp'
    })
    expect(readEnvironment(env, true, false, 'http:').proxies.proxy?.address).toBe('other:8080')
    expect(readEnvironment(FILES, true).proxies).toEqual({ proxy: undefined, noProxy: '' })
  })

  it('fails on a proxy it cannot use, naming the variable', () => {
    expect(failure({ ...FILES, HTTPS_PROXY: 'socks5://u:secret@proxy:1080' })).toMatch(
      /^HTTPS_PROXY names a SOCKS proxy/
    )
  })
})
