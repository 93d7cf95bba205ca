// The measurement behind issue 2's figures: ingest + ensureTree in this process,
// against GNU `tar -xzf` of the same archive, alternating the two run by run so
// that both see the same moments of a noisy machine.
import fs from 'node:fs';
import path from 'node:path';
import { ensureTree, ingest, openStore } from '@swamp-store/store';
import { buildExtensionArchive, manifestYaml } from '../../helpers/archive-builder.mjs';
import { ratio, summarize } from './stats.mjs';
import { gnuTarVersion, timeTarExtract } from './timing.mjs';
import { freshDir, removeDir } from './workdir.mjs';

/** Writes the spec's archive under `dir` and describes it. */
export function prepareArchive(dir, label, spec) {
  const bytes = buildExtensionArchive(spec);
  const file = path.join(dir, `${label}.tar.gz`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, bytes);
  const contents = Object.values(spec.files ?? {});
  return {
    label,
    file,
    files: contents.length + 1,
    bytes: contents.reduce((n, c) => n + Buffer.byteLength(c), 0) + Buffer.byteLength(manifestYaml(spec)),
    gzBytes: bytes.length,
  };
}

/** ingest + ensureTree of every archive, in order, into one fresh store. */
async function oursOnce(archives, workDir) {
  const root = freshDir(workDir, 'store');
  const store = openStore({ root });
  let ingestMs = 0;
  let ensureMs = 0;
  try {
    for (const a of archives) {
      const t0 = performance.now();
      const info = await ingest(store, a.file, { sourceKey: `file:${a.file}` });
      const t1 = performance.now();
      const tree = await ensureTree(store, info.sha256);
      const t2 = performance.now();
      // A benchmark that silently measured a failure or a cache hit would be worse than none.
      if (tree.status !== 'extracted') throw new Error(`${a.label}: ensureTree said ${tree.status}, expected extracted`);
      ingestMs += t1 - t0;
      ensureMs += t2 - t1;
    }
  } finally {
    removeDir(root);
  }
  return { ingestMs, ensureMs, totalMs: ingestMs + ensureMs };
}

/** `tar -xzf` of every archive, in order, each into a fresh folder. */
function tarOnce(archives, workDir) {
  const root = freshDir(workDir, 'tar');
  let ms = 0;
  try {
    for (const a of archives) {
      const dir = path.join(root, a.label);
      fs.mkdirSync(dir);
      ms += timeTarExtract(a.file, dir);
    }
  } finally {
    removeDir(root);
  }
  return ms;
}

/** Fewer runs than this make a median meaningless, whatever the time budget says. */
export const MIN_RUNS = 3;

/**
 * One row of the table: `runs` timings of ours and of tar, medians and ratio.
 * `archives` with more than one entry are measured as a batch (the sum of all).
 * Past `deadline` (a performance.now() value), stops after MIN_RUNS runs: on a
 * loaded machine a fixed count could take many minutes.
 */
export async function compareWithTar({ name, archives, runs, workDir, log, deadline = Infinity }) {
  const hasTar = gnuTarVersion() !== undefined;
  const ours = [];
  const ingestTimes = [];
  const ensureTimes = [];
  const tar = [];
  for (let run = 0; run < runs; run++) {
    if (run >= MIN_RUNS && performance.now() > deadline) {
      log?.(`  ${name}: time budget spent, stopping after ${run} of ${runs} runs`);
      break;
    }
    const tarFirst = run % 2 === 1;
    if (tarFirst && hasTar) tar.push(tarOnce(archives, workDir));
    const o = await oursOnce(archives, workDir);
    ours.push(o.totalMs);
    ingestTimes.push(o.ingestMs);
    ensureTimes.push(o.ensureMs);
    if (!tarFirst && hasTar) tar.push(tarOnce(archives, workDir));
    log?.(`  ${name}: run ${run + 1}/${runs}: ours ${o.totalMs.toFixed(1)} ms${hasTar ? `, tar ${tar[tar.length - 1].toFixed(1)} ms` : ''}`);
  }
  const oursS = summarize(ours);
  const tarS = hasTar ? summarize(tar) : undefined;
  return {
    name,
    archives: archives.length,
    files: archives.reduce((n, a) => n + a.files, 0),
    bytes: archives.reduce((n, a) => n + a.bytes, 0),
    gzBytes: archives.reduce((n, a) => n + a.gzBytes, 0),
    runs: ours.length,
    unit: 'ms',
    oursMs: oursS.median,
    tarMs: tarS?.median ?? null,
    // The columns every row of the table shares (lib/compare.mjs row()).
    ours: oursS.median,
    baselineName: 'tar -xzf (ours in-process)',
    baseline: tarS?.median ?? null,
    ratio: tarS ? ratio(oursS.median, tarS.median) : null,
    target: null,
    met: null,
    detail: { ours: oursS, ingest: summarize(ingestTimes), ensureTree: summarize(ensureTimes), tar: tarS ?? null },
  };
}
