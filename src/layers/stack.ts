/**
 * Multi-layer and bidirectional recurrent nets with PyTorch's interface and names:
 * `RNN`, `LSTM`, `GRU` (and `IndRNN`), for any cell of the registry (cells/index.ts). Layer k reads layer
 * k-1's output ([T,B,D*H], directions concatenated); the reverse direction reads each sequence reversed
 * within its length.
 *
 * Shapes (L = layers, D = 1 or 2 directions): x [T,B,I], output [T,B,D*H],
 * h0/hN/c0/cN [L*D,B,H], lengths [B] with 1 <= len <= T. With `batchFirst` (PyTorch's name) x,
 * output and their gradients are [B,T,...] instead; states stay [L*D,B,H], as in PyTorch. The
 * layout is converted once at the edge: everything inside runs time-major.
 * `dropout` (PyTorch's): inverted dropout on the output of every layer but the last, in
 * training only (`training`, default true as a PyTorch module; a forward may override it).
 * Initial state: zero (default), passed in (h0/c0; gradients come back as dh0/dc0), or
 * learned (`initialState: 'learned'`: parameters initial_h/initial_c [L*D,H], broadcast over B).
 *
 * Tensors returned by forward and backward are views of reused workspace: they stay valid
 * until the next call (copy them to keep them). Parameter gradients accumulate (+=).
 */
import { ACT, type Activation, type Backend, releaseAll, workspace } from '../backend/backend.js';
import { getBackend, tsBackend } from '../backend/index.js';
import { Params } from '../params.js';
import { Rng } from '../random.js';
import type { RecurrentInit } from '../init.js';
import { type DType, type FArray, type Tensor, ShapeError, assertFinite, checkShape } from '../tensor.js';
import type { RecurrentCore } from './core.js';
import { Dropout } from './dropout.js';
import { type CellOptions, type CellSpec, type CellType, cellSpec } from './cells/index.js';

export type { CellType };

export interface RecurrentOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  bidirectional?: boolean;
  bias?: boolean;
  /** 'zero' (default) or 'learned' (trainable initial_h / initial_c). Passing h0/c0 to forward overrides both. */
  initialState?: 'zero' | 'learned';
  /**
   * How W_hh is initialised: 'default' (PyTorch's uniform), 'orthogonal', 'identity', 'xavier',
   * {type:'spectral', radius}.
   */
  recurrentInit?: RecurrentInit;
  seed?: number;
  /** Dropout probability on the outputs of each layer except the last (PyTorch's `dropout`); default 0. */
  dropout?: number;
  /** Seed of the dropout masks (default: seed). */
  dropoutSeed?: number;
  /** x and output (and their gradients) are [B, T, ...] (PyTorch's `batch_first`); default false. */
  batchFirst?: boolean;
  /** 'float64' runs the reference kernels in double precision (gradient checks). */
  dtype?: DType;
  backend?: Backend | string;
  /** Share a parameter store with an enclosing model (it allocates); names get `prefix`. */
  params?: Params;
  prefix?: string;
}

export interface RNNOptions extends RecurrentOptions {
  nonlinearity?: Activation;
}

export interface LSTMOptions extends RecurrentOptions {
  /** Forget-gate bias at init (b_ih[f] = value, b_hh[f] = 0); null keeps PyTorch's uniform draw. Default 1. */
  forgetBias?: number | null;
}

export interface IndRNNOptions extends RecurrentOptions {
  /** Default 'relu'. */
  nonlinearity?: Activation;
  /** |u_j| <= this after every update (Li et al. 2018: 2^(1/T) for ReLU over T steps); absent = unbounded. */
  recurrentMaxAbs?: number;
}

/** Options of a stack of any registered cell (each cell reads the ones its spec lists). */
export type StackOptions = RecurrentOptions & CellOptions;

export interface ForwardOptions {
  h0?: Tensor<FArray>;
  c0?: Tensor<FArray>;
  lengths?: ArrayLike<number>;
  /** Overrides `stack.training` for this call (dropout on or off). */
  training?: boolean;
}

