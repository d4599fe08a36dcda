/**
 * Eigendecomposition of a real symmetric matrix, A = V diag(lambda) V^T, in float64.
 *
 * `symmetricEigen` (n > SMALL): blocked Householder tridiagonalisation (tridiagonal.ts), divide
 * and conquer on the tridiagonal (tridiag_eigen.ts), the reflectors applied to its eigenvectors
 * (tridiagonal.ts), the O(n^3) parts as float64 matrix products on the backend's kernels
 * (gemm64, symvUpper64, and the merges' secularEigen and gatherColumns64: the wasm kernels and
 * their helper threads where they run), what LAPACK's dsyevd does. Small matrices, and the
 * reference the tests hold it to: `symmetricEigenQL`, tred2 + implicit QL (tql2) after EISPACK via
 * JAMA's public-domain EigenvalueDecomposition. Timings in docs/preprocessing.md.
 *
 * Storage: `vectors` is row-major [n, n] with eigenvector k in ROW k (i.e. V^T). Eigenvalues
 * come back ascending.
 */
import { ShapeError, assertFinite } from '../tensor.js';
import type { LinalgKernels } from '../backend/backend.js';
import { getBackend, linalgOf } from '../backend/index.js';
import { applyQ, tridiagonalize } from './tridiagonal.js';
import { tridiagonalEigen } from './tridiag_eigen.js';
import { symmetricFromUpper, transposeInto } from '../linalg.js';

export interface SymmetricEigen {
  /** [n] ascending. */
  values: Float64Array;
  /** [n, n] row-major, row k = unit eigenvector of values[k]. */
  vectors: Float64Array;
}

/** Below this size the QL path is as fast and simpler. */
const SMALL = 64;

