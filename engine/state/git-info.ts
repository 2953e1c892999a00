// The git commit a pipeline file was run from, and whether the file had
// uncommitted changes: what a run records so that it can be reproduced.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface GitInfo {
  commit: string;
  dirty: boolean;
}

/** One git process (it is on every run's start): the branch header gives the commit, the entries the file's state. */
export function gitInfo(file: string): GitInfo | undefined {
  if (!insideGitWorkTree(dirname(file))) return undefined;
  const status = spawnSync('git', ['status', '--porcelain=v2', '--branch', '--', basename(file)],
    { cwd: dirname(file), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  if (status.status !== 0) return undefined;
  const lines = status.stdout.split('\n');
  const commit = lines.find((line) => line.startsWith('# branch.oid '))?.slice('# branch.oid '.length);
  // A repository without commits has no commit to record.
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  return { commit, dirty: lines.some((line) => line !== '' && !line.startsWith('#')) };
}

/** A `.git` folder or file (worktrees, submodules) in the folder or above: without one, no git process is started. */
function insideGitWorkTree(folder: string): boolean {
  if (process.env.GIT_DIR) return true;
  for (let dir = resolve(folder); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return true;
    if (dirname(dir) === dir) return false;
  }
}
