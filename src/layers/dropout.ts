/**
 * Inverted dropout (Srivastava et al. 2014), as PyTorch's nn.Dropout: in training each value is
 * kept with probability 1 - p and scaled by 1 / (1 - p), so evaluation (no dropout) needs no
 * rescaling.
 *
 *   forward:  y = x .* m,   m_i = keep_i / (1 - p),  keep_i ~ Bernoulli(1 - p)
 *   backward: dx = dy .* m  (the same mask)
 *
 * Shapes: any flat array of n values. Cache: the mask [n] of the last training forward.
 * The mask comes from a seeded Rng (the same seed and call sequence give the same masks);
 * `frozen` reuses the last mask instead of drawing a new one, so a loss evaluated again and
 * again (a gradient check by finite differences) sees one fixed function.
 */
import { Rng } from '../random.js';
import { type DType, type FArray, alloc } from '../tensor.js';

export class Dropout {
  readonly p: number;
  readonly rng: Rng;
  /** Reuse the last mask (gradient checks); a new mask is drawn only when the size changes. */
  frozen = false;
  /** [n] the last mask: 0 or 1/(1-p). */
  mask: FArray;
  /** Whether the last forward applied a mask (training with p > 0). */
  private applied = false;

  constructor(p: number, seed: number, dtype: DType = 'float32') {
    if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
    this.p = p;
    this.rng = new Rng(seed);
    this.mask = alloc(dtype, 0);
  }

  /** Whether forward with `training` changes anything. */
  active(training: boolean): boolean {
    return training && this.p > 0;
  }

  /**
   * y = x .* mask written into `out` (the caller's workspace, >= x.length values) in training;
   * x itself (no copy) when not training or p = 0. Returns what the next layer reads.
   */
  forward(x: FArray, out: FArray, training: boolean): FArray {
    this.applied = this.active(training);
    if (!this.applied) return x;
    const n = x.length;
    if (this.mask.length !== n || !this.frozen) this.draw(n, x instanceof Float64Array ? 'float64' : 'float32');
    const m = this.mask;
    for (let i = 0; i < n; i++) out[i] = x[i]! * m[i]!;
    return out.length === n ? out : out.subarray(0, n);
  }

  /** dx = dy .* mask, in place on dy (nothing when the last forward applied no mask). */
  backwardInPlace(dy: FArray): void {
    if (!this.applied) return;
    const m = this.mask;
    for (let i = 0; i < dy.length; i++) dy[i] *= m[i]!;
  }

  private draw(n: number, dtype: DType): void {
    if (this.mask.length !== n) this.mask = alloc(dtype, n);
    const keep = 1 - this.p,
      scale = 1 / keep,
      m = this.mask,
      r = this.rng;
    for (let i = 0; i < n; i++) m[i] = r.nextU32() < keep * 4294967296 ? scale : 0; // keep w.p. 1 - p
  }
}
