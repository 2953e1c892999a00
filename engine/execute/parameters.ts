// The parameters a run starts with: the pipeline's defaults overridden by
// `--param name=value`, each checked against its declared type.
import { UsageError } from '../diagnostics.js';
import type { Pipeline } from '../spec/model.js';
import { hint, listChoices } from '../suggest.js';

/** Parses `name=value` strings (the value may contain '='). */
export function parseParameterArguments(args: readonly string[]): Record<string, string> {
  const given: Record<string, string> = {};
  for (const arg of args) {
    const equals = arg.indexOf('=');
    if (equals <= 0) throw new UsageError(`--param ${JSON.stringify(arg)} is not name=value (e.g. --param epochs=10)`);
    given[arg.slice(0, equals)] = arg.slice(equals + 1);
  }
  return given;
}

export function resolveParameters(pipeline: Pipeline, given: Readonly<Record<string, string>>): Record<string, string> {
  const declared = new Map(pipeline.parameters.map((p) => [p.name, p]));
  for (const name of Object.keys(given)) {
    if (!declared.has(name)) {
      const names = [...declared.keys()];
      const fallback = names.length > 0 ? `it declares ${listChoices(names)}` : 'it declares no parameters';
      throw new UsageError(`pipeline '${pipeline.name}' has no parameter '${name}'${hint(name, names, fallback)}`);
    }
  }
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const parameter of pipeline.parameters) {
    const value = given[parameter.name] ?? (parameter.default === undefined ? undefined : String(parameter.default));
    if (value === undefined) {
      missing.push(parameter.name);
      continue;
    }
    const problem = typeProblem(parameter.type, value);
    if (problem) throw new UsageError(`parameter '${parameter.name}' must be ${problem}, got ${JSON.stringify(value)}`);
    values[parameter.name] = value;
  }
  if (missing.length > 0) {
    throw new UsageError(`pipeline '${pipeline.name}' needs ${missing.map((m) => `--param ${m}=…`).join(' ')} (no default)`);
  }
  return values;
}

function typeProblem(type: string, value: string): string | undefined {
  switch (type) {
    case 'number': return value.trim() !== '' && Number.isFinite(Number(value)) ? undefined : 'a number';
    case 'integer': return /^[-+]?\d+$/.test(value.trim()) ? undefined : 'an integer';
    case 'boolean': return value === 'true' || value === 'false' ? undefined : 'true or false';
    default: return undefined;
  }
}
