import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
import { Socket } from 'node:net'
import { createSecureContext, TLSSocket } from 'node:tls'
import { InputError } from '../errors.js'
import { logSafe } from '../text/log-text.js'

/**
 * The TLS client certificate, as plain strings: Settings travel to the token keeper as JSON, and the
 * keeper presents the same certificate. Either `cert` and `key` (PEM; the key may be encrypted) or
 * `pfx` (a PKCS#12 file's bytes in base64), with the passphrase of an encrypted key or PKCS#12 file.
 */
export interface ClientCertificate {
  /** The certificate, then the chain certificates that go with it. */
  cert?: string
  key?: string
  pfx?: string
  passphrase?: string
  /** The absolute path of the file the key was read from, if it came from one. */
  keyFile?: string
}

/** `client_certificate`, `client_key` and `client_key_passphrase`, as given. */
export interface CertificateInputs {
  certificate: string
  key: string
  passphrase: string
}

type Mask = (value: string) => void
type InputName = 'client_certificate' | 'client_key' | 'client_key_passphrase'

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const ANY_USAGE = '2.5.29.37.0'
const BOTH =
  'client_certificate takes the certificate (PEM text or a file; a PKCS#12 file holds the key too) and ' +
  'client_key its private key.'

/**
 * Masks key text: the whole value and each of its lines of 8 characters or more, since the runner
 * masks line by line. The `-----BEGIN`/`-----END` lines are left alone: they are in every key, and
 * masking them would blank ordinary text.
 */
export function maskKey(text: string, mask: Mask): void {
  mask(text)
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim()
    // Stryker disable next-line MethodExpression: a boundary line starts and ends with the dashes.
    if (trimmed.length >= 8 && !trimmed.startsWith('-----')) mask(trimmed)
  }
}

function maskKeyBlocks(text: string, mask: Mask): void {
  for (const [block, type] of text.matchAll(PEM_BLOCK)) if (type.endsWith('PRIVATE KEY')) maskKey(block, mask)
}

/**
 * Reads and checks the client certificate before any connection: both halves given, each PEM of the
 * right kind or a readable file, the key decrypted and matching the certificate, the certificate valid
 * now and meant for client authentication. What the inputs carry of the key is masked first: the
 * passphrase, the key (unless `client_key` names a file, whose contents are masked once read), and a
 * key pasted into `client_certificate` after the certificate.
 */
export function loadClientCertificate(
  inputs: CertificateInputs,
  mask: Mask,
  now = Date.now()
): ClientCertificate | undefined {
  const { certificate, key, passphrase } = inputs
  if (passphrase) mask(passphrase)
  if (key && !existsSync(key)) maskKey(key, mask)
  maskKeyBlocks(certificate, mask)
  if (!certificate && !key) {
    if (passphrase)
      fail('client_key_passphrase', 'is set, but client_certificate and client_key are empty: set them too.')
    return undefined
  }
  if (!certificate) fail('client_certificate', `is empty while client_key is set: ${BOTH}`)
  const cert = readValue('client_certificate', certificate)
  const text = cert.data.toString('utf8')
  if (!text.includes('-----BEGIN')) {
    if (key) fail('client_key', 'must be empty when client_certificate is a PKCS#12 file, which holds the key.')
    return { ...loadPkcs12(cert.data, passphrase, now), keyFile: cert.file }
  }
  if (cert.file) maskKeyBlocks(text, mask)
  const blocks = [...text.matchAll(PEM_BLOCK)]
  const certificates = blocks.filter(([, type]) => type === 'CERTIFICATE').map(([block]) => block)
  if (certificates.length === 0) {
    fail('client_certificate', `holds no PEM certificate (-----BEGIN CERTIFICATE-----). ${BOTH}`)
  }
  const chain = certificates.map(block => parseCertificate(block))
  let keyText: string
  let keyFile = cert.file
  if (key) {
    const value = readValue('client_key', key)
    keyText = value.data.toString('utf8')
    keyFile = value.file
    if (keyFile) maskKeyBlocks(keyText, mask)
  } else {
    // A PEM file may hold the key after the certificate, as curl and OpenSSL accept it.
    keyText =
      blocks.find(([, type]) => type.endsWith('PRIVATE KEY'))?.[0] ??
      fail('client_key', `is empty while client_certificate is set: ${BOTH}`)
  }
  const privateKey = parseKey(keyText, passphrase)
  if (!chain[0].checkPrivateKey(privateKey)) {
    fail(
      'client_key',
      'does not match the certificate in client_certificate: give the key the certificate was issued for, ' +
        'and the certificate first in client_certificate (before its chain).'
    )
  }
  for (const x509 of chain) checkValidity(x509, now)
  checkUsage(chain[0])
  return { cert: `${certificates.join('\n')}\n`, key: keyText, passphrase: passphrase || undefined, keyFile }
}

/**
 * The warning for a key read from a file inside the workspace: the repository's files are read by
 * everyone who can read the repository, and kept in its history.
 */
