import { logSafe } from '../text/log-text.js'

/**
 * Rules about where credentials may be sent. Used for the configured endpoint and again for every
 * redirect, so a server cannot talk the action into a weaker destination than the user configured.
 */

/**
 * Hosts whose traffic never leaves the machine: `localhost`, 127.0.0.0/8 and [::1]. Names under
 * `.localhost` are not included: Node resolves them through DNS like any other name.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return (
    host === 'localhost' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    // The URL parser writes every form of the IPv6 loopback address as [::1].
    host === '[::1]'
  )
}

/** Where a message may name an endpoint: origin and path, never a query that could carry data. */
export function describeEndpoint(url: URL): string {
  return `${url.origin}${url.pathname}`
}

/** The result of checking a redirect: the URL to follow, or why it must not be followed. */
export type RedirectDecision = { follow: true; url: URL } | { follow: false; reason: string }

/**
 * A redirect is followed only when it keeps method and body (307/308, RFC 9110 §15.4.8-9), stays on
 * the same host or a subdomain of it and on the same port (another port is another service), and
 * keeps the scheme (no downgrade to plain http; plain http only on loopback).
 * 301/302/303 would turn the POST into a GET and drop the grant, so they are reported instead.
 */
export function checkRedirect(
  from: URL,
  status: number,
  location: string | undefined,
  mentionsSecret: (text: string) => boolean
): RedirectDecision {
  if (!location) return { follow: false, reason: `answered ${status} without a Location header` }
  // A Location that repeats a secret in any form is neither followed nor quoted: following it would
  // put the secret in the host or path that later messages name.
  if (mentionsSecret(location)) {
    return { follow: false, reason: `redirected (${status}) to a Location that contains the client secret` }
  }
  let target: URL
  try {
    target = new URL(location, from)
  } catch {
    return { follow: false, reason: `answered ${status} with an invalid Location header` }
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    // The scheme is the server's text: only a short, printable form of it is quoted.
    const scheme = target.protocol.replace(/[^a-z0-9+.-]/gi, '').slice(0, 20)
    return { follow: false, reason: `redirected (${status}) to a URL that is not http or https (scheme '${scheme}')` }
  }
  const where = logSafe(describeEndpoint(target), 200)
  if (status !== 307 && status !== 308) {
    return { follow: false, reason: `redirected (${status}) to ${where}, which would drop the POST body` }
  }
  if (target.username || target.password) {
    return { follow: false, reason: `redirected (${status}) to a URL with embedded credentials` }
  }
  const secure = target.protocol === 'https:' || isLoopbackHost(target.hostname)
  const downgrade = from.protocol === 'https:' && target.protocol !== 'https:'
  if (!secure || downgrade) {
    return { follow: false, reason: `redirected (${status}) to ${where}, which is not https` }
  }
  const fromHost = from.hostname.toLowerCase()
  const toHost = target.hostname.toLowerCase()
  // The URL parser leaves the port empty when it is the scheme's default, and a change of scheme is
  // refused below, so equal ports are the same port.
  if ((toHost !== fromHost && !toHost.endsWith(`.${fromHost}`)) || target.port !== from.port) {
    return { follow: false, reason: `redirected (${status}) to another host or port, ${where}` }
  }
  // Only loopback http can reach this with a different scheme: an upgrade to https on the same port
  // cannot be the same service, so the configured URL is wrong.
  if (target.protocol !== from.protocol) {
    return { follow: false, reason: `redirected (${status}) to ${where}, which changes the scheme` }
  }
  return { follow: true, url: target }
}