export interface ForwardResult {
  output: Tensor<FArray>;
  hN: Tensor<FArray>;
  cN?: Tensor<FArray>;
}

/** The state streamed between `step` calls: [numLayers, B, H] each (c for the LSTM). */
export interface StreamState {
  h: Tensor<FArray>;
  c?: Tensor<FArray>;
}

export interface StreamStep extends StreamState {
  /** The last layer's h_t, [B, H]. */
  output: Tensor<FArray>;
}

export interface BackwardGrads {
  output?: Tensor<FArray> | null;
  hN?: Tensor<FArray> | null;
  cN?: Tensor<FArray> | null;
}

export interface BackwardResult {
  dx: Tensor<FArray>;
  dh0: Tensor<FArray>;
  dc0?: Tensor<FArray>;
}

/** dst [Bn, A, F] = src [A, Bn, F] with the first two axes swapped (batch-first <-> time-major). */
function swapAxes(dst: FArray, src: FArray, A: number, Bn: number, F: number): void {
  for (let a = 0; a < A; a++)
    for (let b = 0; b < Bn; b++) {
      const si = (a * Bn + b) * F,
        di = (b * A + a) * F;
      for (let f = 0; f < F; f++) dst[di + f] = src[si + f]!;
    }
}

/** Writes src reversed in time within each sequence's length (padding stays in place). */
function reverseInto(
  dst: FArray,
  src: FArray,
  T: number,
  B: number,
  F: number,
  len: Int32Array | null,
  acc = false,
): void {
  for (let b = 0; b < B; b++) {
    const L = len ? len[b]! : T;
    for (let t = 0; t < T; t++) {
      const s = t < L ? L - 1 - t : t;
      const di = (s * B + b) * F,
        si = (t * B + b) * F;
      if (acc) for (let f = 0; f < F; f++) dst[di + f] += src[si + f]!;
      else for (let f = 0; f < F; f++) dst[di + f] = src[si + f]!;
    }
  }
}

export class RecurrentStack {
  readonly cell: CellType;
  readonly spec: CellSpec;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numDirections: number;
  readonly params: Params;
  readonly backend: Backend;
  readonly cores: RecurrentCore[] = []; // index l*D + d
  readonly initialState: 'zero' | 'learned';
  readonly config: Record<string, unknown>;
  /** x and output are [B,T,...] (converted at the edge). */
  readonly batchFirst: boolean;
  /** Dropout between layers applies in training (PyTorch's module default: true). */
  training = true;
  /** One per gap between layers (L - 1), on the lower layer's output. */
  readonly dropouts: Dropout[] = [];
  private readonly initH: import('../params.js').Param | null = null;
  private readonly initC: import('../params.js').Param | null = null;
  private readonly hasC: boolean;
  // workspace
  private T = -1;
  private B = -1;
  private xin: FArray = new Float32Array(0); // [T,B,I]
  private outs: FArray[] = []; // per layer [T,B,D*H]
  private revIn: FArray[] = []; // per layer [T,B,in_l] reversed input (D=2)
  private drops: FArray[] = []; // per gap l < L-1 [T,B,D*H] layer l's output after dropout
  private outBF: FArray = new Float32Array(0); // [B,T,D*H] output, batch-first
  private dxBF: FArray = new Float32Array(0); // [B,T,I] dx, batch-first
  private dOut: FArray[] = []; // per layer [T,B,D*H]
  private dyF: FArray = new Float32Array(0); // [T,B,H]
  private dyR: FArray = new Float32Array(0); // [T,B,H]
  private dIn: FArray[] = []; // per layer [T,B,in_l]
  private h0s: FArray[] = []; // per core [B,H]
  private c0s: FArray[] = [];
  private hN: FArray = new Float32Array(0); // [L*D,B,H]
  private cN: FArray = new Float32Array(0);
  private dh0: FArray = new Float32Array(0);
  private dc0: FArray = new Float32Array(0);
  private lens: Int32Array | null = null;
  private lensBuf: Int32Array = new Int32Array(0);
  private stepH: FArray = new Float32Array(0); // [L,B,H] the state step() returns
  private stepC: FArray = new Float32Array(0);
  private stepZero: FArray = new Float32Array(0); // [B,H] zeros: the initial state
  private stateGiven = false;
  private ran = false;

