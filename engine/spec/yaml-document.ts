// The precise path of reading a pipeline: the `yaml` library's syntax tree,
// with positions, for its own syntax errors and for placing every finding at
// `line:col`. Loaded only when there is something to report (fast-yaml.ts).
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import type { Document, LineCounter, Node, YAMLError } from 'yaml';
import type { Diagnostic, SourceSpan } from '../diagnostics.js';
import { MAX_ALIAS_EXPANSION, type Finding, type PathSegment, type SourceLookup } from './finding.js';

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
  // logLevel 'error': problems come back in doc.errors and doc.warnings and nothing is
  // printed to the console ('silent' would also drop the multiple-documents error).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true, logLevel: 'error' });
  const yaml: Omit<YamlDocument, 'value'> = { file, text, doc, lineCounter };
  // After the first syntax error the parser is lost; what follows is mostly its echo.
  // Among errors at the same place, prefer one whose cause we can explain.
  const explained = (e: YAMLError) => (e.code in yamlMessages ? 0 : 1);
  const [first] = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0] || explained(a) - explained(b));
  if (first) return { ok: false, diagnostics: [fromYamlError(yaml, first)] };

  const unresolved = findUnresolvedAlias(doc);
  if (unresolved) {
    return { ok: false, diagnostics: [diagnosticAt(yaml, unresolved, 'yaml-syntax',
      `unknown alias '*${unresolved.source}': no anchor '&${unresolved.source}' is defined before it`)] };
  }

  const bomb = findAliasBomb(doc);
  if (bomb) {
    return { ok: false, diagnostics: [diagnosticAt(yaml, bomb, 'alias-bomb',
      `aliases expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} nodes here ('billion laughs'); ` +
      'repeat the content instead of nesting aliases')] };
  }
  const value = doc.toJS({ maxAliasCount: -1 }) as unknown;
  if (value === null || value === undefined) {
    return { ok: false, diagnostics: [{ severity: 'error', code: 'empty-file', file, line: 1, col: 1,
      message: 'file holds only comments; a pipeline needs at least `name` and `tasks`' }] };
  }
  return { ok: true, yaml: { ...yaml, value } };
}

/** A message and the offset it points at, for the syntax errors whose cause lies elsewhere. */
type Explained = { message: string; offset: number };

const yamlMessages: Record<string, (e: YAMLError, text: string) => string | Explained> = {
  DUPLICATE_KEY: (e, text) => {
    const key = /^["']?([^"':\n]*)/.exec(text.slice(e.pos[0]))?.[1]?.trim();
    return `duplicate key${key ? ` '${key}'` : ''}; a key may appear only once in a map`;
  },
  MULTIPLE_DOCS: () => "a pipeline file holds one YAML document; remove this '---' or split the file",
  TAB_AS_INDENT: () => 'tab used for indentation; YAML indents with spaces',
  BAD_ALIAS: (e) => `bad alias: ${e.message}`,
  TAG_RESOLVE_FAILED: (e) => `${e.message}; pipelines use plain YAML without custom tags`,
  MULTILINE_IMPLICIT_KEY: (e, text) => explainImplicitKey(e.pos[0], text),
  MISSING_CHAR: (e, text) => explainMissingChar(e, text),
  BAD_INDENT: (e, text) => explainMissingChar(e, text),
};

function fromYamlError(yaml: Omit<YamlDocument, 'value'>, error: YAMLError): Diagnostic {
  const explained = yamlMessages[error.code]?.(error, yaml.text) ?? `YAML syntax: ${lowerFirst(error.message)}`;
  const { message, offset } = typeof explained === 'string' ? { message: explained, offset: error.pos[0] } : explained;
  const { line, col } = yaml.lineCounter.linePos(offset);
  return { severity: 'error', code: 'yaml-syntax', file: yaml.file, line, col, message };
}

/**
 * "Implicit keys need to be on a single line" usually means one of two
 * slips: `key:value` without a space, or a key indented deeper than the
 * keys of its map on the line above.
 */
function explainImplicitKey(offset: number, text: string): string | Explained {
  const glued = /^([A-Za-z_][\w-]*):(\S+)/.exec(text.slice(offset));
  if (glued) return { offset, message: `'${glued[0]}' needs a space after ':' to be a key and its value` };
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const current = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  const keyColumn = /^[\s-]*/.exec(current)![0].length;
  const next = lineEnd < 0 ? null : /^\n(?:[ \t]*\n)*([ \t]*)([^\s:]+):/.exec(text.slice(lineEnd));
  if (next && next[1]!.length > keyColumn) {
    const above = /^[\s-]*([^\s:]+)/.exec(current)?.[1] ?? 'the key';
    return { offset: lineEnd + next[0].length - next[2]!.length - 1,
      message: `'${next[2]}' is indented more than '${above}' above it; keys of one map must line up` };
  }
  return `YAML syntax: a key and its value must be on one line`;
}

/** An unclosed quote or bracket is reported where the parser gave up; point at where it opened. */
function explainMissingChar(error: YAMLError, text: string): string | Explained {
  const quote = /Missing closing (["'])quote/.exec(error.message)?.[1];
  if (quote) {
    const opening = lastUnescaped(text, quote, error.pos[0]);
    if (opening >= 0) return { offset: opening, message: `the string opened here with ${quote} is never closed` };
  }
  const bracket = /end with an? ([\]}])/.exec(error.message)?.[1];
  if (bracket) {
    const opening = unmatchedOpening(text, bracket === ']' ? '[' : '{', bracket, error.pos[0]);
    if (opening >= 0) {
      return { offset: opening, message: `'${text[opening]}' is never closed by '${bracket}'; close it on the same line or write the list or map in block style` };
    }
  }
  return `YAML syntax: ${lowerFirst(error.message)}`;
}

function lastUnescaped(text: string, quote: string, before: number): number {
  for (let i = Math.min(before, text.length) - 1; i >= 0; i--) {
    if (text[i] === quote && text[i - 1] !== '\\') return i;
  }
  return -1;
}

function unmatchedOpening(text: string, open: string, close: string, before: number): number {
  let depth = 0;
  for (let i = Math.min(before, text.length) - 1; i >= 0; i--) {
    if (text[i] === close) depth++;
    else if (text[i] === open && depth-- === 0) return i;
  }
  return -1;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function findUnresolvedAlias(doc: Document.Parsed): (Node & { source: string }) | undefined {
  const { visit } = yamlLib();
  let found: (Node & { source: string }) | undefined;
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) !== undefined) return undefined;
      found = alias;
      return visit.BREAK;
    },
  });
  return found;
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
  const source: SourceLookup = {
    lineOf: (path) => {
      const node = locate(yaml, path).node;
      return node?.range ? yaml.lineCounter.linePos(node.range[0]).line : undefined;
    },
    textOf: (path) => {
      const node = locate(yaml, path).node;
      return node?.range ? yaml.text.slice(node.range[0], node.range[1]) : undefined;
    },
  };
  return findings.map((finding) => {
    const found = locate(yaml, finding.path);
    const node = finding.part === 'key' ? found.key ?? found.node : found.node;
    const message = typeof finding.message === 'string' ? finding.message : finding.message(source);
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
      if (isMergeKey(pair.key)) {
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

/** With `merge: true`, the yaml library gives a `<<` key the value Symbol(<<). */
function isMergeKey(key: unknown): boolean {
  if (!yamlLib().isScalar(key)) return false;
  const value = key.value;
  return value === '<<' || (typeof value === 'symbol' && value.description === '<<');
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
