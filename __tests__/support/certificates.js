// A throw-away certificate authority for TLS tests, made with the openssl CLI: a CA, and server
// certificates it signs for a chosen name and validity period (an expired one, one not valid yet,
// one for another name), as PEM files in a temporary directory. It also issues client certificates
// (for TLS client authentication), with their key encrypted or bundled into a PKCS#12 file.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const DAY_MS = 24 * 60 * 60 * 1000
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

/** `YYYYMMDDHHMMSSZ`, the form `openssl ca -startdate/-enddate` takes. */
function asn1Time(date) {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`
}

/**
 * @typedef {{ fromDays?: number, toDays?: number }} Validity
 * @typedef {{ key: string, cert: string, keyFile: string, certFile: string,
 *   encryptedKey: (passphrase: string) => { pem: string, file: string },
 *   pkcs12: (passphrase: string, options?: { legacy?: boolean }) => string }} ClientCertificate the PEM
 *   texts, their files, and the key encrypted (PKCS#8) or bundled with the certificate into a PKCS#12 file
 *   (the path is returned; `legacy` encrypts it with RC2 and 3DES, as older tools do)
 * @returns {{ dir: string, caFile: string, ca: Buffer,
 *   issue: (name: string, validity?: Validity) => { key: Buffer, cert: Buffer },
 *   issueClient: (name: string, validity?: Validity & { usage?: string }) => ClientCertificate,
 *   remove: () => void }}
 */
export function createCertificateAuthority(commonName = 'Datasaur Test CA') {
  const dir = mkdtempSync(join(tmpdir(), 'datasaur-pki-'))
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  openssl('req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${commonName}`)
  writeFileSync(join(dir, 'index.txt'), '')
  writeFileSync(join(dir, 'serial'), '01\n')
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'serial = $dir/serial',
      'new_certs_dir = $dir',
      'certificate = $dir/ca.pem',
      'private_key = $dir/ca.key',
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'copy_extensions = none',
      '[any]',
      'commonName = supplied'
    ].join('\n')
  )
  let issued = 0
  /** Signs a new EC key's request for `/CN=name` with the extensions given, valid from/to days relative to now. */
  function sign(id, name, extensions, { fromDays = -1, toDays = 2 } = {}) {
    openssl('req', ...EC_KEY, '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${name}`)
    writeFileSync(join(dir, `${id}.ext`), extensions.join('\n'))
    const now = Date.now()
    openssl(
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-in',
      `${id}.csr`,
      '-out',
      `${id}.pem`,
      '-extfile',
      `${id}.ext`,
      '-startdate',
      asn1Time(new Date(now + fromDays * DAY_MS)),
      '-enddate',
      asn1Time(new Date(now + toDays * DAY_MS))
    )
  }
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem')),
    /** A server certificate for `name` (DNS name or IP address), valid from/to days relative to now. */
    issue(name, validity) {
      const id = `server${++issued}`
      const san = /^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`
      sign(id, name, [`subjectAltName=${san}`, 'basicConstraints=CA:FALSE', 'extendedKeyUsage=serverAuth'], validity)
      return { key: readFileSync(join(dir, `${id}.key`)), cert: readFileSync(join(dir, `${id}.pem`)) }
    },
    /** A client certificate for `name`; `usage` is its extended key usage (clientAuth unless told). */
    issueClient(name, { usage = 'clientAuth', ...validity } = {}) {
      const id = `client${++issued}`
      sign(id, name, ['basicConstraints=CA:FALSE', `extendedKeyUsage=${usage}`], validity)
      const keyFile = join(dir, `${id}.key`)
      const certFile = join(dir, `${id}.pem`)
      // `openssl ca` writes the certificate's text form before the PEM block; a client sends only the PEM.
      const cert = readFileSync(certFile, 'utf8').replace(/^[\s\S]*?(?=-----BEGIN CERTIFICATE-----)/, '')
      writeFileSync(certFile, cert)
      let variant = 0
      return {
        key: readFileSync(keyFile, 'utf8'),
        cert,
        keyFile,
        certFile,
        encryptedKey(passphrase) {
          const file = join(dir, `${id}-${++variant}.enc.key`)
          openssl('pkcs8', '-topk8', '-in', keyFile, '-out', file, '-passout', `pass:${passphrase}`)
          return { pem: readFileSync(file, 'utf8'), file }
        },
        pkcs12(passphrase, { legacy = false } = {}) {
          const file = join(dir, `${id}-${++variant}.p12`)
          const args = ['-export', '-in', certFile, '-inkey', keyFile, '-out', file, '-passout', `pass:${passphrase}`]
          openssl('pkcs12', ...args, ...(legacy ? ['-legacy'] : []))
          return file
        }
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true })
  }
}
