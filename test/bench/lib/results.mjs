// test/bench/results/latest.json (git-ignored): the last run, for the closing
// notes of issues and for comparing before and after a change.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export function environment() {
  return {
    node: process.version,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Writes `latest.json`; scenarios left out by `--only` keep their previous results. */
export function writeResults(run, file = path.join(RESULTS_DIR, 'latest.json')) {
  let previous = {};
  try {
    previous = JSON.parse(fs.readFileSync(file, 'utf8')).scenarios ?? {};
  } catch {
    // first run, or an unreadable file: start afresh
  }
  const merged = { ...run, scenarios: { ...previous, ...run.scenarios } };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(merged, null, 2)}\n`);
  fs.renameSync(tmp, file);
  return file;
}

/** This run alone (not merged), as results/bench-<start time>.json: a record to compare later runs with. */
export function writeDatedCopy(run, dir = RESULTS_DIR) {
  const file = path.join(dir, `bench-${run.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
  return file;
}
