import { randomUUID } from 'node:crypto'
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import { EOL } from 'node:os'
import { ActionError } from '../errors.js'

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

/** Opens each file for appending, or throws naming the first that cannot be. */
function openAll(files: readonly CommandFile[]): number[] {
  const opened: number[] = []
  try {
    for (const file of files) {
      try {
        opened.push(openSync(file.path, 'a'))
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        throw new ActionError(
          `The runner's ${file.variable} file cannot be written (${code}), so the token could not be handed to ` +
            'later steps; nothing was published. Check the runner and its disk.'
        )
      }
    }
    return opened
  } catch (error) {
    for (const fd of opened) closeSync(fd)
    throw error
  }
}

/** Checks, before any request, that every file the step will write to can be written. */
export function checkWritable(files: readonly CommandFile[]): void {
  for (const fd of openAll(files)) closeSync(fd)
}

/**
 * Writes every value, all or nothing: every file is opened before any is written, so a file that
 * cannot be opened stops the step before the token reaches any of them; and if a write fails part
 * of the way (a full disk), every file is cut back to the size it had, because the runner reads these
 * files even when the step fails.
 */
export function writeFileCommands(files: readonly FileCommands[]): void {
  const opened = openAll(files)
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
