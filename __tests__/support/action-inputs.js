// The inputs action.yml declares and their defaults, read without a YAML library: the demo runs the
// committed bundle on a fresh clone, before anything is installed. It reads the subset of YAML that
// action.yml's `inputs:` block uses (a name per input at two spaces, `default:` at four, a plain or
// quoted scalar); __tests__/action-metadata.test.ts checks it against a full YAML parse.

import { readFileSync } from 'node:fs'

/**
 * @param {string} text action.yml
 * @returns {Record<string, { default: string | undefined }>}
 */
export function actionInputs(text) {
  /** @type {Record<string, { default: string | undefined }>} */
  const inputs = {}
  let inInputs = false
  /** @type {string | undefined} */
  let current
  for (const line of text.split(/\r?\n/)) {
    if (/^\S/.test(line)) {
      inInputs = /^inputs:\s*$/.test(line)
      current = undefined
      continue
    }
    if (!inInputs) continue
    const name = /^ {2}([A-Za-z_][\w-]*):\s*$/.exec(line)
    if (name) {
      current = name[1]
      inputs[current] = { default: undefined }
      continue
    }
    const value = /^ {4}default:\s*(.*)$/.exec(line)
    if (current && value) inputs[current].default = scalar(value[1])
  }
  return inputs
}

/** A one-line YAML scalar: single-quoted (`''` is a quote), double-quoted (JSON escapes), or plain. */
function scalar(text) {
  const trimmed = text.trim()
  if (trimmed.startsWith("'")) return trimmed.slice(1, trimmed.lastIndexOf("'")).replaceAll("''", "'")
  if (trimmed.startsWith('"')) return JSON.parse(trimmed.slice(0, trimmed.lastIndexOf('"') + 1))
  return trimmed.replace(/\s+#.*$/, '')
}

/** action.yml's inputs, from the file. */
export function readActionInputs(path) {
  return actionInputs(readFileSync(path, 'utf8'))
}
