/**
 * Ridge readout: y = Wout x + bias, fitted by regularised least squares.
 *
 *   minimise sum_t ||y_t - Wout x_t - bias||^2 + ridge * ||Wout||^2       (the bias is not penalised)
 *   => (Xc^T Xc + ridge I) Wout^T = Xc^T Yc,  bias = mean(y) - Wout mean(x)
 *   with Xc, Yc centred; Xc^T Xc = X^T X - n mean(x) mean(x)^T comes from the sums kept in
 *   the bias column of X'^T X' (X' = [X 1]).
 *
 *   x [N] features (reservoir states), y [O] targets, M = N + 1 with the bias column.
 *
 * Streaming: `partialFit` only adds to X'^T X' [M, M] and Y^T X' [O, M] (float64), so memory
 * does not grow with the number or length of sequences; `solve` factors once (Cholesky).
 * Rows are gathered in blocks of `blockRows`, stored transposed ([M, rows]) so that the
 * products are plain `gemm` calls through the Backend (a faster backend speeds them up);
 * only the upper triangle of X'^T X' is computed, tile by tile. With `precision: 'float32'`
 * the block products run in float32 and are summed into the float64 totals block by block.
 */
import { getBackend } from '../backend/index.js';
import { ShapeError, type FArray } from '../tensor.js';
import { choleskyInPlace, choleskySolveInPlace } from './cholesky.js';
import { type SeqLike, asSeq } from './seq.js';
import { type Readout, feedSequences, linearForward } from './readout.js';

export interface RidgeOptions {
  /** L2 penalty on Wout (default 1e-6). */
  ridge?: number;
  /** Learn an unpenalised bias (default true). */
  fitBias?: boolean;
  /** Steps discarded at the start of every sequence given to `partialFit` (default 0). */
  warmup?: number;
  /** Precision of the block products (default float64). */
  precision?: 'float64' | 'float32';
  /** Rows per accumulated block (default 512). */
  blockRows?: number;
  /**
   * Iterated Tikhonov order (default 1 = plain ridge). Order k applies the spectral filter
   * 1 - (ridge / (mu + ridge))^k instead of mu / (mu + ridge): a weaker effective penalty
   * from a factorisation that stays well conditioned, for when float64 Cholesky cannot go
   * to a smaller ridge. Each extra order costs one symmetric mat-vec and one solve.
   */
  order?: number;
}

const TILE = 256;

export class Ridge implements Readout {
  readonly ridge: number;
  readonly fitBias: boolean;
  readonly warmup: number;
  readonly precision: 'float64' | 'float32';
  readonly blockRows: number;
  readonly order: number;
  inputDim = 0;
  outputDim = 0;
  /** Fitted weights [O, N] and bias [O] (zeros until `solve`). */
  Wout = new Float64Array(0);
  bias = new Float64Array(0);
  /** Number of rows accumulated so far. */
  samples = 0;
  fitted = false;
  private XtX = new Float64Array(0);   // [M, M], upper triangle valid
  private YtX = new Float64Array(0);   // [O, M]
  private blk: FArray = new Float64Array(0);   // [M, rb] rows transposed
  private yblk: FArray = new Float64Array(0);  // [O, rb]
  private tmp: FArray = new Float64Array(0);
  private count = 0;
  // Every row is stored as x - shift, shift = the first row seen: sums of shifted values stay
  // small, so centring them later does not cancel digits (matters for float32 blocks).
  private shift = new Float64Array(0);
  private hasShift = false;

  constructor(opts: RidgeOptions = {}) {
    this.ridge = opts.ridge ?? 1e-6;
    if (!(this.ridge >= 0 && Number.isFinite(this.ridge))) throw new RangeError(`Ridge: ridge must be a finite number >= 0, got ${opts.ridge}`);
    this.fitBias = opts.fitBias ?? true;
    this.warmup = opts.warmup ?? 0;
    if (!Number.isInteger(this.warmup) || this.warmup < 0) throw new RangeError(`Ridge: warmup must be an integer >= 0, got ${opts.warmup}`);
    this.precision = opts.precision ?? 'float64';
    this.blockRows = opts.blockRows ?? 512;
    this.order = opts.order ?? 1;
    if (!Number.isInteger(this.order) || this.order < 1) throw new RangeError(`Ridge: order must be an integer >= 1, got ${opts.order}`);
  }

