import { describe, expect, it } from '@jest/globals'
import { AttemptError } from '../src/errors.js'
import type { TokenHttpResponse } from '../src/exchange/token-request.js'
import { Redactor } from '../src/text/log-text.js'
import { parseTokenResponse, type ResponseContext } from '../src/exchange/token-response.js'

const SENT_AT = new Date('2026-01-01T12:00:00.000Z')

function response(status: number, body: unknown, headers: Record<string, string> = {}): TokenHttpResponse {
  return {
    url: new URL('https://datasaur.ai/api/oauth/token?tenant=x'),
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  }
}

/** What the action passes the parser: a redactor that knows `secrets`, the endpoint's input, the method. */
function context(secrets: string[] = [], extra: Partial<ResponseContext> = {}): ResponseContext {
  const redactor = new Redactor()
  for (const secret of secrets) redactor.add(secret)
  return { redactor, endpointInput: 'base_url', authMethod: 'client_secret_post', secrets, ...extra }
}

function failure(res: TokenHttpResponse, secrets: string[] = [], extra: Partial<ResponseContext> = {}): AttemptError {
  try {
    parseTokenResponse(res, SENT_AT, context(secrets, extra))
  } catch (error) {
    if (error instanceof AttemptError) return error
    throw error
  }
  throw new Error('expected an AttemptError')
}

describe('parseTokenResponse: success', () => {
  it('returns the token, keeping token_type as sent and counting expiry from the send time', () => {
    const token = parseTokenResponse(
      response(200, { access_token: '618f4778abc', token_type: 'Bearer', expires_in: 3600, extra: [1] }),
      SENT_AT,
      context()
    )
    expect(token).toEqual({
      accessToken: '618f4778abc',
      tokenType: 'Bearer',
      expiresIn: 3600,
      expiresAt: new Date('2026-01-01T13:00:00.000Z')
    })
  })

  it('leaves the expiry empty when the server gives none', () => {
    const token = parseTokenResponse(
      response(200, { access_token: 'tok-0123', token_type: 'bearer' }),
      SENT_AT,
      context()
    )
    expect(token.expiresIn).toBeUndefined()
    expect(token.expiresAt).toBeUndefined()
  })

  it('reads expires_in 0 as no lifetime, and accepts a digit string', () => {
    const zero = parseTokenResponse(
      response(200, { access_token: 'tok-0123', token_type: 'BEARER', expires_in: 0 }),
      SENT_AT,
      context()
    )
    expect(zero).toEqual({ accessToken: 'tok-0123', tokenType: 'BEARER', expiresIn: undefined, expiresAt: undefined })
    expect(
      parseTokenResponse(
        response(200, { access_token: 'tok-0123', token_type: 'bearer', expires_in: '60' }),
        SENT_AT,
        context()
      ).expiresIn
    ).toBe(60)
  })
})

