// How actions/runner reads the files a step writes its outputs, environment and state to (GITHUB_OUTPUT,
// GITHUB_ENV, GITHUB_STATE) once the step's process has ended. Follows actions/runner v2.336.0
// src/Runner.Worker/FileCommandManager.cs: EnvFileKeyValuePairs, SetEnvFileCommand, SaveStateFileCommand,
// SetOutputFileCommand, and ProcessFiles, which fails the step when a file cannot be read.

import { equalsIgnoreCase } from './runner-commands.js'

/** @typedef {'linux' | 'osx' | 'windows'} Platform the runner's build flavours (OS_LINUX, OS_OSX, OS_WINDOWS) */
/** @typedef {'env' | 'state' | 'output'} FileCommandName the file command's ContextName */

/** The platform the tests run on, as the runner would be built for it. */
export function hostPlatform() {
  return process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'osx' : 'linux'
}

/**
 * File.ReadAllText: the encoding its byte order mark names (UTF-8, UTF-16 or UTF-32), else UTF-8; the
 * mark itself is not part of the text. A string is taken as already decoded, less a leading U+FEFF.
 */
function readAllText(/** @type {string | Uint8Array} */ content) {
  if (typeof content === 'string') return content.replace(/^\uFEFF/, '')
  const bytes = Buffer.from(content)
  const starts = (/** @type {number[]} */ mark) => mark.every((byte, i) => bytes[i] === byte)
  if (starts([0xff, 0xfe, 0, 0])) return utf32(bytes.subarray(4), 'LE')
  if (starts([0, 0, 0xfe, 0xff])) return utf32(bytes.subarray(4), 'BE')
  if (starts([0xff, 0xfe])) return new TextDecoder('utf-16le').decode(bytes.subarray(2))
  if (starts([0xfe, 0xff])) return new TextDecoder('utf-16be').decode(bytes.subarray(2))
  return bytes.toString('utf8').replace(/^\uFEFF/, '')
}

function utf32(/** @type {Buffer} */ bytes, /** @type {'LE' | 'BE'} */ order) {
  let text = ''
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const cp = order === 'LE' ? bytes.readUInt32LE(i) : bytes.readUInt32BE(i)
    text += String.fromCodePoint(cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? cp : 0xfffd)
  }
  return text
}

/**
 * EnvFileKeyValuePairs.ReadLine: a line ends at LF; on Windows a CR right before the LF belongs to the
 * line break, elsewhere it stays in the line. Returns the line and its line break (none at the end).
 */
function readLine(/** @type {string} */ text, /** @type {number} */ index, /** @type {Platform} */ platform) {
  if (index >= text.length) return undefined
  const lf = text.indexOf('\n', index)
  if (lf < 0) return { line: text.slice(index), newline: '', next: text.length }
  if (platform === 'windows' && lf > index && text[lf - 1] === '\r') {
    return { line: text.slice(index, lf - 1), newline: '\r\n', next: lf + 1 }
  }
  return { line: text.slice(index, lf), newline: '\n', next: lf + 1 }
}

/** The runner's exception while reading a file, with the pairs it had yielded (and applied) before. */
export class FileCommandError extends Error {
  /** @param {string} message @param {[string, string][]} pairs */
  constructor(message, pairs) {
    super(message)
    this.pairs = pairs
  }
}

/**
 * EnvFileKeyValuePairs: `NAME=VALUE` lines and `NAME<<DELIMITER` blocks, in order. Whichever of `=` and
 * `<<` comes first in a line decides its form, so a name may hold `<` and a heredoc delimiter may hold `=`.
 * Empty lines are skipped. Throws a FileCommandError where the runner throws.
 * @param {string | Uint8Array} content
 * @param {Platform} [platform]
 * @returns {[string, string][]}
 */
