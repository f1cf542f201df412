import { BlockList, isIP } from 'node:net'
import { ActionError } from '../errors.js'
import { percentDecode } from '../text/encoding.js'
import { isLoopbackHost } from './endpoint.js'

/**
 * The proxy variables, read as curl reads them, so that a value that works for `curl` in a `run:`
 * step works here too, and one this action cannot use stops the step before any request instead of
 * being skipped (`@actions/http-client` connects directly when it cannot read a value).
 */

/** A proxy the exchange goes through: where it is, and the credentials it is sent. */
export interface Proxy {
  /** The variable it was read from, which messages name. */
  variable: string
  /** `https:` means TLS to the proxy itself. */
  protocol: 'http:' | 'https:'
  /** A host name or address as `net.connect` takes it: an IPv6 address without brackets. */
  hostname: string
  port: number
  /** `host:port` as messages show it, an IPv6 address in brackets. Never carries credentials. */
  address: string
  /** `user:password`, percent-decoded, for Proxy-Authorization; unset without credentials. */
  auth?: string
}

/** The proxy settings for the endpoint's scheme: the proxy, if a variable names one, and no_proxy. */
export interface ProxyEnvironment {
  proxy?: Proxy
  /** The no_proxy (or NO_PROXY) list as written. */
  noProxy: string
}

/**
 * Every variable whose credentials are masked. HTTP_PROXY is never read for a request (as in curl: a
 * CGI server sets it from a request's `Proxy:` header), but other tools of the job may print it.
 */
export const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY']

/** The variables read for a URL of each scheme, in curl's order: the first one set wins. */
const VARIABLES_BY_SCHEME = {
  'https:': ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'],
  'http:': ['http_proxy', 'all_proxy', 'ALL_PROXY']
} as const

const SOCKS_SCHEMES = new Set(['socks', 'socks4', 'socks4a', 'socks5', 'socks5h'])
const DEFAULT_PORTS = { 'http:': 80, 'https:': 443 } as const

const BAD_HOST = 'has a host that is not a valid host name or IP address (an IPv6 address goes in brackets)'
const FORM =
  'write it as http://host:port (or host:port, or https://host:port for TLS to the proxy), with user:password@ ' +
  'before the host if the proxy needs credentials.'

/**
 * Reads the proxy settings that apply to requests with `protocol` (the endpoint's scheme; redirects
 * keep it). The variable that applies must be usable even when no_proxy exempts the endpoint's host:
 * a broken value is a mistake to report, not a choice to go direct. The other variables are not read.
 */
export function readProxyEnvironment(env: NodeJS.ProcessEnv, protocol: 'http:' | 'https:'): ProxyEnvironment {
  const noProxy = env.no_proxy || env.NO_PROXY || ''
  for (const variable of VARIABLES_BY_SCHEME[protocol]) {
    const value = env[variable]
    if (value) return { proxy: parseProxy(variable, value), noProxy }
  }
  return { noProxy }
}

/**
 * Parses a proxy variable's value as curl accepts it: `[scheme://][user[:password]@]host[:port][/...]`.
 * No scheme means http://. The credentials end at the last `@`, so an `@`, `/`, `?` or `#` written
 * unencoded in a password still works; they are percent-decoded where a `%` starts a valid escape and
 * kept as written elsewhere (`50%off` stays `50%off`). A port left out is the scheme's default (80,
 * or 443 for https://), as the runner and http-client take it. Throws an `ActionError` that names
 * the variable and quotes no part of the value that could be a credential.
 */
