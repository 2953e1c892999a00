// Model URIs and names: `models:/<name>/<version>` and
// `models:/<name>@<alias>`, read strictly, with errors that show the forms
// that work. Used by the registry, the tasks that take models, and the CLI.
import { UsageError } from '../diagnostics.js';

export const MODEL_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
/** Aliases start with a letter or `_`, so that `models:/x@3` cannot be mistaken for a version. */
export const MODEL_ALIAS_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `models:/<name>/<version>` or `models:/<name>@<alias>`: exactly one of `version` and `alias` is set. */
export interface ModelUri {
  name: string;
  version?: number;
  alias?: string;
}

export type ModelRegistryFailure = 'bad-uri' | 'bad-name' | 'bad-alias' | 'unknown-model' | 'unknown-version' | 'unknown-alias';

/** A model URI, name, version or alias that is malformed or does not exist; `reason` says which. */
export class ModelRegistryError extends UsageError {
  constructor(message: string, readonly reason: ModelRegistryFailure) {
    super(message);
    this.name = 'ModelRegistryError';
  }
}

const URI_FORMS = 'write models:/<name>/<version> or models:/<name>@<alias>, e.g. models:/churn/3 or models:/churn@champion';

export function isModelUri(text: string): boolean {
  return text.trim().startsWith('models:');
}

export function parseModelUri(text: string): ModelUri {
  const trimmed = text.trim();
  const bad = (why: string) => new ModelRegistryError(`'${text}' is not a model URI${why}; ${URI_FORMS}`, 'bad-uri');
  if (!trimmed.startsWith('models:')) {
    throw bad(/^[A-Za-z0-9_.-]+(?:\/\d+|@[A-Za-z_][A-Za-z0-9_-]*)$/.test(trimmed) ? ` (did you mean models:/${trimmed}?)` : '');
  }
  if (trimmed.startsWith('models://')) throw bad(' (one slash after models:, not two)');
  const match = /^models:\/([^/@]*)(?:\/([^/@]*)|@([^/@]*))?$/.exec(trimmed);
  if (!match) throw bad('');
  const [, name, version, alias] = match as unknown as [string, string, string | undefined, string | undefined];
  if (name === '') throw bad(' (the model name is missing)');
  if (!MODEL_NAME_PATTERN.test(name)) throw bad(` (a model name has only letters, digits, '_', '.' and '-')`);
  if (version === undefined && alias === undefined) throw bad(' (it names no version or alias)');
  if (version !== undefined) {
    if (!/^[1-9]\d*$/.test(version) || !Number.isSafeInteger(Number(version))) {
      throw bad(` (a version is a whole number from 1${/^[A-Za-z_]/.test(version) ? `; for an alias write models:/${name}@${version}` : ''})`);
    }
    return { name, version: Number(version) };
  }
  if (!MODEL_ALIAS_PATTERN.test(alias!)) throw bad(` (an alias starts with a letter and has only letters, digits, '_' and '-')`);
  return { name, alias: alias! };
}

export function formatModelUri(uri: ModelUri): string {
  return uri.alias !== undefined ? `models:/${uri.name}@${uri.alias}` : `models:/${uri.name}/${uri.version}`;
}

export function checkModelName(name: string, where = 'model name'): void {
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw new ModelRegistryError(`${where} '${name}' may have only letters, digits, '_', '.' and '-'`, 'bad-name');
  }
}

export function checkAliasName(alias: string, where = 'alias'): void {
  if (!MODEL_ALIAS_PATTERN.test(alias)) {
    throw new ModelRegistryError(`${where} '${alias}' must start with a letter or '_' and have only letters, digits, '_' and '-'`, 'bad-alias');
  }
}
