/**
 * Cholesky factorisation and solves in float64, for the normal equations of ridge readouts.
 *
 *   A = L L^T, A [M, M] symmetric positive definite, L lower triangular.
 *
 * Row-oriented (Cholesky-Banachiewicz): L[i, j] = (A[i, j] - L[i, :j] . L[j, :j]) / L[j, j],
 * so the inner loop is a dot product of two contiguous rows. A pivot <= 0 means A is not
 * positive definite and raises a RangeError naming the pivot, never a silent NaN.
 */

export class NotPositiveDefiniteError extends RangeError {
  override name = 'NotPositiveDefiniteError';
}

/**
 * Factors A in place into its lower triangle (the strict upper triangle is left alone and
 * must not be read afterwards). Reads A[i, j] for j <= i only.
 */
export function choleskyInPlace(A: Float64Array, M: number, what = 'cholesky'): void {
  if (A.length < M * M) throw new RangeError(`${what}: need ${M * M} values for [${M}, ${M}], got ${A.length}`);
  for (let i = 0; i < M; i++) {
    const ri = i * M;
    for (let j = 0; j <= i; j++) {
      const rj = j * M;
      let s = A[ri + j]!;
      // Four partial sums: shorter dependency chains, and V8 keeps them in registers.
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, k = 0;
      for (; k + 3 < j; k += 4) {
        s0 += A[ri + k]! * A[rj + k]!; s1 += A[ri + k + 1]! * A[rj + k + 1]!;
        s2 += A[ri + k + 2]! * A[rj + k + 2]!; s3 += A[ri + k + 3]! * A[rj + k + 3]!;
      }
      for (; k < j; k++) s0 += A[ri + k]! * A[rj + k]!;
      s -= (s0 + s1) + (s2 + s3);
      if (i === j) {
        if (!(s > 0)) {
          throw new NotPositiveDefiniteError(`${what}: matrix is not positive definite (pivot ${i} of ${M} is ${s}); ` +
            'increase the ridge, or look for constant, duplicated or non-finite features');
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
  for (let i = 0; i < M; i++) {           // L z = b
    let s = b[bOff + i]!;
    const ri = i * M;
    for (let k = 0; k < i; k++) s -= L[ri + k]! * b[bOff + k]!;
    b[bOff + i] = s / L[ri + i]!;
  }
  for (let i = M - 1; i >= 0; i--) {      // L^T x = z
    let s = b[bOff + i]!;
    for (let k = i + 1; k < M; k++) s -= L[k * M + i]! * b[bOff + k]!;
    b[bOff + i] = s / L[i * M + i]!;
  }
}
