/**
 * Small dense linear algebra the initialisers and diagnostics need: QR (Householder),
 * spectral radius and largest singular value by iteration (no full eigen- or SVD).
 * Matrices are row-major `[rows, cols]` in plain arrays; everything here runs in float64.
 */
import { Rng } from './random.js';

/**
 * sum_j A[a + j] x[b + j] for j < m: four partial sums (one sum's add latency would bound the
 * loop; the diagnostics' power iterations spend their time here), then the tail.
 */
export function dotAt(A: ArrayLike<number>, a: number, x: ArrayLike<number>, b: number, m: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    j = 0;
  for (; j + 4 <= m; j += 4) {
    s0 += A[a + j]! * x[b + j]!;
    s1 += A[a + j + 1]! * x[b + j + 1]!;
    s2 += A[a + j + 2]! * x[b + j + 2]!;
    s3 += A[a + j + 3]! * x[b + j + 3]!;
  }
  for (; j < m; j++) s0 += A[a + j]! * x[b + j]!;
  return s0 + s1 + (s2 + s3);
}

/**
 * y[yOff + j] += sum_i A[a + i*m + j] x[i] for i < n (rows a, a+m, ...): four rows per pass over
 * y, added in row order (the same sums as one row at a time), so y is loaded and stored once per
 * four rows. Zero x[i] rows add nothing and are skipped.
 */
export function addRowsAt(
  A: ArrayLike<number>,
  a: number,
  n: number,
  m: number,
  x: ArrayLike<number>,
  y: Float64Array,
  yOff: number,
): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x0 = x[i]!,
      x1 = x[i + 1]!,
      x2 = x[i + 2]!,
      x3 = x[i + 3]!;
    if (x0 === 0 && x1 === 0 && x2 === 0 && x3 === 0) continue;
    const r0 = a + i * m,
      r1 = r0 + m,
      r2 = r1 + m,
      r3 = r2 + m;
    for (let j = 0; j < m; j++)
      y[yOff + j] = y[yOff + j]! + A[r0 + j]! * x0 + A[r1 + j]! * x1 + A[r2 + j]! * x2 + A[r3 + j]! * x3;
  }
  for (; i < n; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = a + i * m;
    for (let j = 0; j < m; j++) y[yOff + j] += A[row + j]! * xi;
  }
}

/** y = A x for a row-major [n, m] matrix. */
export function matVec(A: ArrayLike<number>, n: number, m: number, x: ArrayLike<number>, y: Float64Array): void {
  for (let i = 0; i < n; i++) y[i] = dotAt(A, i * m, x, 0, m);
}

