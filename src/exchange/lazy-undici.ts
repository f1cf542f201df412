// What the bundle gets when a dependency imports 'undici': the real undici, loaded on first use.
//
// `@actions/http-client` imports undici's ProxyAgent at the top of its main module for one method,
// getAgentDispatcher(), which this action never calls (http-client's own proxy support uses `tunnel`).
// Bundled into dist/index.js, undici would be most of that file (930 KB) and about half of the action's
// start-up: compiling and running it, and the node:http2, zlib, worker_threads and WebAssembly it loads.
//
// So tsconfig.json's `paths` sends 'undici' here (ncc applies `paths` to imports from node_modules too),
// and `npm run bundle` builds the real undici on its own into dist/undici/ as CommonJS (with a package.json
// saying so, since dist/ is ESM), which require() loads synchronously: getAgentDispatcher() returns its
// ProxyAgent at once and cannot wait for import(). dist/undici/ is built after dist/index.js, whose build
// deletes the .js files under dist/. Every name the bundled packages import from 'undici' must be exported
// here: ncc does not report a missing one, so __tests__/bundle.test.ts checks.

import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
// The subpath reaches the real undici's types: 'undici' itself means this module wherever `paths` applies.
import type * as Undici from 'undici/index.js'

let undici: typeof Undici | undefined

/**
 * The real undici, in dist/undici/: beside the bundle this module runs in (dist/index.js), or one
 * level up (the token keeper's dist/keeper/index.js).
 */
function loadUndici(): typeof Undici {
  const require = createRequire(import.meta.url)
  const beside = existsSync(join(dirname(fileURLToPath(import.meta.url)), 'undici'))
  undici ??= require(beside ? './undici/index.js' : '../undici/index.js') as typeof Undici
  return undici
}

/** undici's ProxyAgent: `new ProxyAgent(options)` loads undici and evaluates to the real one. */
export class ProxyAgent {
  constructor(options: Undici.ProxyAgent.Options | string) {
    return new (loadUndici().ProxyAgent)(options)
  }
}
