import { randomUUID } from 'node:crypto'
import { closeSync, openSync, writeSync } from 'node:fs'
import { EOL } from 'node:os'
import { ActionError } from './errors.js'

/** One of the runner's command files (GITHUB_OUTPUT, GITHUB_ENV). */
export interface CommandFile {
  /** The variable that names the file, for messages. */
  variable: string
  path: string
}

/** Values to write to a command file. */
export interface FileCommands extends CommandFile {
  values: [name: string, value: string][]
}

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
        const code = (error as NodeJS.ErrnoException).code ?? 'error'
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
 * cannot be written stops the step before the token reaches any of them, and each file gets its
 * values in one write.
 */
export function writeFileCommands(files: readonly FileCommands[]): void {
  const opened = openAll(files)
  try {
    files.forEach((file, i) => {
      writeSync(opened[i], file.values.map(([name, value]) => formatFileCommand(name, value)).join(''))
    })
  } finally {
    for (const fd of opened) closeSync(fd)
  }
}
