// Sorts float64 values together with a payload (their row numbers) by a
// least-significant-digit radix sort on their bits: three passes of 16 bits
// over the top 48 bits, then an insertion pass that orders the rare values
// equal in those bits by their full value. The payload tells each row its
// rank, which gives every row its bin without a search.

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const LOW_WORD = LITTLE_ENDIAN ? 0 : 1;
const HIGH_WORD = LITTLE_ENDIAN ? 1 : 0;
const DIGITS = 1 << 16;

/** Working arrays for sorting up to `capacity` values; reusable from one sort to the next. */
export class SortScratch {
  readonly arrays: Uint32Array[];
  readonly counts = new Int32Array(DIGITS);

  constructor(readonly capacity: number) {
    this.arrays = Array.from({ length: 5 }, () => new Uint32Array(capacity));
  }
}

/**
 * Sorts `values` ascending (no NaN allowed) and applies the same permutation
 * to `payload`, in place. −0 sorts just before +0.
 */
export function sortWithPayload(values: Float64Array, payload: Uint32Array, scratch = new SortScratch(values.length)): void {
  radixSort(values, payload, 1, scratch);
  // Many values alike in their top 48 bits (values within ~1e-11 of each other): sort those bits too.
  if (!insertionPass(values, payload, 8 * values.length)) radixSort(values, payload, 0, scratch);
}

/** LSD radix sort on the 16-bit digits firstPass..3 of the order-preserving keys (0 = the lowest). */
function radixSort(values: Float64Array, payload: Uint32Array, firstPass: number, scratch: SortScratch): void {
  const n = values.length;
  if (n < 2) return;
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  const [a, b, c, d, e] = scratch.arrays.map((array) => array.subarray(0, n)) as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let low = a;
  let high = b;
  // Order-preserving unsigned keys: flip every bit of negatives, only the sign bit of the rest.
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + HIGH_WORD]!;
    const lo = words[2 * i + LOW_WORD]!;
    const negative = hi >>> 31 === 1;
    high[i] = negative ? ~hi >>> 0 : (hi | 0x80000000) >>> 0;
    low[i] = negative ? ~lo >>> 0 : lo;
  }
  let items = payload;
  let spareLow = c;
  let spareHigh = d;
  let spareItems = e;
  const counts = scratch.counts;
  for (let pass = firstPass; pass < 4; pass++) {
    const keys = pass < 2 ? low : high;
    const shift = (pass & 1) * 16;
    if (!countDigits(keys, shift, counts)) continue; // every key has the same digit: the pass would not move anything
    for (let i = 0; i < n; i++) {
      const position = counts[(keys[i]! >>> shift) & 0xffff]!++;
      spareLow[position] = low[i]!;
      spareHigh[position] = high[i]!;
      spareItems[position] = items[i]!;
    }
    [low, spareLow] = [spareLow, low];
    [high, spareHigh] = [spareHigh, high];
    [items, spareItems] = [spareItems, items];
  }
  if (items !== payload) payload.set(items);
  for (let i = 0; i < n; i++) {
    const hi = high[i]!;
    const positive = hi >>> 31 === 1;
    words[2 * i + HIGH_WORD] = positive ? hi & 0x7fffffff : ~hi;
    words[2 * i + LOW_WORD] = positive ? low[i]! : ~low[i]!;
  }
}

/**
 * Insertion sort, linear on the nearly sorted values the radix passes leave;
 * gives up (returning false, the arrays still a consistent permutation)
 * after `budget` moves.
 */
function insertionPass(values: Float64Array, payload: Uint32Array, budget: number): boolean {
  let moves = 0;
  for (let i = 1; i < values.length; i++) {
    if (moves > budget) return false;
    const value = values[i]!;
    if (!(value < values[i - 1]!)) continue;
    const item = payload[i]!;
    let j = i - 1;
    while (j >= 0 && values[j]! > value) {
      values[j + 1] = values[j]!;
      payload[j + 1] = payload[j]!;
      j--;
    }
    values[j + 1] = value;
    payload[j + 1] = item;
    moves += i - 1 - j;
  }
  return true;
}

/** Fills `counts` with each digit's start position; false when all keys share one digit. */
function countDigits(keys: Uint32Array, shift: number, counts: Int32Array): boolean {
  counts.fill(0);
  for (let i = 0; i < keys.length; i++) counts[(keys[i]! >>> shift) & 0xffff]!++;
  if (counts[(keys[0]! >>> shift) & 0xffff] === keys.length) return false;
  let start = 0;
  for (let digit = 0; digit < DIGITS; digit++) {
    const count = counts[digit]!;
    counts[digit] = start;
    start += count;
  }
  return true;
}
