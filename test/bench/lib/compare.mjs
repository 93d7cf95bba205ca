// Ours against a baseline in the same run, alternating which goes first each
// iteration: on a shared, noisy machine, drift (another engineer's test suite,
// page-cache state, CPU frequency) then lands on both series alike instead of
// biasing whichever ran in the quieter minute.
import { MIN_RUNS } from './ingest-vs-tar.mjs';
import { ratio, summarize } from './stats.mjs';

/**
 * `ours(i)` and `baseline(i)` each perform one run (preparing and cleaning up
 * untimed themselves) and return its time in ms. One unmeasured run of each
 * comes first (i = -1): the first spawn of a binary pays for a cold page cache.
 * Past `deadline` (a performance.now() value) stops after `minRuns` runs
 * (MIN_RUNS unless a scenario's runs are too long to afford three).
 */
export async function interleave({ name, runs, minRuns = MIN_RUNS, deadline = Infinity, log, ours, baseline, warmUp = true }) {
  if (warmUp) {
    await ours(-1);
    await baseline(-1);
  }
  const o = [];
  const b = [];
  for (let i = 0; i < runs; i++) {
    if (i >= minRuns && performance.now() > deadline) {
      log?.(`  ${name}: time budget spent, stopping after ${i} of ${runs} runs`);
      break;
    }
    if (i % 2 === 0) {
      o.push(await ours(i));
      b.push(await baseline(i));
    } else {
      b.push(await baseline(i));
      o.push(await ours(i));
    }
    log?.(`  ${name}: run ${i + 1}/${runs}: ours ${o[i].toFixed(1)} ms, baseline ${b[i].toFixed(1)} ms`);
  }
  return { ours: summarize(o), baseline: summarize(b), runs: o.length };
}

/**
 * A target on ratio = ours / baseline. `max` is the largest ratio that meets
 * it; `text` is how the table shows it (e.g. '>= 3x faster' for max 1/3).
 */
export function target(max, text = `<= ${max}x`) {
  return { max, text };
}

/** One table row. `unit` is 'ms' or 'bytes' (the fleet's disk figure). */
export function row({ name, unit = 'ms', ours, baselineName, baseline, target: t = null, runs, ...rest }) {
  const r = ratio(ours, baseline);
  return {
    name,
    unit,
    oursMs: unit === 'ms' ? ours : null,
    ours,
    baselineName,
    baseline,
    ratio: r,
    target: t?.text ?? null,
    targetMax: t?.max ?? null,
    met: t && r !== null ? r <= t.max : null,
    runs,
    ...rest,
  };
}

/** A row from an interleave() result. */
export function timedRow({ name, result, baselineName, target: t, ...rest }) {
  return row({ name, ours: result.ours.median, baselineName, baseline: result.baseline.median, target: t, runs: result.runs, detail: { ours: result.ours, baseline: result.baseline }, ...rest });
}
