// Validates a parsed pipeline against the JSON Schema with ajv and turns its
// errors into located diagnostics with plain-language messages.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { closest, didYouMean, listChoices } from '../suggest.js';
import type { JsonSchema } from '../task-types.js';
import { describeOwner, describeSubject, isRecord, truncate, valueAt, yamlTypeName } from './path-names.js';
import { PATTERN_RULES } from './pipeline-schema.js';
import type { Finding, PathSegment } from './finding.js';

export type SchemaValidator = ValidateFunction;

/** What the module written by standaloneValidatorSource exports. */
export interface PrecompiledValidator {
  validate: SchemaValidator;
  schemaHash: string;
}

// verbose: errors carry their schema, which holds the allowed keys for "did you mean".
// strictRequired would reject the "exactly one type key" idiom: oneOf of { required: [key] }.
// inlineRefs: false keeps one function per definition, which the pipeline and
// its tasks share (health, notifications), instead of a copy at each use.
const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true, inlineRefs: false } as const;

// ajv is loaded only when a schema is compiled: with the build's precompiled
// validator, `sluice validate` never pays for it.
const require = createRequire(import.meta.url);
const loadAjv = (): typeof import('ajv').Ajv => (require('ajv') as typeof import('ajv')).Ajv;

export function compileSchema(schema: JsonSchema): SchemaValidator {
  const Ajv = loadAjv();
  return new Ajv(AJV_OPTIONS).compile(schema);
}

/**
 * The validator as ES module source, for the build to write once: importing
 * ajv and compiling the schema costs ~130 ms, most of a cold `sluice validate`.
 */
export async function standaloneValidatorSource(schema: JsonSchema): Promise<string> {
  // A CommonJS module: its exports object is the default import, and the function is also its .default.
  const standaloneCode = (await import('ajv/dist/standalone/index.js')).default.default;
  const Ajv = loadAjv();
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true } });
  const code = standaloneCode(ajv, ajv.compile(schema));
  // ajv's ESM output still calls require() for its runtime helpers.
  return `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${code}\n` +
    `export const schemaHash = ${JSON.stringify(schemaHash(schema))};\n`;
}

