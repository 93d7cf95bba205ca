import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryServer, type RegistryServer } from '../src/server/index.js';
import { publish } from './helpers/archives.js';

const CHILD = fileURLToPath(new URL('./fixtures/fetch-child.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const PROCESSES = 8;
const NAME = '@t/shared';
const VERSION = '2026.08.20.1';

interface ChildResult {
  ok: boolean;
  downloaded?: boolean;
  verified?: boolean;
  sha256?: string;
  version?: string;
  code?: string;
  message?: string;
}

let tmp: string;
let dir: string;
let sums: Map<string, string>;

beforeAll(async () => {
  if (!fs.existsSync(BUILT)) throw new Error(`Build first: npx tsc -b packages/registry/tsconfig.json (${BUILT} is missing).`);
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'registry-concurrent-'));
  dir = path.join(tmp, 'registry');
  await fsp.mkdir(dir);
  const big: Record<string, string> = {};
  // Enough bytes that the download is still running while the others arrive.
  for (let i = 0; i < 40; i++) big[`models/m${i}.ts`] = `export const m${i} = ${JSON.stringify(Math.random().toString(36).repeat(400))};\n`;
  sums = await publish(dir, [{ name: NAME, version: VERSION, files: big }]);
});

afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** Starts N node processes, releases them together, and collects each one's JSON line. */
async function pullTogether(server: RegistryServer, storeRoot: string, version: string): Promise<ChildResult[]> {
  const goFile = path.join(tmp, `go-${Math.random().toString(36).slice(2)}`);
  const children = Array.from({ length: PROCESSES }, () => {
    const child = spawn(process.execPath, [CHILD, storeRoot, server.url, NAME, version, goFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const ready = new Promise<void>((resolve) => {
      const check = (): void => {
        if (out.includes('ready\n')) {
          child.stdout.off('data', check);
          resolve();
        }
      };
      child.stdout.on('data', check);
    });
    const done = new Promise<ChildResult>((resolve) => {
      child.on('close', () => {
        const line = out.split('\n').find((l) => l.startsWith('{'));
        resolve(line ? (JSON.parse(line) as ChildResult) : { ok: false, message: `no result; stderr: ${err}` });
      });
    });
    return { ready, done };
  });
  await Promise.all(children.map((c) => c.ready));
  await fsp.writeFile(goFile, '');
  return Promise.all(children.map((c) => c.done));
}

describe(`${PROCESSES} processes fetching one name@version into one store`, () => {
  it('download it exactly once, and all succeed', async () => {
    const server = await startRegistryServer({ dir });
    try {
      const results = await pullTogether(server, path.join(tmp, 'store-verified'), VERSION);
      for (const r of results) expect(r).toMatchObject({ ok: true, verified: true, sha256: sums.get(`${NAME}@${VERSION}`) });
      expect(results.filter((r) => r.downloaded)).toHaveLength(1);
      expect(server.stats.downloads).toBe(1);
      expect(server.stats.requests.checksum).toBe(PROCESSES);
    } finally {
      await server.close();
    }
  });

  it('download it exactly once even when the registry has no checksum (unverified)', async () => {
    const server = await startRegistryServer({ dir, checksums: false });
    try {
      const results = await pullTogether(server, path.join(tmp, 'store-unverified'), VERSION);
      for (const r of results) expect(r).toMatchObject({ ok: true, verified: false, sha256: sums.get(`${NAME}@${VERSION}`) });
      expect(results.filter((r) => r.downloaded)).toHaveLength(1);
      expect(server.stats.downloads).toBe(1);
    } finally {
      await server.close();
    }
  });
});
