import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { extractArchive, type ExtractLimits } from '../src/extract/index.js';
import { StoreError } from '../src/errors.js';
import {
  extensionEntries,
  gzipTar,
  gzipTarStream,
  manifestYaml,
  tarBytes,
  type RawEntry,
} from '../../../test/helpers/archive-builder.mjs';

type Code = StoreError['code'];

let root: string;
let dest: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'extract-hostile-'));
  dest = path.join(root, 'dest');
  fs.mkdirSync(dest);
  fs.mkdirSync(path.join(root, 'canary'));
  fs.writeFileSync(path.join(root, 'canary', 'canary.txt'), 'untouched\n');
});

afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Every path under root except dest, with its content hash, link target or 'dir'. */
function outsideDest(): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (rel: string) => {
    for (const ent of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      const abs = path.join(root, r);
      if (abs === dest) continue;
      if (ent.isSymbolicLink()) out[r] = `link:${fs.readlinkSync(abs)}`;
      else if (ent.isDirectory()) {
        out[r] = 'dir';
        visit(r);
      } else out[r] = createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
    }
  };
  visit('');
  return out;
}

/** The archive has a valid extension root and manifest, so only the extra entries are hostile. */
const base = (): RawEntry[] => extensionEntries({ name: '@evil/x', version: '2026.01.01.1' });
const withBase = (...extra: RawEntry[]): Buffer => gzipTar([...base(), ...extra]);

interface Refusal {
  limits?: Partial<ExtractLimits>;
  expectedName?: string;
  viaStream?: boolean;
}

async function expectRefused(archive: Buffer | Readable, code: Code, opts: Refusal = {}): Promise<StoreError> {
  let source: string | Readable;
  if (Buffer.isBuffer(archive) && !opts.viaStream) {
    source = path.join(root, 'archive.tar.gz');
    fs.writeFileSync(source, archive);
  } else {
    source = Buffer.isBuffer(archive) ? Readable.from([archive]) : archive;
  }
  const before = outsideDest();
  const err = await extractArchive({
    source,
    dest,
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.expectedName ? { expectedName: opts.expectedName } : {}),
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'extraction should have been refused').toBeInstanceOf(StoreError);
  const se = err as StoreError;
  expect(se.code, se.message).toBe(code);
  // Nothing outside dest was created, changed or removed.
  expect(outsideDest()).toEqual(before);
  expect(fs.readFileSync(path.join(root, 'canary', 'canary.txt'), 'utf8')).toBe('untouched\n');
  // A hostile name must never reach a terminal raw.
  // eslint-disable-next-line no-control-regex -- looking for exactly these characters
  expect(se.message).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  return se;
}

describe('paths that leave extension/ are refused (E_UNSAFE_ARCHIVE)', () => {
  const cases: Array<[string, string]> = [
    ['../x', 'parent of the archive root'],
    ['extension/../../x', 'climbing out through extension/'],
    ['extension/models/../../../x', 'climbing out from deep inside'],
    ['extension/models/..', 'a trailing .. segment'],
    ['/extension/models/a.ts', 'absolute path that looks like ours'],
    ['README.md', 'a top-level file'],
    ['other/x.ts', 'a second top-level directory'],
    ['C:/evil.ts', 'a drive-letter path'],
    ['extension\\..\\..\\x', 'backslash separators'],
    ['extension/models/a\\b.ts', 'a backslash inside a name'],
    ['extension/./models/a.ts', "a '.' segment"],
    ['extension//models/a.ts', 'an empty segment'],
    ['extension/models/a\nb.ts', 'a newline'],
    ['extension/models/\u0001.ts', 'a control character'],
    ['extension/models/\u001b[31mred.ts', 'a terminal escape sequence'],
    ['extension/models/del\u007f.ts', 'DEL'],
  ];
  for (const [p, what] of cases) {
    it(`${what}: ${JSON.stringify(p)}`, async () => {
      await expectRefused(withBase({ path: p, content: 'pwned' }), 'E_UNSAFE_ARCHIVE');
      expect(fs.existsSync(path.join(root, 'x'))).toBe(false);
    });
  }

  it('an absolute path pointing next to dest', async () => {
    const target = path.join(root, 'abs-escape');
    await expectRefused(withBase({ path: target, content: 'pwned' }), 'E_UNSAFE_ARCHIVE');
    expect(fs.existsSync(target)).toBe(false);
  });

  it("'extension' itself as a file", async () => {
    await expectRefused(gzipTar([{ path: 'extension', content: 'x' }]), 'E_UNSAFE_ARCHIVE');
  });

  it('a benign ustar name overridden by a hostile pax path', async () => {
    await expectRefused(withBase({ path: 'extension/models/ok.ts', pax: { path: '../pax-escape' }, content: 'pwned' }), 'E_UNSAFE_ARCHIVE');
    expect(fs.existsSync(path.join(root, 'pax-escape'))).toBe(false);
    expect(fs.existsSync(path.join(dest, 'ext/models/ok.ts'))).toBe(false);
  });

  it('a hostile GNU long name', async () => {
    await expectRefused(withBase({ path: `extension/models/${'a'.repeat(120)}/../../../../gnu-escape`, longName: 'gnu', content: 'x' }), 'E_UNSAFE_ARCHIVE');
  });
});