export function keyFileWarning(
  certificate: ClientCertificate | undefined,
  workspace: string | undefined
): string | undefined {
  const file = certificate?.keyFile
  if (!file || !workspace) return undefined
  const inside = relative(resolve(workspace), file)
  if (inside.startsWith('..') || isAbsolute(inside)) return undefined
  return (
    `The private key of the client certificate is read from a file in the workspace (${logSafe(inside, 200)}): ` +
    'if it is committed, everyone who can read the repository has the key. Write it from a secret to a file ' +
    'in RUNNER_TEMP instead.'
  )
}

function fail(input: InputName, problem: string): never {
  throw new InputError(input, `Input '${input}' ${problem}`)
}

/** The value itself when it is PEM text, else the file it names. The value is never quoted: it may be a key. */
function readValue(input: InputName, value: string): { data: Buffer; file?: string } {
  if (value.includes('-----BEGIN')) return { data: Buffer.from(value) }
  try {
    return { data: readFileSync(value), file: resolve(value) }
  } catch (error) {
    return fail(
      input,
      `is neither PEM text (-----BEGIN ...) nor the path of a readable file (${errorCode(error)}). Pass the PEM ` +
        'itself, e.g. from a secret, or the path of a file that holds it (a file from the repository needs ' +
        'actions/checkout first).'
    )
  }
}

function parseCertificate(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch (error) {
    return fail('client_certificate', `holds a certificate that cannot be read (${errorCode(error)}).`)
  }
}

function parseKey(pem: string, passphrase: string): KeyObject {
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    const swapped = pem.includes('-----BEGIN CERTIFICATE-----') ? ': it holds a certificate; are the two swapped?' : '.'
    fail('client_key', `holds no PEM private key (-----BEGIN PRIVATE KEY-----)${swapped} ${BOTH}`)
  }
  const encrypted = pem.includes('ENCRYPTED')
  if (encrypted && !passphrase) fail('client_key', 'is encrypted: set client_key_passphrase to its passphrase.')
  try {
    return createPrivateKey({ key: pem, passphrase: passphrase || undefined })
  } catch (error) {
    if (encrypted) {
      fail('client_key_passphrase', `does not decrypt client_key (${errorCode(error)}): check the passphrase.`)
    }
    return fail('client_key', `holds a private key that cannot be read (${errorCode(error)}).`)
  }
}

/**
 * A PKCS#12 file, opened as TLS will open it. Node has no PKCS#12 reader, but a TLS socket that is
 * never connected shows the certificate its context holds, and that is checked like a PEM one.
 */
function loadPkcs12(data: Buffer, passphrase: string, now: number): ClientCertificate {
  let socket: TLSSocket
  try {
    socket = new TLSSocket(new Socket(), { secureContext: createSecureContext({ pfx: data, passphrase }) })
  } catch (error) {
    // Node's errors come from another realm under test runners: their message is read, not `instanceof` checked.
    const reason = logSafe(String((error as Error).message), 60)
    if (/mac verify/i.test(reason)) {
      return passphrase
        ? fail('client_key_passphrase', `does not open the PKCS#12 file in client_certificate (${reason}).`)
        : fail('client_key_passphrase', 'is empty, and the PKCS#12 file in client_certificate needs its passphrase.')
    }
    if (/unsupported pkcs12/i.test(reason)) {
      // OpenSSL 3 leaves RC2 and DES, which older tools encrypt PKCS#12 files with, to a legacy provider.
      fail(
        'client_certificate',
        'names a PKCS#12 file encrypted the old way (RC2 or DES), which Node no longer reads: convert it with ' +
          '`openssl pkcs12 -legacy -in old.p12 -nodes | openssl pkcs12 -export -out new.p12`, or pass PEM files.'
      )
    }
    return fail('client_certificate', `names a file that is neither PEM nor PKCS#12 (${reason}). ${BOTH}`)
  }
  const leaf = new X509Certificate((socket.getCertificate() as { raw: Buffer }).raw)
  // Stryker disable next-line CallExpression: frees the TLS state now rather than at collection; nothing waits on it.
  socket.destroy()
  checkValidity(leaf, now)
  checkUsage(leaf)
  return { pfx: data.toString('base64'), passphrase: passphrase || undefined }
}

function checkValidity(x509: X509Certificate, now: number): void {
  const subject = logSafe(x509.subject, 100)
  const from = new Date(x509.validFrom)
  const to = new Date(x509.validTo)
  if (now < from.getTime()) {
    fail('client_certificate', `holds a certificate (${subject}) that is not valid until ${isoDate(from)}.`)
  }
  if (now > to.getTime()) {
    fail('client_certificate', `holds a certificate (${subject}) that expired on ${isoDate(to)}: renew it.`)
  }
}

/** RFC 5280 §4.2.1.12: a certificate that lists its purposes is usable only for those. */
function checkUsage(x509: X509Certificate): void {
  const usage = x509.keyUsage
  if (usage && !usage.includes(CLIENT_AUTH) && !usage.includes(ANY_USAGE)) {
    fail(
      'client_certificate',
      `holds a certificate (${logSafe(x509.subject, 100)}) that is not for TLS client authentication (its ` +
        'extended key usage lacks clientAuth): ask for a client certificate.'
    )
  }
}

function isoDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`
}

/** Node's code for a failure reading a file, a certificate or a key (ENOENT, ERR_OSSL_...): a constant of its own. */
function errorCode(error: unknown): string {
  return String((error as { code?: unknown }).code)
}