export function schemaHash(schema: JsonSchema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

type AjvError = ErrorObject<string, Record<string, any>, unknown> & { parentSchema?: JsonSchema };

export function checkSchema(value: unknown, validate: SchemaValidator): Finding[] {
  if (validate(value)) return [];
  const errors = (validate.errors ?? []) as AjvError[];
  return new SchemaErrorReporter(value).report(errors);
}

class SchemaErrorReporter {
  constructor(private readonly root: unknown) {}

  report(errors: AjvError[]): Finding[] {
    const out: Finding[] = [];
    const typeChoices = errors.filter(isTypeChoice);
    // A union (string or map, say) whose value has the type of one branch is
    // judged by that branch alone: "outcome must be true or false" helps,
    // "must be a string or a map" about a map does not.
    const unions = errors.filter((e) => e.keyword === 'anyOf' || (e.keyword === 'oneOf' && !isTypeChoice(e)))
      .map((e) => ({ error: e, branch: branchOfType(e) }));
    // Errors of one schema path are about many values (every item of a list):
    // an error is inside a union only when it is also about the union's value.
    const inside = (error: AjvError, outer: AjvError, schemaPrefix = `${outer.schemaPath}/`) =>
      error.schemaPath.startsWith(schemaPrefix) && (error.instancePath === outer.instancePath || error.instancePath.startsWith(`${outer.instancePath}/`));
    const skipped = (error: AjvError) => {
      if (typeChoices.some((choice) => inside(error, choice))) return true;
      return unions.some(({ error: union, branch }) => {
        if (error === union) return branch !== undefined;
        return inside(error, union) && !inside(error, union, `${union.schemaPath}/${branch}/`);
      });
    };
    for (const error of errors) {
      if (skipped(error)) continue;
      const finding = this.describe(error, errors);
      if (finding) out.push(finding);
    }
    return out;
  }

  private describe(error: AjvError, all: AjvError[]): Finding | undefined {
    const path = pathOf(error.instancePath);
    const root = this.root;
    const subject = describeSubject(path, root);
    const p = error.params;
    switch (error.keyword) {
      case 'additionalProperties': {
        const key = String(p.additionalProperty);
        const allowed = Object.keys((error.parentSchema?.properties as object) ?? {});
        return this.at([...path, key], 'key', 'unknown-key',
          `unknown key '${key}' in ${describeOwner(path, root)}${didYouMean(key, allowed)}`);
      }
      case 'required': {
        const missing = String(p.missingProperty);
        if (typoOf(missing, error.instancePath, all)) return undefined; // the unknown-key error names it
        // Point at the key that owns the map (condition:, for_each:); a task in a list has none.
        const part = typeof path[path.length - 1] === 'string' ? 'key' : 'value';
        return this.at(path, part, 'missing-key', `${describeOwner(path, root)} is missing '${missing}'`);
      }
      case 'type':
        return this.at(path, 'value', 'wrong-type', this.typeMessage(path, subject, p.type, error.data));
      case 'maxLength':
        return this.at(path, 'value', 'too-long',
          `${String(path[path.length - 1])} is ${String(error.data).length} characters long; at most ${p.limit} are allowed`);
      case 'enum': {
        const choices = (p.allowedValues as unknown[]).filter((v) => typeof v === 'string') as string[];
        const found = String(error.data);
        return this.at(path, 'value', 'bad-value',
          `${subject} must be one of ${listChoices(choices)}; found ${yamlTypeName(error.data)}${didYouMean(found, choices)}`);
      }
      case 'pattern': {
        const rule = PATTERN_RULES[p.pattern as string] ?? `the pattern ${p.pattern}`;
        if (error.propertyName !== undefined) {
          return this.at([...path, error.propertyName], 'key', 'bad-name', `'${error.propertyName}' in ${describeOwner(path, root)} is not a valid name: use ${rule}`);
        }
        return this.at(path, 'value', 'bad-name', `${String(path[path.length - 1])} '${truncate(String(error.data))}' is not valid: use ${rule}`);
      }
      case 'propertyNames':
        return undefined; // reported by the nested pattern error, which names the key
      case 'minimum':
      case 'maximum':
        return this.at(path, 'value', 'out-of-range',
          `${subject} must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${p.limit}; found ${error.data}`);
      case 'minItems':
        return this.at(path, 'value', 'empty-list', this.emptyListMessage(path, subject));
      case 'minLength':
        return this.at(path, 'value', 'empty-string', `${subject} is empty`);
      case 'uniqueItems':
        return this.at(path, 'value', 'duplicate-item', `${subject} lists ${JSON.stringify((error.data as unknown[])[p.i])} twice`);
      case 'oneOf':
        if (isTypeChoice(error)) return this.typeChoiceMessage(path, error, all);
        return this.at(path, 'value', 'wrong-type', `${subject} must be ${describeUnion(error.schema as JsonSchema[])}; found ${yamlTypeName(error.data)}`);
      case 'anyOf':
        return this.at(path, 'value', 'wrong-type', `${subject} must be ${describeUnion(error.schema as JsonSchema[])}; found ${yamlTypeName(error.data)}`);
      default:
        return this.at(path, 'value', 'schema', `${subject} ${error.message ?? 'is invalid'}`);
    }
  }

  private typeMessage(path: PathSegment[], subject: string, expected: string | string[], data: unknown): Finding['message'] {
    const wanted = listChoices((Array.isArray(expected) ? expected : [expected]).map(typeWord));
    const base = `${subject} must be ${wanted}; found ${yamlTypeName(data)}`;
    const last = path[path.length - 1];
    if (last === 'command' && typeof data === 'string') {
      return `${base}. command takes the program and its arguments as a list, e.g. [python3, train.py]; for a shell line use 'shell:'`;
    }
    if (path.length === 0) return `a pipeline file must be a map with 'name' and 'tasks'; found ${yamlTypeName(data)}`;
    if (isRecord(data)) {
      // `[echo, {{job.name}}]`: unquoted, YAML reads the braces as a map.
      return ({ textOf }) => {
        const written = textOf(path);
        return written?.startsWith('{{') ? `${subject} must be quoted: YAML reads an unquoted {{…}} as a map; write "${written}"` : base;
      };
    }
    return base;
  }

  private emptyListMessage(path: PathSegment[], subject: string): string {
    const last = path[path.length - 1];
    if (path.length === 1 && last === 'tasks') return "the pipeline has no tasks; add at least one under 'tasks'";
    if (last === 'command') return `${subject} is empty; give the program and its arguments, e.g. [python3, train.py]`;
    return `${subject} is empty`;
  }

  /** The "exactly one type key" rule: no type key at all, or more than one. */
  private typeChoiceMessage(path: PathSegment[], error: AjvError, all: AjvError[]): Finding | undefined {
    const task = valueAt(this.root, path);
    if (!isRecord(task)) return undefined;
    const choices = (error.schema as { required: string[] }[]).map((s) => s.required[0]!);
    const present = choices.filter((key) => key in task);
    const owner = describeOwner(path, this.root);
    if (present.length === 0) {
      const typoOfType = all.some((e) => e.keyword === 'additionalProperties' && e.instancePath === error.instancePath &&
        didYouMean(String(e.params.additionalProperty), choices) !== '');
      if (typoOfType) return undefined; // the unknown-key error already suggests the type key
      const where = typeof task.task_key === 'string' ? [...path, 'task_key'] : path;
      return this.at(where, 'value', 'no-task-type', `${owner} has no type; give it one of ${listChoices(choices)}`);
    }
    return this.at([...path, present[1]!], 'key', 'many-task-types',
      `${owner} has ${present.length} types (${present.join(', ')}); a task does one thing, so split it into ${present.length} tasks`);
  }

  private at(path: PathSegment[], part: 'key' | 'value', code: string, message: Finding['message']): Finding {
    return { severity: 'error', code, message, path, part };
  }
}

/** The one branch of an anyOf whose `type` matches the value, when exactly one does. */
function branchOfType(error: AjvError): number | undefined {
  const branches = error.schema as JsonSchema[];
  // A plain word where a choice is allowed is judged as that choice (did you
  // mean 'median'?), not by the reference pattern or number beside it.
  if (typeof error.data === 'string' && !error.data.includes('{{')) {
    const choice = branches.findIndex((branch) => Array.isArray(branch.enum));
    if (choice >= 0) return choice;
  }
  const type = Array.isArray(error.data) ? 'array' : error.data === null ? 'null' : typeof error.data === 'object' ? 'object' : typeof error.data;
  let matching = branches.flatMap((branch, i) => (branch.type === type ? [i] : []));
  // Several kinds of map ({impute: …} or {clip: …}): the one whose key is there.
  if (matching.length > 1 && isRecord(error.data)) {
    const data = error.data;
    matching = matching.filter((i) => ((branches[i]!.required as string[] | undefined) ?? []).every((key) => key in data));
  }
  return matching.length === 1 ? matching[0] : undefined;
}

/** The "exactly one type key" oneOf of a task, as opposed to a oneOf between kinds of value. */
function isTypeChoice(error: AjvError): boolean {
  return error.keyword === 'oneOf' && (error.schema as JsonSchema[]).every((branch) => Array.isArray(branch.required) && branch.type === undefined);
}

/** Whether an unknown key next to a missing one is its misspelling. */
function typoOf(missing: string, instancePath: string, all: AjvError[]): boolean {
  return all.some((e) => e.keyword === 'additionalProperties' && e.instancePath === instancePath &&
    closest(String(e.params.additionalProperty), [missing]) === missing);
}

function describeUnion(branches: JsonSchema[]): string {
  const words = branches.map((branch) => {
    if (Array.isArray(branch.enum)) return `one of ${listChoices((branch.enum as unknown[]).map(String))}`;
    if (branch.type === 'object' && Array.isArray(branch.required)) return `a map with ${(branch.required as string[]).join(', ')}`;
    return typeWord(String(branch.type));
  });
  return listChoices(words);
}

function typeWord(type: string): string {
  switch (type) {
    case 'object': return 'a map';
    case 'array': return 'a list';
    case 'integer': return 'a whole number';
    case 'null': return 'null';
    default: return `a ${type}`;
  }
}

function pathOf(instancePath: string): PathSegment[] {
  if (instancePath === '') return [];
  return instancePath.slice(1).split('/').map((raw) => {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    return /^\d+$/.test(segment) ? Number(segment) : segment;
  });
}
