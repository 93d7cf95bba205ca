// isSafeRelativePath (tree-manifest.ts) is a hand-written one-pass scan for speed; it must
// decide exactly as the plain rule it replaced: no empty, absolute or drive path, no
// backslash or NUL, and no empty, '.' or '..' segment.
import { describe, expect, it } from 'vitest';
import { isSafeRelativePath } from '../src/tree-manifest.js';

function plainRule(p: string): boolean {
  if (!p || p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

describe('isSafeRelativePath', () => {
  it('agrees with the plain rule on every string of up to 5 characters from a tricky alphabet', () => {
    const alphabet = ['a', '/', '.', '\\', '\0', ':', 'C', 'é'];
    let checked = 0;
    const walk = (prefix: string): void => {
      expect(isSafeRelativePath(prefix), JSON.stringify(prefix)).toBe(plainRule(prefix));
      checked++;
      if (prefix.length < 5) for (const c of alphabet) walk(prefix + c);
    };
    walk('');
    expect(checked).toBeGreaterThan(37_000);
  });

  it('takes real tree paths and refuses the escapes', () => {
    for (const ok of ['ext/manifest.yaml', 'bundles/models/a.js', 'ext/models/.hidden', 'ext/..x/y', 'ab:c', '1:/x']) expect(isSafeRelativePath(ok), ok).toBe(true);
    for (const bad of ['', '/etc/passwd', 'ext/../../x', '..', 'ext/./x', 'ext//x', 'ext/', 'C:/x', 'z:x', 'ext\\x', 'ext/\0']) expect(isSafeRelativePath(bad), JSON.stringify(bad)).toBe(false);
  });
});
