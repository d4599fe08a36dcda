/**
 * The reservoir step, fused: for T steps and B sequences
 *
 *   pre[b] = W x[b] + Win u[t, b];   x[b] = (1 - lr) x[b] + lr f(pre[b] + bias)
 *
 * optionally copying each new state into a row of a caller's buffer (the ridge readout's
 * Gram block), so that a whole training sequence is one kernel call (Backend.reservoirRun:
 * reference in src/backend/ts.ts, the same sums in the same order in assembly/reservoir64.ts).
 *
 * W is kept packed for the step: float32 values (a reservoir's weights are random; rounding
 * them to float32 once, at initialisation, just picks a neighbouring random matrix, and halves
 * the bytes a step must read, which is what bounds it), u16 column indices while N <= 65536
 * (stored two per int32 word so the wasm backend can hold them), float64 products and sums.
 * Win stays a float64 CSR (N x D entries, negligible).
 */
import type { Backend } from '../backend/backend.js';
import { getBackend, linalgOf } from '../backend/index.js';
import type { CSR } from './sparse.js';

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
  const nnz = A.rowPtr[A.rows]!,
    idx16 = A.cols <= 65536;
  const i32 = (n: number): Int32Array => linalgOf(be).allocI32(n);
  const rowPtr = i32(A.rows + 1),
    idxStore = i32(idx16 ? Math.ceil(nnz / 2) + 1 : nnz);
  const values = be.alloc ? be.alloc(nnz + 4) : new Float32Array(nnz + 4); // +4: the kernel loads 4 values at a time
  rowPtr.set(A.rowPtr);
  if (idx16) new Uint16Array(idxStore.buffer, idxStore.byteOffset, nnz).set(A.colIdx);
  else idxStore.set(A.colIdx.subarray(0, nnz));
  for (let p = 0; p < nnz; p++) values[p] = A.values[p]!;
  return { rows: A.rows, rowPtr, idxStore, idx16, values };
}