  constructor(cell: CellType, o: StackOptions) {
    const spec = cellSpec(cell),
      name = spec.label;
    for (const k of ['inputSize', 'hiddenSize'] as const) {
      if (!Number.isInteger(o?.[k]) || o[k] < 1)
        throw new RangeError(`${name}: ${k} must be a positive integer, got ${o?.[k]}`);
    }
    const L = o.numLayers ?? 1;
    if (!Number.isInteger(L) || L < 1) throw new RangeError(`${name}: numLayers must be a positive integer, got ${L}`);
    if (o.nonlinearity !== undefined && !Object.hasOwn(ACT, o.nonlinearity)) {
      const names = Object.keys(ACT).join(', ');
      throw new RangeError(`${name}: nonlinearity must be one of ${names}, got '${o.nonlinearity}'`);
    }
    for (const k of ['nonlinearity', 'forgetBias', 'recurrentMaxAbs'] as const) {
      if (o[k] !== undefined && !spec.options.includes(k))
        throw new RangeError(
          `${name}: option '${k}' does not apply to this cell (it reads: ${spec.options.join(', ') || 'none'})`,
        );
    }
    this.cell = cell;
    this.spec = spec;
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.numLayers = L;
    this.numDirections = o.bidirectional ? 2 : 1;
    this.hasC = spec.hasCellState;
    this.initialState = o.initialState ?? 'zero';
    this.batchFirst = o.batchFirst ?? false;
    const p = o.dropout ?? 0;
    if (!(p >= 0 && p < 1)) throw new RangeError(`${name}: dropout must be in [0, 1), got ${p}`);
    const dtype = o.params?.dtype ?? o.dtype ?? 'float32';
    const named = typeof o.backend === 'string' ? getBackend(o.backend) : (o.backend ?? getBackend());
    // Double precision always runs on the reference kernels.
    this.backend = dtype === 'float64' ? tsBackend : named;
    const own = !o.params;
    this.params = o.params ?? new Params(dtype);
    const prefix = o.prefix ?? '';
    const H = this.hiddenSize,
      D = this.numDirections;
    for (let l = 0; l < L; l++) {
      for (let d = 0; d < D; d++) {
        const base = {
          inputSize: l === 0 ? this.inputSize : D * H,
          hiddenSize: H,
          suffix: `l${l}${d ? '_reverse' : ''}`,
          prefix,
          params: this.params,
          backend: this.backend,
          recurrentInit: o.recurrentInit,
          bias: o.bias,
        };
        this.cores.push(spec.makeCore(base, o));
      }
    }
    const dseed = o.dropoutSeed ?? o.seed ?? 0;
    for (let l = 0; l + 1 < L; l++) this.dropouts.push(new Dropout(p, (dseed * 7919 + 101 * (l + 1)) >>> 0, dtype));
    if (this.initialState === 'learned') {
      this.initH = this.params.declare(`${prefix}initial_h`, [L * D, H], (a) => a.fill(0), { decay: false });
      if (this.hasC)
        this.initC = this.params.declare(`${prefix}initial_c`, [L * D, H], (a) => a.fill(0), { decay: false });
    } else if (this.initialState !== 'zero') {
      throw new RangeError(`initialState must be 'zero' or 'learned', got '${String(this.initialState)}'`);
    }
    const cellOpts: Record<string, unknown> = {};
    if (spec.options.includes('nonlinearity')) cellOpts.nonlinearity = this.cores[0]!.act;
    if (spec.options.includes('forgetBias')) cellOpts.forgetBias = o.forgetBias === undefined ? 1 : o.forgetBias;
    if (spec.options.includes('recurrentMaxAbs') && o.recurrentMaxAbs !== undefined)
      cellOpts.recurrentMaxAbs = o.recurrentMaxAbs;
    this.config = {
      cell,
      inputSize: o.inputSize,
      hiddenSize: H,
      numLayers: L,
      bidirectional: D === 2,
      bias: o.bias ?? true,
      initialState: this.initialState,
      recurrentInit: o.recurrentInit ?? 'default',
      ...cellOpts,
      ...(p > 0 ? { dropout: p } : {}),
      ...(this.batchFirst ? { batchFirst: true } : {}),
    };
    if (own) {
      this.params.allocate(new Rng(o.seed ?? 0), this.backend);
      this.constrain();
    }
  }

