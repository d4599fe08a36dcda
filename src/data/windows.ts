/**
 * Forecasting windows over multivariate series: the input is W consecutive steps (all F
 * features), the target the next H steps of the target features (O of them), as one vector
 * per window (direct multi-step forecasting):
 *
 *   x = series[t-W .. t-1, :]    [W, F]
 *   y = series[t .. t+H-1, targets]   [H * O], step-major (y[h*O + o])
 *
 * A window is a pair (series s, first target step t). Windows are listed, never copied: a
 * batch gathers its windows into one padded buffer.
 *
 * Change targets (`change`): y[h*O + o] = (series[t+h, f_o] - series[t-1, f_o] - mean) / std, the
 * move from the last input step, standardised per (h, o) over the training windows. For smooth
 * series, where the last value is already a close forecast, the net then learns only the move.
 *
 * Splits are chronological within each series (random windows would put the validation
 * targets inside the training inputs): the training windows have every target before the cut
 * c_s = floor(T_s (1 - fraction)), the validation windows every target at or after it.
 */
import type { Batch } from '../batch.js';
import type { PadBuffers } from './batches.js';

export interface WindowSpec {
  window: number;
  horizon: number;
  /** Feature indices to forecast. */
  targets: readonly number[];
}

/** Windows (s, t) with lo <= t - W and t + H <= hi, per series, as a flat [s0, t0, s1, t1, ...] list. */
export function listWindows(
  lengths: readonly number[],
  spec: WindowSpec,
  range: (s: number) => [number, number] = (s) => [0, lengths[s]!],
): Int32Array {
  const { window: W, horizon: H } = spec,
    out: number[] = [];
  lengths.forEach((_, s) => {
    const [lo, hi] = range(s);
    for (let t = lo + W; t + H <= hi; t++) out.push(s, t);
  });
  return Int32Array.from(out);
}

/** Mean and std of every change target (h, o) over the windows `list` (see the file comment). */
export function changeStats(
  series: readonly Float32Array[],
  F: number,
  spec: WindowSpec,
  list: Int32Array,
): { mean: Float64Array; std: Float64Array } {
  const { horizon: H, targets } = spec,
    O = targets.length,
    K = H * O,
    n = list.length / 2;
  const sum = new Float64Array(K),
    sq = new Float64Array(K);
  for (let w = 0; w < n; w++) {
    const s = series[list[2 * w]!]!,
      t0 = list[2 * w + 1]!;
    for (let h = 0; h < H; h++)
      for (let o = 0; o < O; o++) {
        const d = s[(t0 + h) * F + targets[o]!]! - s[(t0 - 1) * F + targets[o]!]!;
        sum[h * O + o] += d;
        sq[h * O + o] += d * d;
      }
  }
  const mean = sum.map((v) => v / Math.max(1, n));
  const std = sq.map((v, k) => {
    const sd = Math.sqrt(Math.max(0, v / Math.max(1, n) - mean[k]! ** 2));
    return sd > 1e-12 ? sd : 1;
  });
  return { mean, std };
}

/** Where each series is cut for a chronological validation split of `fraction`. */
export function cutPoints(lengths: readonly number[], fraction: number): number[] {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`validationSplit must be in (0, 1), got ${fraction}`);
  return lengths.map((T) => Math.floor(T * (1 - fraction)));
}

/**
 * The batch of windows `idx` (indices into `list`): x [W, B, F] time-major from series that
 * are already normalised, y [B, H * O].
 */
export function windowBatch(
  series: readonly Float32Array[],
  F: number,
  spec: WindowSpec,
  list: Int32Array,
  idx: ArrayLike<number>,
  buf: PadBuffers,
  change: { mean: ArrayLike<number>; std: ArrayLike<number> } | null = null,
): Batch {
  const { window: W, horizon: H, targets } = spec,
    O = targets.length,
    B = idx.length;
  const x = buf.take('x', W * B * F),
    y = buf.take('y', B * H * O);
  for (let b = 0; b < B; b++) {
    const s = series[list[2 * idx[b]!]!]!,
      t0 = list[2 * idx[b]! + 1]!;
    for (let w = 0; w < W; w++) x.set(s.subarray((t0 - W + w) * F, (t0 - W + w + 1) * F), (w * B + b) * F);
    for (let h = 0; h < H; h++)
      for (let o = 0; o < O; o++) {
        const v = s[(t0 + h) * F + targets[o]!]!,
          k = h * O + o;
        y[b * H * O + k] = change ? (v - s[(t0 - 1) * F + targets[o]!]! - change.mean[k]!) / change.std[k]! : v;
      }
  }
  return { T: W, B, x, y };
}
