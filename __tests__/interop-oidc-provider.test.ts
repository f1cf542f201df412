// Interoperability with panva's oidc-provider, a certified OAuth 2.0 / OpenID Connect server that is
// strict where Datasaur's endpoint may be lenient: it form-decodes HTTP Basic credentials as RFC 6749
// §2.3.1 requires (and refuses them when they are not encoded), and it answers token_type "Bearer".
// The bundled action runs against it as a child process, as the runner would run it.

import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { expectSafeLog } from './support/expect-log.js'
import { maskedValues, runAction, visibleLog } from './support/run-action.js'

const SECRET = "Ds test +/=:%~!*'() secret"
const WRONG_SECRET = "not it +/=:%~!*'()"
const POST_CLIENT = 'interop-post'
const BASIC_CLIENT = 'interop-basic'
const TOKEN_TTL_SECONDS = 900

/** What the provider saw of one request, recorded by a middleware in front of it. */
interface SeenRequest {
  method: string
  path: string
  authorization: string | undefined
  /** Whether client_secret arrived as a form parameter. */
  secretInForm: boolean
  status: number
  body: Record<string, unknown> | undefined
}

/** The small part of oidc-provider used here; the package ships no type declarations. */
interface KoaContext {
  method: string
  path: string
  status: number
  body: unknown
  get(header: string): string
  oidc?: { params?: Record<string, unknown> }
}
interface OidcProvider {
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void
  callback(): (req: unknown, res: unknown) => void
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider

/** `application/x-www-form-urlencoded`, the encoding RFC 6749 §2.3.1 applies before Basic. */
const formEncode = (value: string): string => new URLSearchParams([['', value]]).toString().slice(1)

let server: Server
let tokenUrl: string
const seen: SeenRequest[] = []
const sockets = new Set<Socket>()
const originalWarn = console.warn
const originalInfo = console.info

beforeAll(async () => {
  // oidc-provider prints quick-start and runtime notices through console.warn/info, some of them as
  // it is imported, so the filter goes in before the import.
  const quiet =
    (write: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider ')) return
      write(...args)
    }
  console.warn = quiet(originalWarn)
  console.info = quiet(originalInfo)
  const specifier = 'oidc-provider'
  const { default: Provider } = (await import(specifier)) as { default: ProviderClass }

  // The issuer needs the port, so the server listens first and gets its handler afterwards.
  let handle: (req: unknown, res: unknown) => void = () => undefined
  server = createServer((req, res) => handle(req, res))
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const issuer = `http://127.0.0.1:${port}`
  tokenUrl = `${issuer}/token`

  const client = (clientId: string, method: string) => ({
    client_id: clientId,
    client_secret: SECRET,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: method
  })
  const provider = new Provider(issuer, {
    clients: [client(POST_CLIENT, 'client_secret_post'), client(BASIC_CLIENT, 'client_secret_basic')],
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    ttl: { ClientCredentials: TOKEN_TTL_SECONDS }
  })
  provider.use(async (ctx, next) => {
    const request: SeenRequest = {
      method: ctx.method,
      path: ctx.path,
      authorization: ctx.get('authorization') || undefined,
      secretInForm: false,
      status: 0,
      body: undefined
    }
    seen.push(request)
    await next()
    request.secretInForm = ctx.oidc?.params?.client_secret !== undefined
    request.status = ctx.status
    request.body = typeof ctx.body === 'object' && ctx.body !== null ? (ctx.body as Record<string, unknown>) : undefined
  })
  handle = provider.callback()
})

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise<void>(resolve => (server ? server.close(() => resolve()) : resolve()))
  console.warn = originalWarn
  console.info = originalInfo
})

/** Runs the action against the provider; returns its result and the requests it made. */
async function exchange(inputs: Record<string, string>) {
  const before = seen.length
  const result = await runAction({ token_url: tokenUrl, ...inputs })
  return { result, requests: seen.slice(before) }
}

