import type { Settings } from '../inputs.js'
import type { Token } from '../exchange/token-response.js'

/**
 * What the step hands the keeper through its stdin pipe: the only way the settings, the client secret
 * among them, reach it (never its argv, environment, a file or the runner's files).
 */
export interface KeeperPayload {
  /** The settings, as JSON writes them (`tokenUrl` as its href). */
  settings: Omit<Settings, 'tokenUrl'> & { tokenUrl: string }
  /** The token the step published, which the keeper serves while it is valid long enough. */
  token: { accessToken: string; tokenType: string; expiresIn?: number; expiresAtMs?: number }
  obtainedAtMs: number
  key: string
  /** Where to listen. */
  socket: string
  /** The channel directory: the keeper ends when it disappears. */
  dir: string
}

export function encodePayload(
  settings: Settings,
  token: Token,
  rest: Omit<KeeperPayload, 'settings' | 'token'>
): string {
  const payload: KeeperPayload = {
    ...rest,
    settings: { ...settings, tokenUrl: settings.tokenUrl.href },
    token: {
      accessToken: token.accessToken,
      tokenType: token.tokenType,
      expiresIn: token.expiresIn,
      expiresAtMs: token.expiresAt?.getTime()
    }
  }
  return JSON.stringify(payload)
}

export function decodePayload(text: string): { payload: KeeperPayload; settings: Settings; token: Token } {
  const payload = JSON.parse(text) as KeeperPayload
  const settings: Settings = { ...payload.settings, tokenUrl: new URL(payload.settings.tokenUrl) }
  const { accessToken, tokenType, expiresIn, expiresAtMs } = payload.token
  const token: Token = {
    accessToken,
    tokenType,
    expiresIn,
    expiresAt: expiresAtMs === undefined ? undefined : new Date(expiresAtMs)
  }
  return { payload, settings, token }
}
