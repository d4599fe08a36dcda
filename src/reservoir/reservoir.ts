/**
 * Reservoir node (echo state network), ReservoirPy's equation:
 *
 *   x[t] = (1 - lr) x[t-1] + lr f(W x[t-1] + Win u[t] + b)
 *
 *   u [B, D] input, x [B, N] state (N = units), W [N, N] sparse recurrent weights scaled to
 *   spectral radius `sr`, Win [N, D] sparse input weights times `inputScaling`, b [N] bias
 *   drawn U(-1, 1) times `bias`. f = tanh unless `activation` says otherwise.
 *
 * W and Win are CSR (sparse.ts). W's values are rounded to float32 once, after scaling, and
 * the step reads a packed copy (step.ts: float32 values, u16 indices: the step is bound by
 * reading W); states, products and sums are float64 (closed-loop forecasts need the digits).
 * The step is one fused kernel over B sequences (and over T steps in `run`), in the backend's
 * memory, with a tanh of our own (src/backend/math64.ts): same bits on every backend and engine.
 * Same seed, same weights.
 */
import { Rng } from '../random.js';
import { ShapeError } from '../tensor.js';
import { actCode, getBackend, linalgOf } from '../backend/index.js';
import type { Backend, ReservoirRunArgs } from '../backend/backend.js';
import { type CSR, type WeightDist, csrScale, csrSpectralRadius, csrToBackend, randomSparse } from './sparse.js';
import { type PackedW, packW } from './step.js';
import { type SeqLike, asSeq } from './seq.js';

export type ReservoirActivation = 'tanh' | 'identity' | 'relu' | 'sigmoid';

const RUN_CHUNK = 64;

export interface ReservoirOptions {
  /** Number of units N. */
  units: number;
  /** Spectral radius of W after scaling (default 1.25, ReservoirPy's quick-start). null keeps W unscaled. */
  sr?: number | null;
  /** Leak rate in (0, 1] (default 1: no leak). */
  lr?: number;
  /** Scale of Win: one number, or one per input feature (default 1). */
  inputScaling?: number | readonly number[];
  /** Density of W (default 0.1, ReservoirPy's rc_connectivity). */
  connectivity?: number;
  /** Density of Win (default 0.1). */
  inputConnectivity?: number;
  /** Scale of the bias b ~ U(-1, 1) * bias (default 0: no bias). */
  bias?: number;
  activation?: ReservoirActivation;
  /** Distribution of W's values (default normal) and of Win's (default bernoulli +-1). */
  W?: WeightDist;
  Win?: WeightDist;
  /** Input dimension D; inferred from the first input when omitted. */
  inputDim?: number;
  seed?: number;
}

export class Reservoir {
  readonly units: number;
  readonly sr: number | null;
  readonly lr: number;
  readonly activation: ReservoirActivation;
  readonly opts: Readonly<ReservoirOptions>;
  inputDim = 0;
  W!: CSR;
  Win!: CSR;
  b!: Float64Array;
  /** Spectral radius of W before scaling (measured at initialisation). */
  rawRadius = NaN;
  /** Current state [B, N] (in the backend's memory). */
  state: Float64Array;
  batch = 1;
  private pre: Float64Array;
  private packed!: PackedW;
  private readonly be: Backend = getBackend();
  private chunk: Float64Array | null = null; // [RUN_CHUNK, B, N] states of `run` before they are copied out

