// Where the time of one loadFile goes: the steps of the fast path of
// PipelineLoader.fromSource (engine/spec/pipeline-loader.ts: a valid file,
// parsed by js-yaml, never touching the `yaml` library) run one by one and
// timed. It mirrors that method; when the loader gains or reorders a step,
// update PHASES here.
import { performance } from 'node:perf_hooks';
import { CheckContext } from '../engine/spec/check-context.js';
import { checkDependencies } from '../engine/spec/dependency-check.js';
import { toPipeline } from '../engine/spec/normalize.js';
import type { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { checkReferences } from '../engine/spec/reference-check.js';
import { checkSchema, compileSchema, type PrecompiledValidator, type SchemaValidator } from '../engine/spec/schema-check.js';
import { checkParameters, checkRetryBounds, checkSchedule } from '../engine/spec/settings-check.js';
import { readPipelineFile } from '../engine/spec/source-file.js';
import type { TaskGraph } from '../engine/spec/task-graph.js';
import { parseYamlFast } from '../engine/spec/fast-yaml.js';
import { builtinTaskTypes } from '../tasks/index.js';
import { describeError, withDeepStacks } from './measure.js';

export const PHASES = ['read', 'parseYamlFast', 'checkSchema', 'CheckContext', 'checkDependencies', 'checkReferences', 'settings', 'toPipeline'] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseTimes {
  ms: Partial<Record<Phase, number>>;
  /** The phase that threw, with the error and the first frame in Sluice's own code. */
  crash?: { phase: Phase; message: string };
}

/** The same validator the loader uses: the build's precompiled one when it matches the schema. */
export async function schemaValidator(loader: PipelineLoader): Promise<SchemaValidator> {
  if (loader.usesPrecompiledValidator) {
    const precompiled = (await import('../generated/pipeline-validator.js' as string)) as PrecompiledValidator;
    return precompiled.validate;
  }
  return compileSchema(loader.schema);
}

export function timePhases(file: string, validate: SchemaValidator): PhaseTimes {
  return withDeepStacks(() => timeSteps(file, validate));
}

function timeSteps(file: string, validate: SchemaValidator): PhaseTimes {
  const ms: PhaseTimes['ms'] = {};
  let current: Phase = 'read';
  const step = <T>(phase: Phase, fn: () => T): T => {
    current = phase;
    const start = performance.now();
    const value = fn();
    ms[phase] = (ms[phase] ?? 0) + performance.now() - start;
    return value;
  };
  try {
    const source = step('read', () => readPipelineFile(file));
    if (!source.ok) throw new Error(source.diagnostic.message);
    const parsed = step('parseYamlFast', () => parseYamlFast(source.text));
    if (!parsed.ok) throw new Error('js-yaml refused the file; a generated pipeline must be plain YAML');
    const value = parsed.value;
    step('checkSchema', () => checkSchema(value, validate));
    const ctx = step('CheckContext', () => new CheckContext(value));
    const graph: TaskGraph | undefined = step('checkDependencies', () => checkDependencies(ctx));
    const used = step('checkReferences', () => checkReferences(ctx, graph));
    step('settings', () => {
      checkParameters(ctx, used);
      checkRetryBounds(ctx);
      checkSchedule(ctx);
    });
    const builtinTypes = new Set(builtinTaskTypes.map((t) => t.name));
    step('toPipeline', () => toPipeline(value as Record<string, unknown>, file, source.text, builtinTypes));
    return { ms };
  } catch (error) {
    return { ms, crash: { phase: current, message: describeError(error) } };
  }
}
