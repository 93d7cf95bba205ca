// `swamp-store --version`: the floor under every command, since agents probe
// the tool before using it. bin/swamp-store.js answers it before loading anything.
import fs from 'node:fs';
import { interleave, target, timedRow } from '../lib/compare.mjs';
import { timeCli, timeNodeNoop } from '../lib/process-timing.mjs';

const VERSION = JSON.parse(fs.readFileSync(new URL('../../../packages/cli/package.json', import.meta.url), 'utf8')).version;

export default {
  name: 'version',
  description: 'swamp-store --version vs node -e 0, whole processes',
  defaultRuns: 21,
  async run({ runs, log, deadline }) {
    const result = await interleave({
      name: 'version',
      runs,
      deadline,
      log,
      ours: () => {
        const r = timeCli(['--version']);
        if (r.stdout.trim() !== VERSION) throw new Error(`bench: --version printed '${r.stdout.trim()}', expected ${VERSION}`);
        return r.ms;
      },
      baseline: () => timeNodeNoop(),
    });
    return [timedRow({ name: 'version', result, baselineName: 'node -e 0', target: target(1.3) })];
  },
};
