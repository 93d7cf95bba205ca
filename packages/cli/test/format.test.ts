import { describe, expect, it } from 'vitest';
import { groupThousands, plural } from '../src/format.js';

describe('groupThousands', () => {
  it('groups as en-US toLocaleString does', () => {
    const samples = [0, 1, 12, 999, 1000, 1001, 12345, 999999, 1000000, 40003, 1234567890, -1, -1000, -1234567, Number.MAX_SAFE_INTEGER];
    for (const n of samples) expect(groupThousands(n)).toBe(n.toLocaleString('en-US'));
  });

  it('leaves a fraction as it is', () => {
    expect(groupThousands(1.5)).toBe('1.5');
  });
});

describe('plural', () => {
  it('agrees in number and groups the count', () => {
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(10000, 'file')).toBe('10,000 files');
    expect(plural(2, 'dependency', 'dependencies')).toBe('2 dependencies');
  });
});