export function parseProxy(variable: string, value: string): Proxy {
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)
  if (!schemeMatch && value.includes('://')) {
    throw unusable(variable, 'is not a URL this action can read as a proxy')
  }
  const scheme = schemeMatch ? schemeMatch[1].toLowerCase() : 'http'
  if (SOCKS_SCHEMES.has(scheme)) {
    throw new ActionError(
      `${variable} names a SOCKS proxy (${scheme}://), which this action does not support: in the env of this ` +
        `step, set https_proxy to an HTTP or HTTPS proxy, or set ${variable} to '' if the endpoint is reachable ` +
        'directly. Nothing was requested.'
    )
  }
  if (scheme !== 'http' && scheme !== 'https') {
    throw unusable(variable, `has the scheme ${scheme.slice(0, 20)}://, which is not http:// or https://`)
  }
  const protocol = scheme === 'https' ? 'https:' : 'http:'
  const rest = value.slice(schemeMatch ? schemeMatch[0].length : 0)
  const at = rest.lastIndexOf('@')
  const authority = rest.slice(at + 1).split(/[/?#]/, 1)[0]
  const { hostname, portText } = splitHostPort(authority)
  const host = canonicalHost(variable, hostname)
  const port = portText === '' ? DEFAULT_PORTS[protocol] : Number(portText)
  if (!/^\d{0,5}$/.test(portText) || port < 1 || port > 65535) {
    // Without an `@`, what stands before the colon may be a user name and the "port" a password.
    const shown = at >= 0 ? ` (${scheme}://${displayHost(host)})` : ''
    throw unusable(variable, `has a port that is not a number from 1 to 65535${shown}`)
  }
  const proxy: Proxy = { variable, protocol, hostname: host, port, address: `${displayHost(host)}:${port}` }
  // Stryker disable next-line EqualityOperator: an `@` at 0 leaves empty credentials either way.
  const userinfo = at >= 0 ? rest.slice(0, at) : ''
  if (userinfo) {
    const { user, password } = splitUserinfo(userinfo)
    proxy.auth = `${percentDecode(user)}:${percentDecode(password)}`
  }
  return proxy
}

function splitHostPort(authority: string): { hostname: string; portText: string } {
  // Anything else that starts with `[` leaves a host the URL parser refuses.
  const bracketed = /^(\[[^\]]*\])(?::(.*))?$/.exec(authority)
  if (bracketed) return { hostname: bracketed[1], portText: bracketed[2] ?? '' }
  const colon = authority.indexOf(':')
  if (colon < 0) return { hostname: authority, portText: '' }
  return { hostname: authority.slice(0, colon), portText: authority.slice(colon + 1) }
}

/** The host as the URL parser writes it (lower case, punycode, IPv4 in dotted decimal), brackets removed. */
function canonicalHost(variable: string, hostname: string): string {
  if (hostname === '' || hostname === '[]') throw unusable(variable, 'has no proxy host')
  let url: URL
  try {
    url = new URL(`http://${hostname}`)
  } catch {
    throw unusable(variable, BAD_HOST)
  }
  // `/`, `?`, `#` and `@` were split off before; a backslash is a slash to the URL parser, and whatever
  // followed it would be dropped silently.
  if (url.pathname !== '/') throw unusable(variable, BAD_HOST)
  return unbracket(url.hostname)
}

/** The URL parser writes an IPv6 address in brackets, which `net.connect` and `isIP` do not take. */
function unbracket(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
}

function displayHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

function splitUserinfo(userinfo: string): { user: string; password: string } {
  const colon = userinfo.indexOf(':')
  return colon < 0
    ? { user: userinfo, password: '' }
    : { user: userinfo.slice(0, colon), password: userinfo.slice(colon + 1) }
}

function unusable(variable: string, problem: string): ActionError {
  return new ActionError(
    `${variable} is set to a proxy this action cannot use: it ${problem}; ${FORM} Nothing was requested.`
  )
}

/**
 * The proxy a request to `url` goes through, or none: loopback hosts always go direct (as with the
 * runner and http-client: that traffic never leaves the machine), and so do hosts no_proxy lists.
 */
export function proxyFor(proxies: ProxyEnvironment | undefined, url: URL): Proxy | undefined {
  if (!proxies?.proxy || isLoopbackHost(url.hostname) || bypassesProxy(proxies.noProxy, url)) return undefined
  return proxies.proxy
}

