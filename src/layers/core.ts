/**
 * What the three recurrent cells share: parameters in PyTorch's layout, the input
 * projection for all time steps as one matrix product, and the weight gradients of both
 * projections as one product each at the end of backward (DESIGN.md, decision 4).
 *
 * Dimension key: T = time, B = batch, I = input size, H = hidden, G = gates (a cell's spec says
 * how many). A core is one layer in one direction; each cell's core, with its gate maths forward
 * and backward side by side, is one file in cells/; stacks and bidirectional wrappers live in stack.ts.
 * The recurrence is dense (W_hh [G*H, H], as PyTorch's cells) or diagonal (u [H], IndRNN).
 *
 * Variable lengths: rows with t >= len[b] keep their state (h_t = h_{t-1}), output zeros,
 * and pass dh/dc straight through in backward, as PyTorch's packed sequences do.
 */
import { type Activation, type Backend, workspace } from '../backend/backend.js';
import type { Param, Params } from '../params.js';
import type { DType, FArray } from '../tensor.js';
import { uniform } from '../init.js';
import { type RecurrentInit, initRecurrentBlock } from '../init.js';
import type { Rng } from '../random.js';

export interface CoreOptions {
  inputSize: number;
  hiddenSize: number;
  /** Suffix of PyTorch names, e.g. 'l0' or 'l1_reverse'. */
  suffix: string;
  /** Prefix of every parameter name, e.g. 'encoder.' (default none). */
  prefix?: string;
  params: Params;
  backend: Backend;
  recurrentInit?: RecurrentInit;
  bias?: boolean;
}

/** How a cell's parameters are laid out (its spec fixes it; the options above vary per layer). */
export interface CoreLayout {
  /** Gate blocks G: W_ih is [G*H, I]. */
  G: number;
  /** 'dense': W_hh [G*H, H] and b_hh [G*H] (PyTorch's cells); 'diagonal': u [H] and no b_hh (IndRNN). */
  recurrence: 'dense' | 'diagonal';
}

export interface CoreForward {
  y: FArray; // [T,B,H] outputs (zero where t >= len[b])
  hN: FArray; // [B,H]
  cN: FArray | null; // [B,H] (LSTM)
}

export interface CoreBackward {
  dx: FArray; // [T,B,I]
  dh0: FArray; // [B,H]
  dc0: FArray | null;
}

export abstract class RecurrentCore {
  /** The cell's registry name (cells/index.ts). */
  abstract readonly cell: string;
  /** The nonlinearity of cells that have one (RNN, IndRNN). */
  readonly act?: Activation;
  readonly I: number;
  readonly H: number;
  readonly G: number;
  readonly dtype: DType;
  readonly wIh: Param; // [G*H, I]
  readonly wHh: Param; // [G*H, H] (dense) or [H] (diagonal)
  readonly recurrence: 'dense' | 'diagonal';
  readonly bIh: Param | null; // [G*H]
  readonly bHh: Param | null; // [G*H]
  protected be: Backend;
  /** The backend this core's kernels run on (diagnostics run W_hh's products there too). */
  get backend(): Backend {
    return this.be;
  }
  // Workspace, sized for (T, B) and reused while the shape stays.
  protected T = -1;
  protected B = -1;
  protected x: FArray = new Float32Array(0); // [T,B,I] the input given to forward (not copied)
  protected XP: FArray = new Float32Array(0); // [T,B,G*H] pre-activations, then activations
  protected HS: FArray = new Float32Array(0); // [T+1,B,H] states, HS[0] = h0
  protected Y: FArray = new Float32Array(0); // [T,B,H] outputs
  protected dXP: FArray = new Float32Array(0); // [T,B,G*H] grads of the input projection
  protected dHP: FArray = new Float32Array(0); // [T,B,G*H] grads of the recurrent projection (== dXP but for GRU)
  protected dX: FArray = new Float32Array(0); // [T,B,I]
  protected dh: FArray = new Float32Array(0); // [B,H] dL/dh_t being assembled
  protected dhNext: FArray = new Float32Array(0); // [B,H] dL/dh_{t-1} from the recurrence
  protected dh0: FArray = new Float32Array(0); // [B,H]
  protected bsum: FArray = new Float32Array(0); // [G*H] b_ih (+ b_hh)
  protected lengths: Int32Array | null = null;
  private minLen = 0; // the shortest length (masking starts there)
  protected hasRun = false;
  /** When true, backward records ||dL/dh_t|| for every t in `dhNorms` (diagnostics; off by default). */
  recordGradNorms = false;
  /** [T] ||dL/dh_t||_2 over the batch, filled by backward when recordGradNorms is set. */
  dhNorms: Float64Array = new Float64Array(0);

