import { createPrivateKey, X509Certificate } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { InputError } from '../src/errors.js'
import {
  keyFileWarning,
  loadClientCertificate,
  maskKey,
  type CertificateInputs
} from '../src/exchange/client-certificate.js'
import { getSettings, INPUT_DEFAULTS, type InputName } from '../src/inputs.js'
import { createCertificateAuthority } from './support/certificates.js'

// The client certificate inputs, read and checked before any connection: what Settings receive (plain
// strings, so the token keeper gets them as JSON), what is masked, and the message for each mistake.
// The certificates are real ones, made with openssl by a test CA.

const pki = createCertificateAuthority('Client Test CA')
const otherPki = createCertificateAuthority('Another Client CA')
const dir = mkdtempSync(join(tmpdir(), 'datasaur-client-certificate-'))
afterAll(() => {
  pki.remove()
  otherPki.remove()
  rmSync(dir, { recursive: true, force: true })
})

const client = pki.issueClient('ci-runner')
const other = otherPki.issueClient('someone-else')
const DAY_MS = 24 * 60 * 60 * 1000

function file(name: string, contents: string | Buffer): string {
  const path = join(dir, name)
  writeFileSync(path, contents)
  return path
}

/** Loads the inputs, recording every value masked. */
function load(inputs: Partial<CertificateInputs>, now?: number) {
  const masked: string[] = []
  const certificate = loadClientCertificate(
    { certificate: '', key: '', passphrase: '', ...inputs },
    value => masked.push(value),
    now
  )
  return { certificate, masked }
}

/** The InputError loading fails with, and what was masked before it. */
function failure(inputs: Partial<CertificateInputs>, now?: number) {
  const masked: string[] = []
  try {
    loadClientCertificate({ certificate: '', key: '', passphrase: '', ...inputs }, value => masked.push(value), now)
  } catch (error) {
    if (error instanceof InputError) return { input: error.input, message: error.message, masked }
    throw error
  }
  throw new Error('expected an InputError')
}

/** The lines of a PEM text that masking must cover: all but the BEGIN/END lines. */
function keyLines(pem: string): string[] {
  return pem.split('\n').filter(line => line.length >= 8 && !line.startsWith('-----'))
}

const BOTH =
  'client_certificate takes the certificate (PEM text or a file; a PKCS#12 file holds the key too) and client_key ' +
  'its private key.'
const NOT_FOUND =
  'is neither PEM text (-----BEGIN ...) nor the path of a readable file (ENOENT). Pass the PEM itself, e.g. from a ' +
  'secret, or the path of a file that holds it (a file from the repository needs actions/checkout first).'

describe('maskKey', () => {
  it('masks the whole text and each line of 8 characters or more, but not the BEGIN and END lines', () => {
    const masked: string[] = []
    maskKey('-----BEGIN PRIVATE KEY-----\r\n  abcdefgh  \r\nshort\r\n1234567\r\n-----END PRIVATE KEY-----', value =>
      masked.push(value)
    )
    expect(masked).toEqual([
      '-----BEGIN PRIVATE KEY-----\r\n  abcdefgh  \r\nshort\r\n1234567\r\n-----END PRIVATE KEY-----',
      'abcdefgh'
    ])
  })
})

