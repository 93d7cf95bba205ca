// The bench's own arithmetic: a wrong ratio, a biased run order or a hardlink
// counted twice would print a confident table of wrong numbers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { interleave, row, target } from './lib/compare.mjs';
import { DiskUsage, worktreeLogicalBytes } from './lib/disk-usage.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lib-'));
  dirs.push(d);
  return d;
}

describe('interleave', () => {
  it('alternates which side runs first, after one unmeasured run of each', async () => {
    const calls: string[] = [];
    const result = await interleave({
      name: 't',
      runs: 4,
      ours: (i) => (calls.push(`o${i}`), 10 + i),
      baseline: (i) => (calls.push(`b${i}`), 5),
    });
    expect(calls).toEqual(['o-1', 'b-1', 'o0', 'b0', 'b1', 'o1', 'o2', 'b2', 'b3', 'o3']);
    expect(result.runs).toBe(4);
    expect(result.ours.median).toBe(11.5);
    expect(result.baseline.median).toBe(5);
  });

  it('stops at minRuns once the deadline has passed, and not before', async () => {
    const past = performance.now() - 1;
    const cut = await interleave({ name: 't', runs: 9, minRuns: 2, deadline: past, warmUp: false, ours: () => 1, baseline: () => 1 });
    expect(cut.runs).toBe(2);
    const whole = await interleave({ name: 't', runs: 5, deadline: Infinity, warmUp: false, ours: () => 1, baseline: () => 1 });
    expect(whole.runs).toBe(5);
  });
});

describe('row', () => {
  it('computes ratio = ours / baseline and checks it against the target', () => {
    expect(row({ name: 'a', ours: 150, baselineName: 'b', baseline: 100, target: target(1.6), runs: 3 })).toMatchObject({ ratio: 1.5, met: true, target: '<= 1.6x' });
    expect(row({ name: 'a', ours: 170, baselineName: 'b', baseline: 100, target: target(1.6), runs: 3 })).toMatchObject({ ratio: 1.7, met: false });
    // ">= 3x faster" is ratio <= 1/3.
    expect(row({ name: 'a', ours: 40, baselineName: 'b', baseline: 100, target: target(1 / 3, '>= 3x faster'), runs: 1 }).met).toBe(false);
    expect(row({ name: 'a', ours: 30, baselineName: 'b', baseline: 100, target: target(1 / 3, '>= 3x faster'), runs: 1 }).met).toBe(true);
    expect(row({ name: 'a', ours: 1, baselineName: 'b', baseline: 1, runs: 1 }).met).toBeNull();
  });
});

describe('DiskUsage', () => {
  it('counts a hardlinked file once physically and once per path logically', () => {
    const d = scratch();
    fs.mkdirSync(path.join(d, 'store'));
    fs.mkdirSync(path.join(d, 'wt', '.git'), { recursive: true });
    fs.writeFileSync(path.join(d, 'store', 'f'), 'x'.repeat(1000));
    fs.linkSync(path.join(d, 'store', 'f'), path.join(d, 'wt', 'f'));
    fs.writeFileSync(path.join(d, 'wt', 'copy'), 'y'.repeat(300));
    fs.writeFileSync(path.join(d, 'wt', '.git', 'ignored'), 'z'.repeat(5000));
    const u = new DiskUsage()
      .add(path.join(d, 'store'), () => 'store')
      .add(path.join(d, 'wt'), () => 'wt', (rel) => rel === '.git');
    expect(u.logical).toBe(2300);
    expect(u.physical).toEqual({ store: 1000, wt: 300 });
    expect(u.physicalTotal).toBe(1300);
    expect(worktreeLogicalBytes(path.join(d, 'wt'))).toEqual({ bytes: 1300, files: 2 });
  });
});
