// The jest configuration mutation testing uses (stryker.config.mjs): the suites that run the
// action's own code in this process. The suites that run the bundle in a child process never reach
// a mutated src/ file, so running them would only slow every mutant down.
import base from './jest.config.js'

/** @type {import('jest').Config} */
export default {
  ...base,
  testPathIgnorePatterns: [
    '/node_modules/',
    'e2e\\.test\\.ts$',
    'fault-injection\\.test\\.ts$',
    'hostile-endpoints\\.test\\.ts$',
    'network-faults\\.test\\.ts$',
    'proxy-and-private-ca\\.test\\.ts$',
    'interop-oidc-provider\\.test\\.ts$',
    'release\\.test\\.ts$',
    'check-licenses\\.test\\.ts$',
    'bundle\\.test\\.ts$',
    'process-guard\\.bundle\\.test\\.ts$',
    // Builds the bundles from src/, which mutation testing has changed.
    'check-licenses\\.test\\.ts$',
    'runner-log\\.test\\.ts$',
    '/runner-l0/',
    // Clones the repository with git and runs the committed bundle; the sandbox is no git repository.
    'newcomer\\.test\\.ts$',
    // Reads the documentation and runs the committed bundle, which the sandbox leaves out.
    'readme\\.test\\.ts$'
  ]
}
