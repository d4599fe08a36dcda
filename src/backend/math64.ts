/**
 * Float64 pieces of the reference kernels (ts.ts) that the wasm kernels repeat operation for
 * operation, so that both backends give the same bits: a sparse row sum in a fixed order, and
 * tanh / sigmoid for reservoirs written with + - * / and floor only (assembly/reservoir64.ts
 * has the same code line by line). Math.tanh is implementation-defined (engines differ in the
 * last bit), and a closed-loop forecast amplifies any difference, so a reservoir's states
 * must not depend on the engine or the backend.
 *
 *   exp(v) - 1 = 2^k (1 + p) - 1 = 2^k p + (2^k - 1),  v = k ln2 + r, |r| <= ln2 / 2,
 *   p = expm1(r) by its Taylor series to r^13 (truncation < 2e-17 relative),
 *   tanh(a) = e / (e + 2) with e = expm1(2a) (no cancellation near 0), odd in x,
 *   exp(v) = 2^k (1 + p);  sigmoid(x) = 1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) below.
 * Accuracy: a few ulp (tested against Math.tanh / Math.exp).
 */

const LN2_HI = 6.9314718036912381649e-1; // ln 2 split so k * LN2_HI is exact for |k| < 2^20
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.4426950408889634;

/** expm1(r) for |r| <= ln2 / 2 (Horner; the coefficients are 1/n! as written by Python). */
function expm1Reduced(r: number): number {
  let q = 1.6059043836821613e-10;
  q = 2.08767569878681e-9 + r * q;
  q = 2.505210838544172e-8 + r * q;
  q = 2.755731922398589e-7 + r * q;
  q = 2.7557319223985893e-6 + r * q;
  q = 2.48015873015873e-5 + r * q;
  q = 0.0001984126984126984 + r * q;
  q = 0.001388888888888889 + r * q;
  q = 0.008333333333333333 + r * q;
  q = 0.041666666666666664 + r * q;
  q = 0.16666666666666666 + r * q;
  q = 0.5 + r * q;
  return r + r * (r * q);
}

// 2^k for k in [-1022, 1023], exact (the kernel builds the same numbers from their bits); a
// table because V8's 2 ** k goes through pow and quadruples the cost of tanh.
const POW2 = Float64Array.from({ length: 2046 }, (_, i) => 2 ** (i - 1022));

/** exp(v) - 1 for -708 <= v <= 709. */
export function expm1_64(v: number): number {
  const k = Math.floor(v * INV_LN2 + 0.5);
  const r = v - k * LN2_HI - k * LN2_LO;
  const p = expm1Reduced(r);
  const s = POW2[k + 1022]!; // k = 0: 1 * p + 0 = p, no branch (the kernel's two-lane version has none)
  return s * p + (s - 1);
}

/** exp(v) for -708 <= v <= 709. */
export function exp64(v: number): number {
  const k = Math.floor(v * INV_LN2 + 0.5);
  const r = v - k * LN2_HI - k * LN2_LO;
  return POW2[k + 1022]! * (1 + expm1Reduced(r));
}

export function tanh64(x: number): number {
  const a = x < 0 ? -x : x;
  if (!(a < 20)) return a > 0 ? (x < 0 ? -1 : 1) : x; // tanh(20) is 1 in float64; NaN stays NaN
  const e = expm1_64(2 * a);
  const t = e / (e + 2);
  return x < 0 ? -t : t;
}

export function sigmoid64(x: number): number {
  if (x >= 0) return x > 708 ? 1 : 1 / (1 + exp64(-x));
  if (!(x >= -708)) return x < -708 ? 0 : x; // NaN stays NaN
  const e = exp64(x);
  return e / (1 + e);
}

/**
 * sum over p in [p0, end) of values[p] * X[xo + idx[p]] in four partial sums (entry p - p0 goes
 * to sum (p - p0) mod 4, then (s0 + s1) + (s2 + s3)): shorter add chains, and the order of the
 * wasm kernels (assembly/sparse64.ts, reservoir64.ts), so every backend gives the same bits
 * (closed-loop forecasts amplify any difference). Shared by the CSR mat-vec and the reservoir step.
 */
export function rowSum4(
  values: ArrayLike<number>,
  idx: ArrayLike<number>,
  X: ArrayLike<number>,
  xo: number,
  p0: number,
  end: number,
): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    p = p0;
  for (; p + 4 <= end; p += 4) {
    s0 += values[p]! * X[xo + idx[p]!]!;
    s1 += values[p + 1]! * X[xo + idx[p + 1]!]!;
    s2 += values[p + 2]! * X[xo + idx[p + 2]!]!;
    s3 += values[p + 3]! * X[xo + idx[p + 3]!]!;
  }
  if (p < end) s0 += values[p]! * X[xo + idx[p++]!]!;
  if (p < end) s1 += values[p]! * X[xo + idx[p++]!]!;
  if (p < end) s2 += values[p]! * X[xo + idx[p++]!]!;
  return s0 + s1 + (s2 + s3);
}
