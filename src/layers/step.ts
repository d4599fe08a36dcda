/**
 * What one training step of any model returns and takes (DESIGN.md, decision 8): the
 * sequence model, the encoder-decoder, the NPLM and the GPU model all answer
 * `lossAndGrad(batch, opts)` with a StepResult, so that one Trainer steps them all.
 */
import type { FArray } from '../tensor.js';

export interface StepResult {
  /** Mean loss over the rows counted. */
  loss: number;
  /** Rows counted by the loss (for averaging over batches and shards). */
  count: number;
  /** Classification losses: correctly classified rows. */
  correct?: number;
}

export interface StepOptions {
  /** Start from the carried state and keep the final state (truncated BPTT; no gradient crosses back). */
  carry?: boolean;
  /**
   * Leading time steps whose loss is not counted: they only rebuild the state, with gradient
   * flowing through them (overlapping truncated-BPTT windows, k2 > k1). Default 0.
   */
  skip?: number;
}

/** A recurrent state carried between calls, in the model's dtype ([L*D, B, H] each). */
export interface CarriedState {
  h: FArray | null;
  c: FArray | null;
}
