// A 10,000-file extension (bundles inline their dependencies: docs/swamp-compatibility.md
// says plan for this) pulled into a fresh worktree when its tree is already in
// the store, against `cp -al` of that same tree: per-file costs a 9-file
// extension hides show up here.
//
// Two shapes: generateHugeExtension's own (two thirds of the files under
// bundles/, which Swamp rewrites in place, so they are always private copies,
// docs/ARCHITECTURE.md), run by default, and the same files with no bundles
// (everything a hardlink: the like-for-like comparison with cp -al), the
// scenario in warm-pull-10k-links.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { ensureTree, ingest, openStore } from '@swamp-store/store';
import { generateHugeExtension } from '../../helpers/sample-corpus.mjs';
import { expectPulled, freshRepo, storeEnv, storeTreeDir } from '../lib/cli-fixtures.mjs';
import { interleave, target, timedRow } from '../lib/compare.mjs';
import { prepareArchive } from '../lib/ingest-vs-tar.mjs';
import { cliEnv, timeCli, timeProcess } from '../lib/process-timing.mjs';
import { freshDir, removeDir } from '../lib/workdir.mjs';

const FILES = 10_000;

/** generateHugeExtension as it is: two thirds of its files under bundles/. */
export function bundleHeavyShape() {
  const spec = generateHugeExtension(FILES);
  const inBundles = Object.keys(spec.files).filter((p) => p.startsWith('bundles/')).length;
  // Bundles are private copies (Swamp rewrites them in place): the floor is cp of those files plus cp -al of the rest.
  return { label: 'huge', row: `warm-pull 10k (${inBundles} in bundles/)`, spec, copies: true };
}

/** The same files with bundles/ renamed models/: every file a hardlink. */
export function linksOnlyShape() {
  const huge = generateHugeExtension(FILES);
  const files = Object.fromEntries(Object.entries(huge.files).map(([p, c]) => [p.replace(/^bundles\//, 'models/'), c]));
  return { label: 'huge-links', row: 'warm-pull 10k (no bundles)', spec: { ...huge, name: '@bench/huge-links', files } };
}

/** Puts the tree in the store in this process: a cold CLI pull of 10,000 files would cost the budget twice over. */
async function primeStore(store, file) {
  const s = openStore({ root: store });
  const info = await ingest(s, file, { sourceKey: `file:${file}` });
  await ensureTree(s, info.sha256);
  return info.sha256;
}

async function measure({ dir, shape, runs, log, deadline }) {
  const t0 = performance.now();
  const archive = prepareArchive(dir, shape.label, shape.spec);
  const store = path.join(dir, `${shape.label}-store`);
  const sha256 = await primeStore(store, archive.file);
  const tree = storeTreeDir(store, sha256);
  // Everything the tree holds except its own manifest: what a pull places in the worktree.
  const tops = fs.readdirSync(tree).filter((n) => n !== '.tree.json').map((n) => path.join(tree, n));
  const env = storeEnv(store);
  log?.(`  ${shape.row}: archive built and tree stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const result = await interleave({
    name: shape.row,
    runs,
    minRuns: 1,
    deadline,
    log,
    // Tens of seconds per run: a warm-up run would not change the picture, only the budget.
    warmUp: false,
    ours: () => {
      const repo = freshRepo(dir);
      try {
        const r = timeCli(['extension', 'pull', archive.file, '--json'], { cwd: repo, env });
        expectPulled(r.json, { store: 'hit', minLinked: archive.files }, shape.row);
        return r.ms;
      } finally {
        removeDir(repo);
      }
    },
    baseline: () => {
      const dest = freshDir(dir, 'cp-al');
      try {
        if (!shape.copies) return timeProcess('cp', ['-al', ...tops, dest], { env: cliEnv() }).ms;
        const linked = tops.filter((t) => path.basename(t) !== 'bundles');
        const copied = tops.filter((t) => path.basename(t) === 'bundles');
        const q = (p) => `'${p}'`;
        const script = `cp -al ${linked.map(q).join(' ')} ${q(dest)} && mkdir ${q(`${dest}/b`)} && cp -r ${copied.map(q).join(' ')} ${q(`${dest}/b`)}`;
        return timeProcess('/bin/sh', ['-c', script], { env: cliEnv() }).ms;
      } finally {
        removeDir(dest);
      }
    },
  });
  removeDir(store);
  return shape.copies
    ? timedRow({ name: shape.row, result, baselineName: 'cp bundles + cp -al rest', target: target(1.5), files: archive.files, bytes: archive.bytes })
    : timedRow({ name: shape.row, result, baselineName: 'cp -al tree', target: target(2), files: archive.files, bytes: archive.bytes });
}

/** A scenario measuring one shape (a function, so that unselected scenarios generate nothing). */
export function warmPull10k({ name, description, shape }) {
  return {
    name,
    description,
    // Each run of ours takes tens of seconds today; the time budget may cut this to one run (minRuns in measure()).
    defaultRuns: 3,
    heavy: true,
    async run({ runs, workDir, log, deadline }) {
      const dir = freshDir(workDir, name);
      try {
        return [await measure({ dir, shape: shape(), runs, log, deadline })];
      } finally {
        removeDir(dir);
      }
    },
  };
}

export default warmPull10k({
  name: 'warm-pull-10k',
  description: `pull of a ${FILES.toLocaleString('en')}-file extension (generateHugeExtension) whose tree is in the store, into a fresh worktree, vs cp -al of the tree`,
  shape: bundleHeavyShape,
});