/**
 * Whether no_proxy exempts `url`, by curl's rules: entries separated by commas or white space,
 * case-insensitive; `*` alone matches every host; a name matches itself and every name under it,
 * with or without a leading `.` or `*.`; an IP address or CIDR range (IPv6 with or without brackets)
 * matches addresses only; `entry:port` matches that port only (the scheme's default when the URL
 * has none). A trailing dot of a name is ignored on both sides.
 */
export function bypassesProxy(noProxy: string, url: URL): boolean {
  const host = unbracket(url.hostname.toLowerCase()).replace(/\.$/, '')
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
  // Stryker disable next-line Regex: the empty entries a single separator leaves match no host.
  return noProxy.split(/[\s,]+/).some(entry => entryMatches(entry, host, port))
}

function entryMatches(entry: string, host: string, port: number): boolean {
  if (entry === '*') return true
  const { name, entryPort } = splitEntry(entry)
  if (entryPort !== undefined && entryPort !== port) return false
  const family = isIP(host)
  if (family !== 0) return addressMatches(name, host, family)
  const domain = name
    .toLowerCase()
    .replace(/^\*?\./, '')
    .replace(/\.$/, '')
  return host === domain || host.endsWith(`.${domain}`)
}

/** An entry's name or address and its port: `[v6]:port`, `name:port`, or a bare IPv6 address (no port). */
function splitEntry(entry: string): { name: string; entryPort?: number } {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry)
  if (bracketed) return { name: bracketed[1], entryPort: bracketed[2] === undefined ? undefined : portOf(bracketed[2]) }
  const colon = entry.indexOf(':')
  // Stryker disable next-line EqualityOperator: an entry ':port' has an empty name, which matches no host.
  if (colon < 0 || entry.includes(':', colon + 1)) return { name: entry }
  return { name: entry.slice(0, colon), entryPort: portOf(entry.slice(colon + 1)) }
}

/** A port written in an entry; anything else is NaN, which equals no port. */
function portOf(text: string): number {
  return /^\d+$/.test(text) ? Number(text) : NaN
}

function addressMatches(name: string, host: string, family: number): boolean {
  const [address, bits, ...extra] = name.split('/')
  const entryFamily = isIP(address)
  if (entryFamily !== family || extra.length > 0) return false
  const type = family === 4 ? 'ipv4' : 'ipv6'
  const list = new BlockList()
  if (bits === undefined) {
    list.addAddress(address, type)
  } else {
    const prefix = portOf(bits)
    if (!(prefix <= (family === 4 ? 32 : 128))) return false
    list.addSubnet(address, prefix, type)
  }
  return list.check(host, type)
}

/**
 * The credentials in a proxy variable, in every form they may be printed in: the password (or the
 * user alone when it is the only credential, a token as user name) as written and decoded, and
 * `user:password` as written, decoded and in Basic. Read tolerantly: whatever the value, its
 * credentials are masked, also when the value is one this action cannot use.
 */
export function proxyCredentials(value: string | undefined): string[] {
  if (!value) return []
  const rest = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  const at = rest.lastIndexOf('@')
  if (at <= 0) return []
  const { user, password } = splitUserinfo(rest.slice(0, at))
  const credential = password || user
  const pairs = [`${user}:${password}`, `${percentDecode(user)}:${percentDecode(password)}`]
  const forms = [
    credential,
    percentDecode(credential),
    ...pairs,
    ...pairs.map(pair => Buffer.from(pair).toString('base64'))
  ]
  return [...new Set(forms)]
}

/** The scheme of the endpoint the settings name, which decides which proxy variables apply. */
export function endpointProtocol(settings: { tokenUrl: URL }): 'http:' | 'https:' {
  return settings.tokenUrl.protocol === 'http:' ? 'http:' : 'https:'
}

/** The credentials of every proxy variable, to be masked before anything else reads them. */
export function proxySecrets(env: NodeJS.ProcessEnv): string[] {
  return PROXY_VARIABLES.flatMap(name => proxyCredentials(env[name]))
}
