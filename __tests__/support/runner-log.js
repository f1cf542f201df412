// A model of what the GitHub Actions runner makes of a step's stdout: which lines become workflow commands
// (two parsers and stop-commands), what each command writes to the step log, and the secret masking applied
// to every line written. Tests use it to check that no secret is readable in the log and that text the
// action relays (a server's error message, say) never turns into a command.
//
// It follows the runner's source in the actions/runner repository; each part names the file it follows:
//   src/Runner.Worker/Handlers/OutputManager.cs   which stdout lines may be commands
//   src/Runner.Worker/ActionCommandManager.cs     TryProcessCommand, stop-commands, the command extensions
//   src/Runner.Common/ActionCommand.cs            the V2 and legacy parsers and their unescaping
//   src/Runner.Worker/ExecutionContext.cs         Write (masking), Debug, AddIssue, debug and echo defaults
//   src/Sdk/DTLogging/Logging/SecretMasker.cs     AddValue and MaskSecrets (with ValueSecret.cs, ValueEncoders.cs)
//
// Assumptions, as on github.com: `notice` is enabled (DistributedTask.EnhancedAnnotations), the deprecated
// set-output/save-state commands warn (DistributedTask.DeprecateStepOutputCommands), and neither
// ACTIONS_ALLOW_UNSECURE_COMMANDS nor ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS is set. The step has an id
// (options.stepId), which only shows in the debug line of set-output.
//
// Not modelled: problem matchers (add-matcher and remove-matcher are recorded and otherwise ignored), the
// debug-only checks of annotation line/column properties, the stack trace the runner logs in debug mode
// after a command fails, and stderr (the runner sends it through the same command manager; render it
// separately if a test needs it).

/** @typedef {'v2' | 'legacy'} Parser */

/**
 * @typedef {object} Command A line the runner processed as a workflow command.
 * @property {string} name the command, lower case (for the line that resumes commands: the stop token)
 * @property {Record<string, string>} properties unescaped
 * @property {string} data unescaped
 * @property {Parser} parser `v2` for `::name::data` at the start of a line, `legacy` for `##[name]data` anywhere
 * @property {number} line 1-based index of the stdout line
 * @property {string} input the stdout line as written
 */

/**
 * @typedef {object} RunnerLog
 * @property {string[]} lines the log as the web view shows it: masked, `##[error]` as `Error: ` (also
 *   `Warning: `, `Notice: `); other `##[...]` markers (debug, group, endgroup) left in place
 * @property {string[]} raw the same lines as the runner writes them to the log file
 * @property {string} text `lines` joined with newlines
 * @property {Command[]} commands every command the runner processed, in order
 * @property {string[]} masks values registered with the secret masker (without the encodings it derives)
 * @property {number} [stoppedAt] line of the stop-commands still in force when the output ended
 * @property {{ line: number, message: string }} [failure] the runner stopped reading the output and failed
 *   the step (an invalid stop-commands token)
 */

/** src/Runner.Worker/ActionCommandManager.cs: commands are off from `::stop-commands::TOKEN` until a command named TOKEN. */
const STOP_COMMAND = 'stop-commands'

// src/Runner.Common/Constants.cs (Constants.Runner)
const deprecated = (/** @type {string} */ name) =>
  `The \`${name}\` command is deprecated and will be disabled soon. Please upgrade to using Environment Files. For more information see: https://github.blog/changelog/2022-10-11-github-actions-deprecating-save-state-and-set-output-commands/`
