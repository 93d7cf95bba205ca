// rotation (pull-graph.ts): the order in which one process prepares its refs, so
// that processes pulling the same refs start at different places.
import { describe, expect, it } from 'vitest';
import { rotation } from '../src/pull-graph.js';

describe('rotation', () => {
  it('visits every index once, wrapping around from its start', () => {
    for (const n of [0, 1, 2, 7, 100]) {
      const r = rotation(n, 12345);
      expect([...r].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      for (let k = 1; k < n; k++) expect(r[k]).toBe(((r[0] as number) + k) % n);
    }
  });

  it('starts eight consecutive pids at more than one place', () => {
    const starts = new Set(Array.from({ length: 8 }, (_, i) => rotation(100, 40_000 + i)[0]));
    expect(starts.size).toBeGreaterThan(4);
  });
});
