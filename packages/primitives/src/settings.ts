/**
 * Every environment variable swamp-store reads, in one table: name, parser,
 * default and meaning. The CLI reads the environment once (`readSettings`)
 * and passes the values down; no library reads `process.env` for these.
 * README.md's "Environment" table is checked against this one by
 * test/settings.test.ts, so adding a setting is one row here and one row there.
 */

export interface Setting<T> {
  readonly name: string;
  /** What the README says it is for. */
  readonly meaning: string;
  /** The README's "default" column. */
  readonly defaultText: string;
  readonly default: T;
  /** The value of a set variable; undefined falls back to the default (an unreadable number is not an error, as before). */
  parse(raw: string): T | undefined;
}

const nonNegativeNumber = (raw: string): number | undefined => {
  if (raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
};
const positiveInteger = (raw: string): number | undefined => {
  if (!/^\s*\d+\s*$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
};
const onOff = (raw: string): boolean => /^(1|true|yes|on)$/i.test(raw.trim());
const text = (raw: string): string | undefined => (raw === '' ? undefined : raw);

export const DEFAULT_REGISTRY_URL = 'https://swamp-club.com';

/** The table. Keys are how code refers to a setting; `name` is the variable. */
export const SETTINGS = {
  storeDir: {
    name: 'SWAMP_STORE_DIR',
    meaning: 'the global store (absolute path)',
    defaultText: 'per-user cache directory (above)',
    default: undefined as string | undefined,
    parse: text,
  },
  xdgCacheHome: {
    name: 'XDG_CACHE_HOME',
    meaning: 'Linux and other Unix: the per-user store is `$XDG_CACHE_HOME/swamp-store`',
    defaultText: '`~/.cache`',
    default: undefined as string | undefined,
    parse: text,
  },
  localAppData: {
    name: 'LOCALAPPDATA',
    meaning: 'Windows: the per-user store is `%LOCALAPPDATA%\\swamp-store\\Cache`',
    defaultText: '`~\\AppData\\Local`',
    default: undefined as string | undefined,
    parse: text,
  },
  repoDir: {
    name: 'SWAMP_REPO_DIR',
    meaning: 'repository when `--repo-dir` is absent',
    defaultText: 'found from the working directory (`.swamp.yaml`)',
    default: undefined as string | undefined,
    parse: text,
  },
  modelsDir: {
    name: 'SWAMP_MODELS_DIR',
    meaning: 'where the lockfile lives, relative to the repository',
    defaultText: '`.swamp.yaml` `modelsDir`, else `extensions/models`',
    default: undefined as string | undefined,
    parse: text,
  },
  registryUrl: {
    name: 'SWAMP_CLUB_URL',
    meaning: 'registry base URL when `--registry` is absent',
    defaultText: `\`${DEFAULT_REGISTRY_URL}\``,
    default: DEFAULT_REGISTRY_URL,
    parse: text,
  },
  apiKey: {
    name: 'SWAMP_API_KEY',
    meaning: 'sent as `x-api-key` to the registry',
    defaultText: 'none',
    default: undefined as string | undefined,
    parse: text,
  },
  lockTimeoutMs: {
    name: 'SWAMP_STORE_LOCK_TIMEOUT_MS',
    meaning: 'longest wait for any lock before exit 75',
    defaultText: '60000',
    default: 60_000,
    parse: nonNegativeNumber,
  },
  maxArchiveBytes: {
    name: 'SWAMP_STORE_MAX_ARCHIVE_BYTES',
    meaning: 'largest archive download accepted',
    defaultText: '536870912 (512 MiB)',
    default: 512 * 1024 * 1024,
    parse: positiveInteger,
  },
  stallTimeoutMs: {
    name: 'SWAMP_STORE_STALL_TIMEOUT_MS',
    meaning: 'abort a download when no byte arrives for this long',
    defaultText: '30000',
    default: 30_000,
    parse: positiveInteger,
  },
  autoGc: {
    name: 'SWAMP_STORE_AUTO_GC',
    meaning: '`1`: after a pull, start a background `cache gc` at most once a day',
    defaultText: 'off',
    default: false,
    parse: onOff,
  },
  remote: {
    name: 'SWAMP_STORE_REMOTE',
    meaning: 'shared OCI cache, `oci://HOST[:PORT]/REPO` or `oci+http://...`; `--remote` overrides',
    defaultText: 'none (off)',
    default: undefined as string | undefined,
    parse: text,
  },
  remoteUsername: {
    name: 'SWAMP_STORE_REMOTE_USERNAME',
    meaning: 'credentials for the remote',
    defaultText: "Docker's `config.json` `auths`",
    default: undefined as string | undefined,
    parse: text,
  },
  remotePassword: {
    name: 'SWAMP_STORE_REMOTE_PASSWORD',
    meaning: 'credentials for the remote',
    defaultText: "Docker's `config.json` `auths`",
    default: undefined as string | undefined,
    parse: (raw: string) => raw,
  },
  dockerConfig: {
    name: 'DOCKER_CONFIG',
    meaning: "the folder of Docker's `config.json`, read for the remote's credentials",
    defaultText: '`~/.docker`',
    default: undefined as string | undefined,
    parse: text,
  },
  remotePush: {
    name: 'SWAMP_STORE_REMOTE_PUSH',
    meaning: '`0`: read from the remote, never write to it',
    defaultText: '`1`',
    default: true,
    parse: (raw: string) => raw.trim() !== '0',
  },
  debug: {
    name: 'SWAMP_STORE_DEBUG',
    meaning: '`1`: print the stack trace of an internal error (`E_INTERNAL`)',
    defaultText: 'off',
    default: false,
    parse: (raw: string) => raw.trim() === '1',
  },
} satisfies Record<string, Setting<unknown>>;

export type SettingKey = keyof typeof SETTINGS;
export type Settings = { readonly [K in SettingKey]: (typeof SETTINGS)[K]['default'] };

/** Reads every setting from `env` once; a variable that is unset, empty or unreadable takes its default. */
export function readSettings(env: Readonly<Record<string, string | undefined>>): Settings {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [SettingKey, Setting<unknown>][]) {
    const raw = env[s.name];
    const parsed = raw === undefined ? undefined : s.parse(raw);
    out[key] = parsed === undefined ? s.default : parsed;
  }
  return out as Settings;
}
