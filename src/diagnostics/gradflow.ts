/**
 * Gradient flow through time: ||dL/dh_t||_2 for t = 1..T, per layer and direction, recorded
 * by each core's backward when asked (RecurrentCore.recordGradNorms). dL/dh_t holds both the
 * loss's direct part at step t and what flowed back from t+1, so for a loss on the last step
 * only the curve is the vanishing (falls towards t = 1) or exploding (rises) gradient itself.
 *
 * Shapes: norms [T] per core; cores indexed k = layer*D + direction as in RecurrentStack.
 */
import type { RecurrentStack } from '../layers/stack.js';

export interface GradFlow {
  layer: number;
  direction: number;
  /** ||dL/dh_t|| over the batch, t = 0..T-1 (a copy). */
  norms: number[];
}

/** Turns the recording on or off in every core of the stack (off costs nothing). */
export function recordGradFlow(stack: RecurrentStack, on: boolean): void {
  for (const c of stack.cores) c.recordGradNorms = on;
}

/** The norms the last backward recorded, per core (empty arrays where nothing was recorded). */
export function readGradFlow(stack: RecurrentStack): GradFlow[] {
  const D = stack.numDirections;
  return stack.cores.map((c, k) => ({ layer: Math.floor(k / D), direction: k % D, norms: Array.from(c.dhNorms) }));
}

/** log10 of ||dL/dh_1|| / ||dL/dh_T||: below 0 the gradient vanishes going back in time, above it grows. */
export function gradFlowDecay(norms: readonly number[]): number {
  const first = norms[0],
    last = norms[norms.length - 1];
  if (first === undefined || last === undefined || !(last > 0)) return NaN;
  return Math.log10(first / last);
}
