// A model of the step log the GitHub Actions runner builds from a step's stdout and stderr: which lines
// become workflow commands (two parsers and stop-commands), what each command writes to the log, the
// secret masking applied to every line written, and, after the step, what its GITHUB_ENV, GITHUB_STATE
// and GITHUB_OUTPUT files add to the log. Tests use it to check that no secret is readable in the log
// and that text the action relays (a server's error message, say) never turns into a command.
//
// The runner reads both streams for commands. NodeScriptActionHandler (and ScriptHandler for `run:`
// steps) attaches one OutputManager to stdout and one to stderr, both feeding the same
// ActionCommandManager, so there is one stop-commands state, one echo setting and one secret masker for
// the two. ProcessInvoker reads each stream on a thread of its own into a queue, and ProcessOutput hands
// over a batch's stderr lines before its stdout lines: how the two streams interleave in the log is not
// fixed. The model renders either extreme: all of stderr before stdout (what one batch does), or all of
// stdout before stderr (stdout read in batches of its own before any stderr arrived).
//
// It follows actions/runner v2.336.0; each part names the file it follows:
//   src/Runner.Sdk/ProcessInvoker.cs             lines (StreamReader.ReadLine), the order of the streams
//   src/Runner.Worker/Handlers/OutputManager.cs  which lines may be commands, the composite marker rewrite
//   src/Runner.Worker/ActionCommandManager.cs    TryProcessCommand, stop-commands, the command extensions
//   src/Runner.Common/ActionCommand.cs           the parsers (runner-commands.js)
//   src/Runner.Worker/ExecutionContext.cs        Write (masking), Debug, AddIssue, debug and echo defaults
//   src/Sdk/DTLogging/Logging/SecretMasker.cs    the masker (runner-masker.js)
//   src/Runner.Worker/FileCommandManager.cs      the file commands after the step (runner-files.js)
//
// Assumptions, as on github.com: `notice` is enabled (DistributedTask.EnhancedAnnotations), the deprecated
// set-output/save-state commands warn (DistributedTask.DeprecateStepOutputCommands), and
// ACTIONS_ALLOW_UNSECURE_COMMANDS is not set. ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS is off unless
// `allowUnsecureStopCommandTokens` says otherwise. The step's id (`stepId`) only shows in debug lines.
//
// Not modelled: problem matchers (add-matcher and remove-matcher are recorded, the matcher files they
// name are not read, and no line is matched), the stack trace the runner adds as debug lines after an
// exception, telemetry, the step's exit code, and the culture-sensitive searches noted in
// runner-commands.js.

import {
  CommandSet,
  equalsIgnoreCase,
  ordinalFold,
  properties,
  trim,
  tryParse,
  tryParseV2,
  validateLinesAndColumns
} from './runner-commands.js'
import { createSecretMasker } from './runner-masker.js'
import { hostPlatform, processFileCommand } from './runner-files.js'

/** @typedef {'stdout' | 'stderr'} Stream */
/** @typedef {'stderr-first' | 'stdout-first'} Order */
/** @typedef {import('./runner-files.js').Platform} Platform */

/** The two extreme orders in which the runner may read a step's two streams. */
export const ORDERS = /** @type {const} */ (['stderr-first', 'stdout-first'])

/**
 * @typedef {object} Command A line the runner processed as a workflow command.
 * @property {string} name the command as the runner knows it (lower case; for the line that resumes
 *   commands, the stop token as stop-commands gave it)
 * @property {Record<string, string>} properties unescaped
 * @property {string} data unescaped
 * @property {'v2' | 'legacy'} parser `v2` for `::name::data` at the start of a line, `legacy` for `##[name]data` anywhere
 * @property {Stream} stream the stream the line came on
 * @property {number} line 1-based index of the line in its stream
 * @property {string} input the line as written
 */

/** @typedef {{ stream: Stream, line: number }} Position */

/**
 * @typedef {object} Annotation An issue the runner attaches to the run (the first ten of each type).
 * @property {'error' | 'warning' | 'notice'} type
 * @property {string} message masked and cut to 4096 characters, as the runner sends it
 * @property {Record<string, string>} properties title, file, line... of an annotation command, as written
 */

