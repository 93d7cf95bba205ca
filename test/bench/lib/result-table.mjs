// The one table `pnpm bench` prints: each scenario against its baseline.
import { fmtBytes, fmtMs, fmtRatio, formatTable } from './table.mjs';

// 'count' rows (archives downloaded, fsyncs) print as plain numbers.
const value = (v, r) => (r.unit === 'bytes' ? fmtBytes(v) : r.unit === 'count' ? (Number.isFinite(v) ? String(v) : '-') : fmtMs(v));

export function formatResultTable(rows) {
  return formatTable(
    [
      { key: 'name', title: 'scenario', align: 'left' },
      { key: 'ours', title: 'ours (median ms)', format: value },
      { key: 'baselineName', title: 'baseline', align: 'left' },
      { key: 'baseline', title: 'baseline (median ms)', format: value },
      { key: 'ratio', title: 'ratio', format: fmtRatio },
      { key: 'target', title: 'target', align: 'left', format: (v) => v ?? '-' },
      { key: 'met', title: 'met?', align: 'left', format: (v) => (v === true ? 'yes' : v === false ? 'NO' : '-') },
      { key: 'runs', title: 'runs' },
    ],
    rows,
  );
}
