import { pendingLookups } from '../exchange/lookup.js'
import { installProcessGuard } from './process-guard.js'

/** The guard of this process, installed as this module is evaluated (see index.ts). */
export const processGuard = installProcessGuard(process, { pendingLookups })
