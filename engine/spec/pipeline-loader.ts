// The spec stage: bytes → plain value → schema check → semantic checks →
// typed Pipeline, collecting every finding in one pass. A valid file never
// needs source positions, so it is read with the fast parser alone; a file
// with findings is read again with positions to place them (fast-yaml.ts).
import { byPosition, isError, type Diagnostic } from '../diagnostics.js';
import type { JsonSchema, TaskTypeDefinition } from '../task-types.js';
import { CheckContext } from './check-context.js';
import { checkDependencies } from './dependency-check.js';
import { parseYamlFast } from './fast-yaml.js';
import type { Finding } from './finding.js';
import type { Pipeline } from './model.js';
import { toPipeline } from './normalize.js';
import { buildPipelineSchema } from './pipeline-schema.js';
import { checkReferences } from './reference-check.js';
import { checkSchema, compileSchema, schemaHash, type PrecompiledValidator, type SchemaValidator } from './schema-check.js';
import { checkParameters, checkRetryBounds, checkSchedule } from './settings-check.js';
import { decodePipelineBytes, readPipelineFile, type SourceText } from './source-file.js';
import type { TaskGraph } from './task-graph.js';
import { checkTriggers } from './trigger-check.js';
import { locateFindings, parseYaml } from './yaml-document.js';

export interface LoadedPipeline {
  file: string;
  /** The file's text, when it could be read as text (for printing source lines). */
  text?: string;
  diagnostics: Diagnostic[];
  /** Present when there is no error (warnings allowed). */
  pipeline?: Pipeline;
  graph?: TaskGraph;
  /** The plain value of the document, for checks across pipelines. */
  value?: unknown;
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
    const text = source.text;
    const fast = parseYamlFast(text);
    if (fast.ok) {
      const checked = this.check(fast.value);
      if (checked.findings.length === 0) {
        return { file, text, diagnostics: [], value: fast.value, pipeline: this.toPipeline(fast.value, file, text), graph: checked.graph };
      }
    }
    // Something to report: the `yaml` library reads the file again, with
    // positions, and has the last word (it also finds what js-yaml refused).
    const parsed = parseYaml(file, text);
    if (!parsed.ok) return { file, text, diagnostics: parsed.diagnostics.sort(byPosition) };
    const value = parsed.yaml.value;
    const checked = this.check(value);
    const diagnostics = dedupe(locateFindings(parsed.yaml, checked.findings)).sort(byPosition);
    const result: LoadedPipeline = { file, text, diagnostics, value };
    if (!diagnostics.some(isError)) {
      result.pipeline = this.toPipeline(value, file, text);
      result.graph = checked.graph;
    }
    return result;
  }

  private check(value: unknown): { findings: Finding[]; graph?: TaskGraph } {
    this.validator ??= compileSchema(this.schema);
    const findings = checkSchema(value, this.validator);
    const ctx = new CheckContext(value);
    const graph = checkDependencies(ctx);
    checkParameters(ctx, checkReferences(ctx, graph));
    checkRetryBounds(ctx);
    checkSchedule(ctx);
    checkTriggers(ctx);
    findings.push(...ctx.findings);
    return { findings, graph };
  }

  private toPipeline(value: unknown, file: string, text: string): Pipeline {
    return toPipeline(value as Record<string, unknown>, file, text, this.builtinTypes);
  }
}

/** Adds findings made after loading (checks across pipelines) to a loaded file. */
export function addFindings(item: LoadedPipeline, findings: readonly Finding[]): void {
  if (findings.length === 0 || item.text === undefined) return;
  const parsed = parseYaml(item.file, item.text);
  if (!parsed.ok) return;
  item.diagnostics.push(...locateFindings(parsed.yaml, findings));
  item.diagnostics.sort(byPosition);
  if (item.diagnostics.some(isError)) {
    delete item.pipeline;
    delete item.graph;
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
