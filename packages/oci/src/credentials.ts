import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface Credentials {
  username: string;
  password: string;
  /** Where they came from, for messages (never the values themselves). */
  from: string;
}

/** Where credentials may come from, as the CLI read them from its settings table. */
export interface CredentialSources {
  /** SWAMP_STORE_REMOTE_USERNAME / SWAMP_STORE_REMOTE_PASSWORD: used when both are set. */
  username?: string | undefined;
  password?: string | undefined;
  /** DOCKER_CONFIG: the folder of Docker's config.json; default ~/.docker. */
  dockerConfig?: string | undefined;
}

/**
 * The given username and password, else the `auths` entry for `host` in
 * Docker's config.json. Credential helpers (`credsStore`, `credHelpers`) are
 * not run: they are programs, and a cache lookup must not start one.
 */
export async function findCredentials(host: string, sources: CredentialSources = {}): Promise<Credentials | undefined> {
  const { username, password } = sources;
  if (username && password !== undefined) return { username, password, from: 'SWAMP_STORE_REMOTE_USERNAME/PASSWORD' };
  const dir = sources.dockerConfig || path.join(os.homedir(), '.docker');
  const file = path.join(dir, 'config.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    return undefined; // no config, or unreadable: anonymous, as docker itself would be
  }
  const auths = (parsed as { auths?: unknown } | null)?.auths;
  if (!auths || typeof auths !== 'object') return undefined;
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    if (authsKeyHost(key) !== host.toLowerCase()) continue;
    const found = decodeEntry(entry);
    if (found) return { ...found, from: file };
  }
  return undefined;
}

/** Docker keys `auths` by `host[:port]`, sometimes as `https://host/v1/`. */
function authsKeyHost(key: string): string {
  return key.replace(/^[a-z+]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

function decodeEntry(entry: unknown): { username: string; password: string } | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const e = entry as { auth?: unknown; username?: unknown; password?: unknown };
  if (typeof e.auth === 'string' && e.auth) {
    const text = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  if (typeof e.username === 'string' && e.username && typeof e.password === 'string') return { username: e.username, password: e.password };
  return undefined;
}
