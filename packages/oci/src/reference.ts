import { OciError } from './errors.js';

/** `oci://HOST[:PORT]/REPOSITORY` (https) or `oci+http://HOST[:PORT]/REPOSITORY` (plain http). */
export interface RemoteRef {
  /** The URL as the user wrote it, for messages. */
  url: string;
  /** `https://host:port` or `http://host:port`: where /v2/ lives. */
  origin: string;
  /** `host[:port]` as Docker's config.json keys it. */
  host: string;
  repository: string;
}

// The distribution spec's repository name grammar: lowercase path components joined by '/'.
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export function parseRemoteUrl(raw: string): RemoteRef {
  const bad = (why: string): OciError =>
    new OciError('E_REMOTE_CONFIG', `The remote '${raw}' ${why}.`, "Use 'oci://HOST[:PORT]/REPOSITORY' (https) or 'oci+http://HOST[:PORT]/REPOSITORY' (plain http), e.g. oci://registry.example.com/swamp/cache.");
  const m = /^(oci|oci\+http|oci\+https):\/\/([^/]+)\/(.+)$/i.exec(raw.trim());
  if (!m) throw bad('is not an oci:// URL');
  const scheme = (m[1] as string).toLowerCase() === 'oci+http' ? 'http' : 'https';
  let url: URL;
  try {
    url = new URL(`${scheme}://${m[2] as string}`);
  } catch {
    throw bad('has an invalid host');
  }
  if (url.username || url.password) throw bad('must not carry credentials (use SWAMP_STORE_REMOTE_USERNAME / SWAMP_STORE_REMOTE_PASSWORD or docker login)');
  const repository = (m[3] as string).replace(/\/+$/, '');
  if (!REPOSITORY.test(repository) || repository.length > 255) throw bad(`names an invalid repository '${repository}' (lowercase letters, digits, '.', '_', '-' and '/')`);
  return { url: raw.trim(), origin: url.origin, host: url.host, repository };
}
