/**
 * What a reservoir needs from a readout, and the one linear map both readouts apply:
 *
 *   y[b] = Wout x[b] + bias,   x [B, N], Wout [O, N], bias [O], y [B, O]
 */
import { ShapeError } from '../tensor.js';
import { type SeqLike, asSeq } from './seq.js';

export interface Readout {
  inputDim: number;
  outputDim: number;
  warmup: number;
  fitted: boolean;
  Wout: Float64Array;
  bias: Float64Array;
  initialize(inputDim: number, outputDim: number): unknown;
  /** Learns from one (state, target) pair: accumulates (Ridge) or updates online (RLS). */
  addRow(x: ArrayLike<number>, xOff: number, y: ArrayLike<number>, yOff: number): void;
  /** Turns what was learnt into weights (Ridge solves; RLS is always current). */
  solve(): unknown;
  forward(B: number, x: ArrayLike<number>, xOff: number, y: Float64Array, yOff: number): void;
}

export function linearForward(
  W: Float64Array,
  bias: Float64Array,
  N: number,
  O: number,
  B: number,
  x: ArrayLike<number>,
  xOff: number,
  y: Float64Array,
  yOff: number,
): void {
  for (let b = 0; b < B; b++) {
    const xo = xOff + b * N;
    for (let o = 0; o < O; o++) {
      let s = bias[o]!;
      const wo = o * N;
      for (let j = 0; j < N; j++) s += W[wo + j]! * x[xo + j]!;
      y[yOff + b * O + o] = s;
    }
  }
}

/**
 * Feeds a batch of (feature, target) sequences to a readout, row by row, skipping the first
 * `warmup` steps of each: x [T, N] or [T, B, N], y with the same leading dims and O features.
 */
export function feedSequences(r: Readout, x: SeqLike, y: SeqLike, what: string): void {
  const sx = asSeq(x, `${what} x`),
    sy = asSeq(y, `${what} y`);
  if (sx.T !== sy.T || sx.B !== sy.B)
    throw new ShapeError(`${what}: x has [T, B] = [${sx.T}, ${sx.B}] but y has [${sy.T}, ${sy.B}]`);
  if (r.inputDim === 0) r.initialize(sx.F, sy.F);
  if (sx.F !== r.inputDim || sy.F !== r.outputDim) {
    throw new ShapeError(`${what}: expected ${r.inputDim} features -> ${r.outputDim} targets, got ${sx.F} -> ${sy.F}`);
  }
  for (let t = r.warmup; t < sx.T; t++) {
    for (let b = 0; b < sx.B; b++) r.addRow(sx.data, (t * sx.B + b) * sx.F, sy.data, (t * sy.B + b) * sy.F);
  }
}
