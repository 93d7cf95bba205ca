import { parseChallenge, type Challenge } from './challenge.js';
import type { Credentials } from './credentials.js';
import { OciError } from './errors.js';
import { discard, readSmall, send, type Response, type Timeouts } from './http.js';
import type { RemoteRef } from './reference.js';

interface CachedToken {
  header: string;
  expiresAt: number;
}

/**
 * Answers the registry's `WWW-Authenticate` challenges: Basic with the
 * credentials, Bearer by asking the challenge's realm for a token (with the
 * credentials, when there are any). Remembers what worked so later requests
 * send it up front instead of collecting a 401 each.
 */
export class Authorizer {
  private readonly tokens = new Map<string, CachedToken>();
  private basicWorks = false;

  constructor(
    private readonly remote: RemoteRef,
    private readonly credentials: Credentials | undefined,
  ) {}

  /** The Authorization header to send before any challenge, if one is known to work for `scope`. */
  upfront(scope: string): string | undefined {
    if (this.basicWorks && this.credentials) return basic(this.credentials);
    const push = this.tokens.get(pushScope(scope));
    const cached = this.tokens.get(scope) ?? (push && scope.endsWith(':pull') ? push : undefined);
    if (cached && cached.expiresAt > Date.now()) return cached.header;
    return undefined;
  }

  /** The header that answers a 401; undefined when nothing we hold can answer it. */
  async answer(res: Response, scope: string, timeouts: Timeouts): Promise<string | undefined> {
    const challenge = parseChallenge(res.headers['www-authenticate']);
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      if (!this.credentials) return undefined;
      this.basicWorks = true;
      return basic(this.credentials);
    }
    return this.token(challenge, scope, timeouts);
  }

  private async token(challenge: Challenge, scope: string, timeouts: Timeouts): Promise<string | undefined> {
    const wanted = challenge.params.scope || scope;
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm ?? '');
    } catch {
      throw new OciError('E_REMOTE', `${this.remote.origin} sent a Bearer challenge without a valid realm.`);
    }
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    for (const s of wanted.split(' ').filter(Boolean)) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT };
    // Credentials go to the token realm only over https, or in plain http to the
    // registry's own host (a token service beside a plain-http registry).
    const realmSafe = realm.protocol === 'https:' || realm.hostname === new URL(this.remote.origin).hostname;
    if (this.credentials && realmSafe) headers.authorization = basic(this.credentials);
    const res = await send({ method: 'GET', url, headers, timeouts });
    if (res.status === 401 || res.status === 403) {
      discard(res);
      throw new OciError('E_REMOTE_AUTH', `The token service ${realm.origin} refused the credentials for ${this.remote.url} (HTTP ${res.status}).`, credentialsRemedy(), { status: res.status });
    }
    if (res.status !== 200) {
      discard(res);
      throw new OciError('E_REMOTE', `The token service ${realm.origin} answered HTTP ${res.status}.`, undefined, { status: res.status });
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse((await readSmall(res, 64 * 1024)).toString('utf8')) as typeof body;
    } catch (err) {
      if (err instanceof OciError) throw err;
      throw new OciError('E_REMOTE', `The token service ${realm.origin} answered with something that is not JSON.`);
    }
    const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (!token || /[\r\n]/.test(token)) throw new OciError('E_REMOTE', `The token service ${realm.origin} answered without a token.`);
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    const header = `Bearer ${token}`;
    // A little early: a token that expires in flight costs a 401 round trip.
    this.tokens.set(wanted, { header, expiresAt: Date.now() + Math.max(1, lifetime - 10) * 1000 });
    return header;
  }
}

export const USER_AGENT = `swamp-store (node ${process.version})`;

export function credentialsRemedy(): string {
  return "Check SWAMP_STORE_REMOTE_USERNAME / SWAMP_STORE_REMOTE_PASSWORD, or run 'docker login' for the remote's host.";
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

function pushScope(scope: string): string {
  return scope.replace(/:pull$/, ':pull,push');
}
