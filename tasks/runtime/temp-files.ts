// Files a task is writing under a temporary name (a dataset's Parquet file,
// a model before its check). A canceled or timed-out task gets SIGTERM while
// it awaits DuckDB or onnxruntime, and `finally` blocks never run when the
// process exits on a signal: exec-task removes what is listed here instead.
import { rmSync } from 'node:fs';

const pending = new Set<string>();

/** Lists `path` for removal if the process is stopped; call the result once the file is renamed or removed. */
export function registerTempFile(path: string): () => void {
  pending.add(path);
  return () => {
    pending.delete(path);
  };
}

/** Removes every listed file (missing ones are fine); for a process about to exit. */
export function removeTempFiles(): void {
  for (const path of pending) rmSync(path, { force: true });
  pending.clear();
}

