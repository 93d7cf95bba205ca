// Every benchmark scenario, in the order `pnpm bench` runs them. A scenario is
// { name, description, defaultRuns, heavy?, run({ runs, workDir, log, deadline }) => rows },
// each row as lib/compare.mjs row() builds it: { name, unit, ours, baselineName,
// baseline, ratio, target, met, runs, ... }. A scenario should stop repeating
// once performance.now() passes `deadline` (see MIN_RUNS in lib/ingest-vs-tar.mjs).
// `heavy` scenarios (tens of seconds per run) run after the others, so that the
// shared time budget never squeezes a light scenario's median. Add new ones here.
//
// DEFAULT is what a plain `pnpm bench` runs: issue 6's table of whole CLI
// processes against their baselines. The no-bundles 10k variant and the
// in-process ingest scenarios (corpus, huge) run with --all or --only.
import coldPull from './cold-pull.mjs';
import corpus from './corpus.mjs';
import fleet from './fleet.mjs';
import huge from './huge.mjs';
import noopPull from './noop-pull.mjs';
import remoteFleet from './remote-fleet.mjs';
import version from './version.mjs';
import warmPull from './warm-pull.mjs';
import warmPull10k from './warm-pull-10k.mjs';
import warmPull10kLinks from './warm-pull-10k-links.mjs';

export const SCENARIOS = [warmPull, noopPull, warmPull10k, warmPull10kLinks, coldPull, fleet, remoteFleet, version, corpus, huge];

export const DEFAULT = ['warm-pull', 'noop-pull', 'warm-pull-10k', 'cold-pull', 'fleet', 'version'];
