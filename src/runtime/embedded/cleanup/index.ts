/** Removing every resource a ledger names, safely and verified, even after its creator was SIGKILLed. */
export { cleanupLedger, type CleanupOptions, type CleanupSummary } from './cleanup-ledger.js';
export { CleanupError, type CleanupFailure } from './cleanup-error.js';
export { describeResource } from './phase.js';
