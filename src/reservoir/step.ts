/**
 * The reservoir step, fused: for T steps and B sequences
 *
 *   pre[b] = W x[b] + Win u[t, b];   x[b] = (1 - lr) x[b] + lr f(pre[b] + bias)
 *
 * optionally copying each new state into a row of a caller's buffer (the ridge readout's
 * Gram block), so that a whole training sequence is one kernel call. This loop is the
 * reference; assembly/reservoir64.ts computes the same sums in the same order (same bits).
 *
 * W is kept packed for the step: float32 values (a reservoir's weights are random; rounding
 * them to float32 once, at initialisation, just picks a neighbouring random matrix, and halves
 * the bytes a step must read, which is what bounds it), u16 column indices while N <= 65536
 * (stored two per int32 word so the wasm backend can hold them), float64 products and sums.
 * Win stays a float64 CSR (N x D entries, negligible).
 */
import type { Backend, ReservoirRunArgs } from '../backend/backend.js';
import { getBackend } from '../backend/index.js';
import { sigmoid64, tanh64 } from './activation.js';
import { type CSR, rowSum4 } from './sparse.js';

export interface PackedW {
  rows: number;
  rowPtr: Int32Array;
  /** The index words: u16 pairs when idx16, else one int32 per entry. */
  idxStore: Int32Array;
  idx16: boolean;
  values: Float32Array;
}

/** Packs a square CSR matrix (whose values are already float32-representable) for the step, in the backend's memory. */
export function packW(A: CSR, be: Backend = getBackend()): PackedW {
  const nnz = A.rowPtr[A.rows]!, idx16 = A.cols <= 65536;
  const i32 = (n: number): Int32Array => be.allocI32 ? be.allocI32(n) : new Int32Array(n);
  const rowPtr = i32(A.rows + 1), idxStore = i32(idx16 ? Math.ceil(nnz / 2) + 1 : nnz);
  const values = be.alloc ? be.alloc(nnz + 4) : new Float32Array(nnz + 4); // +4: the kernel loads 4 values at a time
  rowPtr.set(A.rowPtr);
  if (idx16) new Uint16Array(idxStore.buffer, idxStore.byteOffset, nnz).set(A.colIdx);
  else idxStore.set(A.colIdx.subarray(0, nnz));
  for (let p = 0; p < nnz; p++) values[p] = A.values[p]!;
  return { rows: A.rows, rowPtr, idxStore, idx16, values };
}

/** Runs a.T steps on the backend's kernel where it has one, else on the reference loop. */
export function reservoirRun(a: ReservoirRunArgs, be: Backend = getBackend()): void {
  if (be.reservoirRun) be.reservoirRun(a);
  else reservoirRunRef(a);
}

export function reservoirRunRef(a: ReservoirRunArgs): void {
  const { N, D, B, T, wRow, wVal, inRow, inIdx, inVal, bias, lr, act, x, pre, u, out, outStride } = a;
  const wIdx: Uint16Array | Int32Array = a.idx16 ? new Uint16Array(a.wIdx.buffer, a.wIdx.byteOffset, a.wIdx.length * 2) : a.wIdx;
  const keep = 1 - lr;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const xo = b * N, uo = a.uOff + (t * B + b) * D;
      for (let i = 0; i < N; i++) {
        // W's row then Win's, each in rowSum4's order (the kernel's two f64x2 lane pairs for W).
        const v = rowSum4(wVal, wIdx, x, xo, wRow[i]!, wRow[i + 1]!);
        pre[xo + i] = v + rowSum4(inVal, inIdx, u, uo, inRow[i]!, inRow[i + 1]!);
      }
    }
    for (let b = 0; b < B; b++) {
      for (let i = 0, j = b * N; i < N; i++, j++) {
        const v = pre[j]! + bias[i]!;
        const f = act === 0 ? tanh64(v) : act === 1 ? (v < 0 ? 0 : v) : act === 2 ? sigmoid64(v) : v;
        x[j] = keep * x[j]! + lr * f;
      }
    }
    if (out) for (let b = 0; b < B; b++) out.set(x.subarray(b * N, b * N + N), a.outOff + (t * B + b) * outStride);
  }
}
