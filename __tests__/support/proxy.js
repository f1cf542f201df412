// A scriptable HTTP CONNECT proxy on loopback, for the proxy tests. Each CONNECT is answered by the
// next scripted behaviour (then by the default): relay the tunnel to a loopback port, stay silent,
// answer `200 Connection established` and then relay nothing, or refuse with a status. It records
// every CONNECT and its Proxy-Authorization header, and counts the connections still open, so a
// test can check that the client closed everything it opened.

import { createServer } from 'node:http'
import { connect } from 'node:net'

/**
 * @typedef {{ kind: 'relay', port: number } | { kind: 'silent' } | { kind: 'established-silent' }
 *   | { kind: 'status', status: number, body?: string }} ProxyBehaviour
 * @typedef {{ target: string, authorization: string | undefined }} ConnectRecord
 */

/** Relays the tunnel to `port` on 127.0.0.1, whatever host the client asked for. @returns {ProxyBehaviour} */
export const relayTo = port => ({ kind: 'relay', port })
/** Accepts the connection and never answers the CONNECT. @returns {ProxyBehaviour} */
export const silent = () => ({ kind: 'silent' })
/** Answers the CONNECT with 200 and then relays nothing. @returns {ProxyBehaviour} */
export const establishedSilent = () => ({ kind: 'established-silent' })
/** Refuses the CONNECT with `status`. @returns {ProxyBehaviour} */
export const refuse = (status, body = '') => ({ kind: 'status', status, body })

/**
 * @param {{ behaviours?: ProxyBehaviour[], fallback?: ProxyBehaviour }} [options]
 */
export async function startProxy(options = {}) {
  const behaviours = [...(options.behaviours ?? [])]
  const fallback = options.fallback ?? silent()
  /** @type {ConnectRecord[]} */
  const connects = []
  /** @type {string[]} `CONNECT <target>` for each tunnel asked for, the method and URL of anything else */
  const log = []
  /** @type {Set<import('node:net').Socket>} */
  const open = new Set()

  const server = createServer((req, res) => {
    log.push(`${req.method} ${req.url}`)
    res.writeHead(405).end()
  })
  server.on('connection', socket => {
    open.add(socket)
    socket.on('close', () => open.delete(socket))
  })
  server.on('connect', (req, socket, head) => {
    connects.push({ target: req.url ?? '', authorization: req.headers['proxy-authorization'] })
    log.push(`CONNECT ${req.url}`)
    socket.on('error', () => undefined)
    // The HTTP server keeps a socket half-open when the client ends it; a proxy closes its side too.
    socket.on('end', () => socket.end())
    const behaviour = behaviours.shift() ?? fallback
    switch (behaviour.kind) {
      case 'silent':
        // Reads and drops whatever comes, so the client's closing is seen.
        socket.resume()
        return
      case 'established-silent':
        socket.write('HTTP/1.1 200 Connection established\r\n\r\n')
        socket.resume()
        return
      case 'status':
        socket.end(
          `HTTP/1.1 ${behaviour.status} Refused\r\nContent-Length: ${Buffer.byteLength(behaviour.body ?? '')}\r\n\r\n${behaviour.body ?? ''}`
        )
        return
      case 'relay': {
        const upstream = connect(behaviour.port, '127.0.0.1', () => {
          socket.write('HTTP/1.1 200 Connection established\r\n\r\n')
          upstream.write(head)
          upstream.pipe(socket)
          socket.pipe(upstream)
        })
        open.add(upstream)
        upstream.on('close', () => open.delete(upstream))
        upstream.on('error', () => socket.destroy())
        socket.on('close', () => upstream.destroy())
      }
    }
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connects,
    log,
    /** Connections the proxy holds open now (from clients, and to upstream when relaying). */
    openConnections: () => open.size,
    /** Resolves once every connection is closed, or rejects after `ms`. */
    async allClosed(ms = 2000) {
      const deadline = Date.now() + ms
      while (open.size > 0) {
        if (Date.now() > deadline) throw new Error(`${open.size} proxy connections still open after ${ms} ms`)
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    },
    close() {
      for (const socket of open) socket.destroy()
      return new Promise(resolve => server.close(() => resolve(undefined)))
    }
  }
}