  constructor(opts: ReservoirOptions) {
    const { units } = opts;
    if (!Number.isInteger(units) || units < 1)
      throw new RangeError(`Reservoir: units must be a positive integer, got ${units}`);
    const lr = opts.lr ?? 1;
    if (!(lr > 0 && lr <= 1)) throw new RangeError(`Reservoir: lr (leak rate) must be in (0, 1], got ${lr}`);
    const sr = opts.sr === undefined ? 1.25 : opts.sr;
    if (sr !== null && !(sr >= 0 && Number.isFinite(sr)))
      throw new RangeError(`Reservoir: sr must be a finite number >= 0 or null, got ${sr}`);
    this.units = units;
    this.lr = lr;
    this.sr = sr;
    this.activation = opts.activation ?? 'tanh';
    if (!['tanh', 'identity', 'relu', 'sigmoid'].includes(this.activation)) {
      throw new RangeError(`Reservoir: activation must be tanh, identity, relu or sigmoid, got '${this.activation}'`);
    }
    this.opts = { ...opts };
    this.state = this.f64(units);
    this.pre = this.f64(units);
    if (opts.inputDim !== undefined) this.initialize(opts.inputDim);
  }

  get initialized(): boolean {
    return this.inputDim > 0;
  }

  /** Draws W, Win and b (called on first use when inputDim was not given). */
  initialize(inputDim: number): this {
    if (!Number.isInteger(inputDim) || inputDim < 1)
      throw new RangeError(`Reservoir: inputDim must be a positive integer, got ${inputDim}`);
    const o = this.opts,
      N = this.units;
    const rng = new Rng(o.seed ?? 0);
    // Independent streams, so changing Win's density never changes W.
    const rW = rng.fork(),
      rIn = rng.fork(),
      rB = rng.fork();
    // W and Win in the backend's memory: the step's sparse mat-vecs then copy nothing but the state.
    this.W = csrToBackend(randomSparse(N, N, o.connectivity ?? 0.1, rW, o.W ?? 'normal'));
    if (this.sr !== null) {
      this.rawRadius = csrSpectralRadius(this.W);
      if (this.rawRadius > 0) csrScale(this.W, this.sr / this.rawRadius);
    }
    for (let p = 0; p < this.W.values.length; p++) this.W.values[p] = Math.fround(this.W.values[p]!);
    this.packed = packW(this.W, this.be);
    this.runArgs = null;
    this.Win = csrToBackend(randomSparse(N, inputDim, o.inputConnectivity ?? 0.1, rIn, o.Win ?? 'bernoulli'));
    const sc = o.inputScaling ?? 1;
    const scales = typeof sc === 'number' ? new Array<number>(inputDim).fill(sc) : [...sc];
    if (scales.length !== inputDim)
      throw new ShapeError(`Reservoir: inputScaling has ${scales.length} values, input has ${inputDim} features`);
    for (let p = 0; p < this.Win.values.length; p++) this.Win.values[p]! *= scales[this.Win.colIdx[p]!]!;
    this.b = this.f64(N);
    const bs = o.bias ?? 0;
    if (bs !== 0) for (let i = 0; i < N; i++) this.b[i] = bs * rB.range(-1, 1);
    this.inputDim = inputDim;
    return this;
  }

  /** Zero state for `batch` sequences (or the given state [B, N]). */
  reset(batch = 1, x0?: ArrayLike<number>): this {
    if (!Number.isInteger(batch) || batch < 1)
      throw new RangeError(`Reservoir.reset: batch must be a positive integer, got ${batch}`);
    this.batch = batch;
    if (this.state.length !== batch * this.units) {
      this.be.free?.(this.state);
      this.be.free?.(this.pre);
      if (this.chunk) {
        this.be.free?.(this.chunk);
        this.chunk = null;
      }
      this.state = this.f64(batch * this.units);
      this.pre = this.f64(batch * this.units);
    }
    this.runArgs = null;
    if (x0) {
      if (x0.length !== batch * this.units)
        throw new ShapeError(
          `Reservoir.reset: state needs ${batch * this.units} values ([${batch}, ${this.units}]), got ${x0.length}`,
        );
      this.state.set(x0);
    } else this.state.fill(0);
    return this;
  }

  /** One step for the current batch: u [B, D] at uOff. Returns the new state [B, N] (live view). */
  step(u: Float64Array, uOff = 0): Float64Array {
    this.checkInput('Reservoir.step', u, uOff, 1);
    linalgOf(this.be).reservoirRun(this.args(u, uOff, 1, null, 0));
    return this.state;
  }