const disabled = (/** @type {string} */ name) =>
  `The \`${name}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`. For more information see: https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/`
const INVALID_STOP_TOKEN =
  "You cannot use a endToken that is an empty string, the string 'pause-logging', or another workflow command. For more information see: https://docs.github.com/actions/learn-github-actions/workflow-commands-for-github-actions#example-stopping-and-starting-workflow-commands or opt into insecure command execution by setting the `ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS` environment variable to `true`."

// src/Runner.Worker/ExecutionContext.cs (WellKnownTags) and how the web view labels annotation lines.
const LABELS = { '##[error]': 'Error: ', '##[warning]': 'Warning: ', '##[notice]': 'Notice: ' }

/** .NET `char.IsWhiteSpace`, for the runner's `TrimStart()` and `Trim()`. */
const WS = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const LEADING_WS = new RegExp(`^[${WS}]+`)
const TRAILING_WS = new RegExp(`[${WS}]+$`)
const trim = (/** @type {string} */ text) => text.replace(LEADING_WS, '').replace(TRAILING_WS, '')

// src/Runner.Common/ActionCommand.cs: each table is applied in order with String.Replace, so `%25` comes last.
const DATA_ESCAPES = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%25', '%']
]
const PROPERTY_ESCAPES = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%3A', ':'],
  ['%2C', ','],
  ['%25', '%']
]
const LEGACY_ESCAPES = [
  ['%3B', ';'],
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%5D', ']'],
  ['%25', '%']
]
const unescape = (/** @type {string} */ text, /** @type {string[][]} */ table) =>
  table.reduce((out, [escaped, plain]) => out.replaceAll(escaped, plain), text)

/**
 * src/Runner.Common/ActionCommand.cs: `k=v` pairs split on `separator`, empty entries dropped. A pair is then split with
 * `String.Split('=', 2, RemoveEmptyEntries)`, which skips the empty entries that `=` signs leave before the
 * key and before the value: `=k=v` and `k==v` both give `k` = `v`, `k=` and `=v` give nothing.
 */
function parseProperties(/** @type {string} */ text, /** @type {string} */ separator, /** @type {string[][]} */ table) {
  /** @type {Record<string, string>} */
  const properties = {}
  for (const pair of text.split(separator)) {
    const rest = pair.replace(/^=+/, '')
    const eq = rest.indexOf('=')
    if (eq < 0) continue
    const key = rest.slice(0, eq)
    const value = rest.slice(eq + 1).replace(/^=+/, '')
    if (!value) continue
    // The runner's dictionary ignores case: a later `Name=` replaces an earlier `name=`.
    const existing = Object.keys(properties).find(k => k.toLowerCase() === key.toLowerCase())
    properties[existing ?? key] = unescape(value, table)
  }
  return properties
}

/** ActionCommand.TryParseV2: `::name props::data` once leading whitespace is trimmed. */
function parseV2(/** @type {string} */ line, /** @type {Set<string>} */ registered) {
  const message = line.replace(LEADING_WS, '')
  if (!message.startsWith('::')) return undefined
  const end = message.indexOf('::', 2)
  if (end < 0) return undefined
  const info = message.slice(2, end)
  const space = info.indexOf(' ')
  const name = space < 0 ? info : info.slice(0, space)
  if (!registered.has(name.toLowerCase())) return undefined
  const properties = space > 0 ? parseProperties(trim(info.slice(space + 1)), ',', PROPERTY_ESCAPES) : {}
  return { name, properties, data: unescape(message.slice(end + 2), DATA_ESCAPES), parser: /** @type {const} */ ('v2') }
}

/** ActionCommand.TryParse: `##[name props]data` at the first `##[` anywhere in the line. */
function parseLegacy(/** @type {string} */ line, /** @type {Set<string>} */ registered) {
  const prefix = line.indexOf('##[')
  if (prefix < 0) return undefined
  const bracket = line.indexOf(']', prefix)
  if (bracket < 0) return undefined
  const info = line.slice(prefix + 3, bracket)
  const space = info.indexOf(' ')
  const name = space < 0 ? info : info.slice(0, space)
  if (!registered.has(name.toLowerCase())) return undefined
  const properties = space > 0 ? parseProperties(info.slice(space + 1), ';', LEGACY_ESCAPES) : {}
  return {
    name,
    properties,
    data: unescape(line.slice(bracket + 1), LEGACY_ESCAPES),
    parser: /** @type {const} */ ('legacy')
  }
}

/**
 * The encodings the masker also registers for every value, from the encoders that
 * src/Runner.Common/HostContext.cs adds (src/Sdk/DTLogging/Logging/ValueEncoders.cs). Left out:
 * CommandLineArgumentEscape and the two PowerShell ampersand escapes; JSON escaping uses JSON.stringify,
 * which differs from Newtonsoft only for U+0085, U+2028, U+2029 and lone surrogates.
 */
