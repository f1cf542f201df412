// Checks the workflows under .github/workflows for the supply-chain rules this project keeps:
//
//   node scripts/check-workflows.js [repository root]
//
// - every remote `uses:` is pinned to a full commit SHA with a `# vX.Y.Z` comment on its line (the
//   form Dependabot keeps up to date), and one action's pins agree across the workflows;
// - every workflow sets top-level `permissions`, and no job holds a write permission that
//   WRITE_PERMISSIONS below does not give it;
// - no `pull_request_target` or `workflow_run` trigger: both run with the base repository's token on
//   events that someone outside it can cause;
// - no `${{ github.event.* }}`, `${{ github.head_ref }}` or `${{ inputs.* }}` inside a `run:` script,
//   where the value would become shell code (pass it through `env:` instead);
// - every actions/checkout sets `persist-credentials: false`, and a release workflow (one that runs on
//   tags or releases) uses no cache;
// - every actions/setup-node reads `.node-version`, whose major version is action.yml's runtime;
// - dependabot.yml updates npm and the actions with a cooldown.
//
// It reads files only: no network, no git. The comment is checked on the source line, since a YAML
// parser keeps no comment a reader can rely on.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml'

const ROOT = join(fileURLToPath(import.meta.url), '..', '..')

/**
 * The write permissions each job may hold, by workflow file and job id. Anything else a job asks to
 * write is a finding; a job that needs more gets its line here, with the reason.
 *
 * @type {Record<string, Record<string, string[]>>}
 */
export const WRITE_PERMISSIONS = {
  'release.yml': {
    release: ['contents'], // creates the GitHub Release and moves the major tag
    attest: ['id-token', 'attestations'] // signs and stores the build provenance of dist/
  },
  'codeql.yml': {
    analyze: ['security-events'] // uploads the code scanning results
  }
}

