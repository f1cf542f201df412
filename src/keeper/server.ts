import { createServer, type Server, type Socket } from 'node:net'
import {
  encodeResponse,
  MAX_REQUEST_BYTES,
  parseRequest,
  REQUEST_TIMEOUT_MS,
  type KeeperRequest,
  type KeeperResponse
} from './protocol.js'
import type { TokenKeeper } from './tokens.js'

export interface KeeperServerOptions {
  keeper: TokenKeeper
  key: string
  /** Makes a message fit for the step log of the step that called: redacted and without commands. */
  clean: (message: string) => string
  /** Called once the answer to a stop request has been sent. */
  onStop: () => void
}

/** The keeper's side of the channel: reads each connection's one request, and answers it. */
export function createKeeperServer(options: KeeperServerOptions): Server {
  return createServer(socket => serveConnection(socket, options))
}

function serveConnection(socket: Socket, options: KeeperServerOptions): void {
  let received = ''
  // A connection that sends no request in time, or too much, is dropped unanswered.
  const timer = setTimeout(() => socket.destroy(), REQUEST_TIMEOUT_MS)
  // Stryker disable next-line StringLiteral,CallExpression: setEncoding('') reads as utf8; and a request is ASCII (JSON with a hex key, an op and a number), which reads the same decoded chunk by chunk
  socket.setEncoding('utf8')
  socket.on('error', () => undefined)
  socket.on('close', () => clearTimeout(timer))
  socket.on('data', (chunk: string) => {
    received += chunk
    const end = received.indexOf('\n')
    if (end < 0 && Buffer.byteLength(received) <= MAX_REQUEST_BYTES) return
    clearTimeout(timer)
    socket.removeAllListeners('data')
    // Stryker disable next-line EqualityOperator: at end 0 the line is empty, which parseRequest refuses as well
    const request = end < 0 ? undefined : parseRequest(received.slice(0, end), options.key)
    if (!request) {
      socket.destroy()
      return
    }
    void answer(request, options).then(response => {
      socket.end(encodeResponse(response), () => {
        if (request.op === 'stop') options.onStop()
      })
    })
  })
}

async function answer(request: KeeperRequest, options: KeeperServerOptions): Promise<KeeperResponse> {
  if (request.op === 'stop') return { ok: true, op: 'stop', minted: options.keeper.minted }
  try {
    const { token, expiresAtMs, masks, announced } = await options.keeper.get(request.minValidity)
    return { ok: true, op: 'token', token, expiresAt: expiresAtMs, masks, announced }
  } catch (error) {
    return { ok: false, error: options.clean(error instanceof Error ? error.message : String(error)) }
  }
}
