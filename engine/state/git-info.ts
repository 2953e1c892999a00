// The git commit a pipeline file was run from, and whether the file had
// uncommitted changes: what a run records so that it can be reproduced.
import { spawnSync } from 'node:child_process';
import { basename, dirname } from 'node:path';

export interface GitInfo {
  commit: string;
  dirty: boolean;
}

export function gitInfo(file: string): GitInfo | undefined {
  const cwd = dirname(file);
  const git = (...args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const head = git('rev-parse', 'HEAD');
  if (head.status !== 0) return undefined;
  const status = git('status', '--porcelain', '--', basename(file));
  return { commit: head.stdout.trim(), dirty: status.status === 0 && status.stdout.trim() !== '' };
}