/**
 * @typedef {object} RunnerLog
 * @property {string[]} lines the log as the web view shows it: masked, `##[error]` as `Error: ` (also
 *   `Warning: `, `Notice: `); other `##[...]` markers (debug, group, endgroup) left in place
 * @property {string[]} raw the same lines as the runner writes them to the log file
 * @property {string} text `lines` joined with newlines
 * @property {Command[]} commands every command the runner processed, in order
 * @property {Command[]} failedCommands commands whose processing failed ("Unable to process command"):
 *   the runner fails the step for each
 * @property {Annotation[]} annotations
 * @property {string[]} masks values registered with the secret masker (without the encodings it derives)
 * @property {(text: string) => string} mask masks `text` as the runner's masker does at the end of the step
 * @property {Position} [stoppedAt] the stop-commands still in force when the output ended
 * @property {Position & { message: string }} [failure] the runner stopped reading the output and failed the
 *   step (an invalid stop-commands token)
 * @property {Record<string, Record<string, string>>} files what the runner set from each file command given
 * @property {{ name: string, message: string }[]} failedFiles file commands the runner could not read
 *   (it fails the step for each)
 * @property {Order} order
 */

/** ActionCommandManager: commands are off from `::stop-commands::TOKEN` until a command named TOKEN. */
const STOP_COMMAND = 'stop-commands'

// src/Runner.Common/Constants.cs (Constants.Runner)
const deprecated = (/** @type {string} */ name) =>
  `The \`${name}\` command is deprecated and will be disabled soon. Please upgrade to using Environment Files. For more information see: https://github.blog/changelog/2022-10-11-github-actions-deprecating-save-state-and-set-output-commands/`
