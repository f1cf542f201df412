// A preload (`node --import <this file> dist/index.js`) that makes the action's process do what the
// action's own code never does, to prove the process guard: PROVOKE names what, comma-separated, and
// PROVOKE_TEXT is the text each provocation carries (workflow commands, a secret).
//
//   socket-throw        an exception thrown in a socket's event handler, nobody to catch it
//   unhandled-rejection a rejected promise nobody awaits
//   warning             a process warning (Node prints these on stderr by itself)
//   stderr-write        writes to stderr, as a dependency's console.error or Node's debug logging would
//   stdout-write        the same on stdout, as a dependency's console.log would
//   stdout-flood        1.5 MB on stdout at once, more than a pipe holds, before the action starts
//   hang-lookup         every host name lookup never answers, holding the event loop open
//   block-lookup        every host name lookup never answers and holds one of libuv's threads, as a
//                       resolver that never answers does (the thread waits to open a FIFO: set PROVOKE_FIFO)
//   random-max          Math.random always draws its largest value, the unluckiest jitter there is
//
// The provocations that need the action's guard wait until it is installed (it listens for uncaught
// exceptions), and those that need its secrets registered wait for the first host name lookup, which
// comes after the inputs are read: use a base_url on `localhost`.

import dns from 'node:dns'
import { open } from 'node:fs'
import { createServer, connect } from 'node:net'

const provoke = new Set((process.env.PROVOKE ?? '').split(',').filter(Boolean))
const text = process.env.PROVOKE_TEXT ?? 'provoked'
const lookup = dns.lookup

/** Runs `action` once the action's guard is installed; gives up, keeping nothing alive, after 3 s. */
function whenGuarded(action) {
  const until = Date.now() + 3000
  const poll = () => {
    if (process.listenerCount('uncaughtException') > 0) action()
    else if (Date.now() < until) setTimeout(poll, 1).unref()
  }
  poll()
}

if (provoke.has('random-max')) Math.random = () => 1 - Number.EPSILON

if (provoke.has('stdout-flood')) process.stdout.write(`${'x'.repeat(999)}\n`.repeat(1500))

let looked = false
dns.lookup = (...args) => {
  if (!looked) {
    looked = true
    if (provoke.has('stderr-write')) {
      console.error(`error: ${text}`)
      process.stderr.write(Buffer.from(`::stop-commands::provoked\n##[set-output name=x]${text}\r::warning::${text}`))
      process.stderr.write('\n')
    }
    if (provoke.has('stdout-write')) console.log(`::set-output name=x::${text}\n##[add-mask]x ${text}`)
  }
  if (provoke.has('hang-lookup')) {
    setInterval(() => undefined, 60_000)
    return
  }
  if (provoke.has('block-lookup')) {
    open(process.env.PROVOKE_FIFO ?? '', 'r', () => undefined)
    return
  }
  return lookup(...args)
}

whenGuarded(() => {
  if (provoke.has('warning')) process.emitWarning(`${text}\n::error::${text}`, 'DeprecationWarning')
  if (provoke.has('unhandled-rejection')) void Promise.reject(new Error(text))
  if (provoke.has('socket-throw')) {
    const server = createServer(socket => socket.end('x'))
    server.listen(0, '127.0.0.1', () => {
      const socket = connect(server.address().port, '127.0.0.1')
      socket.on('data', () => {
        server.close()
        throw new Error(`${text}\n::error::${text}`)
      })
    })
  }
})
