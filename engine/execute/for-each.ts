// The data side of a for_each task: its inputs, rendered, and the fan-in of
// its iterations' values.
import { renderWithScope, type ReferenceScope } from './references.js';

/** The inputs as a list: a YAML list (references in its strings rendered) or a string holding a JSON array. */
export function renderLoopInputs(inputs: string | unknown[], scope: ReferenceScope): unknown[] {
  const render = (value: unknown): unknown => {
    if (typeof value === 'string') return renderWithScope(value, scope);
    if (Array.isArray(value)) return value.map(render);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v)]));
    return value;
  };
  if (Array.isArray(inputs)) return inputs.map(render);
  const text = renderWithScope(inputs, scope);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`for_each inputs are not a JSON array: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`for_each inputs must be a JSON array, not ${JSON.stringify(text.slice(0, 200))}`);
  return parsed;
}

/** Each value name of any iteration → a JSON array of that value per iteration, in input order. */
export function fanInValues(iterations: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const names = new Set(iterations.flatMap((values) => Object.keys(values)));
  const values: Record<string, string> = {};
  for (const name of names) values[name] = JSON.stringify(iterations.map((v) => asJsonElement(v[name])));
  return values;
}

/**
 * A value as an element of a fan-in array: JSON literals written exactly as
 * JSON would (0.91, true, [1,2]) keep their type, anything else is a string.
 */
function asJsonElement(value: string | undefined): unknown {
  if (value === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(value);
    if (JSON.stringify(parsed) === value) return parsed;
  } catch {
    // Not JSON: a string.
  }
  return value;
}