export function readKeyValuePairs(content, platform = hostPlatform()) {
  const text = readAllText(content)
  /** @type {[string, string][]} */
  const pairs = []
  /** @returns {never} */
  const fail = (/** @type {string} */ message) => {
    throw new FileCommandError(message, pairs)
  }
  let read = readLine(text, 0, platform)
  while (read) {
    const { line } = read
    let next = read.next
    if (line) {
      const equals = line.indexOf('=')
      const heredoc = line.indexOf('<<')
      if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
        // The runner checks the line, not the name, for emptiness: `=value` gives the name ''.
        pairs.push([line.slice(0, equals), line.slice(equals + 1)])
      } else if (heredoc >= 0) {
        const name = line.slice(0, heredoc)
        const delimiter = line.slice(heredoc + 2)
        if (!name || !delimiter) {
          fail(`Invalid format '${line}'. Name must not be empty and delimiter must not be empty`)
        }
        const start = next
        let end = next
        let value = readLine(text, next, platform)
        while (value?.line !== delimiter) {
          if (!value) fail(`Invalid value. Matching delimiter not found '${delimiter}'`)
          if (!value.newline) fail('Invalid value. EOF marker missing new line.')
          end = value.next - value.newline.length
          value = readLine(text, value.next, platform)
        }
        next = value.next
        pairs.push([name, end > start ? text.slice(start, end) : ''])
      } else {
        fail(`Invalid format '${line}'`)
      }
    }
    read = readLine(text, next, platform)
  }
  return pairs
}

/**
 * @typedef {object} FileCommandResult
 * @property {Record<string, string>} values what the runner set, names compared as the runner's dictionary
 *   compares them (outputs and state ignore case; the environment ignores case on Windows only)
 * @property {{ tag: 'debug' | 'error', message: string }[]} log what ProcessFiles writes to the step log,
 *   in order: debug lines (shown with debug logging on) and error annotations
 * @property {string} [failure] the exception's message when the runner failed the step over this file
 */

/**
 * One file command as ProcessFiles runs it after the step.
 * @param {FileCommandName} name
 * @param {string | Uint8Array} content
 * @param {{ platform?: Platform, stepId?: string }} [options] `stepId`: the step's context name; the
 *   runner stores no outputs for a step without one (`__`-prefixed), but still logs them
 * @returns {FileCommandResult}
 */
export function processFileCommand(name, content, { platform = hostPlatform(), stepId = 'step' } = {}) {
  /** @type {Record<string, string>} */
  const values = Object.create(null)
  /** @type {FileCommandResult['log']} */
  const log = []
  const ignoreCase = name !== 'env' || platform === 'windows'
  const set = (/** @type {string} */ key, /** @type {string} */ value) => {
    const existing = ignoreCase ? Object.keys(values).find(k => equalsIgnoreCase(k, key)) : undefined
    values[existing ?? key] = value
  }
  let pairs
  let failure
  try {
    pairs = readKeyValuePairs(content, platform)
  } catch (error) {
    if (!(error instanceof FileCommandError)) throw error
    pairs = error.pairs
    failure = error.message
  }
  for (const [key, value] of pairs) {
    if (name === 'env') {
      if (equalsIgnoreCase(key, 'NODE_OPTIONS')) {
        log.push({ tag: 'error', message: "Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command." })
        continue
      }
      set(key, value)
      log.push({ tag: 'debug', message: `${key}='${value}'` })
    } else if (name === 'state') {
      set(key, value)
      log.push({ tag: 'debug', message: `Save intra-action state ${key} = ${value}` })
    } else {
      // ExecutionContext.SetOutput: ArgUtil.NotNullOrEmpty(name) throws, which ends the file's processing.
      if (!key) {
        failure = "Value cannot be null. (Parameter 'name')"
        break
      }
      if (stepId && !stepId.startsWith('__')) set(key, value)
      log.push({ tag: 'debug', message: `Set output ${key} = ${value}` })
    }
  }
  if (failure !== undefined) {
    log.push({ tag: 'error', message: `Unable to process file command '${name}' successfully.` })
    log.push({ tag: 'error', message: failure })
  }
  return { values, log, failure }
}
