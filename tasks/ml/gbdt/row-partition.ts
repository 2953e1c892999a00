// Splitting a node's range of the row partition in place: the rows going
// left first, then those going right, each side keeping its order (so the
// histogram loops keep reading memory forward). Rows are written to both
// sides and kept on one by arithmetic, since the side is a coin flip a
// branch would mispredict, and four rows go per iteration because V8 checks
// each typed array once per iteration.

/** A bin that no feature has: `missingBin` when missing values go right. */
export const NO_BIN = 256;

/**
 * Reorders rows[start..stop) by the split "bin ≤ splitBin, or bin ===
 * missingBin, goes left", with `spill` as scratch; returns where the right
 * side starts.
 */
export function partitionRows(
  rows: Uint32Array, spill: Uint32Array, words: Uint32Array, shift: number,
  start: number, stop: number, splitBin: number, missingBin: number,
): number {
  let write = start;
  let spilled = 0;
  let i = start;
  for (; i + 3 < stop; i += 4) {
    const r0 = rows[i]!;
    const r1 = rows[i + 1]!;
    const r2 = rows[i + 2]!;
    const r3 = rows[i + 3]!;
    const l0 = goesLeft((words[r0]! >>> shift) & 255, splitBin, missingBin);
    const l1 = goesLeft((words[r1]! >>> shift) & 255, splitBin, missingBin);
    const l2 = goesLeft((words[r2]! >>> shift) & 255, splitBin, missingBin);
    const l3 = goesLeft((words[r3]! >>> shift) & 255, splitBin, missingBin);
    rows[write] = r0; spill[spilled] = r0; write += l0; spilled += l0 ^ 1;
    rows[write] = r1; spill[spilled] = r1; write += l1; spilled += l1 ^ 1;
    rows[write] = r2; spill[spilled] = r2; write += l2; spilled += l2 ^ 1;
    rows[write] = r3; spill[spilled] = r3; write += l3; spilled += l3 ^ 1;
  }
  for (; i < stop; i++) {
    const row = rows[i]!;
    const left = goesLeft((words[row]! >>> shift) & 255, splitBin, missingBin);
    rows[write] = row; spill[spilled] = row; write += left; spilled += left ^ 1;
  }
  rows.set(spill.subarray(0, spilled), write);
  return write;
}

/** 1 when bin ≤ splitBin or bin === missingBin, else 0, without a branch (bins are 0..255). */
function goesLeft(bin: number, splitBin: number, missingBin: number): number {
  return (((splitBin - bin) >>> 31) ^ 1) | (((bin ^ missingBin) - 1) >>> 31);
}

/**
 * Joins parts of one range, each partitioned on its own as [left | right]
 * with its right side starting at ends[k], into all the lefts then all the
 * rights, in order (what one pass over the whole range gives); returns where
 * the rights start.
 */
export function joinPartitionedParts(rows: Uint32Array, spill: Uint32Array, starts: readonly number[], stop: number, ends: Int32Array): number {
  let spilled = 0;
  let write = starts[0]!;
  for (let part = 0; part < starts.length; part++) {
    const partStop = part + 1 < starts.length ? starts[part + 1]! : stop;
    const end = ends[part]!;
    spill.set(rows.subarray(end, partStop), spilled);
    spilled += partStop - end;
    rows.copyWithin(write, starts[part]!, end);
    write += end - starts[part]!;
  }
  rows.set(spill.subarray(0, spilled), write);
  return write;
}