  /** Projects every core's parameters back into their allowed set (IndRNN's bound on |u|). */
  constrain(): void {
    for (const c of this.cores) c.constrain();
  }

  get outputSize(): number {
    return this.numDirections * this.hiddenSize;
  }

  private ensure(T: number, B: number): void {
    if (T === this.T && B === this.B) return;
    this.T = T;
    this.B = B;
    const { dtype } = this.params,
      H = this.hiddenSize,
      D = this.numDirections,
      L = this.numLayers;
    const inSize = (l: number) => (l === 0 ? this.inputSize : D * H);
    this.xin = workspace(this.backend, dtype, T * B * this.inputSize, this.xin);
    for (const list of [this.outs, this.revIn, this.dOut, this.dIn, this.h0s, this.c0s, this.drops])
      releaseAll(this.backend, list);
    this.outs = [];
    this.revIn = [];
    this.drops = [];
    this.dOut = [];
    this.dIn = [];
    for (let l = 0; l < L; l++) {
      this.outs.push(workspace(this.backend, dtype, T * B * D * H));
      this.revIn.push(D === 2 ? workspace(this.backend, dtype, T * B * inSize(l)) : workspace(this.backend, dtype, 0));
      this.dOut.push(workspace(this.backend, dtype, T * B * D * H));
      this.dIn.push(workspace(this.backend, dtype, T * B * inSize(l)));
      if (l + 1 < L && this.dropouts[l]!.p > 0) this.drops.push(workspace(this.backend, dtype, T * B * D * H));
    }
    if (this.batchFirst) {
      this.outBF = workspace(this.backend, dtype, T * B * D * H, this.outBF);
      this.dxBF = workspace(this.backend, dtype, T * B * this.inputSize, this.dxBF);
    }
    this.dyF = workspace(this.backend, dtype, T * B * H, this.dyF);
    this.dyR = workspace(this.backend, dtype, T * B * H, this.dyR);
    this.h0s = this.cores.map(() => workspace(this.backend, dtype, B * H));
    this.c0s = this.cores.map(() => workspace(this.backend, dtype, B * H));
    this.hN = workspace(this.backend, dtype, L * D * B * H, this.hN);
    this.cN = workspace(this.backend, dtype, L * D * B * H, this.cN);
    this.dh0 = workspace(this.backend, dtype, L * D * B * H, this.dh0);
    this.dc0 = workspace(this.backend, dtype, L * D * B * H, this.dc0);
  }

