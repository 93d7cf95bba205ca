// Stands in for graceful-fs in the CLI bundle (see bundle.mjs). proper-lockfile requires
// graceful-fs only as the default for its `fs` option, and the lock package always passes
// its own (lock/src/lock-fs.ts); loading graceful-fs anyway clones and patches all of fs,
// 5-12 ms of every command that takes a lock.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS stand-in for a CommonJS module
module.exports = require('node:fs');
