// A problem found in a pipeline, placed by its path in the plain value. Checks
// work on plain values; turning a path into `line:col` needs the syntax tree,
// which is built only when there is something to report (see fast-yaml.ts).
import type { Severity } from '../diagnostics.js';

export type PathSegment = string | number;

export interface Finding {
  severity: Severity;
  code: string;
  /**
   * A function when the message needs the source: the line of a first
   * definition, or a value as written (1.10, which YAML reads as 1.1).
   */
  message: string | ((source: SourceLookup) => string);
  path: readonly PathSegment[];
  /** Point at the key of the last path segment, or at its value. */
  part: 'key' | 'value';
  /** Point at this text inside the string value (one reference, one cron field). */
  needle?: string;
}

export interface SourceLookup {
  lineOf(path: readonly PathSegment[]): number | undefined;
  /** The text of the value at the path, as written in the file. */
  textOf(path: readonly PathSegment[]): string | undefined;
}

/** How many nodes aliases may add when expanded; "billion laughs" documents need billions. */
export const MAX_ALIAS_EXPANSION = 100_000;
