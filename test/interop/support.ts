// The real Swamp CLI (../shared/real-swamp/swamp beside the repository), the
// extensions the interop tests pack with it, and the registry that serves them.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ROOT, ensureBuilt, runCli, tempDir, type CliResult } from '../helpers/cli.mjs';
import { walkFiles } from '../fixtures/worktree-support.js';

/** Beside the repository, as CI lays it out; SWAMP_REAL_SWAMP_DIR only for checkouts elsewhere (a git worktree of the repository). */
export const REAL_SWAMP_DIR = process.env.SWAMP_REAL_SWAMP_DIR ?? path.resolve(ROOT, '..', 'shared', 'real-swamp');
export const REAL_SWAMP = path.join(REAL_SWAMP_DIR, 'swamp');
export const LOCKFILE_REL = 'extensions/models/upstream_extensions.json';

/** The only reason the interop suite may skip: the folder with the real CLI is not beside this checkout. */
export function realSwampMissing(): string | undefined {
  if (fs.existsSync(REAL_SWAMP)) return undefined;
  return `the real Swamp CLI is not at ${REAL_SWAMP} (the interop suite needs ../shared/real-swamp/ beside the repository)`;
}

/** Why this run skips the interop suite (printed once per file), or undefined. */
export const SKIP = realSwampMissing();
if (SKIP) console.log(`[interop] skipped: ${SKIP}`);

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real Swamp CLI (or a patched copy with SWAMP_REAL_SRC in env). */
export function swamp(args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(REAL_SWAMP, args, { cwd: opts.cwd, env: { ...process.env, SWAMP_NO_TELEMETRY: '1', NO_COLOR: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function swampOk(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<RunResult> {
  const r = await swamp(args, opts);
  if (r.code !== 0) throw new Error(`swamp ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
  return r;
}

/** The extensions the suite packs: a bundled model (two versions), a skill with a dependency, and a chain of dependencies. */
interface SourceExtension {
  name: string;
  version: string;
  manifest: string[];
  files: Record<string, string>;
}

const modelCode = (type: string, version: string, word: string) => `import { z } from "npm:zod@4";
import { greet } from "./lib/greet.ts";

export const model = {
  type: "${type}",
  version: "${version}",
  globalArguments: z.object({}),
  resources: {
    "data": {
      description: "x",
      schema: z.object({}),
      lifetime: "infinite",
      garbageCollection: 1,
    },
  },
  methods: {
    hello: {
      description: "says hello",
      arguments: z.object({}),
      execute: () => {
        console.log(greet("${word}"));
        return Promise.resolve({ dataHandles: [] });
      },
    },
  },
};
`;

const greetCode = (greeting: string) => `export function greet(n: string): string {
  return \`${greeting} \${n}\`;
}
`;

export const ALPHA_V1 = '2026.01.01.1';
export const ALPHA_V2 = '2026.02.01.1';

export const SOURCES: SourceExtension[] = [
  {
    name: '@interop/alpha',
    version: ALPHA_V1,
    manifest: ['models:', '  - echo.ts', 'additionalFiles:', '  - notes/old.md'],
    files: {
      'extensions/models/echo.ts': modelCode('@interop/alpha', ALPHA_V1, 'alpha'),
      'extensions/models/lib/greet.ts': greetCode('hello'),
      'notes/old.md': '# Only in the first version\n',
    },
  },
  {
    name: '@interop/alpha',
    version: ALPHA_V2,
    manifest: ['models:', '  - echo.ts'],
    files: {
      'extensions/models/echo.ts': modelCode('@interop/alpha', ALPHA_V2, 'alpha'),
      'extensions/models/lib/greet.ts': greetCode('hi there'),
    },
  },
  {
    name: '@interop/gamma',
    version: '2026.01.05.1',
    manifest: ['skills:', '  - interop-skill', 'dependencies:', '  - "@interop/alpha"'],
    files: { '.claude/skills/interop-skill/SKILL.md': '---\nname: interop-skill\ndescription: A skill shipped by an interop test extension\n---\n# Interop skill\n\nSay hello.\n' },
  },
  {
    name: '@interop/delta',
    version: '2026.01.07.1',
    manifest: ['models:', '  - delta.ts', 'dependencies:', '  - "@interop/gamma"'],
    files: {
      'extensions/models/delta.ts': modelCode('@interop/delta', '2026.01.07.1', 'delta'),
      'extensions/models/lib/greet.ts': greetCode('greetings'),
    },
  },
];

export interface Packed {
  name: string;
  version: string;
  file: string;
  sha256: string;
}

/**
 * Packs every source extension with Swamp's own `extension push --dry-run`,
 * so bundles are built by Swamp itself. One folder, reused: ~2 s per archive.
 */
export async function packAll(work: string, registryDir: string): Promise<Packed[]> {
  const src = path.join(work, 'pack');
  fs.mkdirSync(src, { recursive: true });
  await swampOk(['init', '.'], { cwd: src });
  const packed: Packed[] = [];
  for (const ext of SOURCES) {
    for (const d of ['extensions/models', '.claude/skills/interop-skill', 'notes', '.swamp/cache/packages']) fs.rmSync(path.join(src, d), { recursive: true, force: true });
    fs.mkdirSync(path.join(src, 'extensions/models'), { recursive: true });
    for (const [rel, text] of Object.entries(ext.files)) {
      fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
      fs.writeFileSync(path.join(src, rel), text);
    }
    const manifest = ['manifestVersion: 1', `name: "${ext.name}"`, `version: "${ext.version}"`, `description: "interop test extension ${ext.name}"`, ...ext.manifest, ''].join('\n');
    fs.writeFileSync(path.join(src, 'manifest.yaml'), manifest);
    await swampOk(['extension', 'push', 'manifest.yaml', '--dry-run', '-y'], { cwd: src });
    const pkgDir = path.join(src, '.swamp/cache/packages');
    const [hash] = fs.readdirSync(pkgDir);
    const bytes = fs.readFileSync(path.join(pkgDir, hash as string, 'extension.tar.gz'));
    const file = path.join(registryDir, `${ext.name.slice(1).replace('/', '-')}-${ext.version}.tar.gz`);
    fs.writeFileSync(file, bytes);
    packed.push({ name: ext.name, version: ext.version, file, sha256: crypto.createHash('sha256').update(bytes).digest('hex') });
  }
  return packed;
}

/** `swamp-store registry serve` over a folder, on a free port. */
export async function serveRegistry(dir: string): Promise<{ url: string; child: ChildProcess; stop: () => void }> {
  ensureBuilt();
  const child = spawn(process.execPath, [path.join(ROOT, 'packages/cli/bin/swamp-store.js'), 'registry', 'serve', '--dir', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m) resolve(m[1] as string);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`registry serve exited ${code}: ${seen}`)));
  });
  return { url, child, stop: () => child.kill('SIGTERM') };
}

/**
 * A Swamp repository made by the real `swamp init` (with the interop collective
 * trusted, so Swamp loads its models), once; each test copies it (cp is ms, init is seconds).
 */
export async function makeTemplate(work: string): Promise<string> {
  const dir = path.join(work, 'template');
  fs.mkdirSync(dir, { recursive: true });
  await swampOk(['init', '.'], { cwd: dir });
  await swampOk(['extension', 'trust', 'add', 'interop'], { cwd: dir });
  return dir;
}

export function copyRepo(template: string, dest: string): string {
  fs.cpSync(template, dest, { recursive: true });
  return dest;
}

export interface Env {
  url: string;
  store: string;
}

export function envOf(e: Env): Record<string, string> {
  return { SWAMP_CLUB_URL: e.url, SWAMP_STORE_DIR: e.store };
}

export async function store(args: string[], cwd: string, e: Env): Promise<CliResult> {
  return runCli(args, { cwd, env: envOf(e) });
}

export async function storeOk(args: string[], cwd: string, e: Env): Promise<CliResult> {
  const r = await store(args, cwd, e);
  if (r.code !== 0) throw new Error(`swamp-store ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
  return r;
}

/** Files below `.swamp/` that are Swamp's or swamp-store's own state, not installed content. */
const STATE = [/^\.swamp\/_extension_catalog\.db/, /^\.swamp\/swamp-store\//, /^\.swamp\/run_tracker\.db/, /^\.swamp\/(audit|data|outputs|secrets|workflow-runs|auto-definitions|definitions-evaluated|workflows-evaluated)\//];

/** Every installed file (repo-relative) under the places extensions install into. */
export function installedFiles(repo: string): string[] {
  return [...walkFiles(repo, '.swamp'), ...walkFiles(repo, '.claude/skills')].filter((r) => !STATE.some((re) => re.test(r))).sort();
}

export function isBundle(rel: string): boolean {
  return /^\.swamp\/[a-z-]*bundles\//.test(rel);
}

export function lockText(repo: string): string {
  return fs.readFileSync(path.join(repo, LOCKFILE_REL), 'utf8');
}

/** The lockfile with every pulledAt value blanked: the bytes that must be equal. */
export function withoutPulledAt(text: string): string {
  return text.replace(/"pulledAt": "[^"]*"/g, '"pulledAt": "-"');
}

export function read(repo: string, rel: string): Buffer {
  return fs.readFileSync(path.join(repo, rel));
}

export { tempDir };

export interface Interop {
  work: string;
  /** A `swamp init`ed repository to copy. */
  template: string;
  env: Env;
  packed: Packed[];
  /** What real Swamp needs to reach the registry. */
  realEnv: () => Record<string, string>;
}

/**
 * Per test file, once: the archives packed by Swamp, a template repository
 * and the registry serving them (the slow part, ~1 s per Swamp command).
 */
export function useInterop(prefix: string): Interop {
  const ctx = { realEnv: () => ({ SWAMP_CLUB_URL: ctx.env.url }) } as unknown as Interop;
  let stop: () => void = () => undefined;
  beforeAll(async () => {
    ctx.work = tempDir(prefix);
    const registryDir = path.join(ctx.work, 'registry');
    fs.mkdirSync(registryDir);
    // Two independent chains of Swamp commands: overlapped, one's start-up hides behind the other's work.
    [ctx.packed, ctx.template] = await Promise.all([packAll(ctx.work, registryDir), makeTemplate(ctx.work)]);
    const reg = await serveRegistry(registryDir);
    stop = reg.stop;
    ctx.env = { url: reg.url, store: path.join(ctx.work, 'store') };
  }, 240_000);
  afterAll(() => {
    stop();
    if (ctx.work) fs.rmSync(ctx.work, { recursive: true, force: true });
  });
  return ctx;
}
