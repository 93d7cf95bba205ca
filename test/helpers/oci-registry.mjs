// A real CNCF distribution registry (Debian's docker-registry 2.8) for tests:
// on a free loopback port, storage in a temp folder, htpasswd (bcrypt) auth or
// distribution's token auth with a token server of our own in front.
import { spawn, execFileSync } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import bcrypt from 'bcryptjs';

export const REGISTRY_BIN = 'docker-registry';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function base64url(b) {
  return Buffer.from(b).toString('base64url');
}

/** A token server as distribution's `auth.token` expects: RS256 JWTs with the signing cert in x5c. */
async function startTokenServer(dir, { username, password, service, issuer }) {
  const key = path.join(dir, 'token.key');
  const cert = path.join(dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=swamp-store-test-token'], { stdio: 'ignore' });
  const keyPem = fs.readFileSync(key, 'utf8');
  const der = Buffer.from(fs.readFileSync(cert, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const stats = { tokens: 0, refused: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
    if (given !== `${username}:${password}`) {
      stats.refused++;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="token"' }).end();
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((s) => {
      const [type, name, actions] = s.split(':');
      return type === 'repository' ? [{ type, name, actions: actions.split(',') }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
    const claims = { iss: issuer, sub: username, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(keyPem).toString('base64url');
    stats.tokens++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${input}.${signature}`, expires_in: 300 }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/token`, cert, stats, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Starts docker-registry. `auth`: 'htpasswd' (default) or 'token'. The returned
 * handle stops, garbage-collects and restarts it on the same port and storage.
 */
export async function startOciRegistry(dir, { auth = 'htpasswd', username = 'fleet', password = 'secret-pw', repository = 'swamp/cache' } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const storage = path.join(dir, 'storage');
  const port = await freePort();
  let authYaml;
  let token;
  if (auth === 'token') {
    token = await startTokenServer(dir, { username, password, service: 'swamp-test-registry', issuer: 'swamp-test-issuer' });
    authYaml = `auth:\n  token:\n    realm: ${token.url}\n    service: swamp-test-registry\n    issuer: swamp-test-issuer\n    rootcertbundle: ${token.cert}\n`;
  } else {
    const htpasswd = path.join(dir, 'htpasswd');
    fs.writeFileSync(htpasswd, `${username}:${bcrypt.hashSync(password, 5)}\n`);
    authYaml = `auth:\n  htpasswd:\n    realm: swamp-test\n    path: ${htpasswd}\n`;
  }
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: swamp-store-test\n${authYaml}`,
  );
  const logFile = path.join(dir, 'registry.log');
  let child;
  const handle = {
    port,
    storage,
    config,
    username,
    password,
    repository,
    url: `oci+http://127.0.0.1:${port}/${repository}`,
    token,
    async start() {
      const log = fs.openSync(logFile, 'a');
      child = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', log, log] });
      fs.closeSync(log);
      const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`docker-registry exited (${code}); see ${logFile}:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`))));
      exited.catch(() => undefined);
      for (const t0 = Date.now(); Date.now() - t0 < 15_000; ) {
        const status = await Promise.race([probe(port), exited]);
        if (status === 200 || status === 401) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`docker-registry did not answer on port ${port}`);
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    },
    /** distribution's own gc; the registry must be stopped. */
    garbageCollect() {
      return execFileSync(REGISTRY_BIN, ['garbage-collect', config], { encoding: 'utf8' });
    },
    repoDir() {
      return path.join(storage, 'docker/registry/v2/repositories', repository);
    },
    /** Distinct manifests the repository holds (revisions), and its tags. */
    manifests() {
      const dir = path.join(handle.repoDir(), '_manifests/revisions/sha256');
      return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    },
    tags() {
      const dir = path.join(handle.repoDir(), '_manifests/tags');
      return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    },
    blobPath(sha256) {
      return path.join(storage, 'docker/registry/v2/blobs/sha256', sha256.slice(0, 2), sha256, 'data');
    },
    async close() {
      await handle.stop();
      await token?.close();
    },
  };
  await handle.start();
  return handle;
}

function probe(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/v2/', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(1000, () => req.destroy());
  });
}
