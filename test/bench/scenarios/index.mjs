// Every benchmark scenario, in the order `pnpm bench` runs them. A scenario is
// { name, description, defaultRuns, run({ runs, workDir, log, deadline }) => rows },
// each row { name, files, bytes, oursMs, tarMs, ratio, runs, ... }; a scenario
// should stop repeating once performance.now() passes `deadline` (see MIN_RUNS in
// lib/ingest-vs-tar.mjs). Add new ones here.
import corpus from './corpus.mjs';
import huge from './huge.mjs';

export const SCENARIOS = [corpus, huge];
