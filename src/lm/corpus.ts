/**
 * A token stream laid out for truncated BPTT, as char-rnn does: the ids are cut into B
 * contiguous streams of length L = floor(N / B) (the tail is dropped) and stored time-major,
 * `data[t*B + b] = ids[b*L + t]`. Window [a, e) of all streams is the batch with inputs
 * data[a..e) and next-token targets data[a+1..e+1), so a stream of length L gives L - 1
 * training positions and the state carried from one window to the next is the true state
 * of each stream.
 *
 * Windows reuse their target buffers (one per window length), so iterating allocates only
 * the small batch objects.
 */
import type { Batch } from '../layers/model.js';

/** Splits ids into train / validation at `fraction` (validation is the tail, as char-rnn). */
export function splitIds(ids: Int32Array, valFraction: number): { train: Int32Array; val: Int32Array } {
  if (!(valFraction >= 0 && valFraction < 1)) throw new RangeError(`valFraction must be in [0, 1), got ${valFraction}`);
  const nVal = Math.floor(ids.length * valFraction);
  return { train: ids.subarray(0, ids.length - nVal), val: ids.subarray(ids.length - nVal) };
}

export class TokenStreams {
  readonly B: number;
  /** Length of each stream. */
  readonly L: number;
  /** [L, B] time-major ids. */
  readonly data: Int32Array;
  private readonly yBufs = new Map<number, Float32Array>();

  constructor(ids: ArrayLike<number>, B: number) {
    if (!(Number.isInteger(B) && B >= 1)) throw new RangeError(`TokenStreams: B must be a positive integer, got ${B}`);
    const L = Math.floor(ids.length / B);
    if (L < 2)
      throw new RangeError(`TokenStreams: ${ids.length} tokens are too few for ${B} streams (each needs >= 2 tokens)`);
    this.B = B;
    this.L = L;
    this.data = new Int32Array(L * B);
    for (let b = 0; b < B; b++) for (let t = 0; t < L; t++) this.data[t * B + b] = ids[b * L + t]!;
  }

  /** Training positions per stream (the last token has no target). */
  get positions(): number {
    return this.L - 1;
  }

  /** The batch of positions [a, e): ids [T*B] and next-token targets [T*B]. */
  window(a: number, e: number): Batch {
    if (!(Number.isInteger(a) && Number.isInteger(e) && 0 <= a && a < e && e <= this.positions)) {
      throw new RangeError(`TokenStreams.window: need 0 <= a < e <= ${this.positions}, got [${a}, ${e})`);
    }
    const T = e - a,
      B = this.B;
    let y = this.yBufs.get(T);
    if (!y) {
      y = new Float32Array(T * B);
      this.yBufs.set(T, y);
    }
    // One target buffer per window length, so every window writes its own targets.
    for (let i = 0; i < T * B; i++) y[i] = this.data[(a + 1) * B + i]!;
    return { T, B, ids: this.data.subarray(a * B, e * B), y };
  }
}
