/**
 * Householder reduction of a symmetric matrix to tridiagonal form, blocked, and the product of
 * its reflectors with a matrix (the eigenvectors of the tridiagonal, to bring them back).
 *
 *   Q^T A Q = T (diagonal d, off-diagonal e),   Q = H_0 H_1 ... H_{n-2},   H_c = I - tau_c v_c v_c^T,
 *   v_c = (0, ..., 0, 1, A[c, c+2 .. n)), the 1 at index c + 1.
 *
 * This is LAPACK's dsytrd/dlatrd with uplo 'L' read in row-major: the upper triangle of a
 * row-major matrix is the lower triangle of a column-major one, so row c here is LAPACK's
 * column c and every access is along a row. Only the upper triangle (j >= i) of A is read and
 * kept up to date. Panels of NB rows: each row is first brought up to date with the panel's
 * earlier reflectors (rank-2 corrections from V and W, gemv64), its reflector made, and W's row formed
 * from one symmetric matrix-vector product on the trailing block (symvUpper64, the level-2 half
 * of the work, bound by memory); after the panel the trailing block takes the rank-2NB update
 * A -= V^T W + W^T V as two float64 matrix products (gemm64, upper triangle only), which is
 * where the other half of the flops go, at matrix-product speed and on every helper thread.
 * The reflectors are left in A's rows (row c from c+1 on holds v_c, its leading 1 included).
 */
import type { LinalgKernels } from '../backend/backend.js';

/** Rows per panel. */
const NB = 32;

export interface Tridiagonal {
  /** [n] diagonal of T. */
  d: Float64Array;
  /** [n] e[c] = T[c, c+1] (e[n-1] = 0). */
  e: Float64Array;
  /** [n] tau_c of each reflector (tau[n-1] = 0). */
  tau: Float64Array;
}

/**
 * Reduces A ([n, n] row-major, upper triangle read, overwritten with the reflectors) to
 * tridiagonal form. A should live in the kernels' memory (lin.alloc64) for speed.
 */
export function tridiagonalize(A: Float64Array, n: number, lin: LinalgKernels): Tridiagonal {
  const d = new Float64Array(n),
    e = new Float64Array(n),
    tau = new Float64Array(n);
  // [3 NB, n]: W in rows NB .. 2 NB (row i = LAPACK's W(:, i)); the panel's reflectors are copied
  // just above and just below it for the trailing update (one product with K = 2 nb).
  const VW = lin.alloc64(3 * NB * n),
    W = VW.subarray(NB * n, 2 * NB * n);
  const t1 = lin.alloc64(NB),
    t2 = lin.alloc64(NB);
  for (let k = 0; k < n - 1; k += NB) {
    const nb = Math.min(NB, n - 1 - k);
    for (let i = 0; i < nb; i++) reflectColumn(A, n, k, i, W, t1, t2, d, e, tau, lin);
    // The trailing block: A22 -= V^T W + W^T V (upper triangle).
    const k2 = k + nb,
      m = n - k2;
    if (m > 0) {
      for (let i = 0; i < nb; i++) {
        const v = A.subarray((k + i) * n + k2, (k + i + 1) * n);
        VW.set(v, (NB - nb + i) * n + k2);
        VW.set(v, (NB + nb + i) * n + k2);
      }
      // [V; W]^T [W; V] = V^T W + W^T V: half the passes over A22 that two rank-nb products make.
      const vw = (NB - nb) * n + k2,
        wv = NB * n + k2;
      lin.gemm64(true, false, true, true, m, m, 2 * nb, -1, VW, vw, n, VW, wv, n, A, k2 * n + k2, n);
    }
  }
  d[n - 1] = A[(n - 1) * n + n - 1]!;
  for (const b of [VW, t1, t2]) lin.free64?.(b);
  return { d, e, tau };
}

/**
 * Column c = k + i of the panel starting at k: brought up to date with the panel's earlier
 * reflectors, its reflector made (d[c], e[c], tau[c]; v_c left in row c) and W's row i formed.
 * A function of its own, called once per column: V8 optimises it with the feedback of every
 * path, where the same loop inlined in tridiagonalize was compiled on the fly mid-run and
 * deoptimised again during a process's first large fits (seen with node --trace-deopt).
 */