  /** Runs the whole stack over x [T,B,I]. */
  forward(x: Tensor<FArray>, opts: ForwardOptions = {}): ForwardResult {
    const name = this.spec.label;
    const bf = this.batchFirst;
    const [d0, d1] = checkShape(
      x,
      [null, null, this.inputSize],
      `${name}.forward x ${bf ? '[B, T, inputSize] (batchFirst)' : '[T, B, inputSize]'}`,
    ) as [number, number, number];
    const T = bf ? d1 : d0,
      B = bf ? d0 : d1;
    if (T < 1 || B < 1) throw new ShapeError(`${name}.forward: x needs T >= 1 and B >= 1, got [${x.shape}]`);
    assertFinite(x.data, `${name}.forward x`);
    const H = this.hiddenSize,
      D = this.numDirections,
      L = this.numLayers,
      LD = L * D;
    if (opts.h0) {
      checkShape(opts.h0, [LD, B, H], `${name}.forward h0 [numLayers*numDirections, B, H]`);
      assertFinite(opts.h0.data, `${name}.forward h0`);
    }
    if (opts.c0) {
      if (!this.hasC) throw new ShapeError(`${name}.forward: c0 is only for LSTM`);
      checkShape(opts.c0, [LD, B, H], `${name}.forward c0 [numLayers*numDirections, B, H]`);
      assertFinite(opts.c0.data, `${name}.forward c0`);
    }
    let lens: Int32Array | null = null;
    if (opts.lengths !== undefined) {
      if (opts.lengths.length !== B)
        throw new ShapeError(
          `${name}.forward: lengths must have one entry per sequence (B=${B}), got ${opts.lengths.length}`,
        );
      if (this.lensBuf.length !== B) this.lensBuf = new Int32Array(B);
      lens = this.lensBuf;
      for (let b = 0; b < B; b++) {
        const v = opts.lengths[b]!;
        if (!Number.isInteger(v) || v < 1 || v > T)
          throw new RangeError(
            `${name}.forward: lengths[${b}] = ${v} is out of range; expected an integer in 1..${T} (T)`,
          );
        lens[b] = v;
      }
      if (lens.every((v) => v === T)) lens = null; // full length: the fast path is exact
    }
    this.ensure(T, B);
    this.lens = lens;
    if (bf) swapAxes(this.xin, x.data, B, T, this.inputSize);
    else this.xin.set(x.data);
    const training = opts.training ?? this.training;
    this.stateGiven = !!opts.h0;
    for (let k = 0; k < LD; k++) {
      const h0 = this.h0s[k]!,
        c0 = this.c0s[k]!;
      if (opts.h0) h0.set(opts.h0.data.subarray(k * B * H, (k + 1) * B * H));
      else if (this.initH) for (let b = 0; b < B; b++) h0.set(this.initH.data.subarray(k * H, (k + 1) * H), b * H);
      else h0.fill(0);
      if (this.hasC) {
        if (opts.c0) c0.set(opts.c0.data.subarray(k * B * H, (k + 1) * B * H));
        else if (this.initC && !opts.h0)
          for (let b = 0; b < B; b++) c0.set(this.initC.data.subarray(k * H, (k + 1) * H), b * H);
        else c0.fill(0);
      }
    }
    let input = this.xin,
      inSize = this.inputSize;
    for (let l = 0; l < L; l++) {
      const out = this.outs[l]!;
      for (let d = 0; d < D; d++) {
        const k = l * D + d,
          core = this.cores[k]!;
        let xi = input;
        if (d === 1) {
          reverseInto(this.revIn[l]!, input, T, B, inSize, lens);
          xi = this.revIn[l]!;
        }
        const r = core.forward(xi, T, B, this.h0s[k]!, this.hasC ? this.c0s[k]! : null, lens);
        if (D === 1) out.set(r.y);
        else if (d === 0) for (let i = 0; i < T * B; i++) out.set(r.y.subarray(i * H, (i + 1) * H), i * 2 * H);
        else {
          reverseInto(this.dyR, r.y, T, B, H, lens); // reuse dyR as scratch for the re-reversed output
          for (let i = 0; i < T * B; i++) out.set(this.dyR.subarray(i * H, (i + 1) * H), i * 2 * H + H);
        }
        this.hN.set(r.hN, k * B * H);
        if (r.cN) this.cN.set(r.cN, k * B * H);
      }
      input = l + 1 < L ? this.dropouts[l]!.forward(out, this.drops[l] ?? out, training) : out;
      inSize = D * H;
    }
    this.ran = true;
    if (bf) swapAxes(this.outBF, this.outs[L - 1]!, T, B, D * H);
    const res: ForwardResult = {
      output: bf ? { shape: [B, T, D * H], data: this.outBF } : { shape: [T, B, D * H], data: this.outs[L - 1]! },
      hN: { shape: [LD, B, H], data: this.hN },
    };
    if (this.hasC) res.cN = { shape: [LD, B, H], data: this.cN };
    return res;
  }

