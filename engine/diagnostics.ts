// One error type for every user mistake Sluice can point at. The engine only
// produces these; the CLI alone decides how to print them (text, JSON, GitHub).

export type Severity = 'error' | 'warning';

export interface SourceSpan {
  /** 1-based line and column of the first character. */
  line: number;
  col: number;
  /** 1-based, exclusive end column on the same line, when known. */
  endCol?: number;
}

export interface Diagnostic extends SourceSpan {
  severity: Severity;
  /** Stable identifier of the kind of problem, e.g. `unknown-key`; for tools and tests. */
  code: string;
  file: string;
  message: string;
}

export function isError(d: Diagnostic): boolean {
  return d.severity === 'error';
}

export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.message.localeCompare(b.message);
}

/**
 * A user mistake found outside pipeline files (a bad `--param`, a missing
 * file): the CLI prints the message and exits with the given code instead of
 * showing a stack trace.
 */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UsageError';
  }
}
