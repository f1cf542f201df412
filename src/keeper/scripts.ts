/**
 * The two forms of `datasaur-token` placed on the job's PATH: a POSIX shell script (bash, sh, zsh, and
 * pwsh on Linux and macOS find it) and a `.cmd` file (cmd and pwsh on Windows). Both run the Node
 * binary the action ran on, which exists for the whole job, with the command's bundle and the channel
 * file; the user's arguments follow.
 */
export interface CommandScripts {
  /** `datasaur-token` */
  posix: string
  /** `datasaur-token.cmd` */
  windows: string
}

/** `text` as one word in a POSIX shell: single quotes, each `'` written as `'\''`. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`
}

/** `text` in double quotes for cmd.exe: `%` doubled, so no variable is expanded (paths hold no `"`). */
export function cmdQuote(text: string): string {
  return `"${text.replaceAll('%', '%%')}"`
}

export function commandScripts(node: string, entry: string, channelFile: string): CommandScripts {
  const posix = [node, entry, '--channel', channelFile].map(shellQuote).join(' ')
  const windows = [node, entry, '--channel', channelFile].map(cmdQuote).join(' ')
  return {
    posix: `#!/bin/sh\nexec ${posix} "$@"\n`,
    windows: `@${windows} %*\r\n@exit /b %ERRORLEVEL%\r\n`
  }
}
