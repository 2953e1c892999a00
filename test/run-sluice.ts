// Runs the built `sluice` command as a user would (npm test builds it first).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const SLUICE = fileURLToPath(new URL('../dist/bin/sluice.js', import.meta.url));

export function runSluice(args: readonly string[], cwd = PROJECT_ROOT, env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(SLUICE)) throw new Error('dist/bin/sluice.js is missing; run `npm run build` first (npm test does)');
  const result = spawnSync(process.execPath, [SLUICE, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
