// A throw-away certificate authority for TLS tests, made with the openssl CLI: a CA, and server
// certificates it signs for a chosen name and validity period (an expired one, one not valid yet,
// one for another name), as PEM files in a temporary directory.

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
 * @returns {{ dir: string, caFile: string, ca: Buffer,
 *   issue: (name: string, validity?: { fromDays?: number, toDays?: number }) => { key: Buffer, cert: Buffer },
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
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem')),
    /** A server certificate for `name` (DNS name or IP address), valid from/to days relative to now. */
    issue(name, { fromDays = -1, toDays = 2 } = {}) {
      const id = `server${++issued}`
      const san = /^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`
      openssl('req', ...EC_KEY, '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${name}`)
      writeFileSync(
        join(dir, `${id}.ext`),
        [`subjectAltName=${san}`, 'basicConstraints=CA:FALSE', 'extendedKeyUsage=serverAuth'].join('\n')
      )
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
      return { key: readFileSync(join(dir, `${id}.key`)), cert: readFileSync(join(dir, `${id}.pem`)) }
    },
    remove: () => rmSync(dir, { recursive: true, force: true })
  }
}
