// "Did you mean …?" for misspelled keys, task keys, parameters and enum values.
// fastest-levenshtein is a small, well-kept edit-distance library: distance is
// not our core, and its implementation is faster than a naive one on long keys.
import { distance } from 'fastest-levenshtein';

/** The candidate closest to `word`, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates]; // may be a one-shot iterator such as map.keys()
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of list) {
    if (candidate === word) continue;
    const candidateLower = candidate.toLowerCase();
    if (candidateLower === lower) return candidate;
    // Separators differ more often than letters: depends-on, dependsOn, depends_on.
    if (normalizeSeparators(candidateLower) === normalizeSeparators(lower)) return candidate;
    // Two swapped letters (trian → train) are one slip, though two edits.
    const d = isAdjacentSwap(lower, candidateLower) ? 1 : distance(lower, candidateLower);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // One or two letters are too short for an edit distance to mean anything.
  const allowed = word.length < 3 ? 0 : Math.max(1, Math.floor(word.length / 3));
  if (bestDistance <= allowed) return best;
  return containingPart(lower, list);
}

function isAdjacentSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const differ: number[] = [];
  for (let i = 0; i < a.length && differ.length <= 2; i++) if (a[i] !== b[i]) differ.push(i);
  const [i, j] = differ;
  return differ.length === 2 && j === i! + 1 && a[i!] === b[j] && a[j] === b[i!];
}

/** A word that is one whole part of exactly one candidate: retries → max_retries. */
function containingPart(lower: string, candidates: readonly string[]): string | undefined {
  if (lower.length < 4) return undefined;
  const matches = candidates.filter((c) => c.toLowerCase().split(/[-_.]/).includes(lower));
  return matches.length === 1 ? matches[0] : undefined;
}

function normalizeSeparators(s: string): string {
  return s.replace(/[-_. ]/g, '');
}

/** `; did you mean 'x'?` or an empty string, ready to append to a message. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : `; did you mean '${match}'?`;
}

/** The did-you-mean hint when a candidate is close, else `; <otherwise>` (advice for when nothing is close). */
export function hint(word: string, candidates: Iterable<string>, otherwise: string): string {
  return didYouMean(word, candidates) || `; ${otherwise}`;
}

/** `a, b or c` for messages that list the allowed choices. */
export function listChoices(choices: readonly string[], conjunction = 'or'): string {
  if (choices.length <= 1) return choices.join('');
  return `${choices.slice(0, -1).join(', ')} ${conjunction} ${choices[choices.length - 1]}`;
}
