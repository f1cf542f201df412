// What dist/ loads at start, and undici kept out of it (src/exchange/lazy-undici.ts). The start-up budget is
// what the benchmark's `bytes` figure measures; undici itself is checked where it still runs: a
// bundle built the way `npm run bundle` builds dist/index.js gets a working ProxyAgent from
// http-client's getAgentDispatcher(), through a loopback CONNECT proxy to a loopback server.

import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import * as lazyUndici from '../src/exchange/lazy-undici.js'
import * as noExec from '../src/runner/no-exec.js'
import * as noOidcAuth from '../src/runner/no-oidc-auth.js'
import { relayTo, startProxy } from './support/proxy.js'
import { ACTION_ENTRY, ROOT, runAction } from './support/run-action.js'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, startTokenServer } from './support/token-server.js'

/** JavaScript loaded at start, in bytes (the benchmark's `bytes` target). */
const START_BUDGET = 200_000
const UNDICI_BUNDLE = join(ROOT, 'dist', 'undici', 'index.js')
/** Strings that occur throughout undici (its error codes, its HTTP parser) and nowhere else in dist/. */
const UNDICI_MARKERS = ['UND_ERR_', 'llhttp']

/** Relative specifiers of the static imports and re-exports of an ES module (not `import()`). */
function staticImports(source: string): string[] {
  const pattern = /(?:^|[;\n])\s*(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+)["']/g
  return [...source.matchAll(pattern)].map(match => match[1]).filter(specifier => specifier.startsWith('.'))
}

/** The entry and every file it imports statically, transitively. */
function startupFiles(entry: string): string[] {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const specifier of staticImports(readFileSync(file, 'utf8'))) visit(resolve(dirname(file), specifier))
  }
  visit(entry)
  return [...seen]
}

/** Directories of the packages the action depends on at run time, transitively; undici's excluded. */
function runtimePackages(): string[] {
  const found = new Set<string>()
  const visit = (packageDir: string) => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      const nested = join(packageDir, 'node_modules', name)
      const dir = existsSync(nested) ? nested : join(ROOT, 'node_modules', name)
      if (name === 'undici' || found.has(dir)) continue
      found.add(dir)
      visit(dir)
    }
  }
  visit(ROOT)
  return [...found]
}

/** The JavaScript files of a package, without those of its own node_modules. */
function javascriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(file => /\.[cm]?js$/.test(file) && !file.split('/').includes('node_modules'))
    .map(file => join(dir, file))
}

