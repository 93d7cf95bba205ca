// The TTY progress renderer, driven with a fake clock and a fake stream: one
// line per phase, counts with units and percentages, at most 10 redraws a second.
import { describe, expect, it } from 'vitest';
import { describe as describeEvent, MIN_REDRAW_MS, ProgressRenderer } from '../src/progress.js';

function fake() {
  let t = 0;
  const writes: string[] = [];
  const r = new ProgressRenderer({ write: (s: string) => writes.push(s) }, () => t);
  return { r, writes, advance: (ms: number) => (t += ms), screen: () => writes.join('').split('\n').map((l) => l.split('\r').pop()?.replace('\x1b[2K', '') ?? '') };
}

describe('progress lines', () => {
  it('say MiB and % for downloads, files for extract, done of total for link', () => {
    expect(describeEvent({ phase: 'download', label: '@a/b', done: 52 * 1024 * 1024, total: 191 * 1024 * 1024 })).toBe('Downloading @a/b: 52.0 of 191.0 MiB (27%)');
    expect(describeEvent({ phase: 'download', label: '@a/b', done: 3 * 1024 * 1024 })).toBe('Downloading @a/b: 3.0 MiB');
    expect(describeEvent({ phase: 'extract', label: '@a/b', done: 1 })).toBe('Extracting @a/b: 1 file');
    expect(describeEvent({ phase: 'extract', label: '@a/b', done: 40003 })).toBe('Extracting @a/b: 40,003 files');
    expect(describeEvent({ phase: 'link', label: '@a/b', done: 1200, total: 40003 })).toBe('Linking @a/b: 1,200 of 40,003 files');
  });

  it('redraws at most 10 times a second, and leaves one final line per phase', () => {
    const { r, advance, screen } = fake();
    const total = 191 * 1024 * 1024;
    // 3,000 chunks over 3 s, then 40,003 files extracted in 2 s and linked in 1 s.
    for (let i = 1; i <= 3000; i++) {
      advance(1);
      r.update({ phase: 'download', label: '@a/b', done: Math.round((total * i) / 3000), total });
    }
    for (let i = 1; i <= 40003; i++) {
      if (i % 20 === 0) advance(1);
      r.update({ phase: 'extract', label: '@a/b', done: i });
    }
    for (let i = 1; i <= 40003; i++) {
      if (i % 40 === 0) advance(1);
      r.update({ phase: 'link', label: '@a/b', done: i, total: 40003 });
    }
    r.end();
    const seconds = (3000 + 40003 / 20 + 40003 / 40) / 1000;
    // Each phase may also draw its final state once when it ends.
    expect(r.draws).toBeLessThanOrEqual(Math.ceil(seconds * (1000 / MIN_REDRAW_MS)) + 3);
    expect(screen().filter(Boolean)).toEqual(['Downloading @a/b: 191.0 of 191.0 MiB (100%)', 'Extracting @a/b: 40,003 files', 'Linking @a/b: 40,003 of 40,003 files']);
  });

  it('adds up concurrent extensions in one phase instead of flickering between them', () => {
    const { r, advance, screen } = fake();
    for (let i = 1; i <= 100; i++) {
      advance(50);
      r.update({ phase: 'download', label: '@a/one', done: i * 1024 * 1024, total: 100 * 1024 * 1024 });
      r.update({ phase: 'download', label: '@a/two', done: i * 1024 * 1024, total: 100 * 1024 * 1024 });
    }
    // A late download event while linking does not take the line back.
    r.update({ phase: 'link', label: '@a/one', done: 1, total: 1 });
    r.update({ phase: 'download', label: '@a/two', done: 1, total: 1 });
    r.end();
    expect(screen().filter(Boolean)).toEqual(['Downloading 2 extensions: 200.0 of 200.0 MiB (100%)', 'Linking @a/one: 1 of 1 file']);
  });

  it('clear() wipes the line so a notice prints on a clean line', () => {
    const { r, writes } = fake();
    r.update({ phase: 'extract', label: '', done: 3 });
    r.clear();
    expect(writes.at(-1)).toBe('\r\x1b[2K');
    r.clear();
    expect(writes.filter((w) => w === '\r\x1b[2K')).toHaveLength(1);
  });
});