const disabled = (/** @type {string} */ name) =>
  `The \`${name}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`. For more information see: https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/`
const INVALID_STOP_TOKEN =
  "You cannot use a endToken that is an empty string, the string 'pause-logging', or another workflow command. For more information see: https://docs.github.com/actions/learn-github-actions/workflow-commands-for-github-actions#example-stopping-and-starting-workflow-commands or opt into insecure command execution by setting the `ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS` environment variable to `true`."
/** The message of ArgUtil.NotNullOrEmpty's ArgumentNullException. */
const valueCannotBeNull = (/** @type {string} */ name) => `Value cannot be null. (Parameter '${name}')`

// ExecutionContext.cs (WellKnownTags) and how the web view labels annotation lines.
const LABELS = { '##[error]': 'Error: ', '##[warning]': 'Warning: ', '##[notice]': 'Notice: ' }
/** ExecutionContext._maxIssueMessageLength */
const MAX_ISSUE_MESSAGE = 4096
/** ExecutionContext._maxCountPerIssueType */
const MAX_ISSUES_PER_TYPE = 10

/** Lines as ProcessInvoker reads them (StreamReader.ReadLine: `\n`, `\r\n` or `\r`). */
export function readLines(/** @type {string} */ text) {
  const lines = text.split(/\r\n|\r|\n/)
  if (lines.at(-1) === '') lines.pop()
  return lines
}

/** An exception that escapes the command manager: the runner stops reading the output and fails the step. */
export class RunnerError extends Error {}
/** An exception a command extension throws: the runner logs it, fails the step, and reads on. */
class CommandFailed extends Error {}

/**
 * @typedef {object} StepOptions
 * @property {boolean} [debug] step debug logging is on (ACTIONS_STEP_DEBUG, what "re-run with debug
 *   logging" sets; the step then also sees RUNNER_DEBUG=1): debug lines are shown and commands echoed
 * @property {boolean} [echo] commands are echoed (ExecutionContext.EchoOnActionCommand; default: `debug`)
 * @property {string} [stepId] the step's id
 * @property {Platform} [platform] how the runner reads the file commands (default: this machine's)
 * @property {boolean} [allowUnsecureStopCommandTokens] ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS is true
 */

/**
 * The runner's side of one step: an ActionCommandManager, the OutputManager of each stream, the masker
 * and the step's log. `renderRunnerLog` drives it; the transcribed L0 tests call it line by line.
 * @param {StepOptions} [options]
 */
export function createStep({
  debug = false,
  echo: echoAtStart = debug,
  stepId = 'step',
  platform = hostPlatform(),
  allowUnsecureStopCommandTokens = false
} = {}) {
  /** @type {string[]} */
  const raw = []
  /** @type {Command[]} */
  const commands = []
  /** @type {Command[]} */
  const failedCommands = []
  /** @type {Annotation[]} */
  const annotations = []
  const masker = createSecretMasker()
  /** @type {Record<string, Record<string, string>>} */
  const files = {}
  /** @type {RunnerLog['failedFiles']} */
  const failedFiles = []
  // ActionCommandManager.Initialize registers `stop-commands` and every extension that
  // src/Runner.Common/ExtensionManager.cs loads, except internal-set-repo-path (for runner plugins only).
  /** @type {Record<string, { omitEcho: boolean, run: (c: { command: string, data: string, properties: Record<string, string> }) => void }>} */
  const extensions = {}
  const registered = new CommandSet([STOP_COMMAND])
  // ExecutionContext.InitializeJob: both debug lines and the echo of commands follow ACTIONS_STEP_DEBUG.
  let echo = echoAtStart
  /** @type {string | undefined} */
  let stopToken
  /** @type {Position | undefined} */
  let stoppedAt

  // ExecutionContext.Write masks the tag and message together; a message with line breaks spans several lines.
  const write = (/** @type {string} */ tag, /** @type {string} */ message) =>
    raw.push(...masker.maskSecrets(`${tag}${message}`).split(/\r\n|\r|\n/))
  const output = (/** @type {string} */ message) => write('', message)
  // ExecutionContextExtension.Debug writes each line of the message only when debug logging is on.
  const debugLine = (/** @type {string} */ message) => {
    if (debug) for (const line of message.replaceAll('\r\n', '\n').split('\n')) write('##[debug]', line)
  }
  /**
   * ExecutionContext.AddIssue: the message is masked, then cut to 4096 characters, then written (and
   * masked again with its tag) when not empty.
   */
  const issue = (
    /** @type {Annotation['type']} */ type,
    /** @type {string} */ message,
    /** @type {Record<string, string>} */ props = {}
  ) => {
    const text = masker.maskSecrets(message).slice(0, MAX_ISSUE_MESSAGE)
    if (annotations.filter(a => a.type === type).length < MAX_ISSUES_PER_TYPE) {
      annotations.push({ type, message: text, properties: { ...props } })
    }
    if (text) write(`##[${type}]`, text)
  }

  const extension = (
    /** @type {string} */ name,
    /** @type {boolean} */ omitEcho,
    /** @type {(typeof extensions)[string]['run']} */ run
  ) => {
    extensions[name] = { omitEcho, run }
    registered.add(name)
  }
  // In the order ExtensionManager lists them; they are ActionCommandManager.cs's extension classes.
  extension('set-env', false, () => {
    throw new CommandFailed(disabled('set-env'))
  })
  extension('set-output', false, ({ data, properties: props }) => {
    issue('warning', deprecated('set-output'))
    const name = properties.get(props, 'name')
    if (!name) throw new CommandFailed("Required field 'name' is missing in ##[set-output] command.")
    // ExecutionContext.SetOutput gives no reference for a step without a context name of its own.
    let reference = ''
    if (stepId && !stepId.startsWith('__')) {
      // src/Runner.Worker/StepsContext.cs names the output the way an expression would reference it.
      reference = /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)
        ? `steps.${stepId}.outputs.${name}`
        : `steps['${stepId}']['outputs']['${name}']`
    }
    debugLine(`${reference}='${data}'`)
  })
  extension('save-state', false, ({ data, properties: props }) => {
    issue('warning', deprecated('save-state'))
    const name = properties.get(props, 'name')
    if (!name) throw new CommandFailed("Required field 'name' is missing in ##[save-state] command.")
    debugLine(`Save intra-action state ${name} = ${data}`)
  })
  extension('add-path', false, () => {
    throw new CommandFailed(disabled('add-path'))
  })
  extension('add-mask', true, ({ data }) => {
    if (trim(data) === '') {
      issue('warning', "Can't add secret mask for empty string in ##[add-mask] command.")
      return
    }
    if (echo) output('::add-mask::***')
    masker.addValue(data)
    // Each line of a multi-line value too, trimmed, since the runner masks output line by line.
    for (const line of data.split(/[\r\n]/)) masker.addValue(trim(line))
  })
  extension('add-matcher', false, ({ data }) => {
    if (!data) issue('warning', 'File path must be specified.')
  })
  extension('remove-matcher', false, ({ data, properties: props }) => {
    const owner = properties.get(props, 'owner')
    if (owner && data) {
      issue(
        'warning',
        'Either specify an owner name or a file path in ##[remove-matcher] command. Both values cannot be set.'
      )
    } else if (!owner && !data) {
      issue('warning', 'Either an owner name or a file path must be specified in ##[remove-matcher] command.')
    }
  })
  for (const type of /** @type {const} */ (['warning', 'error', 'notice'])) {
    extension(type, true, command => {
      for (const message of validateLinesAndColumns(command)) debugLine(message)
      issue(type, command.data, command.properties)
    })
  }
  extension('debug', true, ({ data }) => debugLine(data))
  extension('group', false, ({ data }) => output(`##[group]${data}`))
  extension('endgroup', false, () => output('##[endgroup]'))
  extension('echo', false, ({ data }) => {
    if (!data) throw new CommandFailed(valueCannotBeNull('value'))
    // ToUpperInvariant: no letter outside ASCII becomes one of O, N, F, so ASCII casing decides.
    const value = ordinalFold(trim(data))
    if (value !== 'ON' && value !== 'OFF') {
      throw new CommandFailed(
        `Invalid echo command value. Possible values can be: 'on', 'off'. Current value is: '${data}'.`
      )
    }
    echo = value === 'ON'
    debugLine(`Setting echo command value to '${echo ? 'on' : 'off'}'`)
  })

  /**
   * ActionCommandManager.TryProcessCommand: true when the line was a command (and is not printed as
   * text). Throws a RunnerError where the runner's exception escapes it (an invalid stop token).
   * @param {string} input
   * @param {Position} [at]
   */
  function tryProcessCommand(input, at = { stream: 'stdout', line: 0 }) {
    if (!input) return false
    // The legacy parser is tried whenever V2 fails, also while commands are stopped: `##[TOKEN]` anywhere
    // in a line resumes them, but not on a line that parses as another V2 command.
    const parsed = tryParseV2(input, registered) ?? tryParse(input, registered)
    if (!parsed) return false
    // The spelling the set holds: the extensions' own (lower case) names, or the stop token as given.
    const name = /** @type {string} */ (registered.get(parsed.command))
    /** @type {Command} */
    const command = {
      name,
      properties: parsed.properties,
      data: parsed.data,
      parser: parsed.parser,
      ...at,
      input
    }

    if (stopToken !== undefined) {
      // An empty token (allowed only with ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS) never resumes.
      if (!stopToken || !equalsIgnoreCase(parsed.command, stopToken)) {
        debugLine(`Process commands has been stopped and waiting for '##[${stopToken}]' to resume.`)
        return false
      }
      commands.push({ ...command, name: stopToken })
      output(input)
      debugLine('Resume processing commands')
      registered.delete(stopToken)
      stopToken = undefined
      stoppedAt = undefined
      return true
    }

    commands.push(command)
    if (equalsIgnoreCase(parsed.command, STOP_COMMAND)) {
      // ValidateStopToken throws out of TryProcessCommand and ProcessInvoker's output loop: the step fails
      // with this error and the rest of the output is never processed.
      const token = parsed.data
      if (
        !allowUnsecureStopCommandTokens &&
        (!token || registered.has(token) || equalsIgnoreCase(token, 'pause-logging'))
      ) {
        throw new RunnerError(INVALID_STOP_TOKEN)
      }
      stopToken = token
      stoppedAt = at
      registered.add(token)
      // A token longer than six characters becomes a secret, before the line itself is printed.
      if (token.length > 6) masker.addValue(token)
      output(input)
      debugLine('Paused processing commands until the token you called ::stopCommands:: with is received')
      return true
    }

    const found = extensions[command.name]
    if (!found) {
      issue('warning', `Can't find command extension for ##[${parsed.command}.command].`)
      return true
    }
    if (echo && !found.omitEcho) output(input)
    try {
      found.run({ command: parsed.command, data: parsed.data, properties: parsed.properties })
    } catch (error) {
      if (!(error instanceof CommandFailed)) throw error
      issue('error', `Unable to process command '${found.omitEcho ? command.name : input}' successfully.`)
      issue('error', error.message)
      failedCommands.push(command)
    }
    return true
  }

  /**
   * OutputManager.OnDataReceived: a line with `##[` or `::` may be a command; anything else is printed,
   * with the runner's own composite-action markers defused (`##[start-action` becomes `##[\start-action`).
   * @param {string} line
   * @param {Position} [at]
   */
  function onDataReceived(line, at) {
    if (line && (line.includes('##[') || line.includes('::')) && tryProcessCommand(line, at)) return
    const text =
      line.includes('##[start-action') || line.includes('##[end-action')
        ? line.replaceAll('##[start-action', '##[\\start-action').replaceAll('##[end-action', '##[\\end-action')
        : line
    output(text)
  }

  /**
   * FileCommandManager.ProcessFiles for one file, after the step's process has ended.
   * @param {import('./runner-files.js').FileCommandName} name
   * @param {string | Uint8Array} content
   */
  function processFile(name, content) {
    const result = processFileCommand(name, content, { platform, stepId })
    files[name] = result.values
    for (const { tag, message } of result.log) {
      if (tag === 'debug') debugLine(message)
      else issue('error', message)
    }
    if (result.failure !== undefined) failedFiles.push({ name, message: result.failure })
  }

  return {
    tryProcessCommand,
    onDataReceived,
    processFile,
    masker,
    /** ExecutionContext.EchoOnActionCommand */
    get echo() {
      return echo
    },
    /** ExecutionContextExtension.Debug */
    debug: debugLine,
    /** ExecutionContext.AddIssue with the default log options (also how the runner logs an exception). */
    addIssue: issue,
    /**
     * The log so far.
     * @param {Order} order @param {RunnerLog['failure']} [failure]
     * @returns {RunnerLog}
     */
    log(order, failure) {
      const lines = raw.map(line => {
        const tag = Object.keys(LABELS).find(t => line.startsWith(t))
        return tag ? LABELS[/** @type {keyof typeof LABELS} */ (tag)] + line.slice(tag.length) : line
      })
      return {
        lines,
        raw: [...raw],
        text: lines.join('\n'),
        commands: [...commands],
        failedCommands: [...failedCommands],
        annotations: [...annotations],
        masks: [...masker.values],
        mask: text => masker.maskSecrets(text),
        stoppedAt,
        failure,
        files: { ...files },
        failedFiles: [...failedFiles],
        order
      }
    }
  }
}

