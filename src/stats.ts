/**
 * Small statistics for comparing runs: quantiles (NumPy's default, linear interpolation) and
 * the Mann-Whitney U test (two-sided, as scipy.stats.mannwhitneyu: exact null distribution for
 * small samples without ties, otherwise the normal approximation with the tie correction and a
 * continuity correction). `npm run bench -- learn` compares steps-to-solve of recur and PyTorch
 * with them; runs that never solve enter as +Infinity (ties at the top, which ranks handle).
 */

/** The p-quantile (0 <= p <= 1) of sorted values, interpolating linearly (NumPy's default, type 7). */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile: no values');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: p must be in [0, 1], got ${p}`);
  const h = (n - 1) * p,
    lo = Math.floor(h),
    w = h - lo;
  const a = sorted[lo]!;
  if (w === 0 || lo + 1 >= n) return a;
  const b = sorted[lo + 1]!;
  if (a === b) return a;
  return a + w * (b - a); // Infinity stays Infinity when it takes part
}

/** erfc(x) for x >= 0: the power series of erf below 2, a continued fraction (modified Lentz) above. */
function erfcPos(x: number): number {
  if (x < 2) {
    // erf(x) = 2/sqrt(pi) sum (-1)^k x^(2k+1) / (k! (2k+1))
    let term = x,
      sum = x;
    for (let k = 1; k < 200; k++) {
      term *= (-x * x) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x,
    C = x,
    D = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    D = x + a * D;
    D = D === 0 ? 1 / tiny : 1 / D;
    C = x + a / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** P(Z > z) for a standard normal Z. */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (!Number.isFinite(z)) return z > 0 ? 0 : 1;
  const x = z / Math.SQRT2;
  return x >= 0 ? 0.5 * erfcPos(x) : 1 - 0.5 * erfcPos(-x);
}

/** P(U >= u) under the null for sample sizes m, n (no ties): counts of the U distribution by recursion. */
function exactSf(u: number, m: number, n: number): number {
  // c[j][k]: number of arrangements of i x's and j y's with U = k, built up over i
  const K = m * n;
  let prev: Float64Array[] = Array.from({ length: n + 1 }, () => {
    const a = new Float64Array(K + 1);
    a[0] = 1; // i = 0: U = 0 in one way
    return a;
  });
  for (let i = 1; i <= m; i++) {
    const cur: Float64Array[] = [];
    const c0 = new Float64Array(K + 1);
    c0[0] = 1; // j = 0
    cur.push(c0);
    for (let j = 1; j <= n; j++) {
      // the largest value is an x (it beats all j y's: U += j) or a y
      const a = new Float64Array(K + 1),
        fromX = prev[j]!,
        fromY = cur[j - 1]!;
      for (let k = 0; k <= K; k++) a[k] = (k >= j ? fromX[k - j]! : 0) + fromY[k]!;
      cur.push(a);
    }
    prev = cur;
  }
  const c = prev[n]!;
  let total = 0,
    tail = 0;
  for (let k = 0; k <= K; k++) {
    total += c[k]!;
    if (k >= u) tail += c[k]!;
  }
  return tail / total;
}

export interface MannWhitneyResult {
  /** U of the first sample: the number of pairs (x, y) with x > y, ties counting one half. */
  U: number;
  /** Two-sided p-value. */
  p: number;
  /** The standardised statistic (asymptotic method only). */
  z?: number;
  method: 'exact' | 'asymptotic';
}

/**
 * Two-sided Mann-Whitney U test of x against y, as scipy.stats.mannwhitneyu(x, y) (scipy 1.10):
 * method 'auto' uses the exact distribution when both samples have at most 8 values and there
 * are no ties, the normal approximation (tie-corrected variance, continuity correction) otherwise.
 * Values may be +-Infinity (censored runs); NaN is an error.
 */
export function mannWhitneyU(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: { method?: 'auto' | 'exact' | 'asymptotic'; continuity?: boolean } = {},
): MannWhitneyResult {
  const n1 = x.length,
    n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU: both samples need at least one value');
  const all = [...Array.from(x, (v) => ({ v, s: 0 })), ...Array.from(y, (v) => ({ v, s: 1 }))];
  if (all.some((a) => Number.isNaN(a.v))) throw new RangeError('mannWhitneyU: NaN in a sample');
  all.sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
  // mid-ranks, and the tie term sum(t^3 - t) over groups of equal values
  const N = n1 + n2;
  let R1 = 0,
    tieTerm = 0;
  for (let i = 0; i < N; ) {
    let j = i;
    while (j + 1 < N && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j + 2) / 2,
      t = j - i + 1;
    for (let k = i; k <= j; k++) if (all[k]!.s === 0) R1 += rank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const U1 = R1 - (n1 * (n1 + 1)) / 2,
    U = Math.max(U1, n1 * n2 - U1);
  let method = opts.method ?? 'auto';
  if (method === 'auto') method = n1 <= 8 && n2 <= 8 && tieTerm === 0 ? 'exact' : 'asymptotic';
  if (method === 'exact') {
    if (tieTerm !== 0) throw new RangeError('mannWhitneyU: the exact method needs samples without ties');
    return { U: U1, p: Math.min(1, 2 * exactSf(U, n1, n2)), method };
  }
  const mu = (n1 * n2) / 2,
    s = Math.sqrt(((n1 * n2) / 12) * (N + 1 - tieTerm / (N * (N - 1))));
  if (!(s > 0)) return { U: U1, p: 1, z: 0, method }; // every value tied: no evidence either way
  const z = (U - mu - ((opts.continuity ?? true) ? 0.5 : 0)) / s;
  return { U: U1, p: Math.min(1, Math.max(0, 2 * normalSf(z))), z, method };
}
