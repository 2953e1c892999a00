// Keeps the pipeline reference (docs/pipeline-reference.md), the published
// schema (schemas/pipeline.schema.json) and the validator in step: every key
// the code accepts is in the published schema, described there, and
// documented in the reference, whose complete examples really validate.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { Diagnostic } from '../engine/diagnostics.js';
import { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { buildPipelineSchema } from '../engine/spec/pipeline-schema.js';
import type { JsonSchema } from '../engine/task-types.js';
import { NAMESPACES, TIME_ARGUMENTS } from '../engine/template/reference-grammar.js';
import { builtinTaskTypes } from '../tasks/index.js';

const ROOT = new URL('..', import.meta.url);
const REFERENCE_PATH = 'docs/pipeline-reference.md';
const SCHEMA_PATH = 'schemas/pipeline.schema.json';
/** First line of every complete example; fragments of a few keys go without it. */
const MODELINE = '# yaml-language-server: $schema=../schemas/pipeline.schema.json';

const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const reference = read(REFERENCE_PATH);
const schema = buildPipelineSchema(builtinTaskTypes);

interface Property {
  /** Where it sits, e.g. `#/definitions/task/for_each/concurrency`. */
  path: string;
  name: string;
  schema: JsonSchema;
}

/**
 * Every named property anywhere in the schema: the root's, those of the task
 * definitions, and those of nested maps (schedule, parameters items,
 * task_defaults, condition, for_each, run_pipeline, depends_on entries, …).
 */
function propertiesOf(node: unknown, path = '#'): Property[] {
  if (typeof node !== 'object' || node === null) return [];
  if (Array.isArray(node)) return node.flatMap((item, i) => propertiesOf(item, `${path}/${i}`));
  const found: Property[] = [];
  for (const [keyword, value] of Object.entries(node as Record<string, unknown>)) {
    if ((keyword === 'properties' || keyword === 'definitions') && typeof value === 'object' && value !== null) {
      for (const [name, child] of Object.entries(value as Record<string, JsonSchema>)) {
        if (keyword === 'properties') found.push({ path: `${path}/${name}`, name, schema: child });
        found.push(...propertiesOf(child, `${path}/${name}`));
      }
    } else {
      found.push(...propertiesOf(value, `${path}/${keyword}`));
    }
  }
  return found;
}

/** String values of every `enum` in the schema (run_if, op, outcome, parameter type, catchup). */
function enumValuesOf(node: unknown): string[] {
  if (typeof node !== 'object' || node === null) return [];
  const own = Array.isArray((node as JsonSchema).enum)
    ? ((node as JsonSchema).enum as unknown[]).filter((v): v is string => typeof v === 'string')
    : [];
  return [...own, ...Object.values(node).flatMap(enumValuesOf)];
}

interface YamlBlock {
  /** 1-based line of the block's first YAML line in the reference. */
  line: number;
  text: string;
}

function yamlBlocks(): YamlBlock[] {
  const blocks: YamlBlock[] = [];
  const fence = /^```yaml\r?\n([\s\S]*?)^```[ \t]*$/gm;
  for (let match = fence.exec(reference); match; match = fence.exec(reference)) {
    blocks.push({ line: reference.slice(0, match.index).split('\n').length + 1, text: match[1]! });
  }
  return blocks;
}

const blocks = yamlBlocks();
const completeExamples = blocks
  .filter((block) => block.text.startsWith(MODELINE))
  .map((block, i) => ({ ...block, n: i + 1, name: /^name:\s*(\S+)/m.exec(block.text)?.[1] ?? '?' }));
const fragments = blocks.filter((block) => !block.text.startsWith(MODELINE));

const mentions = (word: string) => reference.includes(`\`${word}\``);
const show = (diagnostics: readonly Diagnostic[]) =>
  diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`);

describe('the published schema', () => {
  it('is exactly what the validator uses (after changing the language, run `npm run schema`)', () => {
    const published = read(SCHEMA_PATH);
    expect(published, `${SCHEMA_PATH} differs from the schema the code builds: run \`npm run schema\` and commit the result`)
      .toBe(`${JSON.stringify(schema, null, 2)}\n`);
  });

  it('gives every property a description, for editors to show on hover', () => {
    const undescribed = propertiesOf(schema)
      .filter((p) => typeof p.schema.description !== 'string' || p.schema.description.trim() === '')
      .map((p) => p.path);
    expect(undescribed, 'properties without a description').toEqual([]);
  });
});

describe('the pipeline reference', () => {
  it('documents every key the schema accepts, as inline code', () => {
    const names = [...new Set(propertiesOf(schema).map((p) => p.name))];
    // The walk must reach nested maps, not only the top level and the task.
    expect(names).toEqual(expect.arrayContaining(['catchup', 'outcome', 'left', 'concurrency', 'pipeline', 'retry_jitter', 'default']));
    expect(names.filter((name) => !mentions(name)), `keys missing from ${REFERENCE_PATH}`).toEqual([]);
  });

  it('lists every enum value and every time argument, as inline code', () => {
    const words = [...new Set([...enumValuesOf(schema), ...TIME_ARGUMENTS])];
    expect(words).toEqual(expect.arrayContaining(['at_least_one_failed', 'GREATER_THAN_OR_EQUAL', 'integer', 'latest', 'is_weekday']));
    expect(words.filter((word) => !mentions(word)), `values missing from ${REFERENCE_PATH}`).toEqual([]);
  });

  it('shows a reference of every namespace', () => {
    expect(NAMESPACES.filter((namespace) => !reference.includes(`{{${namespace}`))).toEqual([]);
  });

  it('has at least ten complete examples, each starting with the schema modeline', () => {
    expect(completeExamples.length).toBeGreaterThanOrEqual(10);
  });

  const loader = new PipelineLoader(builtinTaskTypes);
  it.each(completeExamples)('has complete example $n (line $line, pipeline $name) that validates without errors', ({ n, text }) => {
    const { diagnostics } = loader.loadText(`${REFERENCE_PATH}#block-${n}`, text);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    expect(show(errors), `all diagnostics:\n${show(diagnostics).join('\n')}`).toEqual([]);
  });

  it('has fragments that are well-formed YAML', () => {
    const broken = fragments.flatMap(({ line, text }) =>
      parseDocument(text).errors.map((e) => `${REFERENCE_PATH}:${line + e.linePos![0].line - 1}: ${e.message}`));
    expect(broken).toEqual([]);
  });
});
