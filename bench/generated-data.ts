// The generated classification data of the ML benchmarks: standard-normal
// features and a 0/1 label drawn from a logistic model with linear,
// interaction, periodic and threshold terms (nonlinear but learnable), from
// a seeded generator so every run sees the same rows.
import { seededRandom } from '../tasks/ml/gbdt/seeded-random.js';

/** Draws one row's features into `x` and returns its label. */
export type RowGenerator = (x: Float64Array | number[]) => number;

export function rowGenerator(seed: number): RowGenerator {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return (x) => {
    for (let f = 0; f < x.length; f++) x[f] = normal();
    const logit = 1.2 * x[0]! - 0.8 * x[1]! + 0.6 * x[2]! * x[3]! + Math.sin(2 * x[4]!) + 0.5 * (x[5]! * x[5]! - 1)
      - 0.7 * Math.abs(x[6]!) + (x[7]! > 0.5 ? 0.8 : 0) + 0.3 * x[8]! + 0.3;
    return random() < 1 / (1 + Math.exp(-2 * logit)) ? 1 : 0;
  };
}