function check(A: ArrayLike<number>, n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what}: n must be an integer >= 1, got ${n}`);
  if (A.length !== n * n) throw new ShapeError(`${what}: expected ${n}x${n} = ${n * n} values, got ${A.length}`);
  assertFinite(A, what);
}

/**
 * Eigenvalues and eigenvectors of the symmetric row-major [n, n] matrix `A` (only read, never
 * written; its upper triangle is what counts). `lin`: the float64 kernels (default: the current
 * backend's).
 */
export function symmetricEigen(A: ArrayLike<number>, n: number, lin?: LinalgKernels): SymmetricEigen {
  check(A, n, 'symmetricEigen');
  if (n <= SMALL) return symmetricEigenQL(A, n);
  const la = lin ?? linalgOf(getBackend());
  const W = la.alloc64(n * n);
  W.set(A);
  return eigenOf(W, n, la);
}

/**
 * symmetricEigen of a matrix handed over: W [n, n] in the kernels' memory (lin.alloc64) with its
 * upper triangle set (the rest is not read) is overwritten and freed. Saves the copy a fit that
 * builds its matrix for the eigensolver only (Zca.fromAccumulator) would make.
 */
export function symmetricEigenOwned(W: Float64Array, n: number, lin: LinalgKernels): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`symmetricEigenOwned: n must be an integer >= 1, got ${n}`);
  if (W.length < n * n)
    throw new ShapeError(`symmetricEigenOwned: expected ${n}x${n} = ${n * n} values, got ${W.length}`);
  if (n <= SMALL) {
    symmetricFromUpper(W, n, 1, W);
    const r = symmetricEigen(W.subarray(0, n * n), n, lin);
    lin.free64?.(W);
    return r;
  }
  for (let i = 0; i < n; i++) assertFinite(W.subarray(i * n + i, i * n + n), 'symmetricEigenOwned');
  return eigenOf(W, n, lin);
}

/** The divide-and-conquer path on W (in the kernels' memory, upper triangle set; freed here). */
function eigenOf(W: Float64Array, n: number, la: LinalgKernels): SymmetricEigen {
  const { d, e, tau } = tridiagonalize(W, n, la);
  const { Z, order } = tridiagonalEigen(d, e, n, la, leafQL);
  applyQ(W, tau, n, Z, n, la);
  const vectors = new Float64Array(n * n);
  transposeInto(Z, n, vectors, order);
  la.free64?.(W);
  la.free64?.(Z);
  return { values: d, vectors };
}

/** The leaves of the divide and conquer: tql2 with e[i] coupling i and i+1, Vt's rows rotated. */
export function leafQL(d: Float64Array, e: Float64Array, m: number, Vt: Float64Array[]): void {
  const ej = new Float64Array(m); // tql2 takes JAMA's convention: e[i] couples i-1 and i
  for (let i = 1; i < m; i++) ej[i] = e[i - 1]!;
  tql2(Vt, d, ej, m);
}

/** The reference: tred2 + tql2 (JAMA), O(n^3) in plain loops. */
export function symmetricEigenQL(A: ArrayLike<number>, n: number): SymmetricEigen {
  check(A, n, 'symmetricEigen');
  // V[i] is row i of the working matrix (JAMA's V[i][j]); tred2 works on it in place.
  const V: Float64Array[] = [];
  for (let i = 0; i < n; i++) V.push(Float64Array.from({ length: n }, (_, j) => A[i * n + j]!));
  const d = new Float64Array(n),
    e = new Float64Array(n);
  tred2(V, d, e, n);
  // Transpose once so that column operations of tql2 become row operations.
  const Vt: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) r[i] = V[i]![k]!;
    Vt.push(r);
  }
  tql2(Vt, d, e, n);
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) vectors.set(Vt[k]!, k * n);
  return { values: d, vectors };
}

/** Householder tridiagonalisation: d <- diagonal, e <- subdiagonal, V <- accumulated transform. */
function tred2(V: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[n - 1]![j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0,
      h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[i - 1]![j]!;
        V[i]![j] = 0;
        V[j]![i] = 0;
      }
    } else {
      // Householder vector from the scaled row, avoiding under/overflow.
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!,
        g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // Apply the similarity transform to the remaining columns.
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j]![i] = f;
        g = e[j]! + V[j]![j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k]![j]! * d[k]!;
          e[k]! += V[k]![j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k]![j]! -= f * e[k]! + g * d[k]!;
        d[j] = V[i - 1]![j]!;
        V[i]![j] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    V[n - 1]![i] = V[i]![i]!;
    V[i]![i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k]![i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k]![i + 1]! * V[k]![j]!;
        for (let k = 0; k <= i; k++) V[k]![j]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k]![i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[n - 1]![j]!;
    V[n - 1]![j] = 0;
  }
  V[n - 1]![n - 1] = 1;
  e[0] = 0;
}

/** Implicit QL on the tridiagonal (d, e); Vt's rows are rotated along, then sorted ascending. */
function tql2(Vt: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0,
    tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    // Find a small subdiagonal element.
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error(`symmetricEigen: QL iteration did not converge for eigenvalue ${l} of ${n}`);
        // Shift from the leading 2x2 block.
        let g = d[l]!,
          p = (d[l + 1]! - g) / (2 * e[l]!),
          r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        // Implicit QL transformation: a chase of Givens rotations from m up to l.
        p = d[m]!;
        let c = 1,
          c2 = c,
          c3 = c,
          s = 0,
          s2 = 0;
        const el1 = e[l + 1]!;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          // Rotate eigenvectors i and i+1 (rows of Vt).
          const a = Vt[i]!,
            b = Vt[i + 1]!;
          for (let k = 0; k < n; k++) {
            const bk = b[k]!,
              ak = a[k]!;
            b[k] = s * ak + c * bk;
            a[k] = c * ak - s * bk;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  // Selection sort, ascending (n swaps at most, each a row pointer swap).
  for (let i = 0; i < n - 1; i++) {
    let k = i,
      p = d[i]!;
    for (let j = i + 1; j < n; j++)
      if (d[j]! < p) {
        k = j;
        p = d[j]!;
      }
    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      const t = Vt[i]!;
      Vt[i] = Vt[k]!;
      Vt[k] = t;
    }
  }
}
