export const REGISTRY_BIN: string;
export function freePort(): Promise<number>;
export interface OciRegistry {
  port: number;
  storage: string;
  config: string;
  username: string;
  password: string;
  repository: string;
  /** oci+http://127.0.0.1:PORT/REPOSITORY */
  url: string;
  token?: { url: string; cert: string; stats: { tokens: number; refused: number }; close(): Promise<void> };
  start(): Promise<void>;
  stop(): Promise<void>;
  garbageCollect(): string;
  repoDir(): string;
  manifests(): string[];
  tags(): string[];
  blobPath(sha256: string): string;
  close(): Promise<void>;
}
export function startOciRegistry(
  dir: string,
  opts?: { auth?: 'htpasswd' | 'token'; username?: string; password?: string; repository?: string },
): Promise<OciRegistry>;
