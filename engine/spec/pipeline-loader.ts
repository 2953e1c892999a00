// The spec stage: bytes → YAML with positions → schema check → semantic
// checks → typed Pipeline. It collects every diagnostic in one pass.
import { byPosition, isError, type Diagnostic } from '../diagnostics.js';
import type { JsonSchema, TaskTypeDefinition } from '../task-types.js';
import { CheckContext } from './check-context.js';
import { checkDependencies } from './dependency-check.js';
import type { Pipeline } from './model.js';
import { toPipeline } from './normalize.js';
import { buildPipelineSchema } from './pipeline-schema.js';
import { checkReferences } from './reference-check.js';
import { checkSchema, compileSchema, schemaHash, type PrecompiledValidator, type SchemaValidator } from './schema-check.js';
import { checkParameters, checkRetryBounds, checkSchedule } from './settings-check.js';
import { decodePipelineBytes, readPipelineFile, type SourceText } from './source-file.js';
import type { TaskGraph } from './task-graph.js';
import { parseYaml, type YamlDocument } from './yaml-document.js';

export interface LoadedPipeline {
  file: string;
  /** The file's text, when it could be read as text (for printing source lines). */
  text?: string;
  diagnostics: Diagnostic[];
  /** Present when there is no error (warnings allowed). */
  pipeline?: Pipeline;
  graph?: TaskGraph;
  /** The parsed document, for checks across pipelines. */
  yaml?: YamlDocument;
}

export class PipelineLoader {
  readonly schema: JsonSchema;
  private validator?: SchemaValidator;
  private readonly builtinTypes: ReadonlySet<string>;

  /**
   * `precompiled`: a validator written by the build (standaloneValidatorSource);
   * it is used only if it was built from exactly this schema.
   */
  constructor(taskTypes: readonly TaskTypeDefinition[], options: { precompiled?: PrecompiledValidator } = {}) {
    this.schema = buildPipelineSchema(taskTypes);
    this.builtinTypes = new Set(taskTypes.map((t) => t.name));
    if (options.precompiled?.schemaHash === schemaHash(this.schema)) this.validator = options.precompiled.validate;
  }

  /** Whether validation runs on the build's precompiled validator (for the benchmark). */
  get usesPrecompiledValidator(): boolean {
    return this.validator !== undefined;
  }

  loadFile(file: string): LoadedPipeline {
    return this.fromSource(file, readPipelineFile(file));
  }

  loadText(file: string, text: string): LoadedPipeline {
    return this.fromSource(file, decodePipelineBytes(file, Buffer.from(text, 'utf8')));
  }

  private fromSource(file: string, source: SourceText): LoadedPipeline {
    if (!source.ok) return { file, diagnostics: [source.diagnostic] };
    const parsed = parseYaml(file, source.text);
    if (!parsed.ok) return { file, text: source.text, diagnostics: parsed.diagnostics.sort(byPosition) };
    const yaml = parsed.yaml;

    this.validator ??= compileSchema(this.schema);
    const diagnostics = checkSchema(yaml, this.validator);
    const ctx = new CheckContext(yaml);
    const graph = checkDependencies(ctx);
    const usedParameters = checkReferences(ctx, graph);
    checkParameters(ctx, usedParameters);
    checkRetryBounds(ctx);
    checkSchedule(ctx);
    diagnostics.push(...ctx.diagnostics);

    const unique = dedupe(diagnostics).sort(byPosition);
    const result: LoadedPipeline = { file, text: source.text, diagnostics: unique, yaml };
    if (!unique.some(isError)) {
      result.pipeline = toPipeline(yaml.value as Record<string, unknown>, file, source.text, this.builtinTypes);
      result.graph = graph;
    }
    return result;
  }
}

/** Two checks can find the same problem (e.g. a schema type error and a semantic one); say it once. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
