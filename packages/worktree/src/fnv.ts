/**
 * 32-bit FNV-1a over the UTF-16 code units of `s`, as 8 lowercase hex digits.
 *
 * This is how Swamp names a bundle namespace (`.swamp/bundles/<ns>/`), so it must
 * match Swamp bit for bit: code units, not UTF-8 bytes (the two differ for any
 * non-ASCII path), and `Math.imul` so the product wraps at 32 bits like Swamp's.
 */
export function fnv1a32Hex(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