  constructor(layout: CoreLayout, o: CoreOptions) {
    const G = layout.G;
    this.G = G;
    this.recurrence = layout.recurrence;
    this.I = o.inputSize;
    this.H = o.hiddenSize;
    this.be = o.backend;
    this.dtype = o.params.dtype;
    const H = this.H,
      I = this.I,
      k = 1 / Math.sqrt(H),
      name = (w: string) => `${o.prefix ?? ''}${w}_${o.suffix}`;
    const rinit = o.recurrentInit ?? 'default';
    // PyTorch's default: every weight and bias U(-1/sqrt(H), 1/sqrt(H)).
    this.wIh = o.params.declare(name('weight_ih'), [G * H, I], (a, r) => uniform(a, -k, k, r));
    const dense = layout.recurrence === 'dense';
    this.wHh = dense
      ? o.params.declare(name('weight_hh'), [G * H, H], (a, r) => {
          // Each gate's [H, H] block gets its own draw (orthogonal/identity per gate, as is usual).
          for (let g = 0; g < G; g++) initRecurrentBlock(a.subarray(g * H * H, (g + 1) * H * H), H, rinit, r);
        })
      : o.params.declare(name('weight_hh'), [H], (a, r) => this.initDiagonal(a, r, rinit), { decay: false });
    const bias = o.bias ?? true;
    this.bIh = bias ? o.params.declare(name('bias_ih'), [G * H], (a, r) => this.initBias(a, r, 'ih', rinit)) : null;
    this.bHh =
      bias && dense ? o.params.declare(name('bias_hh'), [G * H], (a, r) => this.initBias(a, r, 'hh', rinit)) : null;
  }

  /** A diagonal recurrence's initial draw (cells with one override it). */
  protected initDiagonal(a: FArray, _r: Rng, _rinit: RecurrentInit): void {
    a.fill(1);
  }

  /** Projects the parameters back into their allowed set (after each update); most cells have none. */
  constrain(): void {}

  /** Default bias draw; cells override for forget-gate bias and IRNN zeros. */
  protected initBias(a: FArray, r: Rng, _which: 'ih' | 'hh', rinit: RecurrentInit): void {
    const isIdentity = rinit === 'identity' || (typeof rinit === 'object' && rinit.type === 'identity');
    if (isIdentity)
      a.fill(0); // IRNN: zero biases (Le et al. 2015)
    else uniform(a, -1 / Math.sqrt(this.H), 1 / Math.sqrt(this.H), r);
  }

  /** (Re)allocates the workspace when (T, B) changes; allocates nothing otherwise. */
  protected ensure(T: number, B: number): void {
    if (T === this.T && B === this.B) return;
    const { H, I, G, dtype } = this;
    this.T = T;
    this.B = B;
    this.XP = workspace(this.be, dtype, T * B * G * H, this.XP);
    this.HS = workspace(this.be, dtype, (T + 1) * B * H, this.HS);
    this.Y = workspace(this.be, dtype, T * B * H, this.Y);
    this.dXP = workspace(this.be, dtype, T * B * G * H, this.dXP);
    this.dHP = this.dXP;
    this.dX = workspace(this.be, dtype, T * B * I, this.dX);
    this.dh = workspace(this.be, dtype, B * H, this.dh);
    this.dhNext = workspace(this.be, dtype, B * H, this.dhNext);
    this.dh0 = workspace(this.be, dtype, B * H, this.dh0);
    this.bsum = workspace(this.be, dtype, G * H, this.bsum);
    this.ensureCell(T, B);
  }

  protected abstract ensureCell(T: number, B: number): void;

  /**
   * XP = X W_ih^T + b_ih (+ b_hh when `withHh`) for all T*B rows in one product.
   * RNN and LSTM fold b_hh in here; GRU cannot (b_hn sits inside r * (W_hn h + b_hn)).
   */
  protected projectInput(x: FArray, T: number, B: number, withHh: boolean): void {
    const GH = this.G * this.H,
      be = this.be;
    if (this.bIh) {
      const bIh = this.bIh.data,
        bHh = withHh && this.bHh ? this.bHh.data : null;
      for (let j = 0; j < GH; j++) this.bsum[j] = bIh[j]! + (bHh ? bHh[j]! : 0);
      be.fillRows(T * B, GH, this.XP, 0, this.bsum, 0);
    }
    be.gemm(false, true, this.bIh !== null, T * B, GH, this.I, x, 0, this.wIh.data, 0, this.XP, 0);
  }

  /**
   * The products left after the time loop: dW_ih += dXP^T X, db_ih += sum dXP,
   * dX = dXP W_ih, dW_hh += dHP^T H_{t-1}, db_hh += sum dHP (a diagonal recurrence's du is
   * summed by its cell's kernel during the loop).
   */
  protected finishBackward(): void {
    const { T, B, H, I, G, be } = this;
    const GH = G * H,
      N = T * B;
    be.gemm(true, false, true, GH, I, N, this.dXP, 0, this.x, 0, this.wIh.grad, 0);
    if (this.bIh) be.colSumAcc(N, GH, this.bIh.grad, 0, this.dXP, 0);
    be.gemm(false, false, false, N, I, GH, this.dXP, 0, this.wIh.data, 0, this.dX, 0);
    if (this.recurrence === 'dense') be.gemm(true, false, true, GH, H, N, this.dHP, 0, this.HS, 0, this.wHh.grad, 0);
    if (this.bHh) be.colSumAcc(N, GH, this.bHh.grad, 0, this.dHP, 0);
  }

