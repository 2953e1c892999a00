// The registry's artifact store: ONNX files under <state home>/models/, each
// named by the sha256 of its bytes, so the same model registered twice is
// one file. A file is written under a temporary name, flushed to disk and
// renamed only once complete, and the registry records a version only after
// that: it never points at a missing or half-written file.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface StoredModelFile {
  sha256: string;
  /** Absolute path: `<models dir>/<sha256>.onnx`. */
  file: string;
  /** False when the store already held these bytes. */
  created: boolean;
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function storeModelFile(bytes: Uint8Array, modelsDir: string): StoredModelFile {
  mkdirSync(modelsDir, { recursive: true });
  const sha256 = sha256Of(bytes);
  const file = join(modelsDir, `${sha256}.onnx`);
  if (existsSync(file)) return { sha256, file, created: false };
  const temporary = join(modelsDir, `.incoming-${process.pid}-${Date.now()}.onnx`);
  try {
    const fd = openSync(temporary, 'wx');
    try {
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    syncFolder(modelsDir);
  } finally {
    rmSync(temporary, { force: true });
  }
  return { sha256, file, created: true };
}

/** Makes the rename itself durable; some platforms cannot open a folder, and lose nothing but that. */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here (e.g. Windows)
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
