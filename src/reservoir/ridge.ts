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
 * Streaming: `partialFit` only adds to one Gram matrix G = Z^T Z [P, P] (float64) of the rows
 * z = [x 1 y] (P = M + O): its leading [M, M] block is X'^T X' and its last O columns hold
 * X'^T Y, so memory does not grow with the number or length of sequences; `solve` factors
 * once (Cholesky). Rows are gathered in blocks of `blockRows` ([rows, P], row-major), and each
 * block is folded in by one symmetric rank-k update (`LinalgKernels.syrkUpper`: upper triangle only,
 * f64x2 kernels on the wasm backend, where the block and G live in the kernels' memory so no
 * call copies). With `precision: 'float32'` the block products run in float32 and are summed
 * into the float64 totals block by block.
 */
import { getBackend, linalgOf } from '../backend/index.js';
import type { Backend } from '../backend/backend.js';
import { ShapeError, type FArray } from '../tensor.js';
import { choleskyInPlace, choleskySolveInPlace } from './cholesky.js';
import { type SeqLike, asSeq } from './seq.js';
import { type Readout, feedSequences, linearForward } from './readout.js';
import type { GramAccumulator } from './gram.js';

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
  /**
   * Where row blocks are folded into the Gram matrix (gram.ts): the calling thread by default,
   * or a `SplitGram` sharing the work with a helper thread (`threadedGram` of recur/parallel).
   */
  gram?: GramAccumulator;
}

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
  private G: Float64Array = new Float64Array(0); // [P, P] Gram matrix of [x 1 y], upper triangle valid
  private blk: FArray = new Float64Array(0); // [rb, P] pending rows [x - shift, 1, y]
  private blk2: Float64Array = new Float64Array(0); // the other block while `gram` folds one in (float64)
  /** Where blocks are folded in (see RidgeOptions.gram); settable before or between fits. */
  gram: GramAccumulator | null;
  private tmp = new Float32Array(0); // [P, P] float32 block product (precision float32)
  private be: Backend | null = null; // the backend that allocated G and blk
  private count = 0;
  // Every row is stored as x - shift, shift = the first row seen: sums of shifted values stay
  // small, so centring them later does not cancel digits (matters for float32 blocks).
  private shift = new Float64Array(0);
  private hasShift = false;

  constructor(opts: RidgeOptions = {}) {
    this.ridge = opts.ridge ?? 1e-6;
    if (!(this.ridge >= 0 && Number.isFinite(this.ridge)))
      throw new RangeError(`Ridge: ridge must be a finite number >= 0, got ${opts.ridge}`);
    this.fitBias = opts.fitBias ?? true;
    this.warmup = opts.warmup ?? 0;
    if (!Number.isInteger(this.warmup) || this.warmup < 0)
      throw new RangeError(`Ridge: warmup must be an integer >= 0, got ${opts.warmup}`);
    this.precision = opts.precision ?? 'float64';
    this.blockRows = opts.blockRows ?? 512;
    this.order = opts.order ?? 1;
    this.gram = opts.gram ?? null;
    if (!Number.isInteger(this.order) || this.order < 1)
      throw new RangeError(`Ridge: order must be an integer >= 1, got ${opts.order}`);
  }

  private get M(): number {
    return this.inputDim + (this.fitBias ? 1 : 0);
  }
  /** Row width of a block: features, bias column, targets. */
  private get P(): number {
    return this.M + this.outputDim;
  }

  /** Sets the dimensions and clears the accumulated statistics. */
  initialize(inputDim: number, outputDim: number): this {
    if (!Number.isInteger(inputDim) || inputDim < 1 || !Number.isInteger(outputDim) || outputDim < 1) {
      throw new RangeError(`Ridge: dimensions must be positive integers, got input ${inputDim}, output ${outputDim}`);
    }
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    const P = this.P,
      rb = this.blockRows,
      be = getBackend();
    // In the backend's memory where it has one (the wasm kernels then copy nothing per block).
    this.gram?.sync();
    if (this.be?.free) {
      this.be.free(this.G);
      this.be.free(this.blk);
      this.be.free(this.blk2);
    }
    this.be = be;
    const f64 = (n: number): Float64Array => linalgOf(be).alloc64(n);
    this.G = f64(P * P);
    if (this.precision === 'float32') {
      this.blk = be.alloc ? be.alloc(rb * P) : new Float32Array(rb * P);
      this.tmp = new Float32Array(P * P);
    } else this.blk = f64(rb * P);
    this.blk2 = new Float64Array(0); // allocated by flush when a `gram` first takes a block
    this.Wout = new Float64Array(outputDim * inputDim);
    this.bias = new Float64Array(outputDim);
    this.shift = new Float64Array(inputDim);
    this.hasShift = false;
    this.samples = 0;
    this.count = 0;
    this.fitted = false;
    return this;
  }

  /** Clears the statistics (keeps the fitted weights). */
  resetStats(): this {
    this.gram?.sync();
    this.G.fill(0);
    this.samples = 0;
    this.count = 0;
    this.hasShift = false;
    return this;
  }

  /** Adds one row: x [N] at xOff, y [O] at yOff. */
  addRow(x: ArrayLike<number>, xOff: number, y: ArrayLike<number>, yOff: number): void {
    const N = this.inputDim,
      O = this.outputDim,
      M = this.M,
      blk = this.blk,
      sh = this.shift;
    if (!this.hasShift) {
      if (this.fitBias) for (let j = 0; j < N; j++) sh[j] = x[xOff + j]!;
      this.hasShift = true;
    }
    const r = this.count * this.P;
    for (let j = 0; j < N; j++) blk[r + j] = x[xOff + j]! - sh[j]!;
    if (this.fitBias) blk[r + N] = 1;
    for (let o = 0; o < O; o++) blk[r + M + o] = y[yOff + o]!;
    this.samples++;
    if (++this.count === this.blockRows) this.flush();
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

  /** Folds the pending block into G (upper triangle). */
  private flush(): void {
    const K = this.count;
    if (K === 0) return;
    const P = this.P,
      be = getBackend(),
      G = this.G;
    if (this.blk instanceof Float64Array) {
      if (this.gram) {
        // Handed over (maybe still being folded in): fill the other buffer meanwhile.
        if (this.blk2.length !== this.blk.length) this.blk2 = linalgOf(be).alloc64(this.blk.length);
        this.gram.add(P, K, this.blk, G);
        const t = this.blk;
        this.blk = this.blk2;
        this.blk2 = t;
      } else linalgOf(be).syrkUpper(true, P, K, this.blk, 0, G, 0);
    } else {
      // float32: the block's Gram in float32 (a full product: the float32 kernels have no
      // triangular one), summed into the float64 totals.
      const tmp = this.tmp;
      be.gemm(true, false, false, P, P, K, this.blk, 0, this.blk, 0, tmp, 0);
      for (let i = 0; i < P; i++) for (let j = i; j < P; j++) G[i * P + j] += tmp[i * P + j]!;
    }
    this.count = 0;
  }

  /**
   * Solves for Wout and bias from everything accumulated (the statistics stay, so more
   * `partialFit` calls or another `ridge` can follow). Throws NotPositiveDefiniteError
   * with advice when X'^T X' + ridge D is not positive definite.
   */
  solve(ridge = this.ridge, order = this.order): this {
    if (this.inputDim === 0 || this.samples === 0)
      throw new RangeError('Ridge.solve: no data accumulated; call partialFit first');
    this.flush();
    this.gram?.sync();
    const M = this.M,
      P = this.P,
      N = this.inputDim,
      O = this.outputDim,
      n = this.samples,
      S = this.G;
    // With a bias, solve the centred problem: (Xc^T Xc + ridge I) w = Xc^T yc, bias = mean(y) - w . mean(x).
    // It is the same solution as the augmented system, but without the mean direction (an
    // eigenvalue ~ n * N * mean^2) Cholesky's rounding error, ~ eps * ||A||, is far smaller,
    // so much smaller penalties stay positive definite.
    const c = this.fitBias,
      be = getBackend();
    // In the backend's memory, so a blocked Cholesky's products run on its kernels in place.
    const A = linalgOf(be).alloc64(N * N);
    // A[i, j] (j <= i) = S[j, i] - sum_j mean_i: the transpose of S's upper triangle, copied in
    // 64 x 64 tiles (a column of S is N rows of P doubles apart: one cache miss per value otherwise).
    const sum = new Float64Array(N);
    if (c) for (let j = 0; j < N; j++) sum[j] = S[j * P + N]!; // the bias column holds the sums
    for (let i0 = 0; i0 < N; i0 += 64) {
      const i1 = Math.min(N, i0 + 64);
      for (let j0 = 0; j0 <= i0; j0 += 64) {
        const j1 = Math.min(N, j0 + 64);
        for (let j = j0; j < j1; j++) {
          const sj = sum[j]!,
            rj = j * P;
          for (let i = Math.max(i0, j); i < i1; i++) A[i * N + j] = S[rj + i]! - (c ? sj * (sum[i]! / n) : 0);
        }
      }
    }
    const A0 = order > 1 ? A.slice() : A; // the unpenalised matrix, for the iterated solves
    for (let i = 0; i < N; i++) A[i * N + i]! += ridge;
    choleskyInPlace(A, N, `Ridge.solve (X^T X + ${ridge} I, ${n} samples, ${N} features)`, this.gram ?? undefined);
    const rhs = new Float64Array(N),
      b0 = new Float64Array(N),
      r = new Float64Array(N);
    for (let o = 0; o < O; o++) {
      const ym = c ? S[N * P + M + o]! / n : 0; // G[bias, y_o] = sum of y_o
      for (let j = 0; j < N; j++) rhs[j] = S[j * P + M + o]! - (c ? ym * S[j * P + N]! : 0);
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
      if (c) for (let j = 0; j < N; j++) b -= rhs[j]! * (S[j * P + N]! / n + this.shift[j]!);
      this.bias[o] = b;
    }
    be.free?.(A);
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