describe('parseTokenResponse: invalid 200 answers are final', () => {
  it.each([
    [
      'HTML',
      '<html><body>Please sign in to Example SSO</body></html>',
      /answered HTTP 200 with content type 'text\/html'.*JSON object was expected/
    ],
    ['a JSON array', '[1]', /JSON object was expected/],
    ['no access_token', { token_type: 'bearer' }, /without an access_token/],
    ['an empty access_token', { access_token: '', token_type: 'bearer' }, /without an access_token/],
    ['a numeric access_token', { access_token: 42, token_type: 'bearer' }, /without an access_token/],
    ['a token with a newline', { access_token: 'abc\nEVIL=1', token_type: 'bearer' }, /outside visible ASCII/],
    ['a token with a space', { access_token: 'abc def', token_type: 'bearer' }, /outside visible ASCII/],
    ['a token with non-ASCII', { access_token: 'abcé', token_type: 'bearer' }, /outside visible ASCII/],
    [
      'token_type mac',
      { access_token: 'tok-0123', token_type: 'mac' },
      /token_type 'mac'; only bearer tokens are supported/
    ],
    ['no token_type', { access_token: 'tok-0123' }, /token_type none/],
    [
      'negative expires_in',
      { access_token: 'tok-0123', token_type: 'bearer', expires_in: -1 },
      /expires_in that is not a whole number of seconds/
    ],
    [
      'fractional expires_in',
      { access_token: 'tok-0123', token_type: 'bearer', expires_in: 1.5 },
      /expires_in that is not a whole number of seconds/
    ],
    [
      'text expires_in',
      { access_token: 'tok-0123', token_type: 'bearer', expires_in: 'soon' },
      /expires_in that is not a whole number of seconds/
    ],
    [
      'a boolean expires_in',
      { access_token: 'tok-0123', token_type: 'bearer', expires_in: true },
      /expires_in that is not a whole number of seconds/
    ],
    [
      'an exponent expires_in',
      { access_token: 'tok-0123', token_type: 'bearer', expires_in: '1e3' },
      /expires_in that is not a whole number of seconds/
    ],
    [
      'a padded expires_in',
      { access_token: 'tok-0123', token_type: 'bearer', expires_in: ' 60' },
      /expires_in that is not a whole number of seconds/
    ],
    [
      'a trailing-space expires_in',
      { access_token: 'tok-0123', token_type: 'bearer', expires_in: '60 ' },
      /expires_in that is not a whole number of seconds/
    ],
    [
      'an expires_in in an array',
      { access_token: 'tok-0123', token_type: 'bearer', expires_in: [3600] },
      /expires_in that is not a whole number of seconds/
    ],
    [
      'a token with a byte order mark inside',
      { access_token: 'abc\ufeffdef', token_type: 'bearer' },
      /outside visible ASCII/
    ],
    ['JSON null', 'null', /JSON object was expected/],
    ['a JSON number', '42', /JSON object was expected/]
  ])('rejects %s', (_what, body, message) => {
    const headers: Record<string, string> =
      typeof body === 'string' && body.startsWith('<') ? { 'content-type': 'text/html' } : {}
    const error = failure(response(200, body, headers))
    expect(error.message).toMatch(message)
    expect(error.message).toContain('https://datasaur.ai/api/oauth/token')
    expect(error.message).not.toContain('tenant=x')
    expect(error.message).not.toContain('Please sign in')
    expect(error.message).not.toContain('abc')
    expect(error.options.retryable).toBe(false)
  })
})

