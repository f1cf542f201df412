import dns from 'node:dns'
import type { LookupFunction } from 'node:net'

type LookupCallback = Parameters<LookupFunction>[2]

/** Lookups under way, by host name and options, with everyone waiting for each. */
const pending = new Map<string, LookupCallback[]>()

/**
 * Host name lookups that have not answered yet. `dns.lookup` calls the system's getaddrinfo on one
 * of libuv's threads, and no timer can cancel it: a resolver that never answers holds that thread
 * for its own timeout (5 s per name server and try with glibc's defaults), and Node waits for the
 * thread before the process can exit, even after `process.exit()`. The process guard asks this to
 * know when only ending the process at once ends it in time.
 */
export function pendingLookups(): number {
  return pending.size
}

/**
 * `dns.lookup`, as every connection of the exchange resolves names, except that concurrent lookups
 * of the same name share one: an attempt that follows one whose lookup hung waits for that lookup
 * instead of occupying another thread with the same question. `dns.lookup` is read at each call, so
 * whatever the process has installed as its resolver is used.
 */
export const sharedLookup = ((hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
  const key = JSON.stringify([hostname, options.family, options.all, options.hints, options.order, options.verbatim])
  const waiting = pending.get(key)
  if (waiting) {
    waiting.push(callback)
    return
  }
  pending.set(key, [callback])
  dns.lookup(hostname, options, (...answer: unknown[]) => {
    const callbacks = pending.get(key) ?? []
    pending.delete(key)
    for (const waiter of callbacks) (waiter as (...args: unknown[]) => void)(...answer)
  })
}) as LookupFunction