/**
 * @typedef {StepOptions & {
 *   stderr?: string,
 *   order?: Order,
 *   files?: Partial<Record<import('./runner-files.js').FileCommandName, string | Uint8Array>>,
 *   secrets?: string[],
 *   batches?: { stdout: string[], stderr: string[] }[]
 * }} RenderOptions
 * `stderr`: the step's standard error; `order`: which stream's lines the runner reads first (default
 * `stderr-first`, what one batch holding both does); `secrets`: values the job's masker holds already,
 * registered by earlier steps (the masker serves the whole job); `batches`: the output as the runner
 * took it, batch by batch (each batch's lines of each stream, read in `order`), instead of `stdout` and
 * `stderr` as one batch; `files`: the contents of the step's GITHUB_ENV,
 * GITHUB_STATE and GITHUB_OUTPUT files, which the runner reads after the step (and logs at debug level)
 */

/**
 * Renders a step's output as the log a user sees.
 * @param {string} stdout the step's standard output
 * @param {RenderOptions} [options]
 * @returns {RunnerLog}
 */
export function renderRunnerLog(
  stdout,
  { stderr = '', order = 'stderr-first', files = {}, secrets = [], batches, ...options } = {}
) {
  const step = createStep(options)
  for (const secret of secrets) step.masker.addValue(secret)
  /** @type {Stream[]} */
  const sequence = order === 'stderr-first' ? ['stderr', 'stdout'] : ['stdout', 'stderr']
  /** @type {RunnerLog['failure']} */
  let failure
  /** @type {Record<Stream, number>} */
  const read = { stdout: 0, stderr: 0 }
  reading: for (const batch of batches ?? [{ stdout: readLines(stdout), stderr: readLines(stderr) }]) {
    for (const stream of sequence) {
      for (const line of batch[stream]) {
        const at = { stream, line: ++read[stream] }
        try {
          step.onDataReceived(line, at)
        } catch (error) {
          if (!(error instanceof RunnerError)) throw error
          failure = { ...at, message: error.message }
          break reading
        }
      }
    }
  }
  // ActionRunner processes the files in a `finally` after the handler, so also when it threw; the
  // exception reaches StepsRunner, which logs it, only after that. The file commands run in the order
  // ExtensionManager lists them.
  for (const name of /** @type {const} */ (['env', 'state', 'output'])) {
    const content = files[name]
    if (content !== undefined) step.processFile(name, content)
  }
  if (failure) step.addIssue('error', failure.message)
  return step.log(order, failure)
}

/**
 * The step's log in both extreme orders of its two streams.
 * @param {string} stdout
 * @param {Omit<RenderOptions, 'order'>} [options]
 * @returns {Record<Order, RunnerLog>}
 */
export function renderBothOrders(stdout, options = {}) {
  return {
    'stderr-first': renderRunnerLog(stdout, { ...options, order: 'stderr-first' }),
    'stdout-first': renderRunnerLog(stdout, { ...options, order: 'stdout-first' })
  }
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
 * Which of `values` a reader of the run can see: in the log, or in an annotation's properties (a title,
 * say), which the runner does not mask.
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
  const shown = [log.text, ...log.annotations.flatMap(a => Object.values(a.properties))]
  return values.filter(value => shown.some(text => text.includes(value)))
}
