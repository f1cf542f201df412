/**
 * The keeper's channel: one request per connection, one JSON object on one line each way. Every
 * request carries the job's key: on Windows any local user can open a named pipe, so the pipe's name
 * proves nothing, and the keeper answers nothing, not even an error, to a request without the key.
 */

export type KeeperRequest = { op: 'token'; minValidity?: number } | { op: 'stop' }

export type KeeperResponse =
  | { ok: true; op: 'token'; token: string; expiresAt: number; masks: string[]; announced: boolean }
  | { ok: true; op: 'stop'; minted: number }
  | { ok: false; error: string }

/** No request is longer; the keeper reads no further. */
export const MAX_REQUEST_BYTES = 4096
/** How long the keeper waits for a request to arrive once a connection is open. */
export const REQUEST_TIMEOUT_MS = 5000
/** 32 random bytes, hex. */
export const KEY_PATTERN = /^[0-9a-f]{64}$/

/** The line a client sends. */
export function encodeRequest(key: string, request: KeeperRequest): string {
  return `${JSON.stringify({ key, ...request })}\n`
}

/** The request in `line`, or undefined when it is not one or does not carry `key`. */
export function parseRequest(line: string, key: string): KeeperRequest | undefined {
  const request = parseObject(line)
  if (!request) return undefined
  if (typeof request.key !== 'string' || !sameKey(request.key, key)) return undefined
  if (request.op === 'stop') return { op: 'stop' }
  if (request.op !== 'token') return undefined
  const minValidity = request.minValidity
  if (minValidity === undefined) return { op: 'token' }
  return Number.isSafeInteger(minValidity) && (minValidity as number) >= 0
    ? { op: 'token', minValidity: minValidity as number }
    : undefined
}

/**
 * Compares in constant time, so the key cannot be guessed a character at a time. (By hand rather
 * than with crypto.timingSafeEqual: the command shares this module, and loading node:crypto would
 * cost each of its calls a few milliseconds.)
 */
function sameKey(given: string, key: string): boolean {
  if (given.length !== key.length) return false
  let difference = 0
  for (let i = 0; i < key.length; i++) difference |= given.charCodeAt(i) ^ key.charCodeAt(i)
  return difference === 0
}

/** The line the keeper answers with. */
export function encodeResponse(response: KeeperResponse): string {
  return `${JSON.stringify(response)}\n`
}

/** The keeper's answer, or undefined when `line` is none (the client then says the keeper is broken). */
export function parseResponse(line: string): KeeperResponse | undefined {
  const response = parseObject(line)
  if (!response) return undefined
  if (response.ok === false)
    return typeof response.error === 'string' ? { ok: false, error: response.error } : undefined
  if (response.ok !== true) return undefined
  if (response.op === 'stop') {
    return typeof response.minted === 'number' ? { ok: true, op: 'stop', minted: response.minted } : undefined
  }
  const { token, expiresAt, masks, announced } = response
  const valid =
    response.op === 'token' &&
    typeof token === 'string' &&
    typeof expiresAt === 'number' &&
    Array.isArray(masks) &&
    masks.every(mask => typeof mask === 'string') &&
    typeof announced === 'boolean'
  return valid ? { ok: true, op: 'token', token, expiresAt, masks: masks as string[], announced } : undefined
}

/** The JSON object on `line`, or undefined when it holds none. */
function parseObject(line: string): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
}
