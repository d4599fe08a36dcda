/**
 * What a recurrent cell declares about itself (DESIGN.md, decision 9). Each cell file exports
 * one `CellSpec`; the registry (cells/index.ts) collects them, and everything that depends on
 * the cell type reads the spec instead of naming cells: the stack builds cores through
 * `makeCore`, models and the CLI validate names and options against the registry, diagnostics
 * take the step Jacobian and the gate activations from it, the GPU path its gate count.
 *
 * Dimension key: I = input, H = hidden, G = gate blocks, n = state size (H, or 2H with a cell state).
 */
import type { Activation } from '../../backend/backend.js';
import type { FArray } from '../../tensor.js';
import type { CoreOptions, RecurrentCore } from '../core.js';
import { dotAt } from '../../linalg.js';
import type { RecurrentProducts } from './products.js';

/** What a gate block goes through: a sigmoid, a tanh, or the cell's configurable nonlinearity. */
export type GateAct = 'sigmoid' | 'tanh' | 'cell';

/** Per-cell options (a cell reads only those its spec lists in `options`). */
export interface CellOptions {
  /** RNN, IndRNN: the nonlinearity. */
  nonlinearity?: Activation;
  /** LSTM: forget-gate bias at init (null keeps PyTorch's uniform draw). */
  forgetBias?: number | null;
  /** IndRNN: |u_j| is kept <= this after every update (Li et al. 2018 use 2^(1/T)); absent = no bound. */
  recurrentMaxAbs?: number;
}

/** The step Jacobian J_t = d s_t / d s_{t-1} for one batch row, as matrix-free products. */
export interface StepJacobian {
  /** State size n. */
  n: number;
  /** out = J v (out and v of length n). */
  apply(v: Float64Array, out: Float64Array): void;
  /** out = J^T u. */
  applyT(u: Float64Array, out: Float64Array): void;
}

/** One direction of one layer's weights, in PyTorch's layout (biases may be absent). */
export interface RefWeights {
  I: number;
  H: number;
  wIh: ArrayLike<number>;
  wHh: ArrayLike<number>;
  bIh: ArrayLike<number> | null;
  bHh: ArrayLike<number> | null;
}

/**
 * One time step of one sequence in plain arithmetic, straight from the cell's equations: the
 * oracle that the fused cores and the GPU kernels are tested against.
 */
export type RefStep = (
  w: RefWeights,
  x: ArrayLike<number>,
  h: ArrayLike<number>,
  c: ArrayLike<number> | null,
  o: CellOptions,
) => { h: number[]; c: number[] | null };

export interface CellSpec {
  /** Registry key and CLI name ('lstm'). */
  readonly name: string;
  /** Display name ('LSTM'). */
  readonly label: string;
  /** One line for help texts. */
  readonly summary: string;
  /** Gate block names in weight order (LSTM i,f,g,o); G = gates.length. */
  readonly gates: readonly string[];
  /** Each block's activation, for saturation statistics. */
  readonly gateActs: readonly GateAct[];
  /** 'dense' W_hh [G*H, H] or 'diagonal' u [H]. */
  readonly recurrence: 'dense' | 'diagonal';
  /** Whether the state includes a cell state c (LSTM). */
  readonly hasCellState: boolean;
  /** The options this cell reads. */
  readonly options: readonly (keyof CellOptions)[];
  /** Builds one layer-direction core. */
  makeCore(o: CoreOptions, c: CellOptions): RecurrentCore;
  /**
   * The step Jacobian at step t for row b, linearised around the core's last forward, with W as W_hh;
   * `products` (dense cells) runs W's products, shared by the steps of a window (default: the loops on W).
   */
  jacobian(core: RecurrentCore, t: number, b: number, W: FArray, products?: RecurrentProducts): StepJacobian;
  reference: RefStep;
}

/** y[H] = W_k x for block k of a [G*H, H] row-major W. */
export function blockMv(W: FArray, k: number, H: number, x: ArrayLike<number>, xOff: number, y: Float64Array): void {
  const base = k * H * H;
  for (let i = 0; i < H; i++) y[i] = dotAt(W, base + i * H, x, xOff, H);
}

/** Pre-activations of gate block k for one row: W_ih[k] x + b_ih[k] + W_hh[k] h + b_hh[k] (dense cells). */
export function refPre(w: RefWeights, k: number, x: ArrayLike<number>, h: ArrayLike<number>, withHh = true): number[] {
  const { I, H } = w,
    out: number[] = [];
  for (let j = 0; j < H; j++) {
    const r = k * H + j;
    let s = (w.bIh ? w.bIh[r]! : 0) + (withHh && w.bHh ? w.bHh[r]! : 0);
    for (let i = 0; i < I; i++) s += w.wIh[r * I + i]! * x[i]!;
    if (withHh) for (let i = 0; i < H; i++) s += w.wHh[r * H + i]! * h[i]!;
    out.push(s);
  }
  return out;
}

export const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** The derivative of an activation written through its output y = act(v). */
export function actDerivFromOutput(act: Activation, y: number): number {
  return act === 'tanh' ? 1 - y * y : act === 'relu' ? (y > 0 ? 1 : 0) : act === 'sigmoid' ? y * (1 - y) : 1;
}

export function applyAct(act: Activation, v: number): number {
  return act === 'tanh' ? Math.tanh(v) : act === 'relu' ? Math.max(0, v) : act === 'sigmoid' ? sigmoid(v) : v;
}
