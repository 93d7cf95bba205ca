// Medians, not means: the machine is small and shared, and one stalled run would
// drag a mean around while the median stays put.

export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Summary of one series of timings, in ms. */
export function summarize(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: median(s), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN, runs: s.length, all: xs.map(round1) };
}

export function round1(x) {
  return Math.round(x * 10) / 10;
}

export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? Math.round((a / b) * 100) / 100 : null;
}
