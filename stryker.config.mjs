// Mutation testing of src/ (`npm run mutate`): StrykerJS changes the source one small edit at a time
// and counts the edits no test notices. Only the suites that run src/ in this process can notice one;
// the suites that run the bundle (dist/index.js) in a child process cannot, so they are left out here
// to keep the runs short. Runs are incremental: reports/stryker-incremental.json remembers the
// results, and a re-run tests only the mutants whose code or tests changed.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  jest: { configFile: 'jest.mutate.config.js', enableFindRelatedTests: false },
  // jest runs the ESM test files only with VM modules enabled.
  testRunnerNodeArgs: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'],
  coverageAnalysis: 'perTest',
  mutate: [
    'src/**/*.ts',
    // Entry points and constants with nothing to decide: index.ts calls run(), post.ts, keeper.ts and
    // command.ts install the guard and call their module (the bundle suites run them), installed-guard.ts installs
    // the process guard, version.ts names the version, lazy-undici.ts only forwards to undici and
    // no-exec.ts and no-oidc-auth.ts only refuse, all for calls this action never makes (bundle.test.ts checks them).
    '!src/index.ts',
    '!src/post.ts',
    '!src/keeper.ts',
    '!src/command.ts',
    '!src/runner/installed-guard.ts',
    '!src/version.ts',
    '!src/exchange/lazy-undici.ts',
    '!src/runner/no-exec.ts',
    '!src/runner/no-oidc-auth.ts'
  ],
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'json', 'html'],
  clearTextReporter: { reportMutants: false, reportTests: false, logTests: false },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  concurrency: 2,
  timeoutMS: 10_000,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'reports', '.cache', 'coverage', '.stryker-tmp'],
  thresholds: { high: 90, low: 85, break: null }
}
