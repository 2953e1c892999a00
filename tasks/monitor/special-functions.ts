// The two distribution tails the drift tests need: the chi-square survival
// function (through the regularized upper incomplete gamma function) and the
// limiting Kolmogorov distribution's. Both are written here rather than taken
// from a library: they are a few dozen lines, npm has no small well-kept
// package that gives the far tails (p ≈ 1e-33 and below) to full relative
// precision, and the drift fixture checks them against SciPy.

const LOG_SQRT_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln Γ(x) for x > 0: Stirling's series from x ≥ 15, where five terms are
 * exact to double precision, and below that the recurrence
 * Γ(x) = Γ(x + k) / (x (x + 1) … (x + k − 1)) to get there.
 */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, not ${x}`);
  let shift = 0;
  let product = 1;
  while (x + shift < 15) {
    product *= x + shift;
    shift++;
  }
  const z = x + shift;
  const inverse = 1 / z;
  const inverse2 = inverse * inverse;
  const series = inverse * (1 / 12 - inverse2 * (1 / 360 - inverse2 * (1 / 1260 - inverse2 * (1 / 1680 - inverse2 / 1188))));
  return (z - 0.5) * Math.log(z) - z + LOG_SQRT_TWO_PI + series - Math.log(product);
}

const EPSILON = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

/**
 * Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function.
 * Below x = a + 1 the power series of P = 1 − Q converges fast and Q is not
 * small, so 1 − P loses nothing; above it Legendre's continued fraction for Q
 * (evaluated with the modified Lentz method) converges fast and keeps Q's
 * relative precision however far out in the tail.
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`regularizedGammaQ needs a > 0, not ${a}`);
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  // ln of x^a e^(-x) / Γ(a), the factor both expansions share.
  const logFront = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < MAX_ITERATIONS; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
    }
    return Math.max(0, 1 - sum * Math.exp(logFront));
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let fraction = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    fraction *= step;
    if (Math.abs(step - 1) < EPSILON) break;
  }
  return Math.exp(logFront) * fraction;
}

/** P(X² ≥ x) for a chi-square variable with `dof` degrees of freedom. */
export function chiSquareSurvival(x: number, dof: number): number {
  if (!(dof > 0)) throw new RangeError(`chi-square needs at least one degree of freedom, not ${dof}`);
  return regularizedGammaQ(dof / 2, x / 2);
}

/**
 * The Kolmogorov limit: P(K > λ) = 2 Σ_{k≥1} (−1)^(k−1) e^(−2k²λ²), the
 * asymptotic p-value of the two-sample KS test with λ = D √(nm / (n + m))
 * (SciPy's kstwobign.sf). The alternating series needs many terms and cancels
 * badly for small λ, so below λ = 1 the equivalent theta-function form of the
 * distribution function, √(2π)/λ Σ_{k≥1} e^(−(2k−1)²π²/(8λ²)), is used and
 * subtracted from 1 (the survival is above 0.27 there, so nothing is lost).
 */
export function kolmogorovSurvival(lambda: number): number {
  if (Number.isNaN(lambda)) return Number.NaN;
  if (lambda <= 0) return 1;
  if (lambda < 1) {
    const factor = -(Math.PI * Math.PI) / (8 * lambda * lambda);
    let sum = 0;
    for (let k = 1; k < 100; k++) {
      const odd = 2 * k - 1;
      const term = Math.exp(factor * odd * odd);
      sum += term;
      if (term <= sum * EPSILON) break;
    }
    return 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum;
  }
  let sum = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term <= Math.abs(sum) * EPSILON) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}