  /** Copies outputs HS[1..T] to Y, zeroing rows past their length. */
  protected writeOutputs(): void {
    const { T, B, H } = this;
    this.Y.set(this.HS.subarray(B * H, (T + 1) * B * H));
    const len = this.lengths;
    if (!len) return;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) if (t >= len[b]!) this.Y.fill(0, (t * B + b) * H, (t * B + b + 1) * H);
    }
  }

  /** Rows past their length keep the previous state: HS[t+1][b] = HS[t][b] (and the same for `S`). */
  protected holdFinished(t: number, S: FArray | null): void {
    if (!this.anyFinished(t)) return;
    const len = this.lengths!,
      { B, H } = this;
    for (let b = 0; b < B; b++) {
      if (t < len[b]!) continue;
      const src = (t * B + b) * H,
        dst = ((t + 1) * B + b) * H;
      this.HS.copyWithin(dst, src, src + H);
      if (S) S.copyWithin(dst, src, src + H);
    }
  }

  /** Whether some row has ended by step t (then the masking helpers below have work to do). */
  protected anyFinished(t: number): boolean {
    return this.lengths !== null && t >= this.minLen;
  }

  /** Rows past their length at t did not step: their gradient rows in buf ([T,B,width] at t) are zero. */
  protected zeroFinished(t: number, buf: FArray, width: number): void {
    if (!this.anyFinished(t)) return;
    const len = this.lengths!,
      B = this.B;
    for (let b = 0; b < B; b++) if (t >= len[b]!) buf.fill(0, (t * B + b) * width, (t * B + b + 1) * width);
  }

  /** Rows past their length at t passed their state through unchanged, and so pass its gradient: dst[b] = src[b]. */
  protected passFinished(t: number, dst: FArray, src: FArray): void {
    if (!this.anyFinished(t)) return;
    const len = this.lengths!,
      { B, H } = this;
    for (let b = 0; b < B; b++) if (t >= len[b]!) dst.set(src.subarray(b * H, (b + 1) * H), b * H);
  }

  /**
   * What forward cached, for diagnostics: states HS [T+1,B,H] (HS[0] = h0), activated gates
   * XP [T,B,G*H], and for the LSTM the cell states CS [T+1,B,H] (null for the other cells).
   */
  cache(): { T: number; B: number; H: number; G: number; HS: FArray; XP: FArray; CS: FArray | null } {
    return { T: this.T, B: this.B, H: this.H, G: this.G, HS: this.HS, XP: this.XP, CS: this.cellStates() };
  }

  /** Cell states [T+1,B,H] for cells that have them (LSTM). */
  protected cellStates(): FArray | null {
    return null;
  }

  /** Records ||dh_t|| when asked (dh holds dL/dh_t: the output's and the recurrence's parts). */
  protected noteDh(t: number): void {
    if (!this.recordGradNorms) return;
    if (this.dhNorms.length !== this.T) this.dhNorms = new Float64Array(this.T);
    this.dhNorms[t] = Math.sqrt(this.be.sumSq(this.B * this.H, this.dh, 0));
  }

  /** Assembles dh = dy[t] + dhNext, ignoring dy for rows past their length. */
  protected gatherDh(dy: FArray | null, t: number): void {
    const { B, H } = this;
    const base = t * B * H;
    for (let i = 0; i < B * H; i++) this.dh[i] = this.dhNext[i]! + (dy ? dy[base + i]! : 0);
    const len = this.lengths;
    if (len && dy) {
      for (let b = 0; b < B; b++) {
        if (t < len[b]!) continue;
        for (let j = 0; j < H; j++) this.dh[b * H + j] = this.dhNext[b * H + j]!;
      }
    }
  }

  abstract forward(
    x: FArray,
    T: number,
    B: number,
    h0: FArray | null,
    c0: FArray | null,
    lengths: Int32Array | null,
  ): CoreForward;
  abstract backward(dy: FArray | null, dhN: FArray | null, dcN: FArray | null): CoreBackward;

  protected startForward(x: FArray, T: number, B: number, h0: FArray | null, lengths: Int32Array | null): void {
    this.ensure(T, B);
    this.x = x;
    this.lengths = lengths;
    let minLen = T;
    if (lengths) for (let b = 0; b < B; b++) minLen = Math.min(minLen, lengths[b]!);
    this.minLen = minLen;
    const BH = B * this.H;
    if (h0) this.HS.set(h0.subarray(0, BH));
    else this.HS.fill(0, 0, BH);
    this.hasRun = true;
  }

  protected startBackward(dhN: FArray | null): void {
    if (!this.hasRun) throw new Error('backward called before forward');
    if (dhN) this.dhNext.set(dhN);
    else this.dhNext.fill(0);
  }
}
