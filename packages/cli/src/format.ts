/** Human-readable byte counts for reports. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/**
 * `12,345`: thousands grouped with commas, as `toLocaleString('en-US')` would, by hand because
 * the first `toLocaleString` call of a process loads ICU's locale data: 15 ms, a tenth of a warm pull.
 */
export function groupThousands(n: number): string {
  if (!Number.isInteger(n)) return String(n);
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** `1 file`, `2 files`: counts in human lines agree in number. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${groupThousands(n)} ${n === 1 ? word : many}`;
}
