import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers/cli.mjs';
import { runWorkload } from './stress/workload.mjs';

// The short CI set of the randomized multi-agent workload; `pnpm stress --ops 2000 --seed S` runs a long one.
describe('randomized multi-agent workload (short seeds)', () => {
  beforeAll(() => ensureBuilt());

  it.each([
    { seed: 11, killRate: 0 },
    { seed: 12, killRate: 0.25 },
  ])('seed $seed (kill rate $killRate) ends with no failures and no violations', async ({ seed, killRate }) => {
    const report = await runWorkload({ seed, ops: 48, agents: 6, worktrees: 3, extensions: 8, versions: 2, killRate });
    const summary = `seed ${seed}: ${report.ops} ops, ${report.kills} kills, ${report.gcRuns} gc runs (replay: pnpm stress --ops 48 --seed ${seed})`;
    expect(report.failures, summary).toEqual([]);
    expect(report.violations, summary).toEqual([]);
    expect(report.ops).toBe(48);
    if (killRate > 0) expect(report.kills, summary).toBeGreaterThan(0);
  }, 300_000);
});
