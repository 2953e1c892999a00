// Small dense linear algebra on row-major square matrices in Float64Arrays:
// the Cholesky factorization the Newton and ridge solvers need, and the
// weighted Gram sums (Σ w·x_a·x_b over rows) that build their matrices.

/** Rows per block when sweeping feature-major data: the block's columns stay in cache across all feature pairs. */
export const ROW_BLOCK = 2048;

/**
 * Factors `matrix` (size × size, symmetric; only the lower triangle is read)
 * in place into L with L·Lᵀ = matrix, in the lower triangle. Returns -1 on
 * success, or the index of the first pivot that is not clearly positive
 * (≤ `relativePivotFloor` × the original diagonal entry): the matrix is then
 * singular or nearly so, that column being (almost) a combination of the
 * earlier ones.
 */
export function choleskyInPlace(matrix: Float64Array, size: number, relativePivotFloor = 1e-13): number {
  for (let j = 0; j < size; j++) {
    const rowJ = j * size;
    let pivot = matrix[rowJ + j]!;
    const original = pivot;
    for (let k = 0; k < j; k++) pivot -= matrix[rowJ + k]! * matrix[rowJ + k]!;
    if (!(pivot > relativePivotFloor * Math.abs(original)) || !(pivot > 0)) return j;
    const diagonal = Math.sqrt(pivot);
    matrix[rowJ + j] = diagonal;
    for (let i = j + 1; i < size; i++) {
      const rowI = i * size;
      let sum = matrix[rowI + j]!;
      for (let k = 0; k < j; k++) sum -= matrix[rowI + k]! * matrix[rowJ + k]!;
      matrix[rowI + j] = sum / diagonal;
    }
  }
  return -1;
}

/** Solves (L·Lᵀ)·x = rhs in place, L from `choleskyInPlace`. */
export function choleskySolveInPlace(factor: Float64Array, size: number, rhs: Float64Array): void {
  for (let i = 0; i < size; i++) {
    const rowI = i * size;
    let sum = rhs[i]!;
    for (let k = 0; k < i; k++) sum -= factor[rowI + k]! * rhs[k]!;
    rhs[i] = sum / factor[rowI + i]!;
  }
  for (let i = size - 1; i >= 0; i--) {
    let sum = rhs[i]!;
    for (let k = i + 1; k < size; k++) sum -= factor[k * size + i]! * rhs[k]!;
    rhs[i] = sum / factor[i * size + i]!;
  }
}

/** Where a Gram block goes in a larger row-major matrix. */
export interface GramTarget {
  matrix: Float64Array;
  /** Row length of `matrix`. */
  stride: number;
  /** Index of the block's (0, 0) entry. */
  offset: number;
}

/** Working space for `addWeightedGram`: two weighted columns of one row block. */
export interface GramScratch {
  first: Float64Array;
  second: Float64Array;
}

export function gramScratch(): GramScratch {
  return { first: new Float64Array(ROW_BLOCK), second: new Float64Array(ROW_BLOCK) };
}

/**
 * Adds Σ_rows weight·x_a·x_b for rows [start, start + length) (at most
 * ROW_BLOCK) to the upper triangle (a ≤ b) of a (F+1)×(F+1) block, where
 * x_0..x_{F-1} are the columns and x_F = 1 (the intercept); `weights[i]`
 * belongs to row start + i. This is where Newton and ridge spend their time:
 * column pairs are swept over a block of rows that stays in cache, two rows
 * of the block by four columns at a time, so that each value loaded feeds
 * several multiply-adds.
 */
export function addWeightedGram(
  columns: Float64Array[], start: number, length: number, weights: Float64Array, scratch: GramScratch, target: GramTarget,
): void {
  const features = columns.length;
  let a = 0;
  for (; a + 1 < features; a += 2) {
    const sumFirst = weightColumn(columns[a]!, start, length, weights, scratch.first);
    const sumSecond = weightColumn(columns[a + 1]!, start, length, weights, scratch.second);
    addTwoGramRows(columns, a, start, length, scratch, target);
    target.matrix[target.offset + a * target.stride + features]! += sumFirst;
    target.matrix[target.offset + (a + 1) * target.stride + features]! += sumSecond;
  }
  if (a < features) {
    const sum = weightColumn(columns[a]!, start, length, weights, scratch.first);
    addOneGramRow(columns, a, start, length, scratch.first, target);
    target.matrix[target.offset + a * target.stride + features]! += sum;
  }
  let totalWeight = 0;
  for (let i = 0; i < length; i++) totalWeight += weights[i]!;
  target.matrix[target.offset + features * target.stride + features]! += totalWeight;
}

/** weighted[i] = weights[i]·column[start + i]; returns their sum. */
function weightColumn(column: Float64Array, start: number, length: number, weights: Float64Array, weighted: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const value = weights[i]! * column[start + i]!;
    weighted[i] = value;
    sum += value;
  }
  return sum;
}