const SHA = /^[0-9a-f]{40}$/
const VERSION_COMMENT = /^\s+#\s*v\d+\.\d+\.\d+\s*$/
const DOCKER_DIGEST = /@sha256:[0-9a-f]{64}$/
const EXPRESSION = /\$\{\{([\s\S]*?)\}\}/g
/** Contexts whose values a pull request's author or a workflow's caller chooses. */
const UNTRUSTED = [
  { pattern: /\bgithub\s*(?:\.\s*event\b|\[\s*['"]event['"]\s*\])/i, name: 'github.event' },
  { pattern: /\bgithub\s*(?:\.\s*head_ref\b|\[\s*['"]head_ref['"]\s*\])/i, name: 'github.head_ref' },
  { pattern: /(?<![\w.-])inputs\s*(?:\.|\[)/i, name: 'inputs' }
]
const FORBIDDEN_TRIGGERS = ['pull_request_target', 'workflow_run']

/**
 * @typedef {{ line: number, message: string }} Problem
 * @typedef {{ action: string, sha: string, version: string, line: number }} Pin
 */

/** @param {unknown} value */
const isFalse = value => value === false || value === 'false'

/** @param {unknown} value */
const isObject = value => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The event names a workflow's `on:` lists, in any of its three forms.
 *
 * @param {unknown} on
 * @returns {string[]}
 */
function triggers(on) {
  if (typeof on === 'string') return [on]
  if (Array.isArray(on)) return on.filter(event => typeof event === 'string')
  return isObject(on) ? Object.keys(/** @type {object} */ (on)) : []
}

/**
 * Whether the workflow publishes: it runs on a tag push or a release event. Such a run must build
 * from nothing another workflow could have left behind.
 *
 * @param {string} name
 * @param {unknown} on
 */
export function isReleaseWorkflow(name, on) {
  if (/^release\.ya?ml$/.test(name)) return true
  const events = triggers(on)
  if (events.includes('release')) return true
  const push = isObject(on) ? /** @type {Record<string, unknown>} */ (on).push : undefined
  return isObject(push) && ('tags' in /** @type {object} */ (push) || 'tags-ignore' in /** @type {object} */ (push))
}

/**
 * The permissions a `permissions:` value grants for writing: every scope for `write-all`, the scopes
 * set to `write` in a map, none for `read-all`, `{}` or nothing.
 *
 * @param {unknown} permissions
 * @returns {string[]}
 */
export function writePermissions(permissions) {
  if (permissions === 'write-all') return ['write-all']
  if (!isObject(permissions)) return []
  return Object.entries(/** @type {Record<string, unknown>} */ (permissions))
    .filter(([, level]) => level === 'write')
    .map(([scope]) => scope)
}

/**
 * The problems of one workflow, and the remote actions it pins.
 *
 * @param {string} name the file's name under .github/workflows, e.g. `release.yml`
 * @param {string} text the file's contents
 * @returns {{ problems: Problem[], pins: Pin[] }}
 */
export function checkWorkflow(name, text) {
  /** @type {Problem[]} */
  const problems = []
  /** @type {Pin[]} */
  const pins = []
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  if (doc.errors.length > 0) {
    const [error] = doc.errors
    const line = lineCounter.linePos(error.pos[0]).line
    return { problems: [{ line, message: `is not valid YAML (${error.code}); fix the syntax.` }], pins }
  }
  const lines = text.split(/\r\n|\r|\n/)
  /** @param {number} offset */
  const lineAt = offset => lineCounter.linePos(offset).line
  /**
   * The line of what `path` names: a mapping's key, a sequence's item; the nearest ancestor's when
   * the path goes further than the document.
   *
   * @param {(string | number)[]} path
   */
  const lineOf = path => {
    /** @type {any} */
    let node = doc.contents
    let line = node?.range ? lineAt(node.range[0]) : 1
    for (const step of path) {
      if (isMap(node)) {
        const pair = /** @type {any} */ (node.items.find(item => /** @type {any} */ (item.key)?.value === step))
        if (!pair) break
        if (pair.key?.range) line = lineAt(pair.key.range[0])
        node = pair.value
      } else if (isSeq(node) && typeof step === 'number' && node.items[step]) {
        node = node.items[step]
        if (node?.range) line = lineAt(node.range[0])
      } else {
        break
      }
    }
    return line
  }
  /**
   * @param {(string | number)[]} path
   * @param {string} message
   */
  const report = (path, message) => problems.push({ line: lineOf(path), message })

  const workflow = doc.toJS()
  if (!isObject(workflow)) {
    return { problems: [{ line: 1, message: 'is not a workflow (a mapping with `on` and `jobs`).' }], pins }
  }

  // Triggers.
  for (const event of triggers(workflow.on)) {
    if (FORBIDDEN_TRIGGERS.includes(event)) {
      report(
        ['on', event],
        `runs on \`${event}\`, which gives code or data from outside the repository a privileged token; use \`pull_request\` or \`push\` instead.`
      )
    }
  }

  // Permissions.
  if (!doc.has('permissions')) {
    report([], 'has no top-level `permissions`; add `permissions: {}` and grant each job only what it needs.')
  } else {
    for (const scope of writePermissions(workflow.permissions)) {
      report(
        ['permissions', scope],
        `grants \`${scope}${scope === 'write-all' ? '' : ': write'}\` to every job at the top level; set \`permissions: {}\` there and grant it only in the job that needs it.`
      )
    }
  }
  const allowed = WRITE_PERMISSIONS[name] ?? {}

  const release = isReleaseWorkflow(name, workflow.on)
  const jobs = isObject(workflow.jobs) ? /** @type {Record<string, any>} */ (workflow.jobs) : {}
  for (const [id, job] of Object.entries(jobs)) {
    if (!isObject(job)) continue
    for (const scope of writePermissions(job.permissions)) {
      if ((allowed[id] ?? []).includes(scope)) continue
      report(
        ['jobs', id, 'permissions', scope],
        `job \`${id}\` holds \`${scope}${scope === 'write-all' ? '' : ': write'}\`, which WRITE_PERMISSIONS in scripts/check-workflows.js does not give it; grant only read permissions, or add the job there with the reason it must write.`
      )
    }

    // A reusable workflow called at job level is pinned like an action.
    if (typeof job.uses === 'string') checkUses(['jobs', id, 'uses'], job.uses)

    const steps = Array.isArray(job.steps) ? job.steps : []
    steps.forEach((step, index) => {
      if (!isObject(step)) return
      const at = ['jobs', id, 'steps', index]
      const uses = typeof step.uses === 'string' ? step.uses : ''
      const action = uses.split('@')[0].toLowerCase()
      const inputs = isObject(step.with) ? step.with : {}
      if (uses) checkUses([...at, 'uses'], uses)
      if (typeof step.run === 'string') checkRun([...at, 'run'], step.run)

      if (action === 'actions/checkout' && !isFalse(inputs['persist-credentials'])) {
        report(
          [...at, 'uses'],
          `job \`${id}\` checks out with the token's credentials left in .git/config; add \`persist-credentials: false\` under \`with:\`.`
        )
      }
      if (action === 'actions/setup-node') {
        if (inputs['node-version-file'] !== '.node-version' || 'node-version' in inputs) {
          report(
            [...at, 'uses'],
            `job \`${id}\` sets up Node without \`node-version-file: .node-version\`; use that input alone, so every job runs the Node version the repository names once.`
          )
        }
        if (release && !isFalse(inputs['package-manager-cache'])) {
          report(
            [...at, 'uses'],
            `job \`${id}\` of a release workflow lets setup-node turn on its package cache; add \`package-manager-cache: false\` under \`with:\`.`
          )
        }
      }
      if (
        release &&
        (action.startsWith('actions/cache') || ('cache' in inputs && !isFalse(inputs.cache) && inputs.cache !== ''))
      ) {
        report(
          [...at, ...(action.startsWith('actions/cache') ? ['uses'] : ['with', 'cache'])],
          `job \`${id}\` of a release workflow uses a cache, which any branch's workflow can write; remove it and install from the lock file.`
        )
      }
    })
  }
  return { problems, pins }

  /**
   * @param {(string | number)[]} path
   * @param {string} uses
   */
  function checkUses(path, uses) {
    if (uses.startsWith('./')) return
    if (uses.startsWith('docker://')) {
      if (!DOCKER_DIGEST.test(uses)) {
        report(path, `\`${uses}\` is not pinned to an image digest; write it as \`docker://image@sha256:<digest>\`.`)
      }
      return
    }
    const at = uses.lastIndexOf('@')
    const action = at > 0 ? uses.slice(0, at) : uses
    const ref = at > 0 ? uses.slice(at + 1) : ''
    if (!SHA.test(ref)) {
      report(
        path,
        `\`${uses}\` is not pinned to a commit; write \`${action}@<40-hex commit SHA> # vX.Y.Z\`, the commit its release tag points to (\`git rev-parse 'vX.Y.Z^{}'\` in the action's repository).`
      )
      return
    }
    const node = /** @type {any} */ (doc.getIn(path, true))
    const end = lineCounter.linePos(node.range[1])
    const rest = lines[end.line - 1]?.slice(end.col - 1) ?? ''
    if (!VERSION_COMMENT.test(rest)) {
      report(
        path,
        `\`${uses}\` has no \`# vX.Y.Z\` comment right after it on its line; add the release the SHA belongs to there.`
      )
      return
    }
    pins.push({ action, sha: ref, version: rest.replace('#', '').trim(), line: end.line })
  }

  /**
   * @param {(string | number)[]} path
   * @param {string} script
   */
  function checkRun(path, script) {
    const node = /** @type {any} */ (doc.getIn(path, true))
    const source = text.slice(node.range[0], node.range[1])
    for (const match of script.matchAll(EXPRESSION)) {
      const context = UNTRUSTED.find(({ pattern }) => pattern.test(match[1]))
      if (!context) continue
      const offset = source.indexOf(match[0])
      problems.push({
        line: lineAt(node.range[0] + Math.max(offset, 0)),
        message: `\`${match[0].trim()}\` is written into a \`run:\` script, where a crafted ${context.name} value runs as shell code; pass it through \`env:\` and use the variable.`
      })
    }
  }
}

/**
 * Pins of one action that disagree: the same release at two commits, or one commit under two
 * release comments. Sub-actions of one repository (github/codeql-action/init, …/analyze) share pins.
 *
 * @param {{ file: string, pin: Pin }[]} pins
 * @returns {{ file: string, line: number, message: string }[]}
 */
export function inconsistentPins(pins) {
  /** @type {{ file: string, line: number, message: string }[]} */
  const problems = []
  /** @type {Map<string, { file: string, pin: Pin }>} */
  const byVersion = new Map()
  /** @type {Map<string, { file: string, pin: Pin }>} */
  const bySha = new Map()
  for (const entry of pins) {
    const repository = entry.pin.action.split('/').slice(0, 2).join('/').toLowerCase()
    const first = byVersion.get(`${repository}@${entry.pin.version}`)
    if (first && first.pin.sha !== entry.pin.sha) {
      problems.push({
        file: entry.file,
        line: entry.pin.line,
        message: `pins ${repository} ${entry.pin.version} to ${entry.pin.sha}, but ${first.file}:${first.pin.line} pins it to ${first.pin.sha}; one release has one commit.`
      })
    } else if (!first) {
      byVersion.set(`${repository}@${entry.pin.version}`, entry)
    }
    const same = bySha.get(`${repository}@${entry.pin.sha}`)
    if (same && same.pin.version !== entry.pin.version) {
      problems.push({
        file: entry.file,
        line: entry.pin.line,
        message: `calls ${repository}@${entry.pin.sha} ${entry.pin.version}, but ${same.file}:${same.pin.line} calls the same commit ${same.pin.version}; correct the comment.`
      })
    } else if (!same) {
      bySha.set(`${repository}@${entry.pin.sha}`, entry)
    }
  }
  return problems
}

/**
 * `.node-version` must hold the major version of the runtime action.yml declares (`runs.using:
 * node24`), so CI tests on the Node the runner runs the action with.
 *
 * @param {string | undefined} nodeVersion
 * @param {string} actionYml
 * @returns {string | undefined}
 */
export function checkNodeVersion(nodeVersion, actionYml) {
  const using = String(parseDocument(actionYml).getIn(['runs', 'using']) ?? '')
  const runtime = /^node(\d+)$/.exec(using)?.[1]
  if (nodeVersion === undefined) return `is missing; create it with the line \`${runtime ?? '24'}\`.`
  const major = /^v?(\d+)(?:\.\d+){0,2}$/.exec(nodeVersion.trim())?.[1]
  if (!major) return `holds \`${nodeVersion.trim()}\`, not a Node version; write the major version alone, e.g. \`24\`.`
  if (runtime && major !== runtime) {
    return `names Node ${major}, but action.yml runs the action on ${using}; set it to \`${runtime}\`.`
  }
  return undefined
}

/**
 * dependabot.yml must update npm and github-actions, each with a cooldown of at least one day.
 *
 * @param {string | undefined} text
 * @returns {string[]}
 */
export function checkDependabot(text) {
  if (text === undefined) return ['is missing; add updates for npm and github-actions with a cooldown.']
  const config = parseDocument(text).toJS()
  const updates = Array.isArray(config?.updates) ? config.updates : []
  /** @type {string[]} */
  const problems = []
  for (const ecosystem of ['npm', 'github-actions']) {
    const update = updates.find(entry => entry?.['package-ecosystem'] === ecosystem)
    if (!update) {
      problems.push(`has no \`package-ecosystem: ${ecosystem}\` update; add one.`)
    } else if (!(Number(update.cooldown?.['default-days']) >= 1)) {
      problems.push(`updates ${ecosystem} without a cooldown; add \`cooldown: { default-days: 7 }\`.`)
    }
  }
  return problems
}

/** @param {string} path */
const readIfExists = path => (existsSync(path) ? readFileSync(path, 'utf8') : undefined)

/**
 * Every problem in the repository at `root`, as `{ file, line, message }` with `file` relative to it.
 *
 * @param {string} root
 */
export function checkRepository(root) {
  /** @type {{ file: string, line: number, message: string }[]} */
  const problems = []
  const dir = join(root, '.github', 'workflows')
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter(file => /\.ya?ml$/.test(file))
        .sort()
    : []
  if (files.length === 0) problems.push({ file: '.github/workflows', line: 0, message: 'holds no workflows.' })
  /** @type {{ file: string, pin: Pin }[]} */
  const pins = []
  for (const name of files) {
    const file = relative(root, join(dir, name)).split('\\').join('/')
    const result = checkWorkflow(basename(name), readFileSync(join(dir, name), 'utf8'))
    for (const problem of result.problems) problems.push({ file, ...problem })
    for (const pin of result.pins) pins.push({ file, pin })
  }
  problems.push(...inconsistentPins(pins))

  const nodeVersion = checkNodeVersion(
    readIfExists(join(root, '.node-version')),
    readIfExists(join(root, 'action.yml')) ?? ''
  )
  if (nodeVersion) problems.push({ file: '.node-version', line: 1, message: nodeVersion })
  for (const message of checkDependabot(readIfExists(join(root, '.github', 'dependabot.yml')))) {
    problems.push({ file: '.github/dependabot.yml', line: 1, message })
  }
  return { problems, workflows: files.length, pins: pins.length }
}

function main() {
  const root = resolve(process.argv[2] ?? ROOT)
  const { problems, workflows, pins } = checkRepository(root)
  const annotate = process.env.GITHUB_ACTIONS === 'true'
  for (const { file, line, message } of problems) {
    console.error(annotate ? `::error file=${file},line=${line}::${file} ${message}` : `${file}:${line}: ${message}`)
  }
  if (problems.length > 0) {
    console.error(`${problems.length} workflow problem${problems.length === 1 ? '' : 's'} found.`)
    process.exitCode = 1
  } else {
    console.log(`${workflows} workflows checked: ${pins} remote actions pinned by commit, no problems found.`)
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
