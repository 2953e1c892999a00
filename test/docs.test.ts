// Keeps the published schema, the validator and the reference in step: a key
// the code accepts is in the schema, described, and documented with examples
// that really validate.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { buildPipelineSchema } from '../engine/spec/pipeline-schema.js';
import type { JsonSchema } from '../engine/task-types.js';
import { TIME_ARGUMENTS } from '../engine/template/reference-grammar.js';
import { builtinTaskTypes } from '../tasks/index.js';

const schema = buildPipelineSchema(builtinTaskTypes);
const reference = readFileSync('docs/pipeline-reference.md', 'utf8');
const MODELINE = '# yaml-language-server: $schema=../schemas/pipeline.schema.json';

interface Property {
  path: string;
  name: string;
  schema: JsonSchema;
}

/** Every named property anywhere in the schema, with where it sits. */
function properties(node: unknown, path = '#'): Property[] {
  if (typeof node !== 'object' || node === null) return [];
  if (Array.isArray(node)) return node.flatMap((item, i) => properties(item, `${path}/${i}`));
  const out: Property[] = [];
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'properties' || key === 'definitions') {
      for (const [name, child] of Object.entries(value as Record<string, JsonSchema>)) {
        if (key === 'properties') out.push({ path: `${path}/${name}`, name, schema: child });
        out.push(...properties(child, `${path}/${name}`));
      }
    } else if (typeof value === 'object') out.push(...properties(value, `${path}/${key}`));
  }
  return out;
}

function enumValues(node: unknown): string[] {
  if (typeof node !== 'object' || node === null) return [];
  const own = Array.isArray((node as JsonSchema).enum) ? ((node as JsonSchema).enum as unknown[]).filter((v): v is string => typeof v === 'string') : [];
  return [...own, ...Object.values(node as object).flatMap(enumValues)];
}

function completeExamples(): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  const pattern = /```yaml\n([\s\S]*?)```/g;
  for (let match = pattern.exec(reference); match; match = pattern.exec(reference)) {
    const text = match[1]!;
    if (text.startsWith(MODELINE)) blocks.push({ line: reference.slice(0, match.index).split('\n').length + 1, text });
  }
  return blocks;
}

describe('the published schema', () => {
  it('is exactly what the validator uses (run `npm run schema` after changing the language)', () => {
    const published = readFileSync('schemas/pipeline.schema.json', 'utf8');
    expect(published, 'schemas/pipeline.schema.json is stale: run `npm run schema`').toBe(`${JSON.stringify(schema, null, 2)}\n`);
  });

  it('describes every property', () => {
    const undescribed = properties(schema).filter((p) => typeof p.schema.description !== 'string' || p.schema.description === '');
    expect(undescribed.map((p) => p.path)).toEqual([]);
  });
});

describe('the pipeline reference', () => {
  it('documents every key the schema accepts', () => {
    const names = [...new Set(properties(schema).map((p) => p.name))];
    expect(names.length).toBeGreaterThan(40);
    expect(names.filter((name) => !reference.includes(`\`${name}\``))).toEqual([]);
  });

  it('lists every enum value and every time argument', () => {
    const words = [...new Set([...enumValues(schema), ...TIME_ARGUMENTS])];
    expect(words).toContain('at_least_one_failed');
    expect(words.filter((word) => !reference.includes(`\`${word}\``))).toEqual([]);
  });

  it('has complete examples that all validate without errors', () => {
    const loader = new PipelineLoader(builtinTaskTypes);
    const examples = completeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(10);
    for (const { line, text } of examples) {
      const errors = loader.loadText(`docs/pipeline-reference.md:${line}`, text).diagnostics.filter((d) => d.severity === 'error');
      expect(errors.map((d) => `${d.file} +${d.line}: ${d.message}`)).toEqual([]);
    }
  });
});
