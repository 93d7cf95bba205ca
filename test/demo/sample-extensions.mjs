// The demo's registry content: a handful of extensions shaped like Swamp's
// public corpus (see docs/swamp-compatibility.md), written as `*.tar.gz` into a
// folder that `swamp-store registry serve --dir` serves.
import path from 'node:path';
import { buildExtensionArchive, writeArchive } from '../helpers/archive-builder.mjs';
import { generateExtension } from '../helpers/sample-corpus.mjs';

/** The version @demo/aws-ec2 pins its dependency to; the registry also has a newer one. */
export const PINNED_CORE = '2026.08.01.1';

/**
 * Archives to publish. `pull: true` marks the refs the demo asks for; the
 * dependency comes along through @demo/aws-ec2's manifest.
 */
export function sampleSpecs() {
  return [
    // The median extension: 9 files, ~98 KB. Pulled only as a pinned dependency.
    { pull: false, spec: generateExtension({ name: '@demo/aws-core', version: PINNED_CORE, files: 9, bytes: 98_000 }) },
    // A newer release the pin must NOT pick.
    { pull: false, spec: generateExtension({ name: '@demo/aws-core', version: '2026.08.12.1', files: 9, bytes: 98_000 }) },
    {
      pull: true,
      spec: generateExtension({ name: '@demo/aws-ec2', version: '2026.08.20.1', files: 14, bytes: 160_000, dependencies: [`@demo/aws-core@${PINNED_CORE}`] }),
    },
    // The p90 shape, with a skill (lands in .claude/skills) and bundles (always copied).
    { pull: true, spec: generateExtension({ name: '@demo/git', version: '2026.08.20.1', files: 20, bytes: 440_000, withSkills: true, withBundles: true }) },
    // The smallest shape, with a binary (mode 0755).
    { pull: true, spec: generateExtension({ name: '@demo/slack', version: '2026.08.18.2', files: 7, bytes: 20_000, binaries: ['bin/notify'] }) },
    // A large one (~p99): bundle-heavy.
    { pull: true, spec: generateExtension({ name: '@demo/postgres', version: '2026.08.19.1', files: 53, bytes: 1_900_000, withBundles: true }) },
  ];
}

/** Writes every sample archive into `dir` (stable channel); returns the refs to pull and what should end up installed. */
export async function writeSampleRegistry(dir) {
  const samples = sampleSpecs();
  for (const { spec } of samples) {
    await writeArchive(dir, `${spec.name.slice(1).replace(/\//g, '-')}-${spec.version}.tar.gz`, buildExtensionArchive(spec));
  }
  const refs = samples.filter((s) => s.pull).map((s) => s.spec.name);
  const installed = [
    ...samples.filter((s) => s.pull).map((s) => ({ name: s.spec.name, version: s.spec.version })),
    { name: '@demo/aws-core', version: PINNED_CORE },
  ];
  return { dir: path.resolve(dir), archives: samples.length, refs, installed };
}
