/**
 * A batch of sequences as a sequence model consumes it (time-major, DESIGN.md decision 1).
 * Plain data, defined below every layer: tasks and corpora produce it, models consume it.
 */
import type { FArray } from './tensor.js';

export interface Batch {
  T: number;
  B: number;
  /** Dense inputs [T,B,I]. */
  x?: FArray;
  /** Token ids [T*B] (time-major). */
  ids?: ArrayLike<number>;
  /** mse: [B,O] ('last') or [T,B,O] ('every'); xent: class ids [B] or [T*B] (-1 = ignore). */
  y: ArrayLike<number>;
  /** Per-sequence lengths [B] (1..T); rows past their length are padding. */
  lengths?: ArrayLike<number>;
}
