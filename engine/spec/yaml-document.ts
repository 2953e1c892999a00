// The precise path of reading a pipeline: the `yaml` library's syntax tree,
// with positions, for its own syntax errors and for placing every finding at
// `line:col`. Loaded only when there is something to report (fast-yaml.ts).
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import type { Document, LineCounter, Node, YAMLError } from 'yaml';
import type { Diagnostic, SourceSpan } from '../diagnostics.js';
import { MAX_ALIAS_EXPANSION, type Finding, type PathSegment } from './finding.js';

export type { PathSegment } from './finding.js';

const require = createRequire(import.meta.url);
let loaded: typeof YamlLib | undefined;
const yamlLib = (): typeof YamlLib => (loaded ??= require('yaml') as typeof YamlLib);

export interface YamlDocument {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  value: unknown;
}

export type ParsedYaml = { ok: true; yaml: YamlDocument } | { ok: false; diagnostics: Diagnostic[] };

export function parseYaml(file: string, text: string): ParsedYaml {
  const { LineCounter, parseDocument } = yamlLib();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const yaml: Omit<YamlDocument, 'value'> = { file, text, doc, lineCounter };
  const problems = [...doc.errors, ...doc.warnings].map((e) => fromYamlError(yaml, e));
  if (problems.length > 0) return { ok: false, diagnostics: problems };

  const bomb = findAliasBomb(doc);
  if (bomb) {
    return { ok: false, diagnostics: [diagnosticAt(yaml, bomb, 'alias-bomb',
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
function findAliasBomb(doc: Document.Parsed): Node | undefined {
  const { isAlias, isCollection, isPair, visit } = yamlLib();
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
  return found;
}

/** Places each finding at `line:col` of the node its path leads to. */
export function locateFindings(yaml: YamlDocument, findings: readonly Finding[]): Diagnostic[] {
  const lineOf = (path: readonly PathSegment[]) => {
    const node = locate(yaml, path).node;
    return node?.range ? yaml.lineCounter.linePos(node.range[0]).line : undefined;
  };
  return findings.map((finding) => {
    const found = locate(yaml, finding.path);
    const node = finding.part === 'key' ? found.key ?? found.node : found.node;
    const message = typeof finding.message === 'string' ? finding.message : finding.message(lineOf);
    let span = spanOf(yaml, node);
    if (finding.needle && node?.range) {
      const offset = yaml.text.slice(node.range[0], node.range[1]).indexOf(finding.needle);
      if (offset >= 0) span = spanOf(yaml, node, offset, finding.needle.length);
    }
    return { severity: finding.severity, code: finding.code, file: yaml.file, message, ...span };
  });
}

interface LocatedNode {
  /** The value node at the path, or at the deepest part of the path that exists. */
  node?: Node;
  /** The key node of the last segment, when the whole path exists and ends in a map key. */
  key?: Node;
}

/** Walks the syntax tree along a path of the plain value, following aliases and `<<` merges. */
function locate(yaml: Pick<YamlDocument, 'doc'>, path: readonly PathSegment[]): LocatedNode {
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
  return { node: (current ?? undefined) as Node | undefined, key: depth === path.length ? key : undefined };
}

function child(doc: Document.Parsed, node: unknown, segment: PathSegment): { value: unknown; key?: Node } | undefined {
  const { isAlias, isMap, isScalar, isSeq } = yamlLib();
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
function spanOf(yaml: Pick<YamlDocument, 'lineCounter'>, node: Node | undefined, offsetInNode = 0, length?: number): SourceSpan {
  if (!node?.range) return { line: 1, col: 1 };
  const start = node.range[0] + offsetInNode;
  const end = length === undefined ? node.range[1] : start + length;
  const from = yaml.lineCounter.linePos(start);
  const to = yaml.lineCounter.linePos(Math.max(start + 1, end));
  return to.line === from.line ? { line: from.line, col: from.col, endCol: to.col } : { line: from.line, col: from.col };
}

function diagnosticAt(yaml: Pick<YamlDocument, 'file' | 'lineCounter'>, node: Node | undefined, code: string, message: string): Diagnostic {
  return { severity: 'error', code, file: yaml.file, message, ...spanOf(yaml, node) };
}
