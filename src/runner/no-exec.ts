// What the bundle gets when a dependency imports '@actions/exec': functions that refuse to run anything.
//
// @actions/core imports @actions/exec in its platform module for platform.getDetails(), which runs
// `sw_vers`, `lsb_release` or PowerShell to name the operating system; this action never calls it.
// Bundled, @actions/exec and the @actions/io it imports are a fifth of dist/index.js, compiled at each
// start, and the only code in it that starts programs. So tsconfig.json's `paths` sends
// '@actions/exec' here (ncc applies `paths` to imports from node_modules too). Every name the bundled
// packages import from it must be exported here: __tests__/bundle.test.ts checks.

function notBundled(): never {
  throw new Error('@actions/exec is not bundled with this action: it runs no programs.')
}

export const exec = notBundled
export const getExecOutput = notBundled