function reflectColumn(
  A: Float64Array,
  n: number,
  k: number,
  i: number,
  W: Float64Array,
  t1: Float64Array,
  t2: Float64Array,
  d: Float64Array,
  e: Float64Array,
  tau: Float64Array,
  lin: LinalgKernels,
): void {
  const c = k + i,
    row = c * n;
  // Row c (entries c..n) -= sum over the panel's reflectors p < i of v_p W(c, p) + W_p v_p(c).
  if (i > 0) {
    for (let p = 0; p < i; p++) {
      t1[p] = W[p * n + c]!;
      t2[p] = A[(k + p) * n + c]!;
    }
    lin.gemv64(true, true, i, n - c, -1, A, k * n + c, n, t1, 0, A, row + c);
    lin.gemv64(true, true, i, n - c, -1, W, c, n, t2, 0, A, row + c);
  }
  d[c] = A[row + c]!;
  // The reflector that zeroes A[c, c+2..n) (dlarfg).
  const alpha = A[row + c + 1]!;
  let xnorm = 0;
  for (let r = c + 2; r < n; r++) xnorm += A[row + r]! * A[row + r]!;
  xnorm = Math.sqrt(xnorm);
  let beta = alpha,
    tc = 0;
  if (xnorm !== 0) {
    beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
    tc = (beta - alpha) / beta;
    const s = 1 / (alpha - beta);
    for (let r = c + 2; r < n; r++) A[row + r]! *= s;
  }
  e[c] = beta;
  tau[c] = tc;
  A[row + c + 1] = 1;
  // W's row i: w = tau (A22 v - V (W^T v) - W (V^T v)), then w -= (tau/2)(w . v) v.
  const v0 = row + c + 1,
    m = n - c - 1,
    wi = i * n + c + 1;
  lin.symvUpper64(m, A, (c + 1) * n + c + 1, n, A, v0, W, wi);
  if (i > 0) {
    lin.gemv64(false, false, i, m, 1, W, c + 1, n, A, v0, t1, 0); // t1 = W_p . v
    lin.gemv64(false, false, i, m, 1, A, k * n + c + 1, n, A, v0, t2, 0); // t2 = v_p . v
    lin.gemv64(true, true, i, m, -1, A, k * n + c + 1, n, t1, 0, W, wi);
    lin.gemv64(true, true, i, m, -1, W, c + 1, n, t2, 0, W, wi);
  }
  let dot = 0;
  for (let r = 0; r < m; r++) {
    W[wi + r]! *= tc;
    dot += W[wi + r]! * A[v0 + r]!;
  }
  const a3 = -0.5 * tc * dot;
  for (let r = 0; r < m; r++) W[wi + r]! += a3 * A[v0 + r]!;
}

/**
 * Z <- Q Z for Z [n, cols] row-major (rows = coordinates), with Q's reflectors as tridiagonalize
 * left them in A: blocks of NB reflectors from the last to the first, each applied at once as
 * I - V^T T V (compact WY; T upper triangular, LAPACK's dlarft) in three matrix products.
 * Z should live in the kernels' memory.
 */
export function applyQ(
  A: Float64Array,
  tau: Float64Array,
  n: number,
  Z: Float64Array,
  cols: number,
  lin: LinalgKernels,
): void {
  if (n < 2) return;
  const V = lin.alloc64(NB * n),
    Y = lin.alloc64(NB * cols),
    y = lin.alloc64(NB), // T's recurrence
    TV = lin.alloc64(NB * n),
    T = lin.alloc64(NB * NB),
    G = lin.alloc64(NB * NB);
  const last = Math.floor((n - 2) / NB) * NB;
  for (let k = last; k >= 0; k -= NB) {
    const nb = Math.min(NB, n - 1 - k),
      m = n - k - 1; // coordinates k+1 .. n-1
    blockReflectors(A, tau, n, k, nb, V, G, T, y, lin);
    // Z[k+1.., :] -= (T^T V)^T (V Z[k+1.., :]): T taken into V (nb x m) rather than into V Z
    // (nb x cols), the smaller of the two.
    lin.gemm64(false, false, false, false, nb, cols, m, 1, V, 0, m, Z, (k + 1) * cols, cols, Y, 0, cols);
    lin.gemm64(true, false, false, false, nb, m, nb, 1, T, 0, NB, V, 0, m, TV, 0, m);
    lin.gemm64(true, false, true, false, m, cols, nb, -1, TV, 0, m, Y, 0, cols, Z, (k + 1) * cols, cols);
  }
  for (const b of [V, Y, y, TV, T, G]) lin.free64?.(b);
}

/**
 * The compact WY form of reflectors k .. k+nb: V [nb, m] (m = n - k - 1; v_c over coordinates
 * k+1.., explicit zeros before c+1 and the leading 1) and T (dlarft, forward, columnwise: T[i,i]
 * = tau_i, T[0:i, i] = -tau_i T[0:i, 0:i] (V[0:i] v_i), the products V[0:i] v_i all at once as
 * G = V V^T, one small matrix product). A function of its own for the reason reflectColumn is.
 */
function blockReflectors(
  A: Float64Array,
  tau: Float64Array,
  n: number,
  k: number,
  nb: number,
  V: Float64Array,
  G: Float64Array,
  T: Float64Array,
  y: Float64Array,
  lin: LinalgKernels,
): void {
  const m = n - k - 1;
  for (let i = 0; i < nb; i++) {
    const c = k + i,
      vi = i * m,
      z = c - k; // V[i, 0..z) = 0, V[i, z] = 1, then row c of A from c+2 on
    V.fill(0, vi, vi + z);
    V[vi + z] = 1;
    for (let j = z + 1; j < m; j++) V[vi + j] = A[c * n + k + 1 + j]!;
  }
  lin.gemm64(false, true, false, true, nb, nb, m, 1, V, 0, m, V, 0, m, G, 0, NB);
  T.fill(0);
  for (let i = 0; i < nb; i++) {
    const ti = tau[k + i]!;
    T[i * NB + i] = ti;
    for (let p = 0; p < i; p++) y[p] = -ti * G[p * NB + i]!;
    for (let p = 0; p < i; p++) {
      let s = 0;
      for (let q = p; q < i; q++) s += T[p * NB + q]! * y[q]!;
      T[p * NB + i] = s;
    }
  }
}
