import type { Socket } from 'node:net'
import { connect } from 'node:tls'
import { sharedLookup } from './lookup.js'
import { CERTIFICATE_PROBLEMS } from './network-errors.js'

/** How long the probe waits for the server's first TLS answer; silence counts as no. */
export const PROBE_TIMEOUT_MS = 2000

/**
 * Whether the server at the host and port of a plain-http URL speaks TLS. A TLS server that is sent
 * an HTTP request closes the connection without a word (OpenSSL, and so Node, send not even an
 * alert), which reads like any passing reset; a TLS ClientHello on a new connection tells the two
 * apart. The server speaks TLS when the handshake completes, fails over the certificate (which it
 * sent), or ends in a TLS alert. Nothing but the handshake is sent, and the socket is handed to
 * `track` so that the end of the attempt closes it too.
 */
export function speaksTls(url: URL, track: (socket: Socket) => void, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise(resolve => {
    // Node sends no server name for an IP address (RFC 6066 §3), and the host name otherwise.
    // Stryker disable next-line Regex: the URL parser writes brackets only around a whole IPv6 address.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    const socket = connect({ host, port: Number(url.port || 80), lookup: sharedLookup })
    track(socket)
    const answer = (tls: boolean): void => {
      // Stryker disable next-line BlockStatement,CallExpression: the timer would only answer again, to no one.
      clearTimeout(timer)
      socket.destroy()
      resolve(tls)
    }
    const timer = setTimeout(() => answer(false), timeoutMs)
    // Only a trusted certificate completes the handshake, which needs NODE_EXTRA_CA_CERTS at start-up:
    // network-faults.test.ts runs that through the bundle.
    // Stryker disable next-line all: in-process tests cannot give the probe a trusted certificate.
    socket.once('secureConnect', () => answer(true))
    socket.once('error', error => answer(isTlsAnswer(error)))
    // Stryker disable next-line all: an error comes first whenever the handshake fails.
    socket.once('close', () => answer(false))
  })
}

/** A handshake error that only a TLS server's answer can cause: its certificate, or an alert it sent. */
function isTlsAnswer(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code)
  return CERTIFICATE_PROBLEMS[code] !== undefined || /_ALERT_/.test(code)
}
