import type { OutputGuard } from '../runner/output-guard.js'
import { stopKeeper } from './stop.js'

/** The GITHUB_STATE entry in which the step leaves the channel directory for its post step. */
export const CHANNEL_STATE = 'keeper_channel'

/**
 * The action's post step, which runs at the end of every job that used the action: with `refresh:
 * true` it stops the keeper and removes its directory, saying how many tokens it minted; without, the
 * step left no state, and this prints nothing.
 */
export async function runPostStep(env: NodeJS.ProcessEnv, output: OutputGuard): Promise<void> {
  const dir = env[`STATE_${CHANNEL_STATE}`]
  if (!dir) return
  const { minted } = await stopKeeper(dir)
  output.line(
    'stdout',
    minted === undefined
      ? 'The token keeper had already stopped; its directory was removed.'
      : `Stopped the token keeper; it minted ${minted} ${minted === 1 ? 'token' : 'tokens'} after the first.`
  )
}