  private get M(): number { return this.inputDim + (this.fitBias ? 1 : 0); }

  /** Sets the dimensions and clears the accumulated statistics. */
  initialize(inputDim: number, outputDim: number): this {
    if (!Number.isInteger(inputDim) || inputDim < 1 || !Number.isInteger(outputDim) || outputDim < 1) {
      throw new RangeError(`Ridge: dimensions must be positive integers, got input ${inputDim}, output ${outputDim}`);
    }
    this.inputDim = inputDim; this.outputDim = outputDim;
    const M = this.M, rb = this.blockRows;
    const A = this.precision === 'float32' ? Float32Array : Float64Array;
    this.XtX = new Float64Array(M * M);
    this.YtX = new Float64Array(outputDim * M);
    this.blk = new A(M * rb);
    this.yblk = new A(outputDim * rb);
    this.tmp = new A(Math.max(TILE * TILE, outputDim * M));
    this.Wout = new Float64Array(outputDim * inputDim);
    this.bias = new Float64Array(outputDim);
    this.shift = new Float64Array(inputDim); this.hasShift = false;
    this.samples = 0; this.count = 0; this.fitted = false;
    return this;
  }

  /** Clears the statistics (keeps the fitted weights). */
  resetStats(): this {
    this.XtX.fill(0); this.YtX.fill(0); this.samples = 0; this.count = 0; this.hasShift = false;
    return this;
  }

  /** Adds one row: x [N] at xOff, y [O] at yOff. */
  addRow(x: ArrayLike<number>, xOff: number, y: ArrayLike<number>, yOff: number): void {
    const N = this.inputDim, O = this.outputDim, rb = this.blockRows, c = this.count;
    const blk = this.blk, yb = this.yblk, sh = this.shift;
    if (!this.hasShift) {
      if (this.fitBias) for (let j = 0; j < N; j++) sh[j] = x[xOff + j]!;
      this.hasShift = true;
    }
    for (let j = 0; j < N; j++) blk[j * rb + c] = x[xOff + j]! - sh[j]!;
    if (this.fitBias) blk[N * rb + c] = 1;
    for (let o = 0; o < O; o++) yb[o * rb + c] = y[yOff + o]!;
    this.samples++;
    if (++this.count === rb) this.flush();
  }

  /** Adds rows [rows, N] and targets [rows, O] (row-major, contiguous). */
  addRows(X: ArrayLike<number>, xOff: number, Y: ArrayLike<number>, yOff: number, rows: number): void {
    for (let r = 0; r < rows; r++) this.addRow(X, xOff + r * this.inputDim, Y, yOff + r * this.outputDim);
  }

  /**
   * Accumulates one batch of sequences: x [T, N] or [T, B, N] features, y with the same
   * leading dimensions and O features. The first `warmup` steps of each sequence are skipped.
   */
  partialFit(x: SeqLike, y: SeqLike): this {
    feedSequences(this, x, y, 'Ridge.partialFit');
    return this;
  }

  /** Folds the pending block into X'^T X' and Y^T X'. */
  private flush(): void {
    const K = this.count;
    if (K === 0) return;
    const M = this.M, O = this.outputDim, rb = this.blockRows, blk = this.blk, yb = this.yblk, tmp = this.tmp;
    if (K < rb) {
      // gemm wants rows of stride K: compact the transposed block in place (moves go left).
      for (let j = 1; j < M; j++) blk.copyWithin(j * K, j * rb, j * rb + K);
      for (let o = 1; o < O; o++) yb.copyWithin(o * K, o * rb, o * rb + K);
    }
    const be = getBackend();
    // Upper triangle of blk blk^T, tile by tile: tiles (p, q) with q >= p.
    for (let p0 = 0; p0 < M; p0 += TILE) {
      const mp = Math.min(TILE, M - p0);
      for (let q0 = p0; q0 < M; q0 += TILE) {
        const mq = Math.min(TILE, M - q0);
        be.gemm(false, true, false, mp, mq, K, blk, p0 * K, blk, q0 * K, tmp, 0);
        for (let i = 0; i < mp; i++) {
          const row = (p0 + i) * M + q0, tr = i * mq;
          for (let j = 0; j < mq; j++) this.XtX[row + j] += tmp[tr + j]!;
        }
      }
    }
    // Y^T X' [O, M] = yb [O, K] blk^T.
    be.gemm(false, true, false, O, M, K, yb, 0, blk, 0, tmp, 0);
    for (let i = 0; i < O * M; i++) this.YtX[i] += tmp[i]!;
    this.count = 0;
  }