  /**
   * Runs T <= Reservoir.CHUNK steps from the current state: u [T, B, D] at uOff. Returns the
   * states [T, B, N] as a view of a buffer in the backend's memory, valid until the next call
   * (readouts copy the rows they keep).
   */
  runSteps(u: Float64Array, uOff: number, T: number): Float64Array {
    if (!(T >= 1 && T <= RUN_CHUNK))
      throw new RangeError(`Reservoir.runSteps: T must be in [1, ${RUN_CHUNK}], got ${T}`);
    this.checkInput('Reservoir.runSteps', u, uOff, T);
    const BN = this.batch * this.units;
    this.chunk ??= this.f64(RUN_CHUNK * BN);
    linalgOf(this.be).reservoirRun(this.args(u, uOff, T, this.chunk, 0));
    return this.chunk.subarray(0, T * BN);
  }

  /** Steps per `runSteps` call. */
  static readonly CHUNK = RUN_CHUNK;

  private runArgs: ReservoirRunArgs | null = null;

  private checkInput(what: string, u: Float64Array, uOff: number, T: number): void {
    if (!this.initialized)
      throw new RangeError(
        `${what}: the reservoir is not initialised; call initialize(inputDim) or run a sequence first`,
      );
    const need = uOff + T * this.batch * this.inputDim;
    if (!(uOff >= 0) || u.length < need) {
      throw new ShapeError(
        `${what}: ${T} step(s) of [${this.batch}, ${this.inputDim}] inputs from offset ${uOff} ` +
          `need ${need} values, got ${u.length}`,
      );
    }
  }

  private args(u: Float64Array, uOff: number, T: number, out: Float64Array | null, outOff: number): ReservoirRunArgs {
    // One object per reservoir, refreshed per call (no allocation per step).
    const W = this.packed,
      Win = this.Win;
    const a = (this.runArgs ??= {
      N: this.units,
      D: this.inputDim,
      B: this.batch,
      T,
      wRow: W.rowPtr,
      wIdx: W.idxStore,
      idx16: W.idx16,
      wVal: W.values,
      inRow: Win.rowPtr,
      inIdx: Win.colIdx,
      inVal: Win.values,
      bias: this.b,
      lr: this.lr,
      act: actCode(this.activation),
      x: this.state,
      pre: this.pre,
      u,
      uOff,
      out,
      outOff,
      outStride: this.units,
    });
    a.B = this.batch;
    a.T = T;
    a.x = this.state;
    a.pre = this.pre;
    a.u = u;
    a.uOff = uOff;
    a.out = out;
    a.outOff = outOff;
    return a;
  }

  private f64(n: number): Float64Array {
    return linalgOf(this.be).alloc64(n);
  }

  /**
   * Runs over a sequence batch from the current state (call `reset` first for a fresh start;
   * a batch size different from the current one resets). Returns states [T, B, N].
   */
  run(input: SeqLike): { shape: number[]; data: Float64Array } {
    const s = asSeq(input, 'Reservoir.run input');
    if (!this.initialized) this.initialize(s.F);
    if (s.F !== this.inputDim)
      throw new ShapeError(`Reservoir.run: expected ${this.inputDim} input features, got ${s.F}`);
    if (s.B !== this.batch) this.reset(s.B);
    const N = this.units,
      BN = s.B * N;
    const out = new Float64Array(s.T * BN);
    // Chunks of steps per kernel call, into a buffer in the backend's memory, then copied out.
    for (let t0 = 0; t0 < s.T; t0 += RUN_CHUNK)
      out.set(this.runSteps(s.data, t0 * s.B * s.F, Math.min(RUN_CHUNK, s.T - t0)), t0 * BN);
    return { shape: [s.T, s.B, N], data: out };
  }
}
