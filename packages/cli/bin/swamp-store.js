#!/usr/bin/env node
// Entry point kept tiny: `--version` answers without loading anything else, so
// agents that probe the tool pay only for Node's own start-up.
import { existsSync, readFileSync } from 'node:fs';
import module from 'node:module';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  // Node >= 22.1 keeps compiled code of the bundle on disk: later runs skip most of the parse/compile work.
  // A failure (read-only cache dir, ...) only loses the speed-up.
  try {
    module.enableCompileCache?.();
  } catch {
    // no cache: compile as usual
  }
  // The bundle (scripts/bundle.mjs) starts several times faster; dist/ is the unbundled fallback.
  const bundled = new URL('../bundle/main.js', import.meta.url);
  const { main } = await import(existsSync(bundled) ? bundled.href : '../dist/main.js');
  process.exitCode = await main(args);
}
