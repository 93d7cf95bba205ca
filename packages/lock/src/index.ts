export { withLock, tryLock } from './with-lock.js';
export { setDefaultLockTimeout, type LockOptions } from './options.js';
export { isLocked } from './is-locked.js';
export { readHolder } from './holder.js';
export type { HolderInfo } from './holder.js';
export { setLockWaitReporter } from './wait-reporter.js';
export type { LockWaitEvent } from './wait-reporter.js';
export { LockError } from './errors.js';
