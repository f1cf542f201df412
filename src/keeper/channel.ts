import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { encodeRequest, KEY_PATTERN, parseResponse, type KeeperRequest, type KeeperResponse } from './protocol.js'

/**
 * Where the keeper of a job is found: a directory under RUNNER_TEMP (readable by the runner's user
 * only), holding the channel file (the socket's path and the job's key), the `datasaur-token`
 * command, and on POSIX the socket itself. RUNNER_TEMP is emptied at the end of every job, and the
 * keeper ends when the directory disappears.
 */
export interface ChannelFile {
  /** The Unix socket's path, or the Windows named pipe's name. */
  socket: string
  key: string
  /** A directory made for the socket alone, when the channel directory's path was too long for it. */
  socketDir?: string
}

export const CHANNEL_DIR_NAME = 'datasaur-token'

export function channelDir(runnerTemp: string): string {
  return join(runnerTemp, CHANNEL_DIR_NAME)
}

export function channelFilePath(dir: string): string {
  return join(dir, 'channel.json')
}

/** The directory added to GITHUB_PATH: it holds `datasaur-token` and `datasaur-token.cmd`. */
export function commandDir(dir: string): string {
  return join(dir, 'bin')
}

/** The channel file of `dir`, or undefined when there is none or it is not one. */
export function readChannel(dir: string): ChannelFile | undefined {
  let value: unknown
  // Stryker disable BlockStatement: a value left undefined by an empty catch is refused by the checks below as well
  try {
    // Stryker disable next-line StringLiteral: without an encoding JSON.parse reads the Buffer as UTF-8 text all the same
    value = JSON.parse(readFileSync(channelFilePath(dir), 'utf8'))
  } catch {
    return undefined
  }
  // Stryker restore BlockStatement
  const channel = value as Partial<ChannelFile> | null
  if (typeof channel?.socket !== 'string' || typeof channel.key !== 'string' || !KEY_PATTERN.test(channel.key)) {
    return undefined
  }
  return channel as ChannelFile
}

/** The keeper could not be reached, or answered nothing that can be read. */
export class KeeperUnreachable extends Error {
  constructor(readonly reason: string) {
    super(reason)
  }
}

/** An answer holds at most two tokens, each within the 64 KiB an endpoint's answer may have. */
const MAX_RESPONSE_BYTES = 256 * 1024

/** Sends one request to the keeper and resolves with its answer, within `timeoutMs`. */
export function requestKeeper(
  channel: ChannelFile,
  request: KeeperRequest,
  timeoutMs: number
): Promise<KeeperResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(channel.socket)
    let received = ''
    const fail = (reason: string): void => {
      socket.destroy()
      reject(new KeeperUnreachable(reason))
    }
    const timer = setTimeout(() => fail(`no answer within ${Math.round(timeoutMs / 1000)} s`), timeoutMs)
    // Stryker disable next-line StringLiteral: setEncoding('') reads as utf8
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write(encodeRequest(channel.key, request)))
    socket.on('data', (chunk: string) => {
      received += chunk
      const end = received.indexOf('\n')
      if (end < 0 && received.length <= MAX_RESPONSE_BYTES) return
      // Stryker disable next-line CallExpression: the socket is destroyed next, and its 'close' clears the timer too
      clearTimeout(timer)
      socket.destroy()
      // Stryker disable next-line EqualityOperator: at end 0 the line is empty, which parseResponse refuses as well
      const response = end < 0 ? undefined : parseResponse(received.slice(0, end))
      if (response) resolve(response)
      else reject(new KeeperUnreachable('an answer that is not the keeper’s'))
    })
    socket.on('error', error => {
      // Stryker disable next-line CallExpression: 'close' follows every 'error', and clears the timer too
      clearTimeout(timer)
      // Stryker disable next-line StringLiteral: net reports each socket failure with its errno code; one without a code cannot be made to happen
      fail((error as NodeJS.ErrnoException).code ?? 'connection error')
    })
    socket.on('close', () => {
      clearTimeout(timer)
      fail('the connection closed without an answer')
    })
  })
}
