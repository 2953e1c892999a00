// Run ids as commands take them: the whole numbers `sluice runs` shows.
import { UsageError } from '../engine/diagnostics.js';

export function parseRunId(text: string): number {
  const id = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(id) || id < 1) {
    throw new UsageError(`'${text}' is not a run id; run ids are whole numbers such as 42 (\`sluice runs\` lists them)`);
  }
  return id;
}