describe('the JavaScript dist/index.js loads at start', () => {
  const files = startupFiles(ACTION_ENTRY)

  it(`stays within ${START_BUDGET.toLocaleString('en-US')} bytes`, () => {
    const bytes = files.reduce((sum, file) => sum + readFileSync(file).length, 0)
    expect(bytes).toBeLessThanOrEqual(START_BUDGET)
  })

  it('holds none of undici, which dist/undici/ holds with its licence', () => {
    const found = files.flatMap(file => {
      const source = readFileSync(file, 'utf8')
      return UNDICI_MARKERS.filter(marker => source.includes(marker)).map(marker => `${marker} in ${file}`)
    })
    expect(found).toEqual([])
    const undici = readFileSync(UNDICI_BUNDLE, 'utf8')
    expect(UNDICI_MARKERS.filter(marker => !undici.includes(marker))).toEqual([])
    const licence = readFileSync(join(ROOT, 'node_modules', 'undici', 'LICENSE'), 'utf8').trim()
    expect(readFileSync(join(ROOT, 'dist', 'undici', 'licenses.txt'), 'utf8')).toContain(licence)
  })

  it('holds none of the token keeper and its command: refresh: true loads what starts them', () => {
    // Strings only the modules that start the keeper (src/keeper/start.ts) and the command use.
    const markers = ['datasaur-token.cmd', 'The token keeper that refresh: true starts']
    const atStart = files.map(file => readFileSync(file, 'utf8')).join('\n')
    expect(markers.filter(marker => atStart.includes(marker))).toEqual([])
    const chunks = readdirSync(join(ROOT, 'dist')).filter(name => /^\d+\.index\.js$/.test(name))
    const later = chunks.map(name => readFileSync(join(ROOT, 'dist', name), 'utf8')).join('\n')
    expect(markers.filter(marker => !later.includes(marker))).toEqual([])
  })

  it('does not load undici during a whole successful run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'datasaur-bundle-'))
    const report = join(dir, 'report-modules.cjs')
    writeFileSync(
      report,
      "process.on('exit', () => process.stderr.write('\\nCommonJS modules: ' + JSON.stringify(Object.keys(require.cache)) + '\\n'))\n"
    )
    const server = await startTokenServer()
    try {
      const result = await runAction(
        { client_id: DEMO_CLIENT_ID, client_secret: DEMO_CLIENT_SECRET, token_url: server.tokenUrl },
        { env: { NODE_OPTIONS: `--require ${report}` } }
      )
      expect(result.code).toBe(0)
      const line = /^CommonJS modules: (.*)$/m.exec(result.stderr)
      expect(line).not.toBeNull()
      const loaded: string[] = JSON.parse(line?.[1] ?? '[]')
      expect(loaded).toContain(report)
      expect(loaded).not.toContain(UNDICI_BUNDLE)
    } finally {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('src/exchange/lazy-undici.ts', () => {
  it('exports every name the runtime dependencies import from undici', () => {
    const named = new Set<string>()
    const other: string[] = []
    for (const file of runtimePackages().flatMap(javascriptFiles)) {
      const source = readFileSync(file, 'utf8')
      for (const [, clause] of source.matchAll(/(?:import|export)\s*([^'";]*?)\s*from\s*["']undici["']/g)) {
        const braces = /^\{([^}]*)\}$/.exec(clause)
        if (!braces) other.push(`${file}: ${clause}`)
        for (const part of braces?.[1].split(',') ?? []) named.add(part.trim().split(/\s+as\s+/)[0])
      }
      if (/require\(\s*["']undici["']\s*\)/.test(source)) other.push(`${file}: require('undici')`)
    }
    named.delete('')
    // Only named imports can wait for their first use; a namespace or default import needs undici itself.
    expect(other).toEqual([])
    expect([...named]).toContain('ProxyAgent')
    for (const name of named) expect(typeof (lazyUndici as Record<string, unknown>)[name]).toBe('function')
  })
})

describe('src/runner/no-exec.ts', () => {
  it('exports every name the runtime dependencies use of @actions/exec, and refuses to run anything', () => {
    const used = new Set<string>()
    for (const file of runtimePackages().flatMap(javascriptFiles)) {
      const source = readFileSync(file, 'utf8')
      for (const [, name] of source.matchAll(/import \* as (\w+) from ["']@actions\/exec["']/g)) {
        for (const [, member] of source.matchAll(new RegExp(`\\b${name}\\.(\\w+)`, 'g'))) used.add(member)
      }
      for (const [, names] of source.matchAll(/import \{([^}]*)\} from ["']@actions\/exec["']/g)) {
        for (const part of names.split(',')) used.add(part.trim().split(/\s+as\s+/)[0])
      }
    }
    used.delete('')
    expect([...used]).toContain('getExecOutput')
    for (const name of used) {
      const stub = (noExec as Record<string, unknown>)[name]
      expect(typeof stub).toBe('function')
      expect(() => (stub as () => unknown)()).toThrow('@actions/exec is not bundled with this action')
    }
  })

  it('keeps @actions/exec and @actions/io out of what loads at start', () => {
    const bundled = startupFiles(ACTION_ENTRY).map(file => readFileSync(file, 'utf8'))
    expect(bundled.filter(source => /node_modules\/@actions\/(exec|io)\//.test(source))).toEqual([])
  })
})

describe('src/runner/no-oidc-auth.ts', () => {
  it("exports every name the runtime dependencies import of http-client's credential handlers, and refuses to build one", () => {
    const used = new Set<string>()
    for (const file of runtimePackages().flatMap(javascriptFiles)) {
      const source = readFileSync(file, 'utf8')
      for (const [, names] of source.matchAll(
        /import \{([^}]*)\} from ["']@actions\/http-client\/lib\/auth(?:\.js)?["']/g
      )) {
        for (const part of names.split(',')) used.add(part.trim().split(/\s+as\s+/)[0])
      }
      expect(source).not.toMatch(/import \* as \w+ from ["']@actions\/http-client\/lib\/auth/)
    }
    used.delete('')
    expect([...used]).toEqual(['BearerCredentialHandler'])
    for (const name of used) {
      const Stub = (noOidcAuth as Record<string, unknown>)[name] as new () => unknown
      expect(() => new Stub()).toThrow('credential handlers are not bundled with this action')
    }
  })

  it('keeps the credential handlers out of what loads at start', () => {
    const bundled = startupFiles(ACTION_ENTRY).map(file => readFileSync(file, 'utf8'))
    expect(bundled.filter(source => source.includes('BasicCredentialHandler'))).toEqual([])
  })
})

describe("http-client's getAgentDispatcher() in a bundle built like dist/index.js", () => {
  // The action never calls it, so it is exercised in a bundle of its own: ncc with this repository's
  // tsconfig.json, as `npm run bundle` runs it, next to a copy of the committed dist/undici/.
  const FIXTURE = `
import { createRequire } from 'node:module'
import { HttpClient } from '@actions/http-client'

const target = process.argv[2]
const require = createRequire(import.meta.url)
const loaded = () => Object.keys(require.cache)
const before = loaded()
const dispatcher = new HttpClient('bundle-test').getAgentDispatcher(target)
const after = loaded()
const isProxyAgent = dispatcher instanceof require('./undici/index.js').ProxyAgent
const response = await dispatcher.request({ origin: target, path: '/through-the-proxy', method: 'GET' })
const body = await response.body.text()
await dispatcher.close()
console.log(JSON.stringify({ before, after, isProxyAgent, status: response.statusCode, body }))
`
  const HOST = 'datasaur.test'
  let dir: string
  let bundle: string
  let target: Server
  let proxy: Awaited<ReturnType<typeof startProxy>>
  let targetPort: number
  const sockets = new Set<Socket>()
  /** Host header and URL of each request that reached the server. */
  const reached: string[] = []

  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  }
  const listen = (server: Server) =>
    new Promise<number>(resolvePort =>
      server.listen(0, '127.0.0.1', () => {
        const address = server.address()
        resolvePort(typeof address === 'object' && address ? address.port : 0)
      })
    )

  beforeAll(async () => {
    // Inside the repository, so that ncc finds its tsconfig.json and node_modules as for dist/, where no
    // linter or formatter looks.
    mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true })
    dir = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'bundle-test-'))
    writeFileSync(join(dir, 'entry.js'), FIXTURE)
    // --transpile-only: src/ as a whole is type-checked elsewhere; here only its resolution matters.
    const ncc = join(ROOT, 'node_modules', '.bin', 'ncc')
    const build = ['build', join(dir, 'entry.js'), '-o', join(dir, 'out'), '--transpile-only', '--quiet']
    await promisify(execFile)(ncc, build, { cwd: ROOT })
    cpSync(join(ROOT, 'dist', 'undici'), join(dir, 'out', 'undici'), { recursive: true })
    bundle = join(dir, 'out', 'index.js')

    target = createServer((req, res) => {
      reached.push(`${req.headers.host} ${req.url}`)
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('reached through the proxy')
    })
    target.on('connection', track)
    targetPort = await listen(target)

    // datasaur.test does not resolve; every tunnel leads to the loopback server.
    proxy = await startProxy({ fallback: relayTo(targetPort) })
  }, 120_000)

  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    const close = (server: Server | undefined) =>
      new Promise<void>(resolveClose => (server ? server.close(() => resolveClose()) : resolveClose()))
    await Promise.all([close(target), proxy?.close()])
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('leaves undici out of the bundle it builds', () => {
    const source = readFileSync(bundle, 'utf8')
    expect(UNDICI_MARKERS.filter(marker => source.includes(marker))).toEqual([])
  })

  it('loads undici on the call and returns a ProxyAgent that reaches the server through the proxy', async () => {
    const origin = `http://${HOST}:${targetPort}`
    const { stdout } = await promisify(execFile)(process.execPath, [bundle, origin], {
      env: { PATH: process.env.PATH ?? '', http_proxy: proxy.url },
      timeout: 20_000
    })
    const result = JSON.parse(stdout)

    expect(result.before).toEqual([])
    expect(result.after).toEqual([join(dir, 'out', 'undici', 'index.js')])
    expect(result.isProxyAgent).toBe(true)
    expect(result.status).toBe(200)
    expect(result.body).toBe('reached through the proxy')
    expect(proxy.connects.map(c => c.target)).toEqual([`${HOST}:${targetPort}`])
    expect(reached).toEqual([`${HOST}:${targetPort} /through-the-proxy`])
  })
})
