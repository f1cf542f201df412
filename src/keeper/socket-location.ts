import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChannelFile } from './channel.js'

/**
 * The longest Unix socket path every platform takes: macOS's sun_path holds 104 bytes with the
 * final NUL, Linux's 108.
 */
export const MAX_SOCKET_PATH_BYTES = 103

/**
 * Where the keeper listens: a named pipe on Windows (its name is no secret: the key is), a socket in
 * the channel directory elsewhere, or, when that path would be too long (a deep RUNNER_TEMP on a
 * self-hosted runner), in a new private directory under the system's temporary directory.
 */
export function socketLocation(
  dir: string,
  platform: NodeJS.Platform,
  suffix: string,
  temporaryDir: string = tmpdir()
): Pick<ChannelFile, 'socket' | 'socketDir'> {
  if (platform === 'win32') return { socket: `\\\\.\\pipe\\datasaur-token-${suffix}` }
  const inChannel = join(dir, 'keeper.sock')
  if (Buffer.byteLength(inChannel) <= MAX_SOCKET_PATH_BYTES) return { socket: inChannel }
  const base = Buffer.byteLength(temporaryDir) <= 60 ? temporaryDir : '/tmp'
  // mkdtemp makes the directory readable by its owner only.
  const socketDir = mkdtempSync(join(base, 'dtk-'))
  return { socket: join(socketDir, 'keeper.sock'), socketDir }
}
