/**
 * Where a ridge readout folds its row blocks into the Gram matrix, C[P,P] += A^T A for a block
 * A [K,P] (upper triangle): on the calling thread (`directGram`, the default), or split with a
 * helper thread (`SplitGram`, given a `GramHelper`; src/node/gram.ts starts one on Node).
 *
 * Why a helper: a reservoir's training run is sequential, one step after another, and the Gram
 * update of N^2 / 2 multiply-adds per row is as large or larger. With two cores the helper folds
 * block b in while the caller runs the reservoir over block b + 1; when the update is the
 * slower of the two, the caller also takes a share of the tiles (by row panels, so the two
 * write disjoint parts of C), sized from the measured times so that both finish together.
 *
 * Contract: `add` may return before the block is folded in; A must not be written until the
 * next `add` or `sync` returns (the ridge readout alternates two block buffers), and C must
 * not be read before `sync`.
 */
import type { LinalgKernels } from '../backend/backend.js';

export interface GramAccumulator {
  add(P: number, K: number, A: Float64Array, C: Float64Array): void;
  sync(): void;
  /** Optional: LinalgKernels.gemmNT64 on both threads (the ridge solve's Cholesky panel updates). */
  gemmNT64?(
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float64Array,
    aOff: number,
    lda: number,
    B: Float64Array,
    bOff: number,
    ldb: number,
    C: Float64Array,
    cOff: number,
    ldc: number,
  ): void;
}

/** The calling thread does it all, synchronously. */
export function directGram(la: LinalgKernels): GramAccumulator {
  return {
    add(P, K, A, C) {
      la.syrkUpper(true, P, K, A, 0, C, 0);
    },
    sync() {},
  };
}

/** A helper thread's side of a split update (both operands in the shared kernel memory). */
export interface GramHelper {
  /** Starts folding the tiles of row panels [ipFrom, ipTo) of A [K,P] into C; returns at once. */
  start(P: number, K: number, A: Float64Array, C: Float64Array, ipFrom: number, ipTo: number): void;
  /** Waits for the started job; returns how long the helper worked on it (ms). */
  wait(): number;
  /** Optional: starts C (+)= alpha A B^T (LinalgKernels.gemmNT64's operands) on the helper; returns at once. */
  gemmRows?(
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float64Array,
    aOff: number,
    lda: number,
    B: Float64Array,
    bOff: number,
    ldb: number,
    C: Float64Array,
    cOff: number,
    ldc: number,
  ): void;
}

/** What the calling thread's kernel must offer (the wasm backend's `syrkRows`). */
export interface RowsKernel {
  syrkRows(P: number, K: number, A: Float64Array, C: Float64Array, ipFrom: number, ipTo: number): void;
}

/** Tile work of row panels [0, r) of np panels (upper triangle): panel ip holds np - ip tiles. */
const workBelow = (r: number, np: number): number => r * np - (r * (r - 1)) / 2;

export class SplitGram implements GramAccumulator {
  /** Share of each block's tiles the calling thread takes (adapted from the measured times). */
  mainShare = 0;
  private pending = false;
  private msPerRow = 0; // estimated single-thread time of a whole block update, per row
  private callerMs = 0; // the caller's own time between two adds (the reservoir run)
  private lastReturn = -1;
  private lastShare = 0;
  private lastK = 1;

  constructor(
    private readonly kernel: RowsKernel,
    private readonly helper: GramHelper,
  ) {}

  add(P: number, K: number, A: Float64Array, C: Float64Array): void {
    const t0 = performance.now();
    if (this.lastReturn >= 0) this.callerMs = t0 - this.lastReturn;
    this.sync();
    const np = Math.ceil(P / 4),
      total = workBelow(np, np);
    // Balance: helper (1 - f) g = caller f g + run  =>  f = (g - run) / 2g, in [0, 1/2].
    const g = this.msPerRow * K;
    const f = g > 0 ? Math.min(0.5, Math.max(0, (g - this.callerMs) / (2 * g))) : 0;
    let r = 0;
    while (r < np && workBelow(r, np) < f * total) r++;
    this.lastShare = workBelow(r, np) / total;
    this.mainShare = this.lastShare;
    this.lastK = K;
    this.helper.start(P, K, A, C, r, np);
    this.pending = true;
    if (r > 0) {
      const t1 = performance.now();
      this.kernel.syrkRows(P, K, A, C, 0, r);
      this.estimate((performance.now() - t1) / this.lastShare / K);
    }
    this.lastReturn = performance.now();
  }

  sync(): void {
    if (!this.pending) return;
    const ms = this.helper.wait();
    this.pending = false;
    if (this.lastShare < 1) this.estimate(ms / (1 - this.lastShare) / this.lastK);
  }

  private estimate(msPerRow: number): void {
    this.msPerRow = this.msPerRow > 0 ? 0.5 * (this.msPerRow + msPerRow) : msPerRow;
  }
}