  /**
   * One time step, for streaming inference: x [B, I] (one row per stream) and the state the
   * previous call returned (omitted: the initial state, zero or learned) -> the last layer's
   * output [B, H] and the new state, [numLayers, B, H]. A sequence fed step by step gives the
   * numbers `forward` gives on the whole of it (tested). Unidirectional stacks only (a reverse
   * direction needs the future). Results are views of workspace, valid until the next call:
   * pass the returned state back as it is, copy it to keep it. Backward after a step refers to
   * that step alone.
   */
  step(x: Tensor<FArray>, state?: StreamState): StreamStep {
    const name = this.spec.label;
    if (this.numDirections !== 1) throw new RangeError(`${name}.step: a bidirectional stack cannot run step by step`);
    const [B] = checkShape(x, [null, this.inputSize], `${name}.step x [B, inputSize]`) as [number, number];
    if (B < 1) throw new ShapeError(`${name}.step: x needs B >= 1, got [${x.shape}]`);
    assertFinite(x.data, `${name}.step x`);
    const H = this.hiddenSize,
      L = this.numLayers,
      BH = B * H;
    if (state) {
      checkShape(state.h, [L, B, H], `${name}.step state.h [numLayers, B, H]`);
      if (this.hasC) {
        if (!state.c) throw new ShapeError(`${name}.step: the LSTM's state needs c as well as h`);
        checkShape(state.c, [L, B, H], `${name}.step state.c [numLayers, B, H]`);
      }
    }
    const dtype = this.params.dtype;
    if (this.stepH.length !== L * BH) {
      this.stepH = workspace(this.backend, dtype, L * BH, this.stepH);
      this.stepC = workspace(this.backend, dtype, this.hasC ? L * BH : 0, this.stepC);
      this.stepZero = workspace(this.backend, dtype, BH, this.stepZero);
    }
    let input = x.data;
    for (let l = 0; l < L; l++) {
      const core = this.cores[l]!;
      let h0 = this.stepZero,
        c0: FArray | null = this.hasC ? this.stepZero : null;
      if (state) {
        h0 = state.h.data.subarray(l * BH, (l + 1) * BH);
        if (this.hasC) c0 = state.c!.data.subarray(l * BH, (l + 1) * BH);
      } else if (this.initH) {
        // learned initial state, broadcast over the rows (as forward does)
        h0 = this.stepH.subarray(l * BH, (l + 1) * BH);
        for (let b = 0; b < B; b++) h0.set(this.initH.data.subarray(l * H, (l + 1) * H), b * H);
        if (this.initC && c0) {
          c0 = this.stepC.subarray(l * BH, (l + 1) * BH);
          for (let b = 0; b < B; b++) c0.set(this.initC.data.subarray(l * H, (l + 1) * H), b * H);
        }
      }
      // The core copies h0/c0 in before it writes anything, so the state may be our own buffers.
      const r = core.forward(input, 1, B, h0, c0, null);
      this.stepH.set(r.hN, l * BH);
      if (r.cN) this.stepC.set(r.cN, l * BH);
      input = r.y;
    }
    const out: StreamStep = {
      output: { shape: [B, H], data: this.stepH.subarray((L - 1) * BH, L * BH) },
      h: { shape: [L, B, H], data: this.stepH },
    };
    if (this.hasC) out.c = { shape: [L, B, H], data: this.stepC };
    return out;
  }