describe('NUL bytes in names are refused, not cut short', () => {
  it('in the raw ustar name field', async () => {
    const raw = Buffer.from('extension/models/a.ts\u0000../../../nul-escape');
    await expectRefused(withBase({ path: raw, content: 'x' }), 'E_UNSAFE_ARCHIVE');
    // node-tar would have decoded this as extension/models/a.ts: it must not exist either.
    expect(fs.existsSync(path.join(dest, 'ext/models/a.ts'))).toBe(false);
  });

  it('in a pax path record', async () => {
    await expectRefused(withBase({ path: 'extension/models/b.ts\u0000../../x', longName: 'pax', content: 'x' }), 'E_UNSAFE_ARCHIVE');
    expect(fs.existsSync(path.join(dest, 'ext/models/b.ts'))).toBe(false);
  });

  it('in a GNU long name', async () => {
    await expectRefused(withBase({ path: 'extension/models/c.ts\u0000../../x', longName: 'gnu', content: 'x' }), 'E_UNSAFE_ARCHIVE');
  });

  it('in a symlink target field', async () => {
    await expectRefused(withBase({ path: 'extension/models/l', type: 'symlink', linkpath: Buffer.from('ok\u0000../../etc') }), 'E_UNSAFE_ARCHIVE');
  });
});

describe('entry types other than file and directory are refused', () => {
  it('a symlink to /etc/passwd', async () => {
    await expectRefused(withBase({ path: 'extension/models/passwd', type: 'symlink', linkpath: '/etc/passwd' }), 'E_UNSAFE_ARCHIVE');
  });

  it('a symlink inside the archive', async () => {
    await expectRefused(withBase({ path: 'extension/models/alias.ts', type: 'symlink', linkpath: 'model.ts' }), 'E_UNSAFE_ARCHIVE');
  });

  it('a symlink to a directory outside, then a write through it', async () => {
    const canary = path.join(root, 'canary');
    await expectRefused(
      withBase(
        { path: 'extension/files/link', type: 'symlink', linkpath: canary },
        { path: 'extension/files/link/pwned.txt', content: 'pwned' },
      ),
      'E_UNSAFE_ARCHIVE',
    );
    expect(fs.existsSync(path.join(canary, 'pwned.txt'))).toBe(false);
  });

  it('a hardlink to /etc/passwd', async () => {
    await expectRefused(withBase({ path: 'extension/models/passwd', type: 'hardlink', linkpath: '/etc/passwd' }), 'E_UNSAFE_ARCHIVE');
  });

  it('a hardlink to an earlier entry', async () => {
    await expectRefused(
      withBase({ path: 'extension/models/a.ts', content: 'a' }, { path: 'extension/models/b.ts', type: 'hardlink', linkpath: 'extension/models/a.ts' }),
      'E_UNSAFE_ARCHIVE',
    );
  });

  for (const type of ['char', 'block', 'fifo'] as const) {
    it(`a ${type} device entry`, async () => {
      await expectRefused(withBase({ path: `extension/models/${type}`, type, devmajor: 1, devminor: 3 }), 'E_UNSAFE_ARCHIVE');
      expect(fs.existsSync(path.join(dest, `ext/models/${type}`))).toBe(false);
    });
  }

  for (const [flag, name] of [['S', 'sparse file'], ['D', 'GNU dump dir'], ['V', 'volume header'], ['Z', 'unknown type']] as const) {
    it(`a ${name} ('${flag}')`, async () => {
      await expectRefused(withBase({ path: `extension/models/${flag}`, typeflag: flag, content: 'abc' }), 'E_UNSAFE_ARCHIVE');
    });
  }
});