/** Rows a and a+1 of the Gram block, columns b ≥ a (entry (a+1, a) is its symmetric twin, harmless). */
function addTwoGramRows(
  columns: Float64Array[], a: number, start: number, length: number, scratch: GramScratch, target: GramTarget,
): void {
  const { first, second } = scratch;
  const { matrix, stride, offset } = target;
  const rowFirst = offset + a * stride;
  const rowSecond = rowFirst + stride;
  let b = a;
  for (; b + 3 < columns.length; b += 4) {
    const c0 = columns[b]!, c1 = columns[b + 1]!, c2 = columns[b + 2]!, c3 = columns[b + 3]!;
    let f0 = 0, f1 = 0, f2 = 0, f3 = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0; i < length; i++) {
      const row = start + i;
      const x = first[i]!, y = second[i]!;
      const v0 = c0[row]!, v1 = c1[row]!, v2 = c2[row]!, v3 = c3[row]!;
      f0 += x * v0; f1 += x * v1; f2 += x * v2; f3 += x * v3;
      s0 += y * v0; s1 += y * v1; s2 += y * v2; s3 += y * v3;
    }
    matrix[rowFirst + b]! += f0; matrix[rowFirst + b + 1]! += f1; matrix[rowFirst + b + 2]! += f2; matrix[rowFirst + b + 3]! += f3;
    matrix[rowSecond + b]! += s0; matrix[rowSecond + b + 1]! += s1; matrix[rowSecond + b + 2]! += s2; matrix[rowSecond + b + 3]! += s3;
  }
  for (; b < columns.length; b++) {
    const column = columns[b]!;
    let f = 0, s = 0;
    for (let i = 0; i < length; i++) {
      const value = column[start + i]!;
      f += first[i]! * value;
      s += second[i]! * value;
    }
    matrix[rowFirst + b]! += f;
    matrix[rowSecond + b]! += s;
  }
}

function addOneGramRow(columns: Float64Array[], a: number, start: number, length: number, weighted: Float64Array, target: GramTarget): void {
  const rowStart = target.offset + a * target.stride;
  for (let b = a; b < columns.length; b++) {
    const column = columns[b]!;
    let sum = 0;
    for (let i = 0; i < length; i++) sum += weighted[i]! * column[start + i]!;
    target.matrix[rowStart + b]! += sum;
  }
}

/** Copies the upper triangle of a symmetric row-major matrix onto its lower triangle. */
export function mirrorUpperTriangle(matrix: Float64Array, size: number): void {
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) matrix[j * size + i] = matrix[i * size + j]!;
  }
}

/**
 * out[i] += Σ_f coefficients[first + f]·columns[f][start + i] for i < length:
 * a block of rows' linear predictor, four columns per pass over `out`.
 */
export function addLinearCombination(
  columns: Float64Array[], coefficients: Float64Array, first: number, start: number, length: number, out: Float64Array,
): void {
  let f = 0;
  for (; f + 3 < columns.length; f += 4) {
    const w0 = coefficients[first + f]!, w1 = coefficients[first + f + 1]!;
    const w2 = coefficients[first + f + 2]!, w3 = coefficients[first + f + 3]!;
    const c0 = columns[f]!, c1 = columns[f + 1]!, c2 = columns[f + 2]!, c3 = columns[f + 3]!;
    for (let i = 0; i < length; i++) {
      const row = start + i;
      out[i]! += w0 * c0[row]! + w1 * c1[row]! + w2 * c2[row]! + w3 * c3[row]!;
    }
  }
  for (; f < columns.length; f++) {
    const weight = coefficients[first + f]!;
    const column = columns[f]!;
    for (let i = 0; i < length; i++) out[i]! += weight * column[start + i]!;
  }
}

/**
 * out[first + f] += Σ_i vector[i]·columns[f][start + i] for every column f:
 * a block of rows' contribution to a gradient, four dot products per pass.
 */
export function addColumnDots(
  columns: Float64Array[], vector: Float64Array, start: number, length: number, out: Float64Array, first: number,
): void {
  let f = 0;
  for (; f + 3 < columns.length; f += 4) {
    const c0 = columns[f]!, c1 = columns[f + 1]!, c2 = columns[f + 2]!, c3 = columns[f + 3]!;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0; i < length; i++) {
      const row = start + i;
      const value = vector[i]!;
      s0 += value * c0[row]!; s1 += value * c1[row]!; s2 += value * c2[row]!; s3 += value * c3[row]!;
    }
    out[first + f]! += s0; out[first + f + 1]! += s1; out[first + f + 2]! += s2; out[first + f + 3]! += s3;
  }
  for (; f < columns.length; f++) {
    const column = columns[f]!;
    let sum = 0;
    for (let i = 0; i < length; i++) sum += vector[i]! * column[start + i]!;
    out[first + f]! += sum;
  }
}