  /**
   * Backpropagates through time. Any of the gradients may be omitted (treated as zero).
   * Returns dx [T,B,I] and dh0 (and dc0) [L*D,B,H]; parameter gradients are added to params.grad.
   */
  backward(g: BackwardGrads = {}): BackwardResult {
    const name = this.spec.label;
    if (!this.ran) throw new Error(`${name}.backward called before forward`);
    const { T, B } = this,
      H = this.hiddenSize,
      D = this.numDirections,
      L = this.numLayers,
      LD = L * D;
    if (g.output) {
      checkShape(g.output, this.batchFirst ? [B, T, D * H] : [T, B, D * H], `${name}.backward output gradient`);
      assertFinite(g.output.data, `${name}.backward output gradient`);
    }
    if (g.hN) {
      checkShape(g.hN, [LD, B, H], `${name}.backward hN gradient`);
      assertFinite(g.hN.data, `${name}.backward hN gradient`);
    }
    if (g.cN) {
      if (!this.hasC) throw new ShapeError(`${name}.backward: cN gradient is only for LSTM`);
      checkShape(g.cN, [LD, B, H], `${name}.backward cN gradient`);
      assertFinite(g.cN.data, `${name}.backward cN gradient`);
    }
    const lens = this.lens;
    if (g.output && this.batchFirst) swapAxes(this.dOut[L - 1]!, g.output.data, B, T, D * H);
    else if (g.output) this.dOut[L - 1]!.set(g.output.data);
    else this.dOut[L - 1]!.fill(0);
    for (let l = L - 1; l >= 0; l--) {
      const dOut = this.dOut[l]!,
        dIn = l > 0 ? this.dOut[l - 1]! : this.dIn[0]!;
      for (let d = 0; d < D; d++) {
        const k = l * D + d,
          core = this.cores[k]!;
        let dy: FArray = dOut;
        if (D === 2) {
          for (let i = 0; i < T * B; i++)
            this.dyF.set(dOut.subarray(i * 2 * H + d * H, i * 2 * H + (d + 1) * H), i * H);
          if (d === 1) {
            reverseInto(this.dyR, this.dyF, T, B, H, lens);
            dy = this.dyR;
          } else dy = this.dyF;
        }
        const dhN = g.hN ? g.hN.data.subarray(k * B * H, (k + 1) * B * H) : null;
        const dcN = g.cN ? g.cN.data.subarray(k * B * H, (k + 1) * B * H) : null;
        const r = core.backward(dy, dhN, dcN);
        if (d === 0) dIn.set(r.dx);
        else reverseInto(dIn, r.dx, T, B, r.dx.length / (T * B), lens, true);
        this.dh0.set(r.dh0, k * B * H);
        if (r.dc0) this.dc0.set(r.dc0, k * B * H);
        if (this.initH && !this.stateGiven) {
          for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) this.initH.grad[k * H + j] += r.dh0[b * H + j]!;
          if (this.initC && r.dc0)
            for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) this.initC.grad[k * H + j] += r.dc0[b * H + j]!;
        }
      }
      if (l > 0) this.dropouts[l - 1]!.backwardInPlace(dIn); // through the mask the forward used
    }
    if (this.batchFirst) swapAxes(this.dxBF, this.dIn[0]!, T, B, this.inputSize);
    const res: BackwardResult = {
      dx: this.batchFirst
        ? { shape: [B, T, this.inputSize], data: this.dxBF }
        : { shape: [T, B, this.inputSize], data: this.dIn[0]! },
      dh0: { shape: [LD, B, H], data: this.dh0 },
    };
    if (this.hasC) res.dc0 = { shape: [LD, B, H], data: this.dc0 };
    return res;
  }

  stateDict() {
    return this.params.stateDict();
  }
  loadStateDict(sd: Record<string, { shape: number[]; data: ArrayLike<number> }>, opts?: { strict?: boolean }) {
    this.params.loadStateDict(sd, opts);
  }
  namedGrads() {
    return this.params.namedGrads();
  }
  zeroGrad() {
    this.params.zeroGrad();
  }
}

/** Elman RNN (PyTorch nn.RNN): h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh). */
export class RNN extends RecurrentStack {
  constructor(o: RNNOptions) {
    super('rnn', o);
  }
}

/** LSTM (PyTorch nn.LSTM), gates i, f, g, o. */
export class LSTM extends RecurrentStack {
  constructor(o: LSTMOptions) {
    super('lstm', o);
  }
}

/** GRU (PyTorch nn.GRU), gates r, z, n. */
export class GRU extends RecurrentStack {
  constructor(o: RecurrentOptions) {
    super('gru', o);
  }
}

/** IndRNN (Li et al. 2018): h = act(W_ih x + u * h + b) with u elementwise; ReLU by default. */
export class IndRNN extends RecurrentStack {
  constructor(o: IndRNNOptions) {
    super('indrnn', o);
  }
}
