// The fast path of reading a pipeline: js-yaml builds plain values about six
// times faster than the `yaml` library (250 ms against 1.5 s for a 10,000-task
// file, npm run bench), but keeps no source positions. Most files are valid,
// so positions are needed only when there is something to report; then the
// loader parses again with `yaml` (yaml-document.ts). Anything js-yaml refuses
// takes that path too, so `yaml` has the last word on every error.
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { MAX_ALIAS_EXPANSION } from './finding.js';

// YAML 1.2 core, like the `yaml` library's default, plus `<<` merge keys.
const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

export type FastParse = { ok: true; value: unknown } | { ok: false };

export function parseYamlFast(text: string): FastParse {
  let value: unknown;
  try {
    // js-yaml caps merged keys at 10,000; a 10,000-task pipeline with `<<: *defaults`
    // on each task needs more, and aliasesExpandTooFar guards against bombs.
    value = load(text, { schema: SCHEMA, maxTotalMergeKeys: 20 * MAX_ALIAS_EXPANSION });
  } catch {
    return { ok: false };
  }
  if (value === null || value === undefined) return { ok: false };
  return aliasesExpandTooFar(value) ? { ok: false } : { ok: true, value };
}

/**
 * js-yaml shares one object among all aliases of an anchor, so a "billion
 * laughs" file costs little memory here but would make every later walk
 * exponential. Count what the aliases would add if each were a copy.
 */
function aliasesExpandTooFar(root: unknown): boolean {
  const expandedSize = new Map<object, number>();
  /** Nodes as written: each distinct collection once, with its scalar children. */
  let writtenSize = 0;
  const sizeOf = (value: unknown, depth: number): number => {
    if (typeof value !== 'object' || value === null) return 1;
    const known = expandedSize.get(value);
    if (known !== undefined) return known;
    if (depth > 200) return Infinity;
    let total = 1;
    writtenSize++;
    for (const child of Object.values(value)) {
      if (typeof child !== 'object' || child === null) writtenSize++;
      total += sizeOf(child, depth + 1);
    }
    expandedSize.set(value, total);
    return total;
  };
  return sizeOf(root, 0) - writtenSize > MAX_ALIAS_EXPANSION;
}
