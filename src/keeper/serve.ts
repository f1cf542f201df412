import { existsSync, rmSync } from 'node:fs'
import type { Readable, Writable } from 'node:stream'
import { maskKey } from '../exchange/client-certificate.js'
import { exchangeToken, type ExchangeLog } from '../exchange/exchange.js'
import { endpointProtocol, proxySecrets, readProxyEnvironment } from '../exchange/proxy.js'
import type { Settings } from '../inputs.js'
import { systemClock } from '../exchange/retry.js'
import { neutralizeLine, Redactor } from '../text/log-text.js'
import { decodePayload } from './payload.js'
import { createKeeperServer } from './server.js'
import { holdToken, TokenKeeper } from './tokens.js'

/** The keeper ends when its channel directory has been gone this long at most (the runner empties RUNNER_TEMP). */
export const DIRECTORY_CHECK_MS = 15_000
/** GitHub's longest job: no keeper outlives it. */
export const MAX_LIFETIME_MS = 5 * 24 * 60 * 60 * 1000
/** What the keeper reads from the step, at most. */
const MAX_PAYLOAD_BYTES = 1024 * 1024

export interface KeeperProcess {
  stdin: Readable
  stdout: Writable
  env: NodeJS.ProcessEnv
  platform: NodeJS.Platform
  exit(code?: number): void
  on(event: 'uncaughtException' | 'unhandledRejection', listener: () => void): unknown
}

/**
 * The keeper's life: read the payload from the step, listen, say `ready` on stdout (the step's pipe,
 * closed after that), then mint and serve tokens until told to stop, until the channel directory
 * disappears, or for at most five days. It prints nothing: its answers go to the command, which
 * prints them through its own guard, so whatever it says is made safe here first.
 */
export async function runKeeper(
  proc: KeeperProcess,
  { directoryCheckMs = DIRECTORY_CHECK_MS, maxLifetimeMs = MAX_LIFETIME_MS } = {}
): Promise<void> {
  proc.on('uncaughtException', () => proc.exit(70))
  proc.on('unhandledRejection', () => proc.exit(70))
  proc.stdout.on('error', () => undefined)
  const { payload, settings, token } = decodePayload(await readAll(proc.stdin))

  const redactor = new Redactor()
  for (const secret of settingsSecrets(settings)) redactor.add(secret)
  for (const secret of proxySecrets(proc.env)) redactor.add(secret)
  redactor.add(token.accessToken)
  const log: ExchangeLog = {
    redactor,
    mask: value => redactor.add(value),
    debug: () => undefined,
    info: () => undefined
  }
  const environment = keeperExchangeEnvironment(proc.env, settings)
  const keeper = new TokenKeeper(
    holdToken(token, payload.obtainedAtMs, true),
    async () => {
      const obtainedAtMs = systemClock.now()
      return holdToken(await exchangeToken(settings, environment(), log, systemClock), obtainedAtMs, false)
    },
    () => systemClock.now()
  )

  // Stryker disable next-line ArrayDeclaration: clearTimeout ignores what is no timer.
  const timers: NodeJS.Timeout[] = []
  const shutdown = (code = 0): void => {
    for (const timer of timers) clearTimeout(timer)
    server.close()
    // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: close() has unlinked the socket file already (libuv does); this covers a close that did not.
    if (proc.platform !== 'win32') rmSync(payload.socket, { force: true })
    proc.exit(code)
  }
  const server = createKeeperServer({
    keeper,
    key: payload.key,
    clean: message => neutralizeLine(redactor.redact(message)),
    onStop: () => shutdown()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if (proc.platform !== 'win32') rmSync(payload.socket, { force: true })
    server.listen(payload.socket, () => resolve())
  })
  server.on('error', () => undefined)
  timers.push(
    setInterval(() => {
      if (!existsSync(payload.dir)) shutdown()
    }, directoryCheckMs).unref(),
    setTimeout(() => shutdown(), maxLifetimeMs).unref()
  )
  proc.stdout.end('ready\n')
}

/**
 * What the exchange takes from the keeper's environment, read as the step read it. A proxy variable
 * that cannot be used fails each mint before any request, with the step's message (the step checked
 * the same variables, so this is only reached when they differ).
 */
function keeperExchangeEnvironment(env: NodeJS.ProcessEnv, settings: Settings) {
  const extraCaFile = env.NODE_EXTRA_CA_CERTS
  try {
    const proxies = readProxyEnvironment(env, endpointProtocol(settings))
    return () => ({ extraCaFile, proxies })
  } catch (error) {
    return () => {
      throw error
    }
  }
}

/** What the step masked of its settings: the client secret, and the client certificate's key material. */
function settingsSecrets(settings: Settings): string[] {
  const secrets = [settings.clientSecret]
  const { key, passphrase, pfx } = settings.clientCertificate ?? {}
  if (key) maskKey(key, value => secrets.push(value))
  // Stryker disable next-line ConditionalExpression: the redactor ignores a missing secret.
  if (passphrase) secrets.push(passphrase)
  // Stryker disable next-line ConditionalExpression: the redactor ignores a missing secret.
  if (pfx) secrets.push(pfx)
  return secrets
}

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    // Stryker disable next-line StringLiteral: Node reads an empty encoding name as UTF-8.
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      text += chunk
      if (text.length > MAX_PAYLOAD_BYTES) reject(new Error('payload too large'))
    })
    stream.on('end', () => resolve(text))
    stream.on('error', reject)
  })
}
