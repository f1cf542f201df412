// The token keeper's process, started by the step with `refresh: true` (see keeper/start.ts).
import { runKeeper } from './keeper/serve.js'

runKeeper(process).catch(() => process.exit(70))
