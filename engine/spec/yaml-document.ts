// Parses YAML text into a plain value while keeping the syntax tree, so that
// every later check can point at `line:col` of the node it complains about.
import {
  isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit,
  type Document, type Node, type YAMLError,
} from 'yaml';
import type { Diagnostic, SourceSpan } from '../diagnostics.js';

export type PathSegment = string | number;

export interface YamlDocument {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  value: unknown;
}

/** How many nodes aliases may add when expanded; "billion laughs" documents need billions. */
export const MAX_ALIAS_EXPANSION = 100_000;

export type ParsedYaml = { ok: true; yaml: YamlDocument } | { ok: false; diagnostics: Diagnostic[] };

export function parseYaml(file: string, text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const yaml: Omit<YamlDocument, 'value'> = { file, text, doc, lineCounter };
  const problems = [...doc.errors, ...doc.warnings].map((e) => fromYamlError(yaml, e));
  if (problems.length > 0) return { ok: false, diagnostics: problems };

  const bomb = findAliasBomb(doc);
  if (bomb) {
    return { ok: false, diagnostics: [diagnosticAt(yaml, bomb.node, 'alias-bomb',
      `aliases expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} nodes here ('billion laughs'); ` +
      'repeat the content instead of nesting aliases')] };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: -1 });
  } catch (error) {
    // Only unresolved aliases reach here, because parse errors were reported above.
    return { ok: false, diagnostics: [{ severity: 'error', code: 'yaml-syntax', file, line: 1, col: 1,
      message: `cannot read YAML: ${(error as Error).message}` }] };
  }
  if (value === null || value === undefined) {
    return { ok: false, diagnostics: [{ severity: 'error', code: 'empty-file', file, line: 1, col: 1,
      message: 'file holds only comments; a pipeline needs at least `name` and `tasks`' }] };
  }
  return { ok: true, yaml: { ...yaml, value } };
}

const yamlMessages: Record<string, (e: YAMLError, text: string) => string> = {
  DUPLICATE_KEY: (e, text) => {
    const key = /^["']?([^"':\n]*)/.exec(text.slice(e.pos[0]))?.[1]?.trim();
    return `duplicate key${key ? ` '${key}'` : ''}; a key may appear only once in a map`;
  },
  MULTIPLE_DOCS: () => "a pipeline file holds one YAML document; remove this '---' or split the file",
  TAB_AS_INDENT: () => 'tab used for indentation; YAML indents with spaces',
  BAD_ALIAS: (e) => `bad alias: ${e.message}`,
  TAG_RESOLVE_FAILED: (e) => `${e.message}; pipelines use plain YAML without custom tags`,
};

function fromYamlError(yaml: Omit<YamlDocument, 'value'>, error: YAMLError): Diagnostic {
  const { line, col } = yaml.lineCounter.linePos(error.pos[0]);
  const message = yamlMessages[error.code]?.(error, yaml.text) ?? `YAML syntax: ${lowerFirst(error.message)}`;
  return { severity: 'error', code: 'yaml-syntax', file: yaml.file, line, col, message };
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** The first alias at which the total expansion passes the limit, in document order. */
function findAliasBomb(doc: Document.Parsed): { node: Node } | undefined {
  const sizes = new Map<Node, number>();
  const sizeOf = (node: unknown, depth: number): number => {
    if (depth > 64) return Infinity;
    if (isAlias(node)) return sizeOf(node.resolve(doc), depth + 1);
    if (!isCollection(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let total = 1;
    for (const item of node.items) {
      total += isPair(item) ? sizeOf(item.key, depth + 1) + sizeOf(item.value, depth + 1) : sizeOf(item, depth + 1);
      if (total > MAX_ALIAS_EXPANSION) break;
    }
    sizes.set(node, total);
    return total;
  };
  let expanded = 0;
  let found: Node | undefined;
  visit(doc, {
    Alias(_, alias) {
      expanded += sizeOf(alias, 0);
      if (expanded > MAX_ALIAS_EXPANSION) {
        found = alias;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found ? { node: found } : undefined;
}

export interface LocatedNode {
  /** The value node at the path, when the path exists. */
  node?: Node;
  /** The key node of the last segment, when the path ends in a map key. */
  key?: Node;
}

/**
 * Walks the syntax tree along a path of the plain value (map keys, list
 * indexes), following aliases and `<<` merges, as far as the path exists.
 */
export function locate(yaml: Pick<YamlDocument, 'doc'>, path: readonly PathSegment[]): LocatedNode & { depth: number } {
  let current: unknown = yaml.doc.contents;
  let key: Node | undefined;
  let depth = 0;
  for (const segment of path) {
    const next = child(yaml.doc, current, segment);
    if (!next) break;
    current = next.value;
    key = next.key;
    depth++;
  }
  return { node: (current ?? undefined) as Node | undefined, key: depth === path.length ? key : undefined, depth };
}

function child(doc: Document.Parsed, node: unknown, segment: PathSegment): { value: unknown; key?: Node } | undefined {
  const target = isAlias(node) ? node.resolve(doc) : node;
  if (isSeq(target) && typeof segment === 'number') {
    const item = target.items[segment];
    return item === undefined ? undefined : { value: item };
  }
  if (isMap(target)) {
    for (const pair of target.items) {
      if (isScalar(pair.key) && String(pair.key.value) === String(segment)) {
        return { value: pair.value, key: pair.key as Node };
      }
    }
    for (const pair of target.items) {
      if (isScalar(pair.key) && pair.key.value === '<<') {
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const source of sources) {
          const found = child(doc, source, segment);
          if (found) return found;
        }
      }
    }
  }
  return undefined;
}

/** Line and column of a node, with the end column when the node fits on its first line. */
export function spanOf(yaml: Pick<YamlDocument, 'lineCounter'>, node: Node | undefined, offsetInNode = 0, length?: number): SourceSpan {
  if (!node?.range) return { line: 1, col: 1 };
  const start = node.range[0] + offsetInNode;
  const end = length === undefined ? node.range[1] : start + length;
  const from = yaml.lineCounter.linePos(start);
  const to = yaml.lineCounter.linePos(Math.max(start + 1, end));
  return to.line === from.line ? { line: from.line, col: from.col, endCol: to.col } : { line: from.line, col: from.col };
}

export function diagnosticAt(
  yaml: Pick<YamlDocument, 'file' | 'lineCounter'>, node: Node | undefined, code: string, message: string,
  severity: Diagnostic['severity'] = 'error',
): Diagnostic {
  return { severity, code, file: yaml.file, message, ...spanOf(yaml, node) };
}