describe('duplicate paths and file/directory clashes are refused', () => {
  it('the same file twice (a second copy could replace a reviewed one)', async () => {
    await expectRefused(
      withBase({ path: 'extension/models/a.ts', content: 'reviewed' }, { path: 'extension/models/a.ts', content: 'evil' }),
      'E_UNSAFE_ARCHIVE',
    );
    expect(fs.readFileSync(path.join(dest, 'ext/models/a.ts'), 'utf8')).toBe('reviewed');
  });

  it('the same file spelled with a leading ./', async () => {
    await expectRefused(
      withBase({ path: 'extension/models/a.ts', content: 'one' }, { path: './extension/models/a.ts', content: 'two' }),
      'E_UNSAFE_ARCHIVE',
    );
  });

  it('a duplicated manifest', async () => {
    const second = { path: 'extension/manifest.yaml', content: manifestYaml({ name: '@evil/other', version: '2026.01.01.1' }) };
    await expectRefused(withBase(second), 'E_UNSAFE_ARCHIVE');
  });

  it('a file, then a path that needs it to be a directory', async () => {
    await expectRefused(
      withBase({ path: 'extension/files/x', content: 'file' }, { path: 'extension/files/x/y', content: 'below' }),
      'E_UNSAFE_ARCHIVE',
    );
  });

  it('a file below a path, then that path as a file', async () => {
    await expectRefused(
      withBase({ path: 'extension/files/x/y', content: 'below' }, { path: 'extension/files/x', content: 'file' }),
      'E_UNSAFE_ARCHIVE',
    );
  });

  it('a directory entry, then a file of the same name', async () => {
    await expectRefused(withBase({ path: 'extension/files/d/', type: 'dir' }, { path: 'extension/files/d', content: 'x' }), 'E_UNSAFE_ARCHIVE');
  });

  it('a file where an installed-form directory must be (extension/models)', async () => {
    await expectRefused(withBase({ path: 'extension/models', content: 'not a dir' }), 'E_UNSAFE_ARCHIVE');
  });
});

describe('mode bits', () => {
  it('setuid, setgid and sticky bits are stripped without error', async () => {
    const archive = withBase(
      { path: 'extension/files/', type: 'dir', mode: 0o3777 },
      { path: 'extension/files/suid', content: '#!/bin/sh\n', mode: 0o6777 },
      { path: 'extension/files/sticky/', type: 'dir', mode: 0o1777 },
    );
    const result = await extractArchive({ source: Readable.from([archive]), dest });
    expect(result.files.map((f) => f.path)).toContain('ext/files/suid');
    for (const p of ['ext/files', 'ext/files/suid', 'ext/files/sticky']) {
      expect(fs.statSync(path.join(dest, p)).mode & 0o7000, p).toBe(0);
    }
    expect(fs.statSync(path.join(dest, 'ext/files/suid')).mode & 0o777).toBe(0o444 & ~process.umask());
  });
});

