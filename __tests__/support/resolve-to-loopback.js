// A preload (`NODE_OPTIONS=--import=<this file>`) that makes the host names in RESOLVE_TO_LOOPBACK
// (comma-separated) resolve to 127.0.0.1 in the action's process, as a name of the corporate network
// resolves on a runner there. It lets a test tell a request that went through the proxy from one that
// went directly to the endpoint: both reach the same server, and only the proxy sees the first.

import dns from 'node:dns'

const names = new Set((process.env.RESOLVE_TO_LOOPBACK ?? '').split(',').filter(Boolean))
const lookup = dns.lookup

dns.lookup = (hostname, options, callback) => {
  const done = typeof options === 'function' ? options : callback
  const all = typeof options === 'object' && options !== null && options.all
  if (!names.has(String(hostname).toLowerCase())) return lookup(hostname, options, callback)
  process.nextTick(() => (all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4)))
}
