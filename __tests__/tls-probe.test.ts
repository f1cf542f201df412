import { afterEach, describe, expect, it } from '@jest/globals'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { speaksTls } from '../src/exchange/tls-probe.js'
import { createCertificateAuthority } from './support/certificates.js'

// Whether a port speaks TLS, asked with a handshake: real servers on loopback, each kind of answer.

const pki = createCertificateAuthority()
const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function listen(server: Server): Promise<URL> {
  const open = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    open.add(socket)
    socket.on('close', () => open.delete(socket))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => {
    for (const socket of open) socket.destroy()
    return new Promise(resolve => server.close(resolve))
  })
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/oauth/token`)
}

function probe(url: URL, timeoutMs?: number): Promise<{ tls: boolean; sockets: Socket[] }> {
  const sockets: Socket[] = []
  return speaksTls(url, socket => sockets.push(socket), timeoutMs).then(tls => ({ tls, sockets }))
}

describe('speaksTls', () => {
  it('is true for a TLS server whose certificate is not trusted, and closes its socket', async () => {
    const url = await listen(createHttpsServer(pki.issue('localhost')))
    const { tls, sockets } = await probe(url)
    expect(tls).toBe(true)
    expect(sockets).toHaveLength(1)
    expect(sockets[0].destroyed).toBe(true)
  })

  it('is true for a server that answers the ClientHello with a TLS alert', async () => {
    const alert = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]) // handshake_failure
    const url = await listen(createTcpServer(socket => socket.once('data', () => socket.end(alert))))
    expect((await probe(url)).tls).toBe(true)
  })

  it.each([
    ['closes the connection', (socket: Socket) => socket.once('data', () => socket.end())],
    ['resets it', (socket: Socket) => socket.once('data', () => socket.resetAndDestroy())],
    ['answers in plain http', (socket: Socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad\r\n\r\n'))]
  ])('is false for a server that %s', async (_what, behaviour) => {
    const url = await listen(createTcpServer(behaviour))
    const { tls, sockets } = await probe(url)
    expect(tls).toBe(false)
    expect(sockets[0].destroyed).toBe(true)
  })

  it('is false, and closes its socket, when the server says nothing within the time given', async () => {
    const url = await listen(createTcpServer(socket => socket.resume()))
    const { tls, sockets } = await probe(url, 50)
    expect(tls).toBe(false)
    expect(sockets[0].destroyed).toBe(true)
  })

  it('is false when nothing listens', async () => {
    const server = createTcpServer()
    const url = await listen(server)
    await new Promise(resolve => server.close(resolve))
    expect((await probe(url)).tls).toBe(false)
  })
})