describe('limits (E_ARCHIVE_LIMIT)', () => {
  it('200,000 empty entries against the default 100,000-entry limit', async () => {
    const entries: RawEntry[] = [...base(), { path: 'extension/junk/', type: 'dir' }];
    for (let i = 0; i < 200_000; i++) entries.push({ path: `extension/junk/e${i}`, content: '' });
    const err = await expectRefused(gzipTarStream(entries), 'E_ARCHIVE_LIMIT');
    expect(err.message).toMatch(/100000 entries/);
  });

  it('entries written to disk stop at a small entry limit', async () => {
    const files: RawEntry[] = [];
    for (let i = 0; i < 20; i++) files.push({ path: `extension/models/f${i}.ts`, content: 'x' });
    await expectRefused(withBase(...files), 'E_ARCHIVE_LIMIT', { limits: { maxEntries: 10 } });
    expect(fs.readdirSync(path.join(dest, 'ext/models')).length).toBeLessThan(10);
  });

  it('a 2 GiB gzip bomb with default limits is refused from its header, before writing', async () => {
    const started = Date.now();
    const bomb = gzipTarStream([...base(), { path: 'extension/files/zeros.bin', zeros: 2 * 1024 ** 3 }]);
    const err = await expectRefused(bomb, 'E_ARCHIVE_LIMIT');
    expect(err.message).toMatch(/zeros\.bin/);
    expect(fs.existsSync(path.join(dest, 'ext/files/zeros.bin'))).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a declared size beyond 8 GiB (base-256 size field)', async () => {
    await expectRefused(withBase({ path: 'extension/files/huge.bin', size: 20 * 1024 ** 3, content: 'tiny' }), 'E_ARCHIVE_LIMIT');
  });

  it('one file over maxFileBytes', async () => {
    await expectRefused(withBase({ path: 'extension/files/big.bin', content: Buffer.alloc(2000, 1) }), 'E_ARCHIVE_LIMIT', {
      limits: { maxFileBytes: 1000 },
    });
    expect(fs.existsSync(path.join(dest, 'ext/files/big.bin'))).toBe(false);
  });

  it('total bytes over maxTotalBytes (a bomb of many small-enough files)', async () => {
    const files: RawEntry[] = [];
    for (let i = 0; i < 10; i++) files.push({ path: `extension/files/z${i}.bin`, zeros: 400 });
    await expectRefused(gzipTarStream([...base(), ...files]), 'E_ARCHIVE_LIMIT', { limits: { maxTotalBytes: 1500 } });
    const written = fs.readdirSync(path.join(dest, 'ext/files'));
    expect(written.length).toBeLessThanOrEqual(3);
  });

  it('a path longer than 1024 bytes', async () => {
    const long = `extension/files/${'d'.repeat(200)}/`.repeat(1) + `${'e'.repeat(200)}/`.repeat(5) + 'f.txt';
    await expectRefused(withBase({ path: long, content: 'x' }), 'E_ARCHIVE_LIMIT');
  });

  it('a single name segment longer than 255 bytes', async () => {
    await expectRefused(withBase({ path: `extension/files/${'n'.repeat(300)}`, content: 'x' }), 'E_ARCHIVE_LIMIT');
  });

  it('an extended header larger than 64 KiB', async () => {
    await expectRefused(withBase({ path: 'extension/files/a.txt', pax: { comment: 'c'.repeat(70_000) }, content: 'x' }), 'E_ARCHIVE_LIMIT');
  });

  it('tar data far beyond what the entries account for', async () => {
    const padding: RawEntry[] = [];
    for (let i = 0; i < 40; i++) padding.push({ path: `extension/files/p${i}`, pax: { comment: 'c'.repeat(60_000) }, content: '' });
    const err = await expectRefused(withBase(...padding), 'E_ARCHIVE_LIMIT', { limits: { maxEntries: 50, maxTotalBytes: 1000 } });
    expect(err.message).toMatch(/tar data/);
  });
});

describe('corrupt or truncated archives (E_ARCHIVE_CORRUPT)', () => {
  const valid = () =>
    gzipTar(
      extensionEntries({
        name: '@ok/x',
        version: '2026.01.01.1',
        files: { 'models/a.ts': 'a'.repeat(5000), 'models/b.ts': 'b'.repeat(5000) },
      }),
    );

  it('gzip cut in half', async () => {
    const full = valid();
    await expectRefused(full.subarray(0, Math.floor(full.length / 2)), 'E_ARCHIVE_CORRUPT');
  });

  it('gzip missing only its 8-byte trailer', async () => {
    const full = valid();
    await expectRefused(full.subarray(0, full.length - 8), 'E_ARCHIVE_CORRUPT');
  });

  it('a wrong gzip CRC', async () => {
    const bad = Buffer.from(valid());
    bad.writeUInt32LE((bad.readUInt32LE(bad.length - 8) ^ 0xffffffff) >>> 0, bad.length - 8);
    await expectRefused(bad, 'E_ARCHIVE_CORRUPT');
  });

  it('a flipped byte inside the deflate stream', async () => {
    const bad = Buffer.from(valid());
    const i = Math.floor(bad.length / 2);
    bad[i] = (bad[i] as number) ^ 0x55;
    await expectRefused(bad, 'E_ARCHIVE_CORRUPT');
  });

  it('a tar cut in the middle of a file, re-gzipped validly', async () => {
    const tar = tarBytes(extensionEntries({ name: '@ok/x', version: '2026.01.01.1', files: { 'models/a.ts': 'a'.repeat(5000) } }));
    await expectRefused(zlib.gzipSync(tar.subarray(0, tar.length - 1024 - 2048)), 'E_ARCHIVE_CORRUPT');
    // The partial file is left only inside dest, which the caller removes.
  });

  it('a tar cut exactly between entries (no end-of-archive marker)', async () => {
    await expectRefused(gzipTar(extensionEntries({ name: '@ok/x', version: '2026.01.01.1', files: { 'models/a.ts': 'a' } }), { eof: false }), 'E_ARCHIVE_CORRUPT');
  });

  it('an empty file', async () => {
    await expectRefused(Buffer.alloc(0), 'E_ARCHIVE_CORRUPT');
  });

  it('bytes that are not gzip', async () => {
    await expectRefused(Buffer.from('this is not an archive at all, just text\n'.repeat(50)), 'E_ARCHIVE_CORRUPT');
  });

  it('an uncompressed tar', async () => {
    await expectRefused(tarBytes(base()), 'E_ARCHIVE_CORRUPT');
  });

  it('a gzip of a gzip', async () => {
    await expectRefused(zlib.gzipSync(valid()), 'E_ARCHIVE_CORRUPT');
  });

  it('a header with a bad checksum', async () => {
    await expectRefused(withBase({ path: 'extension/models/a.ts', content: 'x', corruptChecksum: true }), 'E_ARCHIVE_CORRUPT');
  });

  it('a malformed pax record (wrong length)', async () => {
    await expectRefused(withBase({ path: 'extension/models/a.ts', paxRaw: '99 path=extension/models/evil.ts\n', content: 'x' }), 'E_ARCHIVE_CORRUPT');
  });

  it('gzip garbage streamed (not from a file)', async () => {
    await expectRefused(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7]), 'E_ARCHIVE_CORRUPT', { viaStream: true });
  });
});

