// `refresh: true` through the bundles, in a job as the runner runs it (support/job.js): the action's
// step starts the token keeper, later steps call `datasaur-token` from bash, the post step stops it.
// The endpoint issues short-lived tokens, so expiry happens within a test.

import { statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from '@jest/globals'
import { NO_KEEPER } from '../src/keeper/token-command.js'
import { createCertificateAuthority } from './support/certificates.js'
import { createJob, RUNNER_SECRETS } from './support/job.js'
import { startMtlsServer } from './support/mtls-server.js'
import { relayTo, startProxy } from './support/proxy.js'
import { ORDERS, injectedCommands, visibleSecrets, type RunnerLog } from './support/runner-log.js'
import { json, startTokenServer } from './support/token-server.js'

type Job = ReturnType<typeof createJob>
type TokenServer = Awaited<ReturnType<typeof startTokenServer>>

const CLIENT_ID = 'keeper-client'
const CLIENT_SECRET = 'Ke3per-Secret-Value-0042'

const jobs: Job[] = []
const servers: TokenServer[] = []
afterEach(async () => {
  for (const job of jobs.splice(0)) job.end()
  for (const server of servers.splice(0)) await server.close()
})

async function setUp(options: Parameters<typeof startTokenServer>[0] = {}) {
  const server = await startTokenServer({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options })
  servers.push(server)
  const job = createJob()
  jobs.push(job)
  return { server, job }
}

function inputs(server: TokenServer, extra: Record<string, string> = {}) {
  return { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, base_url: server.baseUrl, refresh: 'true', ...extra }
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** In both orders of every batch: no value visible, no command but the action's own obeyed. */
function expectSafe(logs: Record<string, RunnerLog>, values: string[]) {
  for (const order of ORDERS) {
    const log = logs[order]
    expect({ order, visible: visibleSecrets(log, values), injected: injectedCommands(log) }).toEqual({
      order,
      visible: [],
      injected: []
    })
    expect(log.failure).toBeUndefined()
    expect(log.stoppedAt).toBeUndefined()
  }
}

/** The keeper of the job, found as the runner finds orphans: by RUNNER_TRACKING_ID. */
function keepers(job: Job) {
  return job.processes().filter(p => p.cmdline.some(arg => arg.endsWith('keeper/index.js')))
}

describe('refresh: false', () => {
  it('leaves no process, adds nothing to PATH, and its post step prints nothing and ends at once', async () => {
    const { server, job } = await setUp()
    const step = await job.action(inputs(server, { refresh: 'false' }))

    expect(step.code).toBe(0)
    expect(step.outputs.access_token).toBe(server.issuedTokens[0])
    expect(step.path).toEqual([])
    expect(step.state).toEqual({})
    expect(job.processes()).toEqual([])
    const post = await job.post()
    expect(post.code).toBe(0)
    expect(post.stdout).toBe('')
    expect(post.stderr).toBe('')
  })
})

describe('refresh: true', () => {
  it('publishes as before, and later steps get the published token while it is valid long enough', async () => {
    const { server, job } = await setUp()
    const step = await job.action(inputs(server))

    expect(step.code).toBe(0)
    expect(step.outputs.access_token).toBe(server.issuedTokens[0])
    expect(step.env.DATASAUR_ACCESS_TOKEN).toBe(server.issuedTokens[0])
    expect(step.path).toEqual([`${job.runnerTemp}/datasaur-token/bin`])
    expectSafe(step.logs, [CLIENT_SECRET, server.issuedTokens[0]])
    expect(keepers(job)).toHaveLength(1)

    const later = await job.run('token=$(datasaur-token)\necho "token: $token"\ndatasaur-token --min-validity 60\n')
    expect(later.code).toBe(0)
    expect(later.stdout).toBe(`token: ${server.issuedTokens[0]}\n${server.issuedTokens[0]}\n`)
    expect(server.requests).toHaveLength(1)
    expectSafe(later.logs, [CLIENT_SECRET, server.issuedTokens[0]])
    expect(later.logs['stdout-first'].lines).toContain('token: ***')
  })

  it('mints a fresh token after expiry, masked in the later step whatever the order', async () => {
    const { server, job } = await setUp({ expiresIn: 4 })
    expect((await job.action(inputs(server))).code).toBe(0)
    await sleep(2500)

    // Half the lifetime (the default validity for a 4 s token) is 2 s: the first token no longer has it.
    const later = await job.run('t=$(datasaur-token)\necho "fresh: $t"\n')
    expect(later.code).toBe(0)
    expect(server.issuedTokens).toHaveLength(2)
    expect(later.stdout).toBe(`fresh: ${server.issuedTokens[1]}\n`)
    expectSafe(later.logs, [CLIENT_SECRET, ...server.issuedTokens])
    for (const order of ORDERS) expect(later.logs[order].lines).toContain('fresh: ***')
  })

  it('announces the next token ahead of its use once the current one is past half its lifetime', async () => {
    const { server, job } = await setUp({ expiresIn: 6 })
    expect((await job.action(inputs(server))).code).toBe(0)
    await sleep(3300)

    // Past half its life but valid for more than 2 s: returned, and the next one minted meanwhile.
    const first = await job.run(
      'datasaur-token --min-validity 2 > /dev/null\nsleep 0.5\ndatasaur-token --min-validity 2 > /dev/null\n'
    )
    expect(first.code).toBe(0)
    expect(server.issuedTokens).toHaveLength(2)
    expect(first.stderr).toContain(`::add-mask::${server.issuedTokens[1]}`)
    await sleep(1500)

    const second = await job.run('echo "next: $(datasaur-token --min-validity 2)"\n')
    expect(second.stdout).toBe(`next: ${server.issuedTokens[1]}\n`)
    expect(server.issuedTokens).toHaveLength(2)
    expectSafe(second.logs, [CLIENT_SECRET, ...server.issuedTokens])
  })

  it('20 concurrent calls that need a new token share one request', async () => {
    const { server, job } = await setUp({ expiresIn: 3 })
    expect((await job.action(inputs(server))).code).toBe(0)
    await sleep(1800)

    const calls = await job.run(
      'for i in $(seq 20); do datasaur-token > "$RUNNER_TEMP/call-$i" & done\nwait\ncat "$RUNNER_TEMP"/call-* | sort | uniq -c\n'
    )
    expect(calls.code).toBe(0)
    expect(server.requests).toHaveLength(2)
    expect(calls.stdout.trim()).toBe(`20 ${server.issuedTokens[1]}`)
  })

  it('keeps the secret in no file, no environment and no command line', async () => {
    const { server, job } = await setUp()
    expect((await job.action(inputs(server))).code).toBe(0)
    await job.run('datasaur-token > /dev/null\n')

    for (const file of job.files()) {
      expect({ file: file.path, secret: file.content.includes(CLIENT_SECRET) }).toEqual({
        file: file.path,
        secret: false
      })
    }
    const [keeper] = keepers(job)
    const seen = [...keeper.environ, ...keeper.cmdline].join('\n')
    expect(seen).not.toContain(CLIENT_SECRET)
    expect(seen).not.toContain(server.issuedTokens[0])
    expect(keeper.environ.filter(entry => /^(INPUT_|ACTIONS_|GITHUB_)/.test(entry))).toEqual([])
    for (const value of Object.values(RUNNER_SECRETS)) expect(seen).not.toContain(value)
    expect(keeper.environ).toContain(`RUNNER_TRACKING_ID=${job.trackingId}`)
    expect(statSync(`${job.runnerTemp}/datasaur-token`).mode & 0o777).toBe(0o700)
    expect(statSync(`${job.runnerTemp}/datasaur-token/channel.json`).mode & 0o777).toBe(0o600)
  })

  it('answers nothing to a request without the key', async () => {
    const { server, job } = await setUp()
    expect((await job.action(inputs(server))).code).toBe(0)
    const socket = `${job.runnerTemp}/datasaur-token/keeper.sock`
    const ask = (line: string) =>
      new Promise<string>(resolve => {
        let received = ''
        const client = connect(socket, () => client.write(line))
        client.on('data', chunk => (received += chunk))
        client.on('close', () => resolve(received))
      })

    expect(await ask('{"op":"token"}\n')).toBe('')
    expect(await ask(`{"op":"token","key":"${'0'.repeat(64)}"}\n`)).toBe('')
    expect(await ask('{"op":"stop"}\n')).toBe('')
    expect(keepers(job)).toHaveLength(1)
    expect((await job.run('datasaur-token > /dev/null\n')).code).toBe(0)
  })

  it('refuses when stderr cannot reach the step log on its own stream', async () => {
    const { server, job } = await setUp()
    expect((await job.action(inputs(server))).code).toBe(0)

    const quiet = await job.run('datasaur-token 2>/dev/null || echo "exit $?"\n')
    expect(quiet.stdout).toBe('exit 2\n')
    const merged = await job.run('datasaur-token 2>&1 || echo "exit $?"\n')
    expect(merged.stdout).toMatch(/^datasaur-token: stderr is the same pipe as stdout.*\nexit 2\n$/)
    const filed = await job.run('datasaur-token 2>"$RUNNER_TEMP/err" || echo "exit $?"\n')
    expect(filed.stdout).toBe('exit 2\n')
    expect(filed.stdout + quiet.stdout + merged.stdout).not.toContain(server.issuedTokens[0])
  })

  it('the post step stops the keeper within 2 s and says how many tokens it minted', async () => {
    const { server, job } = await setUp({ expiresIn: 3 })
    expect((await job.action(inputs(server))).code).toBe(0)
    await sleep(1800)
    await job.run('datasaur-token > /dev/null\n')
    const [keeper] = keepers(job)

    const post = await job.post()
    expect(post.code).toBe(0)
    expect(post.stdout).toBe('Stopped the token keeper; it minted 1 token after the first.\n')
    expect(post.durationMs).toBeLessThan(2000)
    const deadline = Date.now() + 2000
    while (job.processes().some(p => p.pid === keeper.pid) && Date.now() < deadline) await sleep(20)
    expect(job.processes()).toEqual([])
    expect(job.files().filter(file => file.path.includes('datasaur-token'))).toEqual([])
  })

  it('a failing endpoint fails the call clearly, and the next call succeeds once it is back', async () => {
    const { server, job } = await setUp({ expiresIn: 3 })
    expect((await job.action(inputs(server, { max_attempts: '1' }))).code).toBe(0)
    await sleep(1800)
    server.script(json(503, { error: 'temporarily_unavailable', error_description: `down ${CLIENT_SECRET}` }))

    const down = await job.run('datasaur-token || echo "exit $?"\n')
    expect(down.stdout).toBe('exit 1\n')
    expect(down.stderr.split('\n')).toEqual([
      expect.stringMatching(
        /^datasaur-token: The token endpoint http:\/\/127\.0\.0\.1:\d+\/api\/oauth\/token answered HTTP 503 with error 'temporarily_unavailable' .* Gave up after 1 attempt \(max_attempts\)\.$/
      ),
      ''
    ])
    expectSafe(down.logs, [CLIENT_SECRET, ...server.issuedTokens])

    const back = await job.run('datasaur-token\n')
    expect(back.code).toBe(0)
    expect(back.stdout).toBe(`${server.issuedTokens[1]}\n`)
    expect(server.requests).toHaveLength(3)
  })

  it('without a keeper the command says so and names refresh: true', async () => {
    const { server, job } = await setUp()
    expect((await job.action(inputs(server))).code).toBe(0)
    for (const { pid } of keepers(job)) process.kill(pid, 'SIGKILL')
    await sleep(200)

    const call = await job.run('datasaur-token || echo "exit $?"\n')
    expect(call.stdout).toBe('exit 1\n')
    expect(call.stderr).toBe(`datasaur-token: ${NO_KEEPER}\n`)
    expect(call.stderr).toContain('refresh: true')
  })

  it('a keeper that cannot start fails the step, which publishes nothing', async () => {
    const { server, job } = await setUp()
    const file = `${job.runnerTemp}/a-file`
    writeFileSync(file, '')
    const step = await job.action(inputs(server), { env: { RUNNER_TEMP: file } })

    expect(step.code).toBe(1)
    expect(step.outputs).toEqual({})
    expect(step.env).toEqual({})
    expect(step.path).toEqual([])
    expect(step.state).toEqual({})
    expect(step.logs['stdout-first'].lines.filter(line => line.startsWith('Error: '))).toEqual([
      expect.stringMatching(/^Error: The token keeper that refresh: true starts did not start \(/)
    ])
    expect(keepers(job)).toEqual([])
  })

  it('the keeper presents the client certificate, and its key is in no log', async () => {
    const pki = createCertificateAuthority('Keeper Gateway CA')
    const client = pki.issueClient('keeper-runner')
    let issued = 0
    const gateway = await startMtlsServer(pki, {
      reply: res => {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(
          JSON.stringify({ access_token: `mtls-token-${++issued}-0123456789`, token_type: 'bearer', expires_in: 3 })
        )
      }
    })
    const job = createJob()
    jobs.push(job)
    try {
      const env = { NODE_EXTRA_CA_CERTS: pki.caFile }
      const step = await job.action(
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          base_url: gateway.url,
          refresh: 'true',
          client_certificate: client.cert,
          client_key: client.key
        },
        { env }
      )
      expect(step.code).toBe(0)
      await sleep(1800)
      const later = await job.run('echo "token: $(datasaur-token)"\n', { env })

      expect(later.stdout).toBe('token: mtls-token-2-0123456789\n')
      expect(gateway.clients).toEqual(['keeper-runner', 'keeper-runner'])
      const keyLines = client.key.split('\n').filter(line => line.length >= 8 && !line.startsWith('-----'))
      expectSafe(step.logs, [CLIENT_SECRET, ...keyLines])
      expectSafe(later.logs, [CLIENT_SECRET, 'mtls-token-2-0123456789', ...keyLines])
      const [keeper] = keepers(job)
      expect([...keeper.environ, ...keeper.cmdline].join('\n')).not.toContain(keyLines[0])
    } finally {
      await gateway.close()
      pki.remove()
    }
  })

  it('the keeper mints through the proxy the step read, with its credentials, and redacts them', async () => {
    const pki = createCertificateAuthority('Keeper Proxy CA')
    const client = pki.issueClient('keeper-runner')
    let issued = 0
    // datasaur.test does not resolve: only the proxy, which joins every tunnel to it, reaches the endpoint.
    const gateway = await startMtlsServer(pki, {
      name: 'datasaur.test',
      reply: res => {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(
          JSON.stringify({ access_token: `proxied-token-${++issued}-0123456789`, token_type: 'bearer', expires_in: 3 })
        )
      }
    })
    const proxy = await startProxy({ fallback: relayTo(gateway.port) })
    const job = createJob()
    jobs.push(job)
    try {
      // No scheme, and a literal % in the password: both read as curl reads them.
      const env = { https_proxy: `ci-user:50%off@127.0.0.1:${proxy.port}`, NODE_EXTRA_CA_CERTS: pki.caFile }
      const step = await job.action(
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          base_url: gateway.url,
          refresh: 'true',
          client_certificate: client.cert,
          client_key: client.key
        },
        { env }
      )
      expect(step.code).toBe(0)
      await sleep(1800)
      const later = await job.run('echo "token: $(datasaur-token)"\n')

      expect(later.stdout).toBe('token: proxied-token-2-0123456789\n')
      const authorization = `Basic ${Buffer.from('ci-user:50%off').toString('base64')}`
      expect(proxy.connects).toEqual([
        { target: `datasaur.test:${gateway.port}`, authorization },
        { target: `datasaur.test:${gateway.port}`, authorization }
      ])
      // The certificate is presented inside the tunnel, by the step and by the keeper.
      expect(gateway.clients).toEqual(['keeper-runner', 'keeper-runner'])
      const secrets = [CLIENT_SECRET, '50%off', authorization.slice(6)]
      expectSafe(step.logs, secrets)
      expectSafe(later.logs, [...secrets, 'proxied-token-2-0123456789'])
    } finally {
      await proxy.close()
      await gateway.close()
      pki.remove()
    }
  })

  it('a second refresh: true step stops the earlier keeper first', async () => {
    const { server, job } = await setUp()
    expect((await job.action(inputs(server))).code).toBe(0)
    const [first] = keepers(job)
    expect((await job.action(inputs(server))).code).toBe(0)
    await sleep(200)

    const now = keepers(job)
    expect(now).toHaveLength(1)
    expect(now[0].pid).not.toBe(first.pid)
    const later = await job.run('datasaur-token\n')
    expect(later.stdout).toBe(`${server.issuedTokens[1]}\n`)
  })
})