describe('loadClientCertificate: what Settings receive', () => {
  it('is undefined when no input is set, and masks nothing', () => {
    expect(load({})).toEqual({ certificate: undefined, masked: [] })
  })

  it('takes PEM text, masking the key and each of its lines at once', () => {
    const { certificate, masked } = load({ certificate: client.cert, key: client.key })
    expect(certificate).toEqual({ cert: client.cert, key: client.key, passphrase: undefined, keyFile: undefined })
    expect(masked).toEqual([client.key, ...keyLines(client.key)])
    expect(keyLines(client.key).length).toBeGreaterThan(0)
    // Plain strings only: the token keeper receives Settings as JSON.
    expect(JSON.parse(JSON.stringify(certificate))).toEqual({ cert: client.cert, key: client.key })
  })

  it('reads files, masking the key file as soon as it is read, and remembers where the key came from', () => {
    const { certificate, masked } = load({ certificate: client.certFile, key: client.keyFile })
    expect(certificate).toEqual({ cert: client.cert, key: client.key, passphrase: undefined, keyFile: client.keyFile })
    expect(masked).toEqual([client.key.trim(), ...keyLines(client.key)])
  })

  it('resolves a relative path against the working directory', () => {
    const { certificate } = load({ certificate: relative(process.cwd(), client.certFile), key: client.keyFile })
    expect(certificate?.cert).toBe(client.cert)
  })

  it('keeps the chain that follows the certificate, and drops what is not a certificate', () => {
    const withChain = `${client.cert}${pki.ca.toString()}`
    const { certificate } = load({ certificate: `Subject: CN=ci-runner\n${withChain}`, key: client.key })
    expect(certificate?.cert).toBe(`${client.cert.trim()}\n${pki.ca.toString().trim()}\n`)
  })

  it('takes the key from a PEM file that holds it after the certificate, masking it', () => {
    const combined = file('combined.pem', `${client.cert}${client.key}`)
    const { certificate, masked } = load({ certificate: combined })
    expect(certificate).toEqual({ cert: client.cert, key: client.key.trim(), passphrase: undefined, keyFile: combined })
    expect(masked).toEqual([client.key.trim(), ...keyLines(client.key)])
  })

  it('masks a key pasted into client_certificate as soon as it is read', () => {
    const { certificate, masked } = load({ certificate: `${client.cert}${client.key}` })
    expect(certificate).toMatchObject({ key: client.key.trim(), keyFile: undefined })
    expect(masked).toEqual([client.key.trim(), ...keyLines(client.key)])
  })

  it('takes a key in the traditional form (EC PRIVATE KEY) from after the certificate', () => {
    const sec1 = createPrivateKey(client.key).export({ type: 'sec1', format: 'pem' }).toString()
    expect(sec1).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/)
    const { certificate, masked } = load({ certificate: file('sec1.pem', `${client.cert}${sec1}`) })
    expect(certificate?.key).toBe(sec1.trim())
    expect(masked).toEqual([sec1.trim(), ...keyLines(sec1)])
  })

  it('prefers client_key to a key in client_certificate', () => {
    const { certificate } = load({ certificate: `${client.cert}${other.key}`, key: client.key })
    expect(certificate?.key).toBe(client.key)
  })

  it('takes an encrypted key with its passphrase, both masked first', () => {
    const encrypted = client.encryptedKey('key passphrase 1')
    const { certificate, masked } = load({
      certificate: client.cert,
      key: encrypted.pem,
      passphrase: 'key passphrase 1'
    })
    expect(certificate).toEqual({ cert: client.cert, key: encrypted.pem, passphrase: 'key passphrase 1' })
    expect(masked.slice(0, 2)).toEqual(['key passphrase 1', encrypted.pem])
    expect(masked).toEqual(expect.arrayContaining(keyLines(encrypted.pem)))
  })

  it('takes a PKCS#12 file, as base64, with its passphrase', () => {
    const p12 = client.pkcs12('p12 passphrase')
    const { certificate, masked } = load({ certificate: p12, passphrase: 'p12 passphrase' })
    expect(certificate).toEqual({
      pfx: expect.any(String),
      passphrase: 'p12 passphrase',
      keyFile: p12
    })
    expect(Buffer.from(certificate?.pfx ?? '', 'base64')).toEqual(readFileSync(p12))
    expect(masked).toEqual(['p12 passphrase'])
  })
})

