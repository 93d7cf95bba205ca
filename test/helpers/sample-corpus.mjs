// Deterministic extensions shaped like the public Swamp corpus (docs/swamp-compatibility.md,
// "Public corpus shape"): files per extension min 7 / median 9 / p90 20 / max 127,
// bytes median 98 KB / p90 440 KB / max 6.7 MB, file sizes around 6 KB, TypeScript
// and YAML text, a long markdown description, some bundles and skills.
// Same seed, same bytes: benchmarks and stress runs compare like with like.
// Plain ESM with node built-ins only, so .mjs bench/stress scripts can import it.

/** mulberry32: tiny, fast, good enough for test data. */
export function prng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashSeed(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const pick = (rand, list) => list[Math.floor(rand() * list.length)];

function shuffle(rand, list) {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}
const int = (rand, lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

const WORDS = (
  'instance volume bucket subnet cluster node policy role secret token region zone account ' +
  'deploy rollout health status metric alarm queue topic stream record table index backup ' +
  'snapshot image network gateway route firewall rule target group listener certificate key ' +
  'vault driver report store cache lock worker job step task model method input output config'
).split(' ');

const camel = (rand, n) =>
  Array.from({ length: n }, (_, i) => {
    const w = pick(rand, WORDS);
    return i === 0 ? w : w[0].toUpperCase() + w.slice(1);
  }).join('');

function tsLine(rand) {
  const a = camel(rand, 2);
  const b = camel(rand, 3);
  switch (int(rand, 0, 9)) {
    case 0:
      return `export async function ${a}(input: ${b[0].toUpperCase() + b.slice(1)}Input): Promise<${a[0].toUpperCase() + a.slice(1)}Result> {`;
    case 1:
      return `  const ${a} = await client.request("GET", \`/v1/${pick(rand, WORDS)}s/\${input.${b}}\`);`;
    case 2:
      return `  if (!${a}.${b}) throw new Error("missing ${pick(rand, WORDS)} ${int(rand, 1, 999)}");`;
    case 3:
      return `  ${a}: z.string().describe("The ${pick(rand, WORDS)} ${pick(rand, WORDS)} to use"),`;
    case 4:
      return `import { ${a}, ${b} } from "./_lib/${pick(rand, WORDS)}.ts";`;
    case 5:
      return `  return { ${a}, ${b}: ${int(rand, 0, 100000)}, updatedAt: new Date().toISOString() };`;
    case 6:
      return `// ${pick(rand, WORDS)} ${pick(rand, WORDS)}: retry with backoff when the ${pick(rand, WORDS)} is throttled`;
    case 7:
      return `  for (const ${a} of ${b}.items ?? []) results.push(await ${camel(rand, 2)}(${a}));`;
    case 8:
      return '}';
    default:
      return `  logger.info\`${pick(rand, WORDS)} ${pick(rand, WORDS)} \${${a}.id} -> \${${b}.length}\`;`;
  }
}

function yamlLine(rand) {
  switch (int(rand, 0, 5)) {
    case 0:
      return `  - name: ${pick(rand, WORDS)}-${pick(rand, WORDS)}-${int(rand, 1, 99)}`;
    case 1:
      return `    task: { type: model_method, model: ${pick(rand, WORDS)}-${int(rand, 1, 9)}, method: ${pick(rand, WORDS)} }`;
    case 2:
      return `    dependsOn: [${pick(rand, WORDS)}, ${pick(rand, WORDS)}]`;
    case 3:
      return `    inputs: { ${camel(rand, 2)}: "\${{ inputs.${camel(rand, 2)} }}" }`;
    case 4:
      return `jobs:`;
    default:
      return `    description: ${pick(rand, WORDS)} the ${pick(rand, WORDS)} before ${pick(rand, WORDS)}`;
  }
}

function mdLine(rand) {
  switch (int(rand, 0, 4)) {
    case 0:
      return `## ${pick(rand, WORDS)[0].toUpperCase()}${pick(rand, WORDS).slice(1)} ${pick(rand, WORDS)}`;
    case 1:
      return `- \`${camel(rand, 2)}\`: the ${pick(rand, WORDS)} ${pick(rand, WORDS)} (default \`${int(rand, 1, 600)}\`)`;
    case 2:
      return '';
    default:
      return Array.from({ length: int(rand, 8, 18) }, () => pick(rand, WORDS)).join(' ') + '.';
  }
}

// Fixed pools, built once: composing files from pooled lines is fast enough to
// generate a 10,000-file extension in well under a second.
const POOL_SIZE = 4096;
const POOLS = (() => {
  const rand = prng(0x5eed);
  const make = (fn) => Array.from({ length: POOL_SIZE }, () => fn(rand));
  return { ts: make(tsLine), yaml: make(yamlLine), md: make(mdLine), sh: make((r) => `echo "${pick(r, WORDS)} ${int(r, 1, 999)}"`) };
})();

/** About `size` bytes of text (ASCII, so bytes == characters) from one pool. */
function text(rand, kind, size) {
  const pool = POOLS[kind];
  const lines = [];
  let len = 0;
  while (len < size) {
    const l = pool[Math.floor(rand() * POOL_SIZE)];
    lines.push(l);
    len += l.length + 1;
  }
  return lines.join('\n').slice(0, Math.max(1, size - 1)) + '\n';
}

/** A sample from a log-normal with the given median; sigma ~1 matches the corpus spread. */
function logNormal(rand, median, sigma = 1) {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

function description(rand, name, size) {
  return `# ${name}\n\n` + text(rand, 'md', size);
}

/**
 * One extension spec for buildExtensionArchive. `files` counts every file of the
 * installed extension, manifest.yaml included; `bytes` is the approximate total.
 */
export function generateExtension(opts) {
  const { name, version } = opts;
  const seed = opts.seed ?? hashSeed(`${name}@${version}`);
  const rand = prng(seed);
  const fileCount = Math.max(2, opts.files ?? 9);
  const totalBytes = Math.max(2000, opts.bytes ?? 98_000);
  const binaries = opts.binaries ?? [];
  const descBytes = Math.min(6000, Math.max(800, Math.round(totalBytes * 0.04)));
  const short = name.split('/').pop();

  // Which files exist, before sizes are assigned.
  const slots = [];
  let left = fileCount - 1;
  const take = (path, kind, weight) => {
    if (left <= 0) return;
    slots.push({ path, kind, weight });
    left--;
  };
  for (const b of binaries) take(`files/${b}`, 'sh', 0.3);
  if (opts.withSkills) {
    take(`skills/${short}-skill/SKILL.md`, 'md', 0.6);
    if (left > 4) take(`skills/${short}-skill/scripts/helper.sh`, 'sh', 0.2);
  }
  if (opts.withBundles) {
    // Bundles inline their dependencies: one dominates the extension's bytes.
    take(`bundles/${short}.js`, 'ts', Math.max(3, (fileCount - 1) * 0.6));
    if (left > 12) take(`vault-bundles/${short}-vault.js`, 'ts', 2);
  }
  const models = Math.max(1, Math.ceil(left / 6));
  let i = 0;
  while (left > 0) {
    const m = `${short}-${i % models}`;
    const r = rand();
    if (i < models) take(`models/${m}/model.ts`, 'ts', 1.5);
    else if (r < 0.2) take(`workflows/${short}-${i}.yaml`, 'yaml', 0.6);
    else if (r < 0.3) take(`reports/${short}-report-${i}.ts`, 'ts', 0.8);
    else if (r < 0.35) take(`vaults/${short}-vault-${i}.ts`, 'ts', 0.8);
    else take(`models/${m}/_lib/${pick(rand, WORDS)}-${i}.ts`, 'ts', 1);
    i++;
  }

  // Wide spread: a few large files and many small ones give the corpus's ~6 KB median file.
  const weights = slots.map((s) => s.weight * logNormal(rand, 1, 1.1));
  const sum = weights.reduce((a, b) => a + b, 0) || 1;
  const budget = Math.max(slots.length * 200, totalBytes - descBytes);
  const files = {};
  slots.forEach((s, k) => {
    const size = Math.max(120, Math.round((budget * weights[k]) / sum));
    files[s.path] = s.kind === 'sh' ? `#!/bin/sh\n${text(rand, 'sh', size)}` : text(rand, s.kind, size);
  });

  const manifestExtra = {
    description: description(rand, name, descBytes),
    repository: `https://github.com/example/${short}`,
    labels: [pick(rand, WORDS), pick(rand, WORDS)],
    models: Object.keys(files)
      .filter((p) => p.startsWith('models/') && p.endsWith('/model.ts'))
      .map((p) => p.slice('models/'.length)),
  };
  if (opts.dependencies?.length) manifestExtra.dependencies = opts.dependencies;
  if (binaries.length) manifestExtra.binaries = binaries;
  return { name, version, files, manifestExtra, seed };
}

// Quantiles of the public corpus: [quantile, files, bytes].
const SHAPE = [
  [0, 7, 20_000],
  [0.5, 9, 98_000],
  [0.9, 20, 440_000],
  [0.99, 53, 1_900_000],
  [1, 127, 6_700_000],
];

/** Log-space interpolation between the corpus quantiles. */
function atQuantile(q, column) {
  for (let k = 1; k < SHAPE.length; k++) {
    const [q1, ...hi] = SHAPE[k];
    const [q0, ...lo] = SHAPE[k - 1];
    if (q <= q1) {
      const t = (q - q0) / (q1 - q0);
      return Math.exp(Math.log(lo[column]) + t * (Math.log(hi[column]) - Math.log(lo[column])));
    }
  }
  return SHAPE[SHAPE.length - 1][column + 1];
}

/**
 * `count` extensions spread over the corpus distribution. The first three are
 * the median, p90 and max shapes, so even a small corpus covers them.
 */
export function generateCorpus({ count, seed = 1 }) {
  const rand = prng(seed);
  const specs = [];
  const fixed = [0.5, 0.9, 1];
  // Stratified quantiles (one per 1/n slice, in shuffled order), so even a few
  // hundred extensions reproduce the corpus percentiles instead of sampling noise.
  const n = Math.max(1, count - fixed.length);
  const strata = () => shuffle(rand, Array.from({ length: n }, (_, i) => i)).map((i) => (i + rand()) / n);
  const qFiles = strata();
  const qBytes = strata();
  for (let k = 0; k < count; k++) {
    const q = k < fixed.length ? fixed[k] : qFiles[k - fixed.length];
    // Bytes follow files half the time and are drawn independently otherwise:
    // correlated, yet each marginal stays the corpus distribution.
    const qb = k < fixed.length || rand() < 0.5 ? q : qBytes[k - fixed.length];
    const files = Math.round(atQuantile(q, 0));
    const bytes = Math.round(atQuantile(qb, 1));
    const name = `@corpus/ext-${String(k).padStart(3, '0')}`;
    const dependencies = k > 3 && rand() < 0.2 ? [specs[int(rand, 0, k - 1)].name] : undefined;
    specs.push(
      generateExtension({
        name,
        version: '2026.08.01.1',
        files,
        bytes,
        seed: hashSeed(`${seed}:${name}`),
        withBundles: q === 1 || rand() < 0.3,
        withSkills: rand() < 0.15,
        binaries: rand() < 0.05 ? ['bin/tool'] : undefined,
        dependencies,
      }),
    );
  }
  return specs;
}

/** A bundle-heavy extension with `fileCount` files (manifest included), about 4 KB each. */
export function generateHugeExtension(fileCount = 10_000, opts = {}) {
  const name = opts.name ?? '@bench/huge';
  const version = opts.version ?? '2026.08.01.1';
  const rand = prng(opts.seed ?? 0x10000);
  const files = {};
  for (let k = 0; k < fileCount - 1; k++) {
    const size = Math.round(Math.min(65_536, Math.max(200, logNormal(rand, 4000, 0.8))));
    const dir = k % 3 === 0 ? `models/huge/_lib/pkg-${Math.floor(k / 150)}` : `bundles/deps/pkg-${Math.floor(k / 60)}/src`;
    files[`${dir}/${pick(rand, WORDS)}-${k}.ts`] = text(rand, 'ts', size);
  }
  return { name, version, files, manifestExtra: { description: description(rand, name, 3000) }, seed: opts.seed ?? 0x10000 };
}

/**
 * The next release of an extension: the last version component + 1 and about 2% of
 * its files changed (at least one), as between consecutive real versions.
 */
export function nextVersion(spec) {
  const parts = spec.version.split('.');
  parts[parts.length - 1] = String(Number(parts[parts.length - 1]) + 1);
  const version = parts.join('.');
  const rand = prng(hashSeed(`${spec.name}@${version}:${spec.seed ?? 0}`));
  const paths = Object.keys(spec.files ?? {});
  const files = { ...spec.files };
  const changes = Math.max(1, Math.round(paths.length * 0.02));
  for (let k = 0; k < changes && paths.length > 0; k++) {
    const p = paths[Math.floor(rand() * paths.length)];
    files[p] = `${String(files[p])}// revision ${version}: ${tsLine(rand)}\n`;
  }
  return { ...spec, version, files };
}
