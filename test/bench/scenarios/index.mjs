// Every benchmark scenario, in the order `pnpm bench` runs them. A scenario is
// { name, description, defaultRuns, heavy?, run({ runs, workDir, log, deadline }) => rows },
// each row as lib/compare.mjs row() builds it: { name, unit, ours, baselineName,
// baseline, ratio, target, met, runs, ... }. A scenario should stop repeating
// once performance.now() passes `deadline` (see MIN_RUNS in lib/ingest-vs-tar.mjs).
// `heavy` scenarios (tens of seconds per run) run after the others, so that the
// shared time budget never squeezes a light scenario's median. Add new ones here.
//
// DEFAULT is what a plain `pnpm bench` runs: issue 9's table of whole CLI
// processes against their baselines (peers and floors measured in the same
// run). cold-pull and the in-process ingest scenarios (corpus, huge) run with
// --all or --only.
import coldPull from './cold-pull.mjs';
import corpus from './corpus.mjs';
import fleet from './fleet.mjs';
import fsyncs from './fsyncs.mjs';
import huge from './huge.mjs';
import noopInstall from './noop-install.mjs';
import noopPull from './noop-pull.mjs';
import remoteFleet from './remote-fleet.mjs';
import version from './version.mjs';
import warmPull from './warm-pull.mjs';
import warmPull10k from './warm-pull-10k.mjs';
import warmPull10kLinks from './warm-pull-10k-links.mjs';

export const SCENARIOS = [version, warmPull, noopPull, noopInstall, warmPull10kLinks, warmPull10k, coldPull, fleet, fsyncs, remoteFleet, corpus, huge];

// Issue 9's table: every row with its target (cold-pull has none; it runs with --all).
export const DEFAULT = ['version', 'warm-pull', 'noop-pull', 'noop-install', 'warm-pull-10k-links', 'warm-pull-10k', 'fleet', 'fsyncs'];