describe('loadClientCertificate: mistakes, each named before any connection', () => {
  it.each([
    [
      'a passphrase alone',
      { passphrase: 'pass phrase' },
      'client_key_passphrase',
      "Input 'client_key_passphrase' is set, but client_certificate and client_key are empty: set them too."
    ],
    [
      'a key without a certificate',
      { key: client.key },
      'client_certificate',
      `Input 'client_certificate' is empty while client_key is set: ${BOTH}`
    ],
    [
      'a certificate without a key',
      { certificate: client.cert },
      'client_key',
      `Input 'client_key' is empty while client_certificate is set: ${BOTH}`
    ],
    [
      'a certificate that is neither PEM nor a file',
      { certificate: 'Q0VSVElGSUNBVEU=', key: client.key },
      'client_certificate',
      `Input 'client_certificate' ${NOT_FOUND}`
    ],
    [
      'a key that is neither PEM nor a file',
      { certificate: client.cert, key: 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t' },
      'client_key',
      `Input 'client_key' ${NOT_FOUND}`
    ],
    [
      'a key that names a directory',
      { certificate: client.cert, key: dir },
      'client_key',
      `Input 'client_key' ${NOT_FOUND.replace('ENOENT', 'EISDIR')}`
    ],
    [
      'a certificate input that holds only a key',
      { certificate: client.key, key: client.key },
      'client_certificate',
      `Input 'client_certificate' holds no PEM certificate (-----BEGIN CERTIFICATE-----). ${BOTH}`
    ],
    [
      'a key input that holds the certificate',
      { certificate: client.cert, key: client.cert },
      'client_key',
      `Input 'client_key' holds no PEM private key (-----BEGIN PRIVATE KEY-----): it holds a certificate; are the ` +
        `two swapped? ${BOTH}`
    ],
    [
      'a key input that holds other PEM',
      { certificate: client.cert, key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' },
      'client_key',
      `Input 'client_key' holds no PEM private key (-----BEGIN PRIVATE KEY-----). ${BOTH}`
    ],
    [
      'a damaged certificate',
      { certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', key: client.key },
      'client_certificate',
      "Input 'client_certificate' holds a certificate that cannot be read (ERR_OSSL_ASN1_WRONG_TAG)."
    ],
    [
      'a damaged key',
      { certificate: client.cert, key: '-----BEGIN PRIVATE KEY-----\nAAAAAAAAAAAA\n-----END PRIVATE KEY-----' },
      'client_key',
      "Input 'client_key' holds a private key that cannot be read (ERR_OSSL_UNSUPPORTED)."
    ],
    [
      'a key of another certificate',
      { certificate: client.cert, key: other.key },
      'client_key',
      "Input 'client_key' does not match the certificate in client_certificate: give the key the certificate was " +
        'issued for, and the certificate first in client_certificate (before its chain).'
    ],
    [
      'a key with the chain first',
      { certificate: `${pki.ca.toString()}${client.cert}`, key: client.key },
      'client_key',
      "Input 'client_key' does not match the certificate in client_certificate: give the key the certificate was " +
        'issued for, and the certificate first in client_certificate (before its chain).'
    ]
  ])('%s', (_what, inputs, input, message) => {
    expect(failure(inputs)).toMatchObject({ input, message })
  })

  it('never quotes a value it cannot use', () => {
    const value = 'c2VjcmV0LWtleS1tYXRlcmlhbA=='
    expect(failure({ certificate: client.cert, key: value }).message).not.toContain(value)
  })

  it('masks a key value that is neither PEM nor a file, before saying so', () => {
    const value = 'c2VjcmV0LWtleS1tYXRlcmlhbA=='
    expect(failure({ certificate: client.cert, key: value }).masked).toEqual([value, value])
  })

  it('does not mask a key value that names a file', () => {
    expect(load({ certificate: client.cert, key: client.keyFile }).masked).not.toContain(client.keyFile)
  })

  it('asks for the passphrase of an encrypted key', () => {
    const encrypted = client.encryptedKey('right passphrase')
    expect(failure({ certificate: client.cert, key: encrypted.pem })).toMatchObject({
      input: 'client_key',
      message: "Input 'client_key' is encrypted: set client_key_passphrase to its passphrase."
    })
  })

  it('says when the passphrase does not decrypt the key, without quoting it', () => {
    const encrypted = client.encryptedKey('right passphrase')
    const { input, message, masked } = failure({
      certificate: client.cert,
      key: encrypted.file,
      passphrase: 'wrong passphrase'
    })
    expect(input).toBe('client_key_passphrase')
    expect(message).toMatch(
      /^Input 'client_key_passphrase' does not decrypt client_key \(ERR_OSSL_[A-Z_]+\): check the passphrase\.$/
    )
    expect(masked[0]).toBe('wrong passphrase')
    expect(masked).toEqual(expect.arrayContaining(keyLines(encrypted.pem)))
  })

  it('asks for the passphrase of a PKCS#12 file', () => {
    expect(failure({ certificate: client.pkcs12('p12 passphrase') })).toMatchObject({
      input: 'client_key_passphrase',
      message:
        "Input 'client_key_passphrase' is empty, and the PKCS#12 file in client_certificate needs its passphrase."
    })
  })

  it('says when the passphrase does not open a PKCS#12 file', () => {
    expect(failure({ certificate: client.pkcs12('p12 passphrase'), passphrase: 'not it' })).toMatchObject({
      input: 'client_key_passphrase',
      message:
        "Input 'client_key_passphrase' does not open the PKCS#12 file in client_certificate (mac verify failure)."
    })
  })

  it('refuses a key beside a PKCS#12 file, which holds one', () => {
    expect(failure({ certificate: client.pkcs12('x'), key: client.key, passphrase: 'x' })).toMatchObject({
      input: 'client_key',
      message: "Input 'client_key' must be empty when client_certificate is a PKCS#12 file, which holds the key."
    })
  })

  it('says how to convert a PKCS#12 file encrypted the old way', () => {
    expect(failure({ certificate: client.pkcs12('x', { legacy: true }), passphrase: 'x' })).toMatchObject({
      input: 'client_certificate',
      message:
        "Input 'client_certificate' names a PKCS#12 file encrypted the old way (RC2 or DES), which Node no longer " +
        'reads: convert it with `openssl pkcs12 -legacy -in old.p12 -nodes | openssl pkcs12 -export -out new.p12`, ' +
        'or pass PEM files.'
    })
  })

  it('refuses a file that is neither PEM nor PKCS#12', () => {
    expect(failure({ certificate: file('not-a-certificate.bin', Buffer.from([1, 2, 3])) })).toMatchObject({
      input: 'client_certificate',
      message: expect.stringMatching(
        /^Input 'client_certificate' names a file that is neither PEM nor PKCS#12 \([^)]+\)\. client_certificate takes /
      )
    })
  })
})

describe('loadClientCertificate: the certificate must be valid now and for client authentication', () => {
  const expired = pki.issueClient('expired-runner', { fromDays: -3, toDays: -1 })
  const future = pki.issueClient('future-runner', { fromDays: 1, toDays: 3 })
  const serverOnly = pki.issueClient('server-runner', { usage: 'serverAuth' })
  const anyUsage = pki.issueClient('any-runner', { usage: 'anyExtendedKeyUsage' })
  const validity = (pem: string) => {
    const text = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)?.[0] ?? ''
    return new X509Certificate(text)
  }

  it('says when an expired certificate expired', () => {
    const to = new Date(validity(expired.cert).validTo)
    expect(failure({ certificate: expired.cert, key: expired.key })).toMatchObject({
      input: 'client_certificate',
      message:
        `Input 'client_certificate' holds a certificate (CN=expired-runner) that expired on ` +
        `${to.toISOString().slice(0, 19)}Z: renew it.`
    })
  })

  it('says from when a certificate that is not valid yet is valid', () => {
    const from = new Date(validity(future.cert).validFrom)
    expect(failure({ certificate: future.cert, key: future.key })).toMatchObject({
      input: 'client_certificate',
      message:
        `Input 'client_certificate' holds a certificate (CN=future-runner) that is not valid until ` +
        `${from.toISOString().slice(0, 19)}Z.`
    })
  })

  it('is valid through the last second of its validity, and from the first', () => {
    const x509 = validity(client.cert)
    const from = Date.parse(x509.validFrom)
    const to = Date.parse(x509.validTo)
    expect(load({ certificate: client.cert, key: client.key }, from).certificate).toBeDefined()
    expect(load({ certificate: client.cert, key: client.key }, to).certificate).toBeDefined()
    expect(failure({ certificate: client.cert, key: client.key }, from - 1).message).toContain('not valid until')
    expect(failure({ certificate: client.cert, key: client.key }, to + 1).message).toContain('expired on')
  })

  it('checks the chain certificates too', () => {
    const x509 = validity(pki.ca.toString())
    const later = Date.parse(x509.validTo) + DAY_MS
    // The client certificate outlives nothing here: both are judged a day after the CA expires.
    expect(failure({ certificate: `${client.cert}${pki.ca.toString()}`, key: client.key }, later).message).toMatch(
      /^Input 'client_certificate' holds a certificate \(CN=(ci-runner|Client Test CA)\) that expired on /
    )
  })

  it('refuses a certificate whose extended key usage leaves out client authentication', () => {
    expect(failure({ certificate: serverOnly.cert, key: serverOnly.key })).toMatchObject({
      input: 'client_certificate',
      message:
        "Input 'client_certificate' holds a certificate (CN=server-runner) that is not for TLS client " +
        'authentication (its extended key usage lacks clientAuth): ask for a client certificate.'
    })
  })

  it('accepts any extended key usage', () => {
    expect(load({ certificate: anyUsage.cert, key: anyUsage.key }).certificate).toBeDefined()
  })

  it('checks a PKCS#12 file the same way', () => {
    const to = new Date(validity(expired.cert).validTo)
    expect(failure({ certificate: expired.pkcs12('x'), passphrase: 'x' }).message).toBe(
      `Input 'client_certificate' holds a certificate (CN=expired-runner) that expired on ` +
        `${to.toISOString().slice(0, 19)}Z: renew it.`
    )
    expect(failure({ certificate: serverOnly.pkcs12('x'), passphrase: 'x' }).message).toContain(
      'is not for TLS client authentication'
    )
  })
})

describe('keyFileWarning', () => {
  const workspace = join(dir, 'workspace')
  mkdirSync(join(workspace, 'certs'), { recursive: true })

  it('warns of a key file inside the workspace, naming it relative to the workspace', () => {
    expect(keyFileWarning({ keyFile: join(workspace, 'certs', 'client.key') }, workspace)).toBe(
      'The private key of the client certificate is read from a file in the workspace (certs/client.key): if it is ' +
        'committed, everyone who can read the repository has the key. Write it from a secret to a file in ' +
        'RUNNER_TEMP instead.'
    )
  })

  it.each([
    ['a key outside the workspace', { keyFile: join(dir, 'client.key') }, workspace],
    ['a key beside a workspace of a similar name', { keyFile: `${workspace}-2/client.key` }, workspace],
    ['a key given as text', { key: 'x' }, workspace],
    ['no certificate', undefined, workspace],
    ['no workspace', { keyFile: join(workspace, 'client.key') }, undefined]
  ])('says nothing for %s', (_what, certificate, where) => {
    expect(keyFileWarning(certificate, where)).toBeUndefined()
  })
})

describe('getSettings', () => {
  function source(values: Partial<Record<InputName, string>>) {
    const masked: string[] = []
    return {
      masked,
      getInput: (name: InputName) => (values[name] ?? INPUT_DEFAULTS[name] ?? '').trim(),
      setSecret: (value: string) => void masked.push(value)
    }
  }

  it('has no client certificate by default', () => {
    expect(getSettings(source({ client_id: 'id', client_secret: 's3cret' })).clientCertificate).toBeUndefined()
  })

  it('reads the three inputs into the client certificate, masking after the client secret', () => {
    const encrypted = client.encryptedKey('settings passphrase')
    const src = source({
      client_id: 'id',
      client_secret: 's3cret',
      client_certificate: client.certFile,
      client_key: encrypted.file,
      client_key_passphrase: 'settings passphrase'
    })
    expect(getSettings(src).clientCertificate).toEqual({
      cert: client.cert,
      key: encrypted.pem,
      passphrase: 'settings passphrase',
      keyFile: encrypted.file
    })
    expect(src.masked.slice(0, 2)).toEqual(['s3cret', 'settings passphrase'])
  })
})