describe('manifest problems (E_MANIFEST)', () => {
  it('no extension/manifest.yaml', async () => {
    await expectRefused(gzipTar([{ path: 'extension/', type: 'dir' }, { path: 'extension/models/a.ts', content: 'x' }]), 'E_MANIFEST');
  });

  it('manifest.yaml that is not YAML', async () => {
    await expectRefused(gzipTar(extensionEntries({ name: '@a/b', version: '2026.01.01.1', manifestText: 'name: [unclosed\n  - : :\n' })), 'E_MANIFEST');
  });

  it('a manifest naming another extension than requested', async () => {
    const err = await expectRefused(gzipTar(base()), 'E_MANIFEST', { expectedName: '@good/ext' });
    expect(err.message).toContain('@good/ext');
    expect(err.message).toContain('@evil/x');
  });

  it('a YAML alias bomb', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    const text = `manifestVersion: 1\nname: "@a/b"\nversion: "2026.01.01.1"\n${lines.join('\n')}\n`;
    const started = Date.now();
    await expectRefused(gzipTar(extensionEntries({ name: '@a/b', version: '2026.01.01.1', manifestText: text })), 'E_MANIFEST');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a manifest over 1 MiB', async () => {
    const text = `manifestVersion: 1\nname: "@a/b"\nversion: "2026.01.01.1"\ndescription: "${'x'.repeat(1100 * 1024)}"\n`;
    await expectRefused(gzipTar(extensionEntries({ name: '@a/b', version: '2026.01.01.1', manifestText: text })), 'E_MANIFEST');
  });

  it('manifest.yaml as a directory', async () => {
    await expectRefused(gzipTar([{ path: 'extension/', type: 'dir' }, { path: 'extension/manifest.yaml/', type: 'dir' }]), 'E_MANIFEST');
  });

  it('a manifest whose binaries escape files/', async () => {
    await expectRefused(
      gzipTar(extensionEntries({ name: '@a/b', version: '2026.01.01.1', manifestExtra: { binaries: ['../../../bin/sh'] } })),
      'E_MANIFEST',
    );
  });
});

describe('disk full (E_NO_SPACE)', () => {
  it('maps ENOSPC while writing a file', async () => {
    const realWrite = fs.writeSync;
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, ...rest: unknown[]) => {
      const p = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (p.endsWith('big.bin')) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (realWrite as (...a: unknown[]) => number)(fd, ...rest);
    }) as typeof fs.writeSync);
    await expectRefused(withBase({ path: 'extension/files/big.bin', content: Buffer.alloc(100_000, 7) }), 'E_NO_SPACE');
  });
});

describe('source failures', () => {
  it('an integrity error from the source stream (cacache) is E_INTEGRITY', async () => {
    const bytes = withBase({ path: 'extension/models/a.ts', content: 'a'.repeat(10_000) });
    async function* tampered() {
      yield bytes.subarray(0, 100);
      throw Object.assign(new Error('sha512 integrity checksum failed'), { code: 'EINTEGRITY' });
    }
    await expectRefused(Readable.from(tampered()), 'E_INTEGRITY');
  });

  it('a missing archive file is E_NOT_FOUND', async () => {
    const err = await extractArchive({ source: path.join(root, 'nope.tar.gz'), dest }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('E_NOT_FOUND');
  });
});
