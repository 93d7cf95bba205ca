import { describe, expect, it } from 'vitest';
import { fnv1a32Hex } from '../src/fnv.js';

/**
 * A second FNV-1a written differently from the code under test (BigInt and an
 * explicit modulus instead of Math.imul, UTF-16 units via codePointAt splitting),
 * so a shared mistake is unlikely.
 */
function referenceFnv(s: string): string {
  const units: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp > 0xffff) {
      const v = cp - 0x10000;
      units.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
    } else {
      units.push(cp);
    }
  }
  let h = 2166136261n;
  for (const u of units) h = ((h ^ BigInt(u)) * 16777619n) % 4294967296n;
  return h.toString(16).padStart(8, '0');
}

describe('fnv1a32Hex', () => {
  it('matches the published FNV-1a 32 test vectors', () => {
    expect(fnv1a32Hex('')).toBe('811c9dc5');
    expect(fnv1a32Hex('a')).toBe('e40c292c');
    expect(fnv1a32Hex('foobar')).toBe('bf9cf968');
  });

  it('matches values computed outside JS (Python, over bytes) for bundle namespace paths', () => {
    expect(fnv1a32Hex('.swamp/pulled-extensions/@swamp/git/models')).toBe('2b63a75e');
    expect(fnv1a32Hex('.swamp/pulled-extensions/@swamp/aws/ec2/reports')).toBe('f3b685b7');
  });

  it('hashes UTF-16 code units, not UTF-8 bytes', () => {
    const s = 'modèles/日本/😀';
    // Python: FNV-1a over s.encode('utf-16-le') taken as 16-bit units, and over s.encode('utf-8').
    expect(fnv1a32Hex(s)).toBe('25cce407');
    expect(fnv1a32Hex(s)).not.toBe('b2c881b3');
    expect(fnv1a32Hex(s)).toBe(referenceFnv(s));
  });

  it('keeps leading zeros', () => {
    // Python over bytes: FNV-1a("k2225") = 0x006da193.
    expect(fnv1a32Hex('k2225')).toBe('006da193');
  });

  it('always gives 8 lowercase hex digits', () => {
    for (const s of ['x', '@a/b', 'ünïcödé', '\u0000', 'a'.repeat(1000)]) {
      const h = fnv1a32Hex(s);
      expect(h).toMatch(/^[0-9a-f]{8}$/);
      expect(h).toBe(referenceFnv(s));
    }
  });
});
