// `datasaur-token`: the command that later steps call for a token (see keeper/token-command.ts).
import { fstatSync } from 'node:fs'
import { installProcessGuard } from './runner/process-guard.js'
import { runTokenCommand } from './keeper/token-command.js'

const guard = installProcessGuard(process, {
  // It looks up no host name: the keeper does.
  pendingLookups: () => 0,
  reportFailure: output => output.line('stderr', 'datasaur-token: an unexpected internal error stopped the command.')
})
void runTokenCommand(process, {
  output: guard.output,
  fstat: fd => fstatSync(fd),
  sleep: ms => new Promise(resolve => setTimeout(resolve, ms))
}).finally(() => guard.end())
