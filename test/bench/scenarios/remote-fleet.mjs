// A fleet of machines behind a shared OCI remote (issue 12): MACHINES fresh
// stores, one after another as CI runners come and go, each pulls the same
// EXTENSIONS names. Ours goes through SWAMP_STORE_REMOTE (a real CNCF
// distribution, Debian's docker-registry, a new empty repository per run); the
// baseline is every machine pulling from Swamp's registry itself. Reports wall
// time and how many archives left Swamp's registry (the local `registry serve`
// counts them). Swamp's registry is local here, so wall time shows the cost of
// going through the remote (and pushing to it), not the internet it saves.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startRegistryServer } from '@swamp-store/registry/server';
import { buildExtensionArchive } from '../../helpers/archive-builder.mjs';
import { startOciRegistry } from '../../helpers/oci-registry.mjs';
import { generateCorpus } from '../../helpers/sample-corpus.mjs';
import { freshRepo, storeEnv } from '../lib/cli-fixtures.mjs';
import { interleave, row, target, timedRow } from '../lib/compare.mjs';
import { BIN, timeConcurrent } from '../lib/process-timing.mjs';
import { summarize } from '../lib/stats.mjs';
import { freshDir, removeDir } from '../lib/workdir.mjs';

const MACHINES = 4;
const EXTENSIONS = 20;

function haveDockerRegistry() {
  try {
    execFileSync('docker-registry', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export default {
  name: 'remote-fleet',
  description: `${MACHINES} machines one after another x ${EXTENSIONS} extensions: through a shared OCI remote (docker-registry) vs each machine from Swamp's registry`,
  defaultRuns: 3,
  heavy: true,
  async run({ runs, workDir, log, deadline }) {
    if (!haveDockerRegistry()) {
      log?.('  remote-fleet: docker-registry is not installed (apt-get install docker-registry); skipped');
      return [];
    }
    const dir = freshDir(workDir, 'remote-fleet');
    const registryDir = path.join(dir, 'registry');
    fs.mkdirSync(registryDir);
    const specs = generateCorpus({ count: EXTENSIONS, seed: 12 });
    specs.forEach((spec, i) => fs.writeFileSync(path.join(registryDir, `ext-${i}.tar.gz`), buildExtensionArchive(spec)));
    const names = specs.map((s) => s.name);
    const [server, oci] = await Promise.all([startRegistryServer({ dir: registryDir }), startOciRegistry(path.join(dir, 'oci'))]);
    const downloads = { ours: [], baseline: [] };
    let n = 0;
    const side = (throughRemote) => async (i) => {
      const run = freshDir(dir, throughRemote ? 'ours' : 'baseline');
      // A new repository per run: the remote starts empty every time.
      const remote = { SWAMP_STORE_REMOTE: `oci+http://127.0.0.1:${oci.port}/bench/run${++n}`, SWAMP_STORE_REMOTE_USERNAME: oci.username, SWAMP_STORE_REMOTE_PASSWORD: oci.password };
      const before = server.stats.downloads;
      let ms = 0;
      try {
        for (let m = 0; m < MACHINES; m++) {
          const repo = freshRepo(run, `machine${m}-`);
          const env = { ...storeEnv(path.join(run, `store-${m}`)), ...(throughRemote ? remote : {}) };
          // Spawned asynchronously: Swamp's registry (registry serve) answers from this process's event loop.
          const r = await timeConcurrent([{ file: process.execPath, args: [BIN, 'extension', 'pull', '--registry', server.url, '--json', ...names], cwd: repo, env }]);
          const got = JSON.parse(r.results[0].stdout).extensions?.length ?? 0;
          if (got !== EXTENSIONS) throw new Error(`bench: remote-fleet: machine ${m} pulled ${got} of ${EXTENSIONS}`);
          ms += r.ms;
        }
      } finally {
        removeDir(run);
      }
      if (i >= 0) (throughRemote ? downloads.ours : downloads.baseline).push(server.stats.downloads - before);
      return ms;
    };
    try {
      const result = await interleave({ name: 'remote-fleet', runs, deadline, log, ours: side(true), baseline: side(false) });
      const d = { ours: summarize(downloads.ours), baseline: summarize(downloads.baseline) };
      return [
        timedRow({ name: `remote fleet ${MACHINES}x${EXTENSIONS} wall`, result, baselineName: "each from Swamp's registry" }),
        row({
          name: `remote fleet ${MACHINES}x${EXTENSIONS} downloads`,
          unit: 'count',
          ours: d.ours.median,
          baselineName: "each from Swamp's registry",
          baseline: d.baseline.median,
          target: target(1 / MACHINES, `<= 1/${MACHINES}`),
          runs: downloads.ours.length,
          detail: d,
        }),
      ];
    } finally {
      await Promise.all([server.close(), oci.close()]);
      removeDir(dir);
    }
  },
};
