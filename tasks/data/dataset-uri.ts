// `dataset://<name>[@<version>]`: how tasks name a dataset version. Without a
// version it means the latest one.
import { TaskInputError } from '../runtime/task-context.js';

export interface DatasetReference {
  name: string;
  version?: number;
}

const PATTERN = /^dataset:\/\/([A-Za-z][A-Za-z0-9_.-]*)(?:@(\d+))?$/;

export const DATASET_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_.-]*$';

export function parseDatasetUri(text: string, where: string): DatasetReference {
  const match = PATTERN.exec(text.trim());
  if (!match) {
    throw new TaskInputError(`${where}: '${text}' is not a dataset URI; write dataset://<name> or dataset://<name>@<version>, e.g. dataset://customers@3`);
  }
  return { name: match[1]!, ...(match[2] === undefined ? {} : { version: Number(match[2]) }) };
}

export function formatDatasetUri(name: string, version: number): string {
  return `dataset://${name}@${version}`;
}
