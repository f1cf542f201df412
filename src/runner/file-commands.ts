import { randomUUID } from 'node:crypto'
import { closeSync, constants, fstatSync, ftruncateSync, openSync, statSync, writeSync, type Stats } from 'node:fs'
import { EOL } from 'node:os'
import { ActionError } from '../errors.js'
import { logSafe } from '../text/log-text.js'

/** One of the runner's command files (GITHUB_OUTPUT, GITHUB_ENV). */
export interface CommandFile {
  /** The variable that names the file, for messages. */
  variable: string
  path: string
}

/** Values to write to a command file: named values, or plain lines (GITHUB_PATH takes one path a line). */
export type FileCommands = CommandFile & ({ values: [name: string, value: string][] } | { lines: string[] })

/**
 * `name<<delimiter`, the value, `delimiter`: the runner's multi-line form, as `@actions/core` writes
 * it, with a random delimiter so a value cannot end its entry early.
 */
export function formatFileCommand(name: string, value: string): string {
  const delimiter = `ghadelimiter_${randomUUID()}`
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`
}

/**
 * Append, create when missing (the runner makes the files, but `a` mode has always created them), and
 * never wait: opening a FIFO for writing blocks until a reader comes, which would hang the step with no
 * deadline. Windows has no O_NONBLOCK, and nothing there blocks in the open.
 */
// Stryker disable next-line LogicalOperator,ArithmeticOperator: Linux defines every flag; `??` is for Windows.
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NONBLOCK ?? 0)

/**
 * What a path that is not a file is, for the message; undefined for a regular file or a character
 * device (/dev/null, which discards what is written, and never blocks with O_NONBLOCK).
 */
function notAFile(stats: Stats): string | undefined {
  if (stats.isFile() || stats.isCharacterDevice()) return undefined
  if (stats.isFIFO()) return 'a FIFO (named pipe)'
  if (stats.isDirectory()) return 'a directory'
  // Stryker disable next-line ConditionalExpression: only a block device gets past it, which tests cannot open.
  if (stats.isSocket()) return 'a socket'
  // Stryker disable next-line StringLiteral: a block device is all that is left, and tests cannot open one.
  return 'a block device'
}

/** What the path is, when an open failed because of it (a directory, a FIFO without a reader, a socket). */
// Stryker disable BlockStatement: an empty catch block returns undefined as well.
function kindOfPath(path: string): string | undefined {
  try {
    return notAFile(statSync(path))
  } catch {
    return undefined
  }
}
// Stryker restore BlockStatement

function notWritable(file: CommandFile, problem: string): ActionError {
  return new ActionError(
    `The runner's ${file.variable} file cannot be written (${problem}), so the token could not be handed to ` +
      'later steps; nothing was published. Check the runner and its disk.'
  )
}

/** What a failure says was left undone: before the request nothing was requested either. */
const BEFORE_REQUEST = 'nothing was requested or published'
const AFTER_REQUEST = 'nothing was published'

function notARegularFile(file: CommandFile, kind: string, undone: string): ActionError {
  return new ActionError(
    `${file.variable} names ${kind} ('${logSafe(file.path, 200)}'), not a regular file, so the token cannot be ` +
      `handed to later steps; ${undone}. Point ${file.variable} at a file, or leave it as the runner sets it.`
  )
}

/** Opens one file for appending without blocking, and refuses what is not a regular file. */
function openForAppend(file: CommandFile, undone: string): number {
  let fd: number
  try {
    fd = openSync(file.path, APPEND_FLAGS, 0o666)
  } catch (error) {
    const kind = kindOfPath(file.path)
    if (kind) throw notARegularFile(file, kind, undone)
    throw notWritable(file, String((error as NodeJS.ErrnoException).code))
  }
  const kind = notAFile(fstatSync(fd))
  if (kind) {
    closeSync(fd)
    throw notARegularFile(file, kind, undone)
  }
  return fd
}

/** Opens each file for appending, or throws naming the first that cannot be. */
function openAll(files: readonly CommandFile[], undone: string): number[] {
  const opened: number[] = []
  try {
    for (const file of files) opened.push(openForAppend(file, undone))
    return opened
  } catch (error) {
    for (const fd of opened) closeSync(fd)
    throw error
  }
}

/** Checks, before any request, that every file the step will write to can be written. */
export function checkWritable(files: readonly CommandFile[]): void {
  for (const fd of openAll(files, BEFORE_REQUEST)) closeSync(fd)
}

/**
 * Writes every value, all or nothing: every file is opened before any is written, so a file that
 * cannot be opened stops the step before the token reaches any of them; and if a write fails part
 * of the way (a full disk), every file is cut back to the size it had, because the runner reads these
 * files even when the step fails.
 */
export function writeFileCommands(files: readonly FileCommands[]): void {
  const opened = openAll(files, AFTER_REQUEST)
  const sizes = opened.map(fd => fstatSync(fd).size)
  try {
    files.forEach((file, i) => {
      const entries =
        'values' in file
          ? file.values.map(([name, value]) => formatFileCommand(name, value))
          : file.lines.map(line => `${line}${EOL}`)
      const text = Buffer.from(entries.join(''))
      for (let written = 0; written < text.length;) written += writeSync(opened[i], text, written)
    })
  } catch (error) {
    opened.forEach((fd, i) => truncateQuietly(fd, sizes[i]))
    const code = (error as NodeJS.ErrnoException).code
    throw new ActionError(
      `Writing the runner's files failed (${code}), so the token could not be handed to later steps; nothing ` +
        'was published. Check the runner and its disk.'
    )
  } finally {
    for (const fd of opened) closeSync(fd)
  }
}

/** Cuts a file back to `size`; a device such as /dev/full cannot be cut, and had nothing added. */
function truncateQuietly(fd: number, size: number): void {
  try {
    ftruncateSync(fd, size)
  } catch {
    // Nothing to undo where nothing could be kept.
  }
}
