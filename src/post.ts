// The action's post step (action.yml `post`): stops the token keeper of `refresh: true`.
import { installProcessGuard } from './runner/process-guard.js'
import { runPostStep } from './keeper/post-step.js'

const guard = installProcessGuard(process, { pendingLookups: () => 0 })
void runPostStep(process.env, guard.output).finally(() => guard.end())
