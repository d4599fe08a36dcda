/**
 * Cholesky factorisation and solves in float64, for the normal equations of ridge readouts.
 *
 *   A = L L^T, A [M, M] symmetric positive definite, L lower triangular.
 *
 * Row-oriented (Cholesky-Banachiewicz): L[i, j] = (A[i, j] - L[i, :j] . L[j, :j]) / L[j, j],
 * so the inner loop is a dot product of two contiguous rows. A pivot <= 0 means A is not
 * positive definite and raises a RangeError naming the pivot, never a silent NaN.
 *
 * Blocked (left-looking) where the backend has `gemmNT64`: for each block of NB columns, one
 * product L[jb:, jb:jb+NB] -= L[jb:, :jb] L[jb:jb+NB, :jb]^T brings in every earlier column
 * (the M^3/6 multiply-adds, on the f64x2 kernels when A lives in the wasm memory), then the
 * same row-oriented loops finish the block with k in [jb, jb+NB) only.
 */
import { getBackend } from '../backend/index.js';
import type { LinalgKernels } from '../backend/backend.js';

const NB = 64;

export class NotPositiveDefiniteError extends RangeError {
  override name = 'NotPositiveDefiniteError';
}

/**
 * Factors A in place into its lower triangle (the strict upper triangle may be overwritten
 * and must not be read afterwards). Reads A[i, j] for j <= i only.
 */
export function choleskyInPlace(
  A: Float64Array,
  M: number,
  what = 'cholesky',
  par?: Partial<Pick<LinalgKernels, 'gemmNT64'>>,
): void {
  if (A.length < M * M) throw new RangeError(`${what}: need ${M * M} values for [${M}, ${M}], got ${A.length}`);
  // `par`: a gemmNT64 that also uses a helper thread (src/node/gram.ts), same contract.
  // Unblocked on the reference backend (its product is no faster than the column loops).
  const gemmNT64 = par?.gemmNT64 ? par.gemmNT64.bind(par) : getBackend().linalg?.gemmNT64;
  if (!gemmNT64 || M <= 2 * NB) return factorColumns(A, M, 0, M, what);
  for (let jb = 0; jb < M; jb += NB) {
    const nb = Math.min(NB, M - jb);
    // Rows jb.. of the block's columns minus their dot products with the earlier columns (this
    // also writes the strict upper part of the diagonal block, which nothing reads).
    if (jb > 0) gemmNT64(M - jb, nb, jb, -1, A, jb * M, M, A, jb * M, M, A, jb * M + jb, M);
    factorColumns(A, M, jb, jb + nb, what);
  }
}

/**
 * Finishes columns [j0, j1) of L for rows i >= j0: the dot products run over k in [j0, j)
 * (columns before j0 are already subtracted; j0 = 0, j1 = M is the whole unblocked factorisation).
 */
function factorColumns(A: Float64Array, M: number, j0: number, j1: number, what: string): void {
  for (let i = j0; i < M; i++) {
    const ri = i * M,
      jEnd = Math.min(i, j1 - 1);
    for (let j = j0; j <= jEnd; j++) {
      const rj = j * M;
      let s = A[ri + j]!;
      // Four partial sums: shorter dependency chains, and V8 keeps them in registers.
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        k = j0;
      for (; k + 3 < j; k += 4) {
        s0 += A[ri + k]! * A[rj + k]!;
        s1 += A[ri + k + 1]! * A[rj + k + 1]!;
        s2 += A[ri + k + 2]! * A[rj + k + 2]!;
        s3 += A[ri + k + 3]! * A[rj + k + 3]!;
      }
      for (; k < j; k++) s0 += A[ri + k]! * A[rj + k]!;
      s -= s0 + s1 + (s2 + s3);
      if (i === j) {
        if (!(s > 0)) {
          throw new NotPositiveDefiniteError(
            `${what}: matrix is not positive definite (pivot ${i} of ${M} is ${s}); ` +
              'increase the ridge, or look for constant, duplicated or non-finite features',
          );
        }
        A[ri + i] = Math.sqrt(s);
      } else {
        A[ri + j] = s / A[rj + j]!;
      }
    }
  }
}

/** Solves L L^T x = b in place (b [M] becomes x), L from `choleskyInPlace`. */
export function choleskySolveInPlace(L: Float64Array, M: number, b: Float64Array, bOff = 0): void {
  for (let i = 0; i < M; i++) {
    // L z = b
    let s = b[bOff + i]!;
    const ri = i * M;
    for (let k = 0; k < i; k++) s -= L[ri + k]! * b[bOff + k]!;
    b[bOff + i] = s / L[ri + i]!;
  }
  for (let i = M - 1; i >= 0; i--) {
    // L^T x = z
    let s = b[bOff + i]!;
    for (let k = i + 1; k < M; k++) s -= L[k * M + i]! * b[bOff + k]!;
    b[bOff + i] = s / L[i * M + i]!;
  }
}