/** y = A^T x for a row-major [n, m] matrix (y has m entries). */
export function matTVec(A: ArrayLike<number>, n: number, m: number, x: ArrayLike<number>, y: Float64Array): void {
  y.fill(0);
  addRowsAt(A, 0, n, m, x, y, 0);
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** Tile edge of the square copies below: a tile's rows of both matrices stay in L1. */
const TILE = 32;

/**
 * out = A^T for row-major [n, n] (out must not be A); with `cols`, row j of out is column
 * cols[j] of A. By tiles: untiled, one of the two matrices is walked down a column, a different
 * cache line (8 KiB apart at n = 1024) for every element.
 */
export function transposeInto(A: ArrayLike<number>, n: number, out: Float64Array, cols?: ArrayLike<number>): void {
  for (let j0 = 0; j0 < n; j0 += TILE)
    for (let i0 = 0; i0 < n; i0 += TILE) {
      const i1 = Math.min(n, i0 + TILE),
        j1 = Math.min(n, j0 + TILE);
      // Row j of out from column c of A, a tile's rows at a time (the tile's rows of A stay in L1).
      for (let j = j0; j < j1; j++) {
        const c = cols ? cols[j]! : j,
          o = j * n;
        for (let i = i0; i < i1; i++) out[o + i] = A[i * n + c]!;
      }
    }
}

/**
 * out[p, q] = out[q, p] = scale * U[p, q] for q >= p: a full symmetric [n, n] from the upper
 * triangle of U (row-major; out may be U itself), by tiles as transposeInto.
 */
export function symmetricFromUpper(U: ArrayLike<number>, n: number, scale: number, out: Float64Array): void {
  for (let p0 = 0; p0 < n; p0 += TILE)
    for (let q0 = p0; q0 < n; q0 += TILE) {
      const p1 = Math.min(n, p0 + TILE),
        q1 = Math.min(n, q0 + TILE);
      for (let p = p0; p < p1; p++)
        for (let q = Math.max(p, q0); q < q1; q++) {
          const v = U[p * n + q]! * scale;
          out[p * n + q] = v;
          out[q * n + p] = v;
        }
    }
}

/**
 * Spectral radius max|lambda_i| of a square operator given as y = op(x).
 * Power iteration on a non-symmetric matrix need not converge (complex dominant pairs
 * rotate), but the growth rate does: rho = lim (||A^k x||)^(1/k). We measure the growth
 * over a second window after a burn-in, which cancels the start vector's weight:
 * log rho ~ (log||A^(2k) x|| - log||A^k x||) / k, with error O(1/k).
 */
export function spectralRadiusOp(
  n: number,
  op: (x: Float64Array, y: Float64Array) => void,
  opts: { iters?: number; seed?: number } = {},
): number {
  const iters = opts.iters ?? 600;
  const rng = new Rng(opts.seed ?? 12345);
  let x = new Float64Array(n);
  let y = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  let nx = norm(x);
  for (let i = 0; i < n; i++) x[i]! /= nx;
  let logGrowth = 0;
  for (let k = 0; k < 2 * iters; k++) {
    op(x, y);
    const ny = norm(y);
    if (ny === 0) return 0; // nilpotent on this start vector
    if (k >= iters) logGrowth += Math.log(ny);
    for (let i = 0; i < n; i++) y[i]! /= ny;
    const t = x;
    x = y;
    y = t;
  }
  nx = logGrowth / iters;
  return Math.exp(nx);
}

/** Spectral radius of a dense row-major [n, n] matrix. */
export function spectralRadius(A: ArrayLike<number>, n: number, opts: { iters?: number; seed?: number } = {}): number {
  return spectralRadiusOp(n, (x, y) => matVec(A, n, n, x, y), opts);
}

/** Largest singular value of a row-major [n, m] matrix: power iteration on A^T A (symmetric, converges). */
export function largestSingularValue(
  A: ArrayLike<number>,
  n: number,
  m: number,
  opts: { iters?: number; seed?: number; tol?: number } = {},
): number {
  return largestSingularValueOp(
    n,
    m,
    (x, y) => matVec(A, n, m, x, y),
    (x, y) => matTVec(A, n, m, x, y),
    opts,
  );
}

/**
 * Largest singular value of an [n, m] operator given as y = A x (x: m, y: n) and y = A^T x
 * (x: n, y: m), by power iteration on A^T A. Products of step Jacobians use this unformed.
 */
export function largestSingularValueOp(
  n: number,
  m: number,
  op: (x: Float64Array, y: Float64Array) => void,
  opT: (x: Float64Array, y: Float64Array) => void,
  opts: { iters?: number; seed?: number; tol?: number } = {},
): number {
  const iters = opts.iters ?? 500;
  const tol = opts.tol ?? 1e-10;
  const rng = new Rng(opts.seed ?? 54321);
  const v = new Float64Array(m);
  const u = new Float64Array(n);
  for (let i = 0; i < m; i++) v[i] = rng.normal();
  let sigma = 0;
  for (let k = 0; k < iters; k++) {
    const nv = norm(v);
    if (nv === 0) return 0;
    for (let i = 0; i < m; i++) v[i]! /= nv;
    op(v, u);
    opT(u, v);
    const s = Math.sqrt(norm(v));
    if (Math.abs(s - sigma) <= tol * s) return s;
    sigma = s;
  }
  return sigma;
}

/**
 * Thin QR of a row-major [n, m] matrix with n >= m by Householder reflections.
 * Returns Q [n, m] (orthonormal columns) and the diagonal of R.
 */
export function qrThin(A: ArrayLike<number>, n: number, m: number): { Q: Float64Array; rDiag: Float64Array } {
  if (n < m) throw new RangeError(`qrThin: need rows >= cols, got [${n}, ${m}]`);
  const R = Float64Array.from(A as ArrayLike<number>);
  const vs: Float64Array[] = [];
  const rDiag = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    let s = 0;
    for (let i = k; i < n; i++) s += R[i * m + k]! ** 2;
    const alpha = R[k * m + k]! > 0 ? -Math.sqrt(s) : Math.sqrt(s);
    const v = new Float64Array(n);
    for (let i = k; i < n; i++) v[i] = R[i * m + k]!;
    v[k] = v[k]! - alpha;
    const vn2 = s - R[k * m + k]! ** 2 + v[k]! ** 2;
    if (vn2 > 0) {
      for (let j = k; j < m; j++) {
        let d = 0;
        for (let i = k; i < n; i++) d += v[i]! * R[i * m + j]!;
        const f = (2 * d) / vn2;
        for (let i = k; i < n; i++) R[i * m + j] = R[i * m + j]! - f * v[i]!;
      }
    }
    vs.push(vn2 > 0 ? v.map((x) => x / Math.sqrt(vn2)) : new Float64Array(n));
    rDiag[k] = R[k * m + k]!;
  }
  // Q = H_0 H_1 ... H_{m-1} applied to the first m columns of I.
  const Q = new Float64Array(n * m);
  for (let j = 0; j < m; j++) Q[j * m + j] = 1;
  for (let k = m - 1; k >= 0; k--) {
    const v = vs[k]!;
    for (let j = 0; j < m; j++) {
      let d = 0;
      for (let i = k; i < n; i++) d += v[i]! * Q[i * m + j]!;
      if (d === 0) continue;
      for (let i = k; i < n; i++) Q[i * m + j] = Q[i * m + j]! - 2 * d * v[i]!;
    }
  }
  return { Q, rDiag };
}
