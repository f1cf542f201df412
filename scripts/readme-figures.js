// The benchmark's figures in README.md: what the last standard run of `npm run bench` wrote to
// bench/last-run.json, copied between the markers below, so the README states the figures of one run
// that anyone can repeat, and nothing older.
//
//   node scripts/readme-figures.js           write the figures of bench/last-run.json into README.md
//   node scripts/readme-figures.js --check   exit 1 if README.md does not show exactly those figures, or
//                                            shows a measured figure (a ratio such as 1.8x, a time in ms,
//                                            requests per token) outside the markers
//
// The block is formatted with the project's Prettier settings, so `npm run format` leaves it as written.

import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const README = join(ROOT, 'README.md')
export const LAST_RUN = join(ROOT, 'bench', 'last-run.json')
export const START = '<!-- bench:start -->'
export const END = '<!-- bench:end -->'

/**
 * What reads as a measured figure: a ratio (`1.85x`), a time in milliseconds, requests per token. The
 * README states bounds and defaults in seconds (`timeout_seconds`, the worst case of a failing step),
 * which are not measured, so seconds alone do not count.
 */
const FIGURE_PATTERNS = [/\b\d+(?:\.\d+)?x\b/, /\b\d+(?:\.\d+)? ?ms\b/, /\breq(?:uests)?\/token\b/]

/** Text for one line of Markdown. */
function inline(text) {
  return String(text).replace(/\s+/g, ' ').trim()
}

/** The Markdown between the markers (unformatted) for a run as bench/last-run.json holds it. */
export function renderFigures(run) {
  const items = run.figures.map(
    figure =>
      `- \`${inline(figure.name)}\`, ${inline(figure.what)}: **${inline(figure.result)}**; target ${inline(figure.target)}, ` +
      `${figure.pass ? 'PASS' : 'MISS'}.`
  )
  return [
    '<!-- Written by scripts/readme-figures.js from bench/last-run.json. -->',
    '',
    `\`${inline(run.command)}\` on ${run.date}: Node ${run.node}, ${run.platform}, ${run.cpus} CPUs, load average ` +
      `${run.loadAverage.start} at the start and ${run.loadAverage.end} at the end; start-up as medians of ${run.runs} runs.`,
    '',
    ...items
  ].join('\n')
}

/** `readme` with the block between the markers replaced by the figures of `run`, unformatted. */
export function withFigures(readme, run) {
  const { before, after } = split(readme)
  return `${before}${START}\n\n${renderFigures(run)}\n\n${END}${after}`
}

/** The text before the start marker and after the end marker; throws when they are not there once each. */
function split(readme) {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start < 0 || end < start || readme.indexOf(START, start + 1) >= 0 || readme.indexOf(END, end + 1) >= 0) {
    throw new Error(`README.md must hold ${START} and then ${END}, once each.`)
  }
  return {
    before: readme.slice(0, start),
    inside: readme.slice(start, end + END.length),
    after: readme.slice(end + END.length)
  }
}

/** Text formatted as `npm run format` formats README.md. */
export async function formatted(text) {
  const prettier = await import('prettier')
  const options = (await prettier.resolveConfig(README)) ?? {}
  return prettier.format(text, { ...options, filepath: README })
}

/**
 * What is wrong with `readme` against `run`: an empty list when it shows exactly the run's figures
 * (as this script writes them) and no measured figure outside the markers.
 */
export async function problems(readme, run) {
  const found = []
  let parts
  try {
    parts = split(readme)
  } catch (error) {
    return [error.message]
  }
  const expected = split(await formatted(withFigures(readme, run))).inside
  if (expected !== parts.inside) {
    found.push(
      'The figures between the bench markers are not those of bench/last-run.json: run `node scripts/readme-figures.js`.'
    )
  }
  const outside = `${parts.before}\n${parts.after}`.split('\n')
  outside.forEach(line => {
    const pattern = FIGURE_PATTERNS.find(candidate => candidate.test(line))
    if (pattern) found.push(`A measured figure outside the bench markers (${pattern.exec(line)[0]}): ${line.trim()}`)
  })
  return found
}

export function readRun(file = LAST_RUN) {
  return JSON.parse(readFileSync(file, 'utf8'))
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const readme = readFileSync(README, 'utf8')
  const run = readRun()
  if (process.argv.includes('--check')) {
    const found = await problems(readme, run)
    for (const problem of found) console.error(problem)
    if (!found.length) console.log('README.md shows the figures of bench/last-run.json, and no others.')
    process.exitCode = found.length ? 1 : 0
  } else {
    const next = await formatted(withFigures(readme, run))
    writeFileSync(README, next)
    console.log(
      next === readme
        ? 'README.md already shows these figures.'
        : 'Wrote the figures of bench/last-run.json into README.md.'
    )
  }
}