describe('parseTokenResponse: error answers', () => {
  it.each([400, 401])('makes invalid_client final with %i and says what to check', status => {
    const error = failure(response(status, { error: 'invalid_client', error_description: 'bad client' }))
    expect(error.message).toMatch(
      new RegExp(
        `answered HTTP ${status} with error 'invalid_client' \\(bad client\\)\\. The client ID or secret was rejected`
      )
    )
    expect(error.message).toMatch(/client_secret.*Regenerating.*Growth or Enterprise/)
    expect(error.options.retryable).toBe(false)
  })

  it.each([
    ['unsupported_grant_type', /does not accept the client_credentials grant/],
    ['invalid_scope', /rejected the requested scope/],
    ['unauthorized_client', /not allowed to use the client_credentials grant/],
    ['invalid_request', /found the request malformed/]
  ])('gives %s a hint', (code, hint) => {
    const error = failure(response(400, { error: code }))
    expect(error.message).toMatch(hint)
    expect(error.options).toMatchObject({ retryable: false, reason: `HTTP 400 ${code}` })
  })

  it.each([408, 425, 429, 500, 502, 503, 504])('marks HTTP %i retryable and keeps Retry-After', status => {
    const error = failure(response(status, 'busy', { 'retry-after': '7', 'content-type': 'text/plain' }))
    expect(error.options).toEqual({ retryable: true, reason: `HTTP ${status}`, retryAfter: '7' })
    expect(error.message).toBe(
      `The token endpoint https://datasaur.ai/api/oauth/token answered HTTP ${status} with content type 'text/plain' where JSON was expected.`
    )
  })

  it.each([403, 404, 405, 409, 418, 501])('makes HTTP %i final', status => {
    expect(failure(response(status, '')).options.retryable).toBe(false)
  })

  it('keeps a 503 with a client error code final', () => {
    expect(failure(response(503, { error: 'invalid_client' })).options.retryable).toBe(false)
  })

  it.each([
    [401, 'Check the client_id and client_secret secrets, and auth_method.'],
    [405, "This address does not accept POST: check 'base_url' or 'token_url'."]
  ])('gives a bare %i its hint', (status, hint) => {
    expect(failure(response(status, '')).message).toBe(
      `The token endpoint https://datasaur.ai/api/oauth/token answered HTTP ${status}. ${hint}`
    )
  })

  it('gives invalid_grant its hint', () => {
    expect(failure(response(400, { error: 'invalid_grant' })).message).toBe(
      "The token endpoint https://datasaur.ai/api/oauth/token answered HTTP 400 with error 'invalid_grant'. " +
        'The server rejected the grant: check the client credentials and the endpoint.'
    )
  })

  it('says only the status for a body of blanks, and content type none when there is none', () => {
    expect(failure(response(500, '  ')).message).toBe(
      'The token endpoint https://datasaur.ai/api/oauth/token answered HTTP 500.'
    )
    const bare = response(502, 'Bad Gateway')
    delete bare.headers['content-type']
    expect(failure(bare).message).toBe(
      "The token endpoint https://datasaur.ai/api/oauth/token answered HTTP 502 with content type 'none' where JSON was expected."
    )
  })

  it('points a 404 at base_url', () => {
    expect(failure(response(404, '<html>nope</html>')).message).toMatch(/check 'base_url' or 'token_url'/)
  })

  it('strips control characters and quotes from server text and cuts it short', () => {
    const error = failure(
      response(400, { error: 'invalid_request\n::set-env', error_description: `"x"\r\n::add-mask::${'y'.repeat(500)}` })
    )
    expect(error.message).not.toMatch(/[\r\n"]/)
    expect(error.message).toMatch(/error 'invalid_request ::set-env' \(x ::add-mask::y+…\)/)
    expect(error.message.length).toBeLessThan(500)
  })
})

describe('parseTokenResponse: echoed secrets', () => {
  it('scrubs a secret from server text before shortening it, so no part of it survives', () => {
    const secret = 'S3CRET-'.repeat(10)
    const description = `${'x'.repeat(180)} ${secret}`
    const error = failure(response(400, { error: 'invalid_request', error_description: description }), [secret])
    expect(error.message).toContain('x ***')
    expect(error.message).not.toContain('S3CRET')
  })
})

describe('parseTokenResponse: answers that are not what they seem', () => {
  it.each(['constructor', '__proto__', 'toString'])("treats error '%s' as an unknown code, not a final one", code => {
    const error = failure(response(503, { error: code }))
    expect(error.options.retryable).toBe(true)
    expect(error.message).toBe(
      `The token endpoint https://datasaur.ai/api/oauth/token answered HTTP 503 with error '${code}'.`
    )
  })

  it('says what came instead of a JSON error, without quoting the page', () => {
    const error = failure(
      response(403, '<html><h1>Access denied by Example WAF</h1></html>', {
        'content-type': 'text/html; charset="utf-8"'
      })
    )
    expect(error.message).toMatch(
      /^The token endpoint https:\/\/datasaur\.ai\/api\/oauth\/token answered HTTP 403 with content type 'text\/html; charset=utf-8' where JSON was expected\. The server or a proxy refused/
    )
    expect(error.message).not.toContain('WAF')
  })

  it('scrubs secrets from a quoted content type before shortening it', () => {
    const secret = 'S3CRET-'.repeat(10)
    const error = failure(response(200, 'x', { 'content-type': `text/plain; ${'p'.repeat(30)}${secret}` }), [secret])
    expect(error.message).toContain(`${'p'.repeat(30)}***`)
    expect(error.message).not.toContain('S3C')
  })

  it.each([
    ['the whole token', 'tok-0123456789abcdef'],
    ['part of the token', 'tok-0123456789'],
    ['a long value', 'x'.repeat(21)],
    ['a value with spaces', 'Bearer token']
  ])('does not quote a token_type that is %s', (_what, tokenType) => {
    const error = failure(response(200, { access_token: 'tok-0123456789abcdef', token_type: tokenType }))
    expect(error.message).toContain('token_type an unsupported value; only bearer tokens are supported.')
    expect(error.message).not.toContain('tok-')
  })

  it('does not quote a token_type that repeats part of a secret', () => {
    const error = failure(response(200, { access_token: 'tok-0123', token_type: 'hunter2' }), ['xhunter2x'])
    expect(error.message).toContain('token_type an unsupported value')
  })

  it('accepts the last expiry ISO 8601 can write with four digits, and refuses one a second later', () => {
    const last = (Date.UTC(9999, 11, 31, 23, 59, 59) - SENT_AT.getTime()) / 1000
    const accepted = parseTokenResponse(
      response(200, { access_token: 'tok-0123', token_type: 'bearer', expires_in: last }),
      SENT_AT,
      context()
    )
    expect(accepted.expiresAt?.toISOString()).toBe('9999-12-31T23:59:59.000Z')
    const error = failure(response(200, { access_token: 'tok-0123', token_type: 'bearer', expires_in: last + 1 }))
    expect(error.message).toMatch(/which ends after the year 9999 and is not a token lifetime\.$/)
    expect(error.options).toEqual({ retryable: false, reason: 'invalid token response' })
  })

  it('rejects an expires_in too large to be a date', () => {
    const error = failure(
      response(200, { access_token: 'tok-0123', token_type: 'bearer', expires_in: Number.MAX_SAFE_INTEGER })
    )
    expect(error.message).toMatch(/expires_in of 9007199254740991 s, which ends after the year 9999/)
  })
})

describe('parseTokenResponse: hints for set-up mistakes', () => {
  const HINT =
    'Datasaur also serves its API at https://app.datasaur.ai: if your workspace is there, set base_url: https://app.datasaur.ai.'

  it('tells a client_secret_basic user that invalid_client may mean: use the documented form post', () => {
    const error = failure(response(401, { error: 'invalid_client' }), [], { authMethod: 'client_secret_basic' })
    expect(error.message).toMatch(
      / Datasaur documents the form post \(auth_method: client_secret_post, the default\): remove 'auth_method' and try again\.$/
    )
    expect(failure(response(401, { error: 'invalid_client' })).message).not.toContain('form post')
    expect(
      failure(response(400, { error: 'invalid_scope' }), [], { authMethod: 'client_secret_basic' }).message
    ).not.toContain('form post')
  })

  it.each([
    ['a 404', response(404, { message: 'Not Found' })],
    ['a 405', response(405, '')],
    ['an HTML error page', response(500, '<html>oops</html>', { 'content-type': 'text/html' })],
    ['an HTML page with 200', response(200, '<html>app</html>', { 'content-type': 'text/html' })]
  ])('offers the other documented host when the default endpoint answers %s', (_what, res) => {
    expect(failure(res, [], { otherHostHint: HINT }).message.endsWith(` ${HINT}`)).toBe(true)
    expect(failure(res).message).not.toContain('app.datasaur.ai')
  })

  it('does not offer it for an OAuth error, which only a token endpoint sends', () => {
    expect(failure(response(400, { error: 'invalid_request' }), [], { otherHostHint: HINT }).message).not.toContain(
      'app.datasaur.ai'
    )
    expect(failure(response(401, {}), [], { otherHostHint: HINT }).message).not.toContain('app.datasaur.ai')
  })

  it('names the input the endpoint came from when a 200 is not JSON', () => {
    expect(failure(response(200, 'x'), [], { endpointInput: 'token_url' }).message).toContain("Check 'token_url'.")
  })

  it('retries a 200 with an empty body, saying it was empty', () => {
    const error = failure(response(200, ' '))
    expect(error.message).toBe(
      'The token endpoint https://datasaur.ai/api/oauth/token answered HTTP 200 with an empty body.'
    )
    expect(error.options).toEqual({ retryable: true, reason: 'HTTP 200, empty body' })
  })
})

describe('parseTokenResponse: tokens that must not be published are refused without being quoted', () => {
  const SECRET = 'Sup3r-Secret/+=value'
  const FORM_ENCODED = 'Sup3r-Secret%2F%2B%3Dvalue'
  const refused = (accessToken: string, secrets = [SECRET, FORM_ENCODED]) => {
    const error = failure(response(200, { access_token: accessToken, token_type: 'bearer' }), secrets, { secrets })
    expect(error.options).toEqual({ retryable: false, reason: 'invalid token response' })
    expect(error.message).not.toContain(accessToken)
    for (const secret of secrets) expect(error.message.toLowerCase()).not.toContain(secret.toLowerCase())
    return error.message
  }
  const SECRET_MESSAGE =
    'The token endpoint https://datasaur.ai/api/oauth/token answered with an access_token that repeats the client ' +
    "secret; it was not used, so the secret is not handed to later steps. Check that 'base_url' points at a " +
    'Datasaur token endpoint and not at a service that echoes the request.'

  it.each([
    ['the secret itself', SECRET],
    ['the secret in another case', SECRET.toUpperCase()],
    ['the secret as the form carries it', FORM_ENCODED],
    ['a value that contains the secret', `tok.${SECRET}.sig`],
    ['a value that contains the encoded secret in another case', `x${FORM_ENCODED.toLowerCase()}`]
  ])('refuses %s', (_what, accessToken) => {
    expect(refused(accessToken)).toBe(SECRET_MESSAGE)
  })

  it('refuses a token equal to a short secret, but not one that merely contains it', () => {
    expect(refused('abc12345', ['abc12345'])).toBe(SECRET_MESSAGE)
    expect(refused('xABC12345x', ['abc12345'])).toBe(SECRET_MESSAGE)
    expect(refused('ABC1234', ['abc1234'])).toBe(SECRET_MESSAGE)
    const token = parseTokenResponse(
      response(200, { access_token: 'xabc1234x', token_type: 'bearer' }),
      SENT_AT,
      context([], { secrets: ['abc1234'] })
    )
    expect(token.accessToken).toBe('xabc1234x')
  })

  it.each(['Q', 'Qz7Vx9w', 'Z'.repeat(7)])('refuses a token of fewer than 8 characters: %j', accessToken => {
    expect(refused(accessToken)).toBe(
      'The token endpoint https://datasaur.ai/api/oauth/token answered with an access_token shorter than 8 ' +
        'characters; it was not used, since masking it would hide that text everywhere in the log. Check that ' +
        "'base_url' points at a Datasaur token endpoint."
    )
  })

  it('accepts a token of exactly 8 characters', () => {
    const token = parseTokenResponse(
      response(200, { access_token: 'abcdefgh', token_type: 'bearer' }),
      SENT_AT,
      context([], { secrets: [SECRET] })
    )
    expect(token.accessToken).toBe('abcdefgh')
  })

  it.each(['::stop-commands::abcdefgh', '::add-mask::x', 'abcdefgh##[group]x', '##[add-mask]abcdefgh'])(
    'refuses a token the runner would read as a workflow command: %j',
    accessToken => {
      expect(refused(accessToken)).toBe(
        'The token endpoint https://datasaur.ai/api/oauth/token answered with an access_token that the runner ' +
          "would read as a workflow command (it begins with '::' or contains '##['); it was not used."
      )
    }
  )

  it.each(['abcdefgh::x', 'a:b::cdefgh', 'abcdefgh##x', 'abc#[defgh', 'abcdefgh[##]'])(
    'accepts a token with colons or hashes that is no workflow command: %j',
    accessToken => {
      const token = parseTokenResponse(
        response(200, { access_token: accessToken, token_type: 'bearer' }),
        SENT_AT,
        context()
      )
      expect(token.accessToken).toBe(accessToken)
    }
  )

  it.each(['abcd efgh', 'abcd\tefgh', 'abcdefgh\n', 'abcd\u0000efgh', 'abcd\u007fefgh', 'abcdefgh\r'])(
    'refuses a token with whitespace or control characters: %j',
    accessToken => {
      expect(refused(accessToken)).toMatch(
        /access_token containing characters outside visible ASCII; it was not used\.$/
      )
    }
  )
})