/** The secret in every form the action could leak it: as given, form-encoded, and as Basic credentials. */
function secretForms(clientId: string, secret: string): string[] {
  return [secret, formEncode(secret), Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64')]
}

describe('the action against oidc-provider', () => {
  it('gets a token with client_secret_post, the credentials in the form', async () => {
    const { result, requests } = await exchange({ client_id: POST_CLIENT, client_secret: SECRET })

    expect(result.code).toBe(0)
    expect(requests).toHaveLength(1)
    expect(requests[0]).toMatchObject({ method: 'POST', path: '/token', authorization: undefined, secretInForm: true })
    expect(requests[0].status).toBe(200)
    const issued = requests[0].body?.access_token
    expect(typeof issued).toBe('string')
    expect(result.outputs.access_token).toBe(issued)
    expect(result.env.DATASAUR_ACCESS_TOKEN).toBe(issued)
    expect(result.outputs.expires_in).toBe(String(TOKEN_TTL_SECONDS))
  })

  it('gets a token with client_secret_basic, the credentials form-encoded (RFC 6749 §2.3.1)', async () => {
    const { result, requests } = await exchange({
      client_id: BASIC_CLIENT,
      client_secret: SECRET,
      auth_method: 'client_secret_basic'
    })

    expect(result.code).toBe(0)
    expect(requests).toHaveLength(1)
    expect(requests[0].secretInForm).toBe(false)
    expect(requests[0].authorization).toBe(
      `Basic ${Buffer.from(`${BASIC_CLIENT}:${formEncode(SECRET)}`).toString('base64')}`
    )
    expect(requests[0].status).toBe(200)
    expect(result.outputs.access_token).toBe(requests[0].body?.access_token)
  })

  it('is checked against a server that refuses Basic credentials sent without form encoding', async () => {
    // The control for the test above: the same secret joined raw is refused, so the action's
    // success there depends on its encoding.
    const before = seen.length
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${BASIC_CLIENT}:${SECRET}`).toString('base64')}`
      },
      body: 'grant_type=client_credentials'
    })
    const body = (await response.json()) as { error?: string }

    expect(response.status).toBe(400)
    expect(body.error).toBe('invalid_request')
    expect(seen.length - before).toBe(1)
  })

  it("keeps the server's token_type 'Bearer' as sent", async () => {
    const { result, requests } = await exchange({ client_id: POST_CLIENT, client_secret: SECRET })

    expect(result.code).toBe(0)
    expect(requests[0].body?.token_type).toBe('Bearer')
    expect(result.outputs.token_type).toBe('Bearer')
    expect(visibleLog(result)).toContain(`Obtained a Bearer token from ${tokenUrl}`)
  })

  it.each(['client_secret_post', 'client_secret_basic'])(
    'fails with invalid_client after exactly one request when the secret is wrong (%s)',
    async authMethod => {
      const clientId = authMethod === 'client_secret_post' ? POST_CLIENT : BASIC_CLIENT
      const { result, requests } = await exchange({
        client_id: clientId,
        client_secret: WRONG_SECRET,
        auth_method: authMethod
      })

      expect(result.code).toBe(1)
      expect(requests).toHaveLength(1)
      expect(requests[0].status).toBe(401)
      expect(requests[0].body?.error).toBe('invalid_client')
      expect(result.stdout).toMatch(/^::error::The token endpoint .* answered HTTP 401 with error 'invalid_client'/m)
      expect(result.stdout).not.toContain('retrying')
      expect(result.outputs).toEqual({})
      expect(result.env).toEqual({})
      const log = visibleLog(result)
      for (const form of [...secretForms(clientId, WRONG_SECRET), ...secretForms(clientId, SECRET)]) {
        expect(log).not.toContain(form)
      }
      expectSafeLog(result, [...secretForms(clientId, WRONG_SECRET), ...secretForms(clientId, SECRET)])
    }
  )

  it.each(['client_secret_post', 'client_secret_basic'])(
    'keeps the secret and the token out of the visible log and masks them (%s)',
    async authMethod => {
      const clientId = authMethod === 'client_secret_post' ? POST_CLIENT : BASIC_CLIENT
      const { result } = await exchange({ client_id: clientId, client_secret: SECRET, auth_method: authMethod })

      expect(result.code).toBe(0)
      const accessToken = result.outputs.access_token
      expect(accessToken).toBeTruthy()
      const log = visibleLog(result)
      for (const value of [...secretForms(clientId, SECRET), accessToken]) {
        expect(log).not.toContain(value)
      }
      expectSafeLog(result, [...secretForms(clientId, SECRET), accessToken])
      expect(maskedValues(result)).toEqual(expect.arrayContaining([SECRET, accessToken]))
    }
  )
})
