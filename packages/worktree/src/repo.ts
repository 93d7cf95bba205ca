import fs from 'node:fs/promises';
import path from 'node:path';
import { WorktreeError } from './errors.js';
import { FALLBACK_SKILLS_DIR, PULLED_DIR, SWAMP_DIR, type Settings } from '@swamp-store/primitives';

/** Everything a command needs to know about one repository, resolved once. */
export interface RepoContext {
  /** Absolute, symlinks resolved: the identity of the worktree (store roots use it). */
  repoDir: string;
  /** Repo-relative, normalised, forward slashes (`extensions/models` by default). */
  modelsDir: string;
  /** `<repoDir>/<modelsDir>/upstream_extensions.json`. */
  lockfilePath: string;
  /** `<repoDir>/.swamp`. */
  swampDir: string;
  /** `<repoDir>/.swamp/pulled-extensions`. */
  pulledDir: string;
  /** Repo-relative skills dirs of the enrolled tools, deduplicated, in `tools` order. */
  skillsDirs: string[];
  /** The known tools that produced `skillsDirs` (empty when none are enrolled). */
  tools: string[];
  /** Absolute path of `.swamp.yaml`, or undefined when the repository has none. */
  configPath: string | undefined;
}

export interface ResolveRepoOptions {
  /** `--repo-dir`, relative to `cwd` when not absolute. */
  repoDir?: string | undefined;
  cwd: string;
  /** SWAMP_REPO_DIR and SWAMP_MODELS_DIR, as the CLI read them from its settings table. */
  settings?: Partial<Pick<Settings, 'repoDir' | 'modelsDir'>>;
}

export const SWAMP_CONFIG = '.swamp.yaml';
export const LOCKFILE_NAME = 'upstream_extensions.json';
export const DEFAULT_MODELS_DIR = 'extensions/models';
export const DEFAULT_TOOLS: readonly string[] = ['claude'];

/** Skills dir of each AI tool Swamp knows (docs/swamp-compatibility.md). */
export const TOOL_SKILLS_DIRS: Readonly<Record<string, string>> = {
  claude: '.claude/skills',
  cursor: '.cursor/skills',
  opencode: '.agents/skills',
  codex: '.agents/skills',
  copilot: '.agents/skills',
  kiro: '.kiro/skills',
};

export { FALLBACK_SKILLS_DIR };

/** Every skills dir any configuration can produce: the lockfile may name any of them. */
export const ALL_SKILLS_DIRS: readonly string[] = [...new Set([...Object.values(TOOL_SKILLS_DIRS), FALLBACK_SKILLS_DIR])];

/** `.swamp.yaml` is tiny; anything bigger is not a config file we should parse. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export type { SwampConfig } from './config-rules.js';
export { normalizeModelsDir, configError } from './config-rules.js';
import { configError, normalizeModelsDir, type SwampConfig } from './config-rules.js';

/**
 * Skills dirs for a `tools` value. Unknown tool names are ignored (a newer Swamp
 * may know tools we do not; failing would block every pull). When no known tool
 * remains, skills go to the fallback dir so they are still installed and tracked.
 */
export function skillsDirsForTools(tools: readonly string[] | null | undefined): { tools: string[]; skillsDirs: string[] } {
  const requested = tools === undefined ? DEFAULT_TOOLS : (tools ?? []);
  const known: string[] = [];
  for (const raw of requested) {
    const t = raw.trim().toLowerCase();
    if (Object.hasOwn(TOOL_SKILLS_DIRS, t) && !known.includes(t)) known.push(t);
  }
  const dirs = [...new Set(known.map((t) => TOOL_SKILLS_DIRS[t] as string))];
  return { tools: known, skillsDirs: dirs.length > 0 ? dirs : [FALLBACK_SKILLS_DIR] };
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The nearest ancestor of `start` (inclusive) holding `.swamp.yaml`, never
 * looking above the git top level (a directory holding `.git`, a dir in a
 * checkout or a file in a linked worktree): an agent's worktree nested in
 * another checkout must not install into the outer repository.
 */
export async function findRepoRoot(start: string): Promise<string | undefined> {
  let dir = start;
  while (true) {
    if (await isFile(path.join(dir, SWAMP_CONFIG))) return dir;
    if (await exists(path.join(dir, '.git'))) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function realDir(p: string, what: string): Promise<string> {
  let real: string;
  try {
    real = await fs.realpath(p);
  } catch (err) {
    throw new WorktreeError('E_REPO', `${what} ${p} does not exist.`, 'Pass an existing directory with --repo-dir.', { cause: err });
  }
  if (!(await fs.stat(real)).isDirectory()) {
    throw new WorktreeError('E_REPO', `${what} ${p} is not a directory.`, 'Pass an existing directory with --repo-dir.');
  }
  return real;
}

async function readConfigText(file: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw configError(file, `cannot be read (${code ?? 'error'})`, err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return undefined;
    if (st.size > MAX_CONFIG_BYTES) throw configError(file, `is larger than ${MAX_CONFIG_BYTES} bytes`);
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Resolves the repository: `--repo-dir` > `SWAMP_REPO_DIR` > nearest `.swamp.yaml`.
 * An explicitly named directory is used even without `.swamp.yaml` (defaults
 * apply): the user said which repository they mean.
 */
export async function resolveRepo(opts: ResolveRepoOptions): Promise<RepoContext> {
  const cwd = path.resolve(opts.cwd);
  const explicit = opts.repoDir || opts.settings?.repoDir || undefined;
  let repoDir: string;
  if (explicit !== undefined) {
    repoDir = await realDir(path.resolve(cwd, explicit), 'Repository directory');
  } else {
    const start = await realDir(cwd, 'Working directory');
    const found = await findRepoRoot(start);
    if (found === undefined) {
      throw new WorktreeError(
        'E_REPO',
        `No Swamp repository (${SWAMP_CONFIG}) found at or above ${start}.`,
        "Run the command inside a Swamp repository or pass --repo-dir DIR; to make one, run 'swamp repo init' there (an empty .swamp.yaml is enough).",
      );
    }
    repoDir = found;
  }

  const configFile = path.join(repoDir, SWAMP_CONFIG);
  const text = await readConfigText(configFile);
  // yaml (tens of ms to load) is needed only for a .swamp.yaml with something in it.
  const config: SwampConfig = text === undefined || text.trim() === '' ? {} : (await import('./swamp-config.js')).parseSwampConfig(text, configFile);

  const envModels = opts.settings?.modelsDir || undefined;
  const rawModels = envModels ?? config.modelsDir ?? DEFAULT_MODELS_DIR;
  const modelsDir = normalizeModelsDir(rawModels);
  if (modelsDir === undefined) {
    const source = envModels !== undefined ? 'SWAMP_MODELS_DIR' : `'modelsDir' in ${configFile}`;
    throw new WorktreeError(
      'E_CONFIG',
      `${source} is ${JSON.stringify(rawModels)}, which is not a relative path inside the repository.`,
      "Set it to a relative path such as 'extensions/models'.",
    );
  }

  const { tools, skillsDirs } = skillsDirsForTools(config.tools);
  const swampDir = path.join(repoDir, SWAMP_DIR);
  return {
    repoDir,
    modelsDir,
    lockfilePath: path.join(repoDir, ...modelsDir.split('/'), LOCKFILE_NAME),
    swampDir,
    pulledDir: path.join(repoDir, ...PULLED_DIR.split('/')),
    skillsDirs,
    tools,
    configPath: text === undefined ? undefined : configFile,
  };
}
