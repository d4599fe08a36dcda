/**
 * Logistic regression by SGD with a per-coordinate adaptive learning rate (AdaGrad-style), the
 * learner of the classic "beat the benchmark with less than 200 MB of memory" Criteo script.
 * Per coordinate i touched by a row:
 *
 *   p   = sigmoid(sum_i w_i x_i)
 *   g_i = (p - y) x_i + l2 w_i
 *   n_i += g_i^2
 *   w_i -= alpha g_i / (beta + sqrt(n_i))
 *
 * w and n sit interleaved in one Float64Array [D, 2] (one cache line per bucket). L2 is applied
 * lazily: only to the coordinates a row touches.
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

export interface AdaGradOptions {
  bits?: number; // log2 buckets (default 20)
  alpha?: number; // learning-rate scale (default 0.1)
  beta?: number; // added to sqrt(n) (default 1)
  l2?: number; // L2 strength (default 0)
}

export class AdaGradLogistic implements OnlineLearner {
  readonly kind = 'adagrad' as const;
  readonly bits: number;
  readonly alpha: number;
  readonly beta: number;
  readonly l2: number;
  /** Shape `[D, 2]`: w_i at 2i, n_i at 2i+1 (replaced only by adopt). */
  wn: Float64Array;

  constructor(opts: AdaGradOptions = {}) {
    this.bits = opts.bits ?? 20;
    checkBits('AdaGradLogistic', this.bits);
    this.alpha = opts.alpha ?? 0.1;
    this.beta = opts.beta ?? 1;
    this.l2 = opts.l2 ?? 0;
    checkPositive('AdaGradLogistic', 'alpha', this.alpha);
    checkPositive('AdaGradLogistic', 'beta', this.beta, true);
    checkPositive('AdaGradLogistic', 'l2', this.l2, true);
    this.wn = new Float64Array(2 * 2 ** this.bits);
  }

  predict(idx: Int32Array, val: Float64Array, n: number): number {
    const wn = this.wn;
    let z = 0;
    for (let k = 0; k < n; k++) z += wn[idx[k]! << 1]! * val[k]!;
    return sigmoid(z);
  }

  learn(idx: Int32Array, val: Float64Array, n: number, y: number): number {
    const p = this.predict(idx, val, n);
    const wn = this.wn,
      g0 = p - y,
      alpha = this.alpha,
      beta = this.beta,
      l2 = this.l2;
    for (let k = 0; k < n; k++) {
      const i = idx[k]! << 1;
      const wi = wn[i]!;
      const g = g0 * val[k]! + l2 * wi;
      const ni = wn[i + 1]! + g * g;
      wn[i + 1] = ni;
      wn[i] = wi - (alpha * g) / (beta + Math.sqrt(ni));
    }
    return p;
  }

  weights(): Float64Array {
    const D = this.wn.length / 2,
      out = new Float64Array(D);
    for (let i = 0; i < D; i++) out[i] = this.wn[2 * i]!;
    return out;
  }

  hyper(): Record<string, number> {
    return { bits: this.bits, alpha: this.alpha, beta: this.beta, l2: this.l2 };
  }

  state(): Record<string, StateTensor> {
    return { adagrad_wn: { dtype: 'F64', shape: [this.wn.length / 2, 2], data: this.wn } };
  }

  loadState(tensors: Record<string, { shape: number[]; data: ArrayLike<number> }>): void {
    loadInterleaved('AdaGradLogistic', 'adagrad_wn', this.wn, tensors);
  }

  adopt(storage: Float64Array): void {
    this.wn = adoptInterleaved('AdaGradLogistic', this.wn, storage);
  }
}
