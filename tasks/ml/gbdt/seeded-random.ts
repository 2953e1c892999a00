// A small seeded generator, so that the validation split and the binning
// subsample repeat exactly for a given seed (Math.random cannot be seeded).

/** Uniform numbers in [0, 1) from a 32-bit seed (the mulberry32 generator). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of `values` in place. */
export function shuffleInPlace(values: Uint32Array, random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const kept = values[i]!;
    values[i] = values[j]!;
    values[j] = kept;
  }
}

/** `count` distinct row indices out of 0..n-1, in increasing order. */
export function sampleRows(n: number, count: number, random: () => number): Uint32Array {
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  // A partial Fisher–Yates: the first `count` slots end up a uniform sample.
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i));
    const kept = all[i]!;
    all[i] = all[j]!;
    all[j] = kept;
  }
  return all.slice(0, count).sort();
}
