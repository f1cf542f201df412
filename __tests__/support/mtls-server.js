// Token endpoints that ask for a TLS client certificate, on loopback, for the mutual-TLS tests.
//
// startMtlsServer: Node's HTTPS server with requestCert and its own CA. It rejects a certificate the
// way Node does, by closing the connection after the handshake without a TLS alert (with TLS 1.3
// the client has finished its handshake by then, so it sees only a reset), and a missing one with
// OpenSSL's "certificate required" alert. It counts connections and records the client certificate
// of each request it answers.
//
// startOpenSslServer: `openssl s_server`, which answers every certificate problem with the TLS alert
// that names it (unknown CA, expired, unsupported...), as ingresses built on OpenSSL do. It serves no
// HTTP; a counting relay in front of it tells how many connections were made.

import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createTcpServer, connect } from 'node:net'
import { join } from 'node:path'
import tls from 'node:tls'

export const MTLS_TOKEN = 'mtls-token-0123456789abcdef'

function listen(server, host = '127.0.0.1') {
  return new Promise(resolve => server.listen(0, host, () => resolve(server.address().port)))
}

/** Tracks a server's connections: how many were made, and closes those still open on `close`. */
function tracked(server) {
  const open = new Set()
  const state = {
    connections: 0,
    /** @returns {Promise<void>} */
    close() {
      for (const socket of open) socket.destroy()
      return new Promise(resolve => server.close(() => resolve(undefined)))
    }
  }
  server.on('connection', socket => {
    state.connections++
    // A client that gives up mid-handshake resets the connection; that is no failure of the server.
    socket.on('error', () => undefined)
    open.add(socket)
    socket.on('close', () => open.delete(socket))
  })
  return state
}

/**
 * @param {{ ca: Buffer, issue: (name: string) => { key: Buffer, cert: Buffer } }} pki
 * @param {{ name?: string, maxVersion?: import('node:tls').SecureVersion,
 *   reply?: (res: import('node:http').ServerResponse) => void }} [options]
 */
export async function startMtlsServer(pki, options = {}) {
  const name = options.name ?? '127.0.0.1'
  /** @type {string[]} the subject CN of the client certificate of each request answered */
  const clients = []
  const server = createHttpsServer(
    { ...pki.issue(name), ca: pki.ca, requestCert: true, rejectUnauthorized: true, maxVersion: options.maxVersion },
    (req, res) => {
      clients.push(req.socket.getPeerCertificate().subject?.CN ?? '')
      req.resume()
      req.on('end', () => {
        if (options.reply) return options.reply(res)
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ access_token: MTLS_TOKEN, token_type: 'bearer', expires_in: 3600 }))
      })
    }
  )
  server.on('tlsClientError', () => undefined)
  const state = tracked(server)
  const port = await listen(server)
  return Object.assign(state, { port, url: `https://${name}:${port}`, clients })
}

/**
 * `openssl s_server` requiring a client certificate from `pki`'s CA, behind a counting relay.
 * `extra` are more s_server options (`-tls1_2`, `-attime <seconds>` to judge certificates at another time).
 * @param {{ dir: string, caFile: string, issue: (name: string) => { key: Buffer, cert: Buffer } }} pki
 * @param {string[]} [extra]
 */
export async function startOpenSslServer(pki, extra = []) {
  const { key, cert } = pki.issue('127.0.0.1')
  const id = `s_server-${Date.now()}-${Math.random().toString(16).slice(2)}`
  writeFileSync(join(pki.dir, `${id}.key`), key)
  writeFileSync(join(pki.dir, `${id}.pem`), cert)
  const args = ['s_server', '-accept', '127.0.0.1:0', '-cert', `${id}.pem`, '-key', `${id}.key`]
  args.push('-CAfile', pki.caFile, '-Verify', '1', '-verify_return_error', ...extra)
  const child = spawn('openssl', args, { cwd: pki.dir, stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  const upstream = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`openssl s_server did not start: ${output}`))
    }, 10_000)
    const read = chunk => {
      output += chunk
      const match = /^ACCEPT .*:(\d+)$/m.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    child.on('exit', () => reject(new Error(`openssl s_server exited: ${output}`)))
  })
  const relay = createTcpServer(socket => {
    const server = connect(upstream, '127.0.0.1')
    socket.pipe(server).pipe(socket)
    socket.on('error', () => server.destroy())
    server.on('error', () => socket.destroy())
    socket.on('close', () => server.destroy())
    server.on('close', () => socket.destroy())
  })
  const state = tracked(relay)
  const port = await listen(relay)
  const closeRelay = state.close
  state.close = async () => {
    child.kill()
    await closeRelay()
  }
  return Object.assign(state, { port, url: `https://127.0.0.1:${port}` })
}

/**
 * Makes this process trust `ca` for the TLS connections it makes, as NODE_EXTRA_CA_CERTS does for
 * the action's own process (Node reads that variable only at start, so in-process tests cannot set
 * it). Returns the function that undoes it.
 * @param {Buffer} ca
 */
export function trustInProcess(ca) {
  const original = tls.createSecureContext
  tls.createSecureContext = options => original({ ...options, ca: options?.ca ?? [...tls.rootCertificates, ca] })
  return () => {
    tls.createSecureContext = original
  }
}