function encodings(/** @type {string} */ value) {
  const bytes = Buffer.from(value, 'utf8')
  const shifted = (/** @type {number} */ n) => (bytes.length > n ? bytes.subarray(n) : bytes).toString('base64')
  let uri = ''
  try {
    // Uri.EscapeDataString leaves only RFC 3986 unreserved characters.
    uri = encodeURIComponent(value).replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  } catch {
    // A lone surrogate: no URI form to register.
  }
  /** @type {Record<string, string>} */
  const xml = { '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '&': '&amp;' }
  const quoted = value.length > 8 && value.startsWith('"') && value.endsWith('"')
  return [
    bytes.toString('base64'),
    shifted(1),
    shifted(2),
    value.replaceAll("'", "''"),
    JSON.stringify(value).slice(1, -1),
    uri,
    value.replace(/[<>"'&]/g, c => xml[c]),
    quoted ? value.slice(1, -1) : ''
  ]
}

/** SecretMasker.MaskSecrets: every occurrence of every value, overlapping ranges merged, becomes `***`. */
function maskSecrets(/** @type {string} */ input, /** @type {Set<string>} */ secrets) {
  /** @type {number[][]} */
  const ranges = []
  for (const secret of secrets) {
    // ValueSecret.GetPositions advances one character at a time, so overlapping occurrences all count.
    for (let at = input.indexOf(secret); at >= 0; at = input.indexOf(secret, at + 1)) {
      ranges.push([at, at + secret.length])
    }
  }
  ranges.sort((a, b) => a[0] - b[0])
  /** @type {number[][]} */
  const merged = []
  for (const [start, end] of ranges) {
    const last = merged.at(-1)
    if (last && start <= last[1]) last[1] = Math.max(last[1], end)
    else merged.push([start, end])
  }
  let out = ''
  let from = 0
  for (const [start, end] of merged) {
    out += `${input.slice(from, start)}***`
    from = end
  }
  return out + input.slice(from)
}

/** Lines as src/Runner.Sdk/ProcessInvoker.cs reads them (StreamReader.ReadLine: `\n`, `\r\n` or `\r`). */
function readLines(/** @type {string} */ text) {
  const lines = text.split(/\r\n|\r|\n/)
  if (lines.at(-1) === '') lines.pop()
  return lines
}

class CommandFailed extends Error {}

/**
 * Renders `stdout` as the step log a user sees.
 *
 * @param {string} stdout the action's standard output
 * @param {{ debug?: boolean, stepId?: string }} [options] `debug`: step debug logging is on
 *   (ACTIONS_STEP_DEBUG, what "re-run with debug logging" sets; the step then also sees RUNNER_DEBUG=1)
 * @returns {RunnerLog}
 */
export function renderRunnerLog(stdout, { debug = false, stepId = 'step' } = {}) {
  /** @type {string[]} */
  const raw = []
  /** @type {Command[]} */
  const commands = []
  /** @type {string[]} */
  const masks = []
  /** @type {Set<string>} */
  const secrets = new Set()
  // ActionCommandManager.Initialize registers `stop-commands` and every extension that
  // src/Runner.Common/ExtensionManager.cs loads, except internal-set-repo-path (for runner plugins only).
  const registered = new Set([
    STOP_COMMAND,
    ...['set-env', 'set-output', 'save-state', 'add-path', 'add-mask', 'add-matcher', 'remove-matcher'],
    ...['warning', 'error', 'notice', 'debug', 'group', 'endgroup', 'echo']
  ])
  // ExecutionContext.InitializeJob: both debug lines and the echo of commands follow ACTIONS_STEP_DEBUG.
  let echo = debug
  /** @type {string | undefined} */
  let stopToken
  /** @type {number | undefined} */
  let stoppedAt
  /** @type {RunnerLog['failure']} */
  let failure

  // ExecutionContext.Write masks the tag and message together; a message with line breaks spans several lines.
  const write = (/** @type {string} */ tag, /** @type {string} */ message) =>
    raw.push(...maskSecrets(`${tag}${message}`, secrets).split(/\r\n|\r|\n/))
  const output = (/** @type {string} */ message) => write('', message)
  // ExecutionContextExtension.Debug writes each line of the message only when debug logging is on.
  const debugLine = (/** @type {string} */ message) => {
    if (debug) for (const line of message.replaceAll('\r\n', '\n').split('\n')) write('##[debug]', line)
  }
  // ExecutionContext.AddIssue writes the message to the log when it is not empty.
  const issue = (/** @type {string} */ tag, /** @type {string} */ message) => {
    if (message) write(tag, message)
  }
  // SecretMasker.AddValue: the value and its encodings, empty strings skipped.
  const addSecret = (/** @type {string} */ value) => {
    if (!value || masks.includes(value)) return
    masks.push(value)
    for (const variation of [value, ...encodings(value)]) if (variation) secrets.add(variation)
  }
  const property = (/** @type {Record<string, string>} */ properties, /** @type {string} */ key) =>
    Object.entries(properties).find(([k]) => k.toLowerCase() === key)?.[1]

  /**
   * The extensions of ActionCommandManager.cs: whether the runner echoes the command line when echo is on,
   * and what the command writes. A thrown CommandFailed is the runner's "Unable to process command".
   * @type {Record<string, { omitEcho: boolean, run: (c: { data: string, properties: Record<string, string> }) => void }>}
   */
  const extensions = {
    'add-mask': {
      omitEcho: true,
      run: ({ data }) => {
        if (trim(data) === '') {
          issue('##[warning]', "Can't add secret mask for empty string in ##[add-mask] command.")
          return
        }
        if (echo) output('::add-mask::***')
        addSecret(data)
        // Each line of a multi-line value too, trimmed, since the runner masks output line by line.
        for (const line of data.split(/[\r\n]/)) addSecret(trim(line))
      }
    },
    debug: { omitEcho: true, run: ({ data }) => debugLine(data) },
    error: { omitEcho: true, run: ({ data }) => issue('##[error]', data) },
    warning: { omitEcho: true, run: ({ data }) => issue('##[warning]', data) },
    notice: { omitEcho: true, run: ({ data }) => issue('##[notice]', data) },
    group: { omitEcho: false, run: ({ data }) => output(`##[group]${data}`) },
    endgroup: { omitEcho: false, run: () => output('##[endgroup]') },
    echo: {
      omitEcho: false,
      run: ({ data }) => {
        const value = trim(data).toUpperCase()
        if (value !== 'ON' && value !== 'OFF') {
          // An empty value fails in ArgUtil.NotNullOrEmpty, with an exception text not modelled here.
          throw new CommandFailed(
            data ? `Invalid echo command value. Possible values can be: 'on', 'off'. Current value is: '${data}'.` : ''
          )
        }
        echo = value === 'ON'
        debugLine(`Setting echo command value to '${echo ? 'on' : 'off'}'`)
      }
    },
    'set-output': {
      omitEcho: false,
      run: ({ data, properties }) => {
        issue('##[warning]', deprecated('set-output'))
        const name = property(properties, 'name')
        if (!name) throw new CommandFailed("Required field 'name' is missing in ##[set-output] command.")
        // src/Runner.Worker/StepsContext.cs (SetOutput) names the output the way an expression would reference it.
        const reference = /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)
          ? `steps.${stepId}.outputs.${name}`
          : `steps['${stepId}']['outputs']['${name}']`
        debugLine(`${reference}='${data}'`)
      }
    },
    'save-state': {
      omitEcho: false,
      run: ({ data, properties }) => {
        issue('##[warning]', deprecated('save-state'))
        const name = property(properties, 'name')
        if (!name) throw new CommandFailed("Required field 'name' is missing in ##[save-state] command.")
        debugLine(`Save intra-action state ${name} = ${data}`)
      }
    },
    'set-env': {
      omitEcho: false,
      run: () => {
        throw new CommandFailed(disabled('set-env'))
      }
    },
    'add-path': {
      omitEcho: false,
      run: () => {
        throw new CommandFailed(disabled('add-path'))
      }
    },
    'add-matcher': {
      omitEcho: false,
      run: ({ data }) => {
        if (!data) issue('##[warning]', 'File path must be specified.')
      }
    },
    'remove-matcher': { omitEcho: false, run: () => undefined }
  }

  /** ActionCommandManager.TryProcessCommand: true when the line was a command and is not printed as text. */
  function tryProcessCommand(/** @type {string} */ input, /** @type {number} */ line) {
    // The legacy parser is tried whenever V2 fails, also while commands are stopped: `##[TOKEN]` anywhere
    // in a line resumes them, but not on a line that parses as another V2 command.
    const parsed = parseV2(input, registered) ?? parseLegacy(input, registered)
    if (!parsed) return false
    const command = { ...parsed, name: parsed.name.toLowerCase(), line, input }

    if (stopToken !== undefined) {
      if (command.name !== stopToken.toLowerCase()) {
        debugLine(`Process commands has been stopped and waiting for '##[${stopToken}]' to resume.`)
        return false
      }
      commands.push({ ...command, name: stopToken })
      output(input)
      debugLine('Resume processing commands')
      registered.delete(stopToken.toLowerCase())
      stopToken = undefined
      stoppedAt = undefined
      return true
    }

    commands.push(command)
    if (command.name === STOP_COMMAND) {
      // ValidateStopToken throws out of TryProcessCommand and ProcessInvoker's output loop: the step fails
      // with this error and the rest of the output is never processed.
      const token = command.data
      if (!token || registered.has(token.toLowerCase()) || token.toLowerCase() === 'pause-logging') {
        throw new CommandFailed(INVALID_STOP_TOKEN)
      }
      stopToken = token
      stoppedAt = line
      registered.add(token.toLowerCase())
      // A token longer than six characters becomes a secret, before the line itself is printed.
      if (token.length > 6) addSecret(token)
      output(input)
      debugLine('Paused processing commands until the token you called ::stopCommands:: with is received')
      return true
    }

    const extension = extensions[command.name]
    if (!extension) {
      issue('##[warning]', `Can't find command extension for ##[${command.name}.command].`)
      return true
    }
    if (echo && !extension.omitEcho) output(input)
    try {
      extension.run(command)
    } catch (error) {
      if (!(error instanceof CommandFailed)) throw error
      issue('##[error]', `Unable to process command '${extension.omitEcho ? command.name : input}' successfully.`)
      issue('##[error]', error.message)
    }
    return true
  }

  // OutputManager.OnDataReceived: a line with `##[` or `::` may be a command; anything else is printed.
  for (const [index, input] of readLines(stdout).entries()) {
    try {
      if ((input.includes('##[') || input.includes('::')) && tryProcessCommand(input, index + 1)) continue
    } catch (error) {
      if (!(error instanceof CommandFailed)) throw error
      failure = { line: index + 1, message: error.message }
      issue('##[error]', error.message)
      break
    }
    output(input)
  }

  const lines = raw.map(line => {
    const tag = Object.keys(LABELS).find(t => line.startsWith(t))
    return tag ? LABELS[/** @type {keyof typeof LABELS} */ (tag)] + line.slice(tag.length) : line
  })
  return { lines, raw, text: lines.join('\n'), commands, masks, stoppedAt, failure }
}

/** The commands the action issues itself; anything else in its log was injected. */
export const ACTION_COMMANDS = ['add-mask', 'debug', 'error', 'warning', 'notice']

/**
 * Commands the action would not issue: any found by the legacy `##[...]` parser (the action only writes
 * `::name::data`), and any not named in `expected` (stop-commands and its resume, set-output, ...).
 * @param {RunnerLog} log
 * @param {string[]} [expected]
 * @returns {Command[]}
 */
export function injectedCommands(log, expected = ACTION_COMMANDS) {
  return log.commands.filter(c => c.parser === 'legacy' || !expected.includes(c.name))
}

/**
 * Which of `values` a reader of the log can see.
 * @param {RunnerLog} log
 * @param {string[]} values non-empty strings (an empty one would be "visible" in any log)
 * @returns {string[]}
 */
export function visibleSecrets(log, values) {
  for (const value of values) {
    if (typeof value !== 'string' || value === '') {
      throw new TypeError('visibleSecrets needs non-empty strings to look for')
    }
  }
  return values.filter(value => log.text.includes(value))
}
