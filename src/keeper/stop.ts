import { rmSync } from 'node:fs'
import { channelDir, readChannel, requestKeeper } from './channel.js'

/** How long a stop waits for the keeper's answer: the post step must end within seconds. */
export const STOP_TIMEOUT_MS = 1500

export interface StopResult {
  /** A channel file was found: a keeper was started in this job. */
  found: boolean
  /** Tokens the keeper minted, when it answered the stop. */
  minted?: number
}

/**
 * Stops the keeper of the channel directory `dir` over its authenticated channel (never by a saved
 * process ID, which another process may hold by now), then removes the directory and the socket's
 * own one. A keeper that does not answer is gone already, or ends by itself once its directory is.
 */
export async function stopKeeper(dir: string, timeoutMs = STOP_TIMEOUT_MS): Promise<StopResult> {
  const channel = readChannel(dir)
  let minted: number | undefined
  if (channel) {
    try {
      const response = await requestKeeper(channel, { op: 'stop' }, timeoutMs)
      // Stryker disable next-line ConditionalExpression,LogicalOperator: parseResponse gives only a stop answer a minted count; any other leaves minted undefined either way.
      if (response.ok && response.op === 'stop') minted = response.minted
    } catch {
      // Nothing answered: nothing to stop.
    }
    if (channel.socketDir) rmSync(channel.socketDir, { recursive: true, force: true })
  }
  rmSync(dir, { recursive: true, force: true })
  return { found: channel !== undefined, minted }
}

export { channelDir }