  /**
   * Solves for Wout and bias from everything accumulated (the statistics stay, so more
   * `partialFit` calls or another `ridge` can follow). Throws NotPositiveDefiniteError
   * with advice when X'^T X' + ridge D is not positive definite.
   */
  solve(ridge = this.ridge, order = this.order): this {
    if (this.inputDim === 0 || this.samples === 0) throw new RangeError('Ridge.solve: no data accumulated; call partialFit first');
    this.flush();
    const M = this.M, N = this.inputDim, O = this.outputDim, n = this.samples, S = this.XtX, YX = this.YtX;
    // With a bias, solve the centred problem: (Xc^T Xc + ridge I) w = Xc^T yc, bias = mean(y) - w . mean(x).
    // It is the same solution as the augmented system, but without the mean direction (an
    // eigenvalue ~ n * N * mean^2) Cholesky's rounding error, ~ eps * ||A||, is far smaller,
    // so much smaller penalties stay positive definite.
    const c = this.fitBias;
    const A = new Float64Array(N * N);
    for (let i = 0; i < N; i++) {
      const si = c ? S[i * M + N]! / n : 0;          // mean of feature i (the bias column holds sums)
      for (let j = 0; j <= i; j++) A[i * N + j] = S[j * M + i]! - (c ? S[j * M + N]! * si : 0);
    }
    const A0 = order > 1 ? A.slice() : A; // the unpenalised matrix, for the iterated solves
    for (let i = 0; i < N; i++) A[i * N + i]! += ridge;
    choleskyInPlace(A, N, `Ridge.solve (X^T X + ${ridge} I, ${n} samples, ${N} features)`);
    const rhs = new Float64Array(N), b0 = new Float64Array(N), r = new Float64Array(N);
    for (let o = 0; o < O; o++) {
      const ym = c ? YX[o * M + N]! / n : 0;
      for (let j = 0; j < N; j++) rhs[j] = YX[o * M + j]! - (c ? ym * S[j * M + N]! : 0);
      b0.set(rhs);
      choleskySolveInPlace(A, N, rhs);
      for (let k = 1; k < order; k++) {
        // w += (A0 + ridge I)^-1 (b - A0 w), A0 symmetric from its lower triangle.
        for (let i = 0; i < N; i++) {
          let sum = 0;
          for (let j = 0; j <= i; j++) sum += A0[i * N + j]! * rhs[j]!;
          for (let j = i + 1; j < N; j++) sum += A0[j * N + i]! * rhs[j]!;
          r[i] = b0[i]! - sum;
        }
        choleskySolveInPlace(A, N, r);
        for (let i = 0; i < N; i++) rhs[i]! += r[i]!;
      }
      this.Wout.set(rhs, o * N);
      let b = ym;
      if (c) for (let j = 0; j < N; j++) b -= rhs[j]! * (S[j * M + N]! / n + this.shift[j]!);
      this.bias[o] = b;
    }
    this.fitted = true;
    return this;
  }

  /** Resets, accumulates and solves: the one-call fit. */
  fit(x: SeqLike, y: SeqLike): this {
    this.inputDim = 0;
    return this.partialFit(x, y).solve();
  }

  /** y [B, O] at yOff = Wout x + bias for x [B, N] at xOff. */
  forward(B: number, x: ArrayLike<number>, xOff: number, y: Float64Array, yOff: number): void {
    linearForward(this.Wout, this.bias, this.inputDim, this.outputDim, B, x, xOff, y, yOff);
  }

  /** Predictions for x [T, N] or [T, B, N]; same leading shape, O features. */
  predict(x: SeqLike): { shape: number[]; data: Float64Array } {
    if (!this.fitted) throw new RangeError('Ridge.predict: the readout is not fitted; call fit or solve first');
    const s = asSeq(x, 'Ridge.predict x');
    if (s.F !== this.inputDim) throw new ShapeError(`Ridge.predict: expected ${this.inputDim} features, got ${s.F}`);
    const out = new Float64Array(s.T * s.B * this.outputDim);
    this.forward(s.T * s.B, s.data, 0, out, 0);
    return { shape: x.shape.length === 3 ? [s.T, s.B, this.outputDim] : [s.T, this.outputDim], data: out };
  }
}
