/**
 * FTRL-Proximal (McMahan et al. 2013, "Ad Click Prediction: a View from the Trenches",
 * Algorithm 1) for logistic regression over hashed features. Per coordinate i:
 *
 *   w_i = 0                                               if |z_i| <= l1
 *       = -(z_i - sign(z_i) l1) / ((beta + sqrt(n_i)) / alpha + l2)   otherwise
 *   p   = sigmoid(sum_i w_i x_i)
 *   g_i = (p - y) x_i
 *   sigma_i = (sqrt(n_i + g_i^2) - sqrt(n_i)) / alpha
 *   z_i += g_i - sigma_i w_i ;   n_i += g_i^2
 *
 * Only z and s = sqrt(n) are stored; w is recomputed lazily for the coordinates a row touches,
 * so L1 gives exact zeros. Keeping sqrt(n) rather than n costs one square root per coordinate
 * and row instead of two (s' = sqrt(s^2 + g^2), sigma = (s' - s) / alpha). z and s sit
 * interleaved in one Float64Array [D, 2] so that one cache line holds both (a row touches ~40
 * random buckets; memory latency and square roots are the cost).
 */
import {
  type OnlineLearner,
  type StateTensor,
  adoptInterleaved,
  checkBits,
  checkPositive,
  loadInterleaved,
  sigmoid,
} from './learner.js';

export interface FTRLOptions {
  bits?: number; // log2 buckets (default 20)
  alpha?: number; // learning-rate scale (default 0.1)
  beta?: number; // learning-rate smoothing (default 1)
  l1?: number; // L1 strength (default 1)
  l2?: number; // L2 strength (default 1)
}

export class FTRL implements OnlineLearner {
  readonly kind = 'ftrl' as const;
  readonly bits: number;
  readonly alpha: number;
  readonly beta: number;
  readonly l1: number;
  readonly l2: number;
  /** Shape `[D, 2]`: z_i at 2i, sqrt(n_i) at 2i+1 (replaced only by adopt). */
  zs: Float64Array;
  private w = new Float64Array(64); // scratch: w of the row's coordinates
  private zk = new Float64Array(64); // scratch: z of the row's coordinates
  private sk = new Float64Array(64); // scratch: sqrt(n) of the row's coordinates

  constructor(opts: FTRLOptions = {}) {
    this.bits = opts.bits ?? 20;
    checkBits('FTRL', this.bits);
    this.alpha = opts.alpha ?? 0.1;
    this.beta = opts.beta ?? 1;
    this.l1 = opts.l1 ?? 1;
    this.l2 = opts.l2 ?? 1;
    checkPositive('FTRL', 'alpha', this.alpha);
    checkPositive('FTRL', 'beta', this.beta, true);
    checkPositive('FTRL', 'l1', this.l1, true);
    checkPositive('FTRL', 'l2', this.l2, true);
    this.zs = new Float64Array(2 * 2 ** this.bits);
  }

  private dot(idx: Int32Array, val: Float64Array, n: number): number {
    if (n > this.w.length) {
      this.w = new Float64Array(2 * n);
      this.zk = new Float64Array(2 * n);
      this.sk = new Float64Array(2 * n);
    }
    const zs = this.zs,
      w = this.w,
      zk = this.zk,
      sk = this.sk,
      l1 = this.l1,
      l2 = this.l2,
      beta = this.beta,
      ia = 1 / this.alpha;
    // Gather first, compute second: a loop of loads only lets the CPU keep all ~40 cache misses
    // of a row in flight, where data-dependent branches between the loads would serialise them.
    for (let k = 0; k < n; k++) {
      const i = idx[k]! << 1;
      zk[k] = zs[i]!;
      sk[k] = zs[i + 1]!;
    }
    let z = 0;
    for (let k = 0; k < n; k++) {
      const zi = zk[k]!;
      let wi = 0;
      if (zi > l1) wi = (l1 - zi) / ((beta + sk[k]!) * ia + l2);
      else if (zi < -l1) wi = (-l1 - zi) / ((beta + sk[k]!) * ia + l2);
      w[k] = wi;
      z += wi * val[k]!;
    }
    return z;
  }

  predict(idx: Int32Array, val: Float64Array, n: number): number {
    return sigmoid(this.dot(idx, val, n));
  }

  learn(idx: Int32Array, val: Float64Array, n: number, y: number): number {
    const p = sigmoid(this.dot(idx, val, n));
    const zs = this.zs,
      w = this.w,
      ia = 1 / this.alpha,
      g0 = p - y;
    for (let k = 0; k < n; k++) {
      const i = idx[k]! << 1;
      const g = g0 * val[k]!;
      // s is read again here: a bucket hit twice in one row updates from what its first hit left.
      const s = zs[i + 1]!,
        s1 = Math.sqrt(s * s + g * g);
      zs[i] = zs[i]! + g - (s1 - s) * ia * w[k]!;
      zs[i + 1] = s1;
    }
    return p;
  }

  weights(): Float64Array {
    const D = this.zs.length / 2,
      out = new Float64Array(D),
      ia = 1 / this.alpha;
    for (let i = 0; i < D; i++) {
      const zi = this.zs[2 * i]!;
      if (Math.abs(zi) <= this.l1) continue;
      out[i] = (Math.sign(zi) * this.l1 - zi) / ((this.beta + this.zs[2 * i + 1]!) * ia + this.l2);
    }
    return out;
  }

  hyper(): Record<string, number> {
    return { bits: this.bits, alpha: this.alpha, beta: this.beta, l1: this.l1, l2: this.l2 };
  }

  state(): Record<string, StateTensor> {
    return { ftrl_z_sqrtn: { dtype: 'F64', shape: [this.zs.length / 2, 2], data: this.zs } };
  }

  loadState(tensors: Record<string, { shape: number[]; data: ArrayLike<number> }>): void {
    loadInterleaved('FTRL', 'ftrl_z_sqrtn', this.zs, tensors);
  }

  adopt(storage: Float64Array): void {
    this.zs = adoptInterleaved('FTRL', this.zs, storage);
  }
}
