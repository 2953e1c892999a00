// Reads a pipeline file's bytes and turns them into text, or into one located
// error when they cannot be a pipeline: too large, binary, not UTF-8, empty.
import { isUtf8 } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { UsageError, type Diagnostic } from '../diagnostics.js';

/** Large enough for a generated 10,000-task pipeline, small enough to refuse a data file given by mistake. */
export const MAX_PIPELINE_BYTES = 4 * 1024 * 1024;

export type SourceText = { ok: true; text: string } | { ok: false; diagnostic: Diagnostic };

/** Reads `file`; a missing or unreadable file is a UsageError (exit 2), bad content a Diagnostic (exit 1). */
export function readPipelineFile(file: string): SourceText {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new UsageError(`${file}: not a file`);
    size = stat.size;
  } catch (error) {
    throw asUsageError(file, error);
  }
  if (size > MAX_PIPELINE_BYTES) {
    return failure(file, 'file-too-large',
      `file is ${formatMiB(size)} (${size.toLocaleString('en-US')} bytes), larger than the ${formatMiB(MAX_PIPELINE_BYTES)} ` +
      'a pipeline file may have; is this a data file? Large fan-outs belong in a for_each task');
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw asUsageError(file, error);
  }
  return decodePipelineBytes(file, bytes);
}

export function decodePipelineBytes(file: string, bytes: Uint8Array): SourceText {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return failure(file, 'not-utf8', 'file is UTF-16; save it as UTF-8');
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const { line, col } = positionOfByte(bytes, nul);
    return failure(file, 'binary-file', `binary file (a NUL byte at offset ${nul}); a pipeline is YAML text`, line, col);
  }
  // Keep a byte-order mark in the text, so that character positions map to byte offsets.
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes);
  if (!isUtf8(bytes)) {
    const { offset, index } = firstInvalidByte(bytes, text);
    const { line, col } = positionOfChar(text, index);
    const byte = (bytes[offset] ?? 0).toString(16).padStart(2, '0');
    return failure(file, 'not-utf8',
      `file is not valid UTF-8 (byte 0x${byte} at offset ${offset}); save it as UTF-8`, line, col);
  }
  if (text.trim() === '' || text === '\uFEFF') return failure(file, 'empty-file', 'file is empty; a pipeline needs at least `name` and `tasks`');
  // Editors do not count a byte-order mark as a column; neither do we.
  return { ok: true, text: text.startsWith('\uFEFF') ? text.slice(1) : text };
}

/**
 * A lenient decoder turns each invalid sequence into U+FFFD; the first such
 * character whose bytes are not a real, encoded U+FFFD marks the spot.
 */
function firstInvalidByte(bytes: Uint8Array, text: string): { offset: number; index: number } {
  let offset = 0;
  let index = 0;
  for (const char of text) {
    const encoded = Buffer.byteLength(char, 'utf8');
    const real = bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd;
    if (char === '\uFFFD' && !real) return { offset, index };
    offset += char === '\uFFFD' && !real ? 1 : encoded;
    index += char.length;
  }
  return { offset: 0, index: 0 };
}

function positionOfByte(bytes: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

function positionOfChar(text: string, index: number): { line: number; col: number } {
  const before = text.slice(0, index);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, col: index - lineStart + 1 };
}

function failure(file: string, code: string, message: string, line = 1, col = 1): SourceText {
  return { ok: false, diagnostic: { severity: 'error', code, file, message, line, col } };
}

function formatMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${mib.toFixed(1)} MiB`;
}

function asUsageError(file: string, error: unknown): UsageError {
  if (error instanceof UsageError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UsageError(`${file}: no such file`);
  if (code === 'EACCES') return new UsageError(`${file}: permission denied`);
  return new UsageError(`${file}: cannot read (${(error as Error).message})`);
}
