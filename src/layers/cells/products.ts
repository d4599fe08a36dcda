/**
 * W_hh's products for the step Jacobians (diagnostics), over all G gate blocks at once, in float64:
 *   mv:  y[0..G*H) = W x[0..H)          mtv: y[0..H) (+)= W^T x[0..G*H)
 * A diagnostic runs a window of 20 step Jacobians through ~120 power iterations, i.e. thousands
 * of these products per call (a tenth of `recur train`'s time at the default --diag-every in
 * JavaScript loops). On a backend with its own memory (wasm) W_hh is copied there once per
 * diagnostic as float64 (exact: every float32 is a float64) and the products run on its gemv64
 * kernel; the vectors are copied in and out (H or G*H values, against G*H*H multiply-adds).
 * Elsewhere, and as the reference, the JavaScript loops of linalg.ts.
 */
import type { Backend } from '../../backend/backend.js';
import type { FArray } from '../../tensor.js';
import { addRowsAt, matVec } from '../../linalg.js';

export interface RecurrentProducts {
  /** y[0..G*H) = W x[0..H). */
  mv(x: Float64Array, y: Float64Array): void;
  /** y[0..H) = W^T x[0..G*H), or += with `acc`. */
  mtv(x: Float64Array, y: Float64Array, acc: boolean): void;
  /** Gives the backend's buffers back (the JavaScript form holds none). */
  release(): void;
}

/** The JavaScript loops on W as it is (float32 or float64), G blocks of H rows of H. */
export function jsProducts(W: FArray, G: number, H: number): RecurrentProducts {
  const rows = G * H;
  return {
    mv(x, y) {
      matVec(W, rows, H, x, y);
    },
    mtv(x, y, acc) {
      if (!acc) y.fill(0, 0, H); // y may be longer (the LSTM's [h, c] state): only its first H
      addRowsAt(W, 0, rows, H, x, y, 0);
    },
    release() {},
  };
}

/** The products on `be`'s float64 kernels when it has its own (wasm), else jsProducts. */
export function recurrentProducts(be: Backend | null, W: FArray, G: number, H: number): RecurrentProducts {
  const la = be?.linalg;
  if (!la) return jsProducts(W, G, H);
  const rows = G * H;
  const W64 = la.alloc64(rows * H),
    xb = la.alloc64(rows),
    yb = la.alloc64(rows);
  W64.set(W.subarray(0, rows * H));
  return {
    mv(x, y) {
      xb.set(x.subarray(0, H));
      la.gemv64(false, false, rows, H, 1, W64, 0, H, xb, 0, yb, 0);
      y.set(yb.subarray(0, rows));
    },
    mtv(x, y, acc) {
      xb.set(x.subarray(0, rows));
      la.gemv64(true, false, rows, H, 1, W64, 0, H, xb, 0, yb, 0);
      if (acc) for (let j = 0; j < H; j++) y[j]! += yb[j]!;
      else y.set(yb.subarray(0, H));
    },
    release() {
      for (const a of [W64, xb, yb]) la.free64?.(a);
    },
  };
}
