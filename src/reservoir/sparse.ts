/**
 * Sparse matrices in CSR form for reservoirs, and the spectral radius of one by iteration.
 *
 *   A [rows, cols] with nnz stored entries: row i holds colIdx[rowPtr[i] .. rowPtr[i+1]) and
 *   the matching values. Values are float64: a reservoir is small next to its state history,
 *   and closed-loop generation needs the last digits.
 *
 * Why CSR and not dense: a reservoir of N = 2000 units at 1% connectivity has 40k weights,
 * so one step costs 40k multiply-adds instead of 4M. The mat-vec is batched over B
 * independent sequences (state [B, cols] -> [B, rows]) so one pass serves them all.
 */
import { getBackend, linalgOf } from '../backend/index.js';
import type { Backend } from '../backend/backend.js';
import type { Rng } from '../random.js';
import { spectralRadiusOp } from '../linalg.js';

export interface CSR {
  rows: number;
  cols: number;
  rowPtr: Int32Array; // [rows + 1]
  colIdx: Int32Array; // [nnz]
  values: Float64Array; // [nnz]
}

/** How the stored values are drawn: N(0,1), U(-1,1), or +-1 with equal odds (ReservoirPy's input default). */
export type WeightDist = 'normal' | 'uniform' | 'bernoulli';

function draw(dist: WeightDist, rng: Rng): number {
  switch (dist) {
    case 'normal':
      return rng.normal();
    case 'uniform':
      return rng.range(-1, 1);
    case 'bernoulli':
      return rng.uniform() < 0.5 ? -1 : 1;
    default:
      throw new RangeError(`unknown weight distribution '${dist as string}'; expected normal, uniform or bernoulli`);
  }
}

/**
 * A random sparse [rows, cols] matrix with density `connectivity` in (0, 1].
 * When connectivity * cols >= 1 every row gets exactly round(connectivity * cols) distinct
 * columns (a fixed in-degree: each unit listens to the same number of others, so no unit is
 * silent); below that, each entry is present with probability `connectivity` (e.g. a single
 * input reaching 10% of the units).
 */
export function randomSparse(
  rows: number,
  cols: number,
  connectivity: number,
  rng: Rng,
  dist: WeightDist = 'normal',
): CSR {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) {
    throw new RangeError(`randomSparse: rows and cols must be positive integers, got [${rows}, ${cols}]`);
  }
  if (!(connectivity > 0 && connectivity <= 1))
    throw new RangeError(`randomSparse: connectivity must be in (0, 1], got ${connectivity}`);
  const rowPtr = new Int32Array(rows + 1);
  const idx: number[] = [];
  const vals: number[] = [];
  const k = Math.round(connectivity * cols);
  const perm = new Int32Array(cols);
  for (let i = 0; i < rows; i++) {
    if (k >= 1) {
      // Partial Fisher-Yates: the first k of a shuffled 0..cols-1, then sorted for cache order.
      for (let j = 0; j < cols; j++) perm[j] = j;
      for (let j = 0; j < k; j++) {
        const r = j + rng.int(cols - j);
        const t = perm[j]!;
        perm[j] = perm[r]!;
        perm[r] = t;
      }
      const chosen = Array.from(perm.subarray(0, k)).sort((a, b) => a - b);
      for (const c of chosen) {
        idx.push(c);
        vals.push(draw(dist, rng));
      }
    } else {
      for (let j = 0; j < cols; j++)
        if (rng.uniform() < connectivity) {
          idx.push(j);
          vals.push(draw(dist, rng));
        }
    }
    rowPtr[i + 1] = idx.length;
  }
  return { rows, cols, rowPtr, colIdx: Int32Array.from(idx), values: Float64Array.from(vals) };
}

/** A CSR matrix from a dense row-major [rows, cols] array (zeros dropped). */
export function csrFromDense(A: ArrayLike<number>, rows: number, cols: number): CSR {
  if (A.length !== rows * cols)
    throw new RangeError(`csrFromDense: [${rows}, ${cols}] needs ${rows * cols} values, got ${A.length}`);
  const rowPtr = new Int32Array(rows + 1);
  const idx: number[] = [],
    vals: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = A[i * cols + j]!;
      if (v !== 0) {
        idx.push(j);
        vals.push(v);
      }
    }
    rowPtr[i + 1] = idx.length;
  }
  return { rows, cols, rowPtr, colIdx: Int32Array.from(idx), values: Float64Array.from(vals) };
}

export function csrToDense(A: CSR): Float64Array {
  const D = new Float64Array(A.rows * A.cols);
  for (let i = 0; i < A.rows; i++) {
    for (let p = A.rowPtr[i]!; p < A.rowPtr[i + 1]!; p++) D[i * A.cols + A.colIdx[p]!] += A.values[p]!;
  }
  return D;
}

/**
 * Y[b, :] (+)= A X[b, :] for b < B: X [B, cols] at xOff, Y [B, rows] at yOff.
 * Overwrites Y unless `acc`. Runs on the backend's kernel (fastest on wasm with a CSR from
 * `csrToBackend`: nothing is copied).
 */
export function csrMatVecBatch(
  A: CSR,
  B: number,
  X: Float64Array,
  xOff: number,
  Y: Float64Array,
  yOff: number,
  acc = false,
): void {
  const { rows, cols, rowPtr, colIdx, values } = A;
  if (X.length < xOff + B * cols || Y.length < yOff + B * rows) {
    throw new RangeError(
      `csrMatVecBatch: [${rows}, ${cols}] times ${B} vectors needs ${B * cols} inputs after ${xOff} ` +
        `and ${B * rows} outputs after ${yOff}, got arrays of ${X.length} and ${Y.length}`,
    );
  }
  linalgOf().csrMatVec(rows, cols, B, rowPtr, colIdx, values, X, xOff, Y, yOff, acc);
}

/**
 * A copy of A whose arrays live in the backend's memory, so its kernel reads them in place (A itself where it
 * has none).
 */
export function csrToBackend(A: CSR, be: Backend = getBackend()): CSR {
  const la = be.linalg;
  if (!la) return A;
  const rowPtr = la.allocI32(A.rowPtr.length),
    colIdx = la.allocI32(A.colIdx.length),
    values = la.alloc64(A.values.length);
  rowPtr.set(A.rowPtr);
  colIdx.set(A.colIdx);
  values.set(A.values);
  return { rows: A.rows, cols: A.cols, rowPtr, colIdx, values };
}

/** Multiplies every stored value by s, in place. */
export function csrScale(A: CSR, s: number): void {
  for (let p = 0; p < A.values.length; p++) A.values[p]! *= s;
}

/**
 * Spectral radius max|lambda| of a square CSR matrix, by the iterative growth-rate method of
 * `spectralRadiusOp` (power iteration measured over a second window, which converges for
 * complex dominant pairs too): only sparse mat-vecs, never a dense decomposition.
 */
export function csrSpectralRadius(A: CSR, opts: { iters?: number; seed?: number } = {}): number {
  if (A.rows !== A.cols) throw new RangeError(`csrSpectralRadius: matrix must be square, got [${A.rows}, ${A.cols}]`);
  return spectralRadiusOp(A.rows, (x, y) => csrMatVecBatch(A, 1, x, 0, y, 0), {
    iters: opts.iters ?? 1000,
    seed: opts.seed,
  });
}
