// Real git worktrees of one Swamp repository, as many agents would use them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * git with no dependence on the user's configuration: no global or system
 * config (an identity, a signing requirement or a hook there must not break
 * or slow the demo), and no GIT_* variables inherited from a caller that is
 * itself running inside a git command (a hook, `git rebase --exec`).
 */
function gitRunner(scratch) {
  const emptyConfig = path.join(scratch, 'gitconfig');
  fs.writeFileSync(emptyConfig, '');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  Object.assign(env, { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: emptyConfig, GIT_TERMINAL_PROMPT: '0' });
  const identity = ['-c', 'user.name=swamp-store demo', '-c', 'user.email=demo@swamp-store.invalid', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main'];
  return (cwd, args) => {
    try {
      return execFileSync('git', [...identity, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    } catch (err) {
      if (err.code === 'ENOENT') throw new Error("git was not found on PATH; the demo needs git to create worktrees.");
      throw new Error(`git ${args.join(' ')} failed: ${String(err.stderr || err.message).trim()}`);
    }
  };
}

/**
 * A repository with `.swamp.yaml` (Claude enrolled, so skills land in
 * .claude/skills) and `.swamp/` ignored, committed; then `count - 1` linked
 * worktrees. Returns the `count` worktree paths, the main checkout first.
 */
export function createWorktrees(parent, count) {
  fs.mkdirSync(parent, { recursive: true });
  const git = gitRunner(parent);
  const main = path.join(parent, 'wt-1');
  fs.mkdirSync(main, { recursive: true });
  git(main, ['init', '-q']);
  fs.writeFileSync(path.join(main, '.swamp.yaml'), 'tools: [claude]\n');
  fs.writeFileSync(path.join(main, '.gitignore'), '.swamp/\n');
  git(main, ['add', '.swamp.yaml', '.gitignore']);
  git(main, ['commit', '-q', '-m', 'Swamp repository']);
  const paths = [main];
  for (let k = 2; k <= count; k++) {
    const wt = path.join(parent, `wt-${k}`);
    git(main, ['worktree', 'add', '-q', '-b', `agent-${k}`, wt]);
    paths.push(wt);
  }
  const listed = git(main, ['worktree', 'list', '--porcelain']).split('\n').filter((l) => l.startsWith('worktree ')).length;
  if (listed !== count) throw new Error(`git lists ${listed} worktrees, expected ${count}.`);
  return paths;
}
