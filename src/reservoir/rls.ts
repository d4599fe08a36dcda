/**
 * Online readout by recursive least squares (RLS), the learning rule of FORCE training
 * (Sussillo & Abbott 2009). For each step, with x' = [x 1] (M = N + 1) and target y [O]:
 *
 *   k = P x'                   gain direction [M]
 *   c = 1 / (forget + x'^T k)
 *   e = W x' - y               error before the update [O]
 *   W <- W - c e k^T           [O, M]
 *   P <- (P - c k k^T) / forget,   P_0 = I / alpha
 *
 * P is the running inverse of (alpha I + sum x' x'^T), so with forget = 1 the weights after
 * T steps equal a ridge solution with penalty alpha (exactly, when W_0 = 0). Each step costs
 * O(M^2): meant for `partialFit` on streams, and for FORCE (train while the output is fed back).
 */
import type { SeqLike } from './seq.js';
import { type Readout, feedSequences, linearForward } from './readout.js';

export interface RLSOptions {
  /** P_0 = I / alpha: the implied ridge penalty (default 1e-6). */
  alpha?: number;
  /** Forgetting factor in (0, 1] (default 1: remember everything). */
  forget?: number;
  /** Steps skipped at the start of each sequence given to `partialFit` (default 0). */
  warmup?: number;
}

export class RLS implements Readout {
  readonly alpha: number;
  readonly forget: number;
  readonly warmup: number;
  inputDim = 0;
  outputDim = 0;
  /** Weights [O, N] and bias [O]: live, updated by every step. */
  Wout = new Float64Array(0);
  bias = new Float64Array(0);
  samples = 0;
  fitted = false;
  private P = new Float64Array(0); // [M, M]
  private k = new Float64Array(0);
  private xa = new Float64Array(0);

  constructor(opts: RLSOptions = {}) {
    this.alpha = opts.alpha ?? 1e-6;
    this.forget = opts.forget ?? 1;
    this.warmup = opts.warmup ?? 0;
    if (!(this.alpha > 0)) throw new RangeError(`RLS: alpha must be > 0, got ${opts.alpha}`);
    if (!(this.forget > 0 && this.forget <= 1))
      throw new RangeError(`RLS: forget must be in (0, 1], got ${opts.forget}`);
  }

  initialize(inputDim: number, outputDim: number): this {
    if (!Number.isInteger(inputDim) || inputDim < 1 || !Number.isInteger(outputDim) || outputDim < 1) {
      throw new RangeError(`RLS: dimensions must be positive integers, got input ${inputDim}, output ${outputDim}`);
    }
    const M = inputDim + 1;
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.P = new Float64Array(M * M);
    for (let i = 0; i < M; i++) this.P[i * M + i] = 1 / this.alpha;
    this.k = new Float64Array(M);
    this.xa = new Float64Array(M);
    this.Wout = new Float64Array(outputDim * inputDim);
    this.bias = new Float64Array(outputDim);
    this.samples = 0;
    this.fitted = true;
    return this;
  }

  /** One RLS update from x [N] at xOff towards y [O] at yOff. */
  addRow(x: ArrayLike<number>, xOff: number, y: ArrayLike<number>, yOff: number): void {
    const N = this.inputDim,
      M = N + 1,
      O = this.outputDim,
      P = this.P,
      k = this.k,
      xa = this.xa;
    for (let j = 0; j < N; j++) xa[j] = x[xOff + j]!;
    xa[N] = 1;
    let xk = 0;
    for (let i = 0; i < M; i++) {
      // k = P x' (P stays symmetric)
      let s = 0;
      const r = i * M;
      for (let j = 0; j < M; j++) s += P[r + j]! * xa[j]!;
      k[i] = s;
      xk += xa[i]! * s;
    }
    const c = 1 / (this.forget + xk);
    for (let o = 0; o < O; o++) {
      let e = this.bias[o]! - y[yOff + o]!;
      const wo = o * N;
      for (let j = 0; j < N; j++) e += this.Wout[wo + j]! * xa[j]!;
      const ce = c * e;
      for (let j = 0; j < N; j++) this.Wout[wo + j]! -= ce * k[j]!;
      this.bias[o]! -= ce * k[N]!;
    }
    const f = 1 / this.forget;
    for (let i = 0; i < M; i++) {
      const r = i * M,
        cki = c * k[i]!;
      for (let j = 0; j < M; j++) P[r + j] = (P[r + j]! - cki * k[j]!) * f;
    }
    this.samples++;
  }

  /** Online updates over x [T, N] or [T, B, N] and y alike (B sequences interleaved step by step). */
  partialFit(x: SeqLike, y: SeqLike): this {
    feedSequences(this, x, y, 'RLS.partialFit');
    return this;
  }

  /** Nothing to solve: the weights are always current. Kept so RLS and Ridge share `solve`. */
  solve(): this {
    return this;
  }

  /** y [B, O] = Wout x + bias for x [B, N]. */
  forward(B: number, x: ArrayLike<number>, xOff: number, y: Float64Array, yOff: number): void {
    linearForward(this.Wout, this.bias, this.inputDim, this.outputDim, B, x, xOff, y, yOff);
  }
}
