// The guard comes first: evaluating its module installs the process's handlers and the output guard
// before any other module of the action (or of its dependencies) is evaluated.
import { processGuard } from './runner/installed-guard.js'
import { run } from './main.js'

void run(undefined, undefined, undefined, { output: processGuard.output }).finally(() => processGuard.end())
