/**
 * IndRNN, one layer, one direction (Li et al. 2018, "Independently Recurrent Neural Network"):
 *   h_t = act(W_ih x_t + b + u * h_{t-1}),  u [H] elementwise,  act relu (default) or tanh, ...
 * Each unit sees only its own past, so the gradient through k steps of unit j is
 * prod act'(.) u_j: it neither vanishes nor explodes as long as |u_j| stays near 1, which
 * the recurrent-weight constraint enforces: |u_j| <= recurrentMaxAbs after every update
 * (the paper uses 2^(1/T) for ReLU, so that no unit can grow by more than 2x over T steps).
 * Shapes: x [T,B,I], h [B,H], W_ih [H,I] ('weight_ih_l0'), u [H] ('weight_hh_l0'), b [H] ('bias_ih_l0').
 * Init: W_ih and b as PyTorch's RNN (U(+-1/sqrt(H))), u ~ U(0, 1) ('identity' init: u = 1), clipped to the bound.
 * Cache: XP [T,B,H] activations (= h_t), HS [T+1,B,H].
 * Backward: dpre_t = (dy_t + dh_t) act'(h_t);  dh_{t-1} = dpre_t * u;  du += sum_{t,b} dpre_t * h_{t-1}.
 * Step Jacobian: J = diag(act'(h_t) * u).
 */
import { type ActCode, type Activation, actCode } from '../../backend/backend.js';
import type { RecurrentInit } from '../../init.js';
import type { Rng } from '../../random.js';
import type { FArray } from '../../tensor.js';
import { type CoreBackward, type CoreForward, type CoreOptions, RecurrentCore } from '../core.js';
import { type CellSpec, actDerivFromOutput, applyAct } from './spec.js';

export class IndRNNCore extends RecurrentCore {
  readonly cell = 'indrnn';
  override readonly act: Activation;
  readonly maxAbs: number | null;
  private readonly code: ActCode;

  constructor(o: CoreOptions & { nonlinearity?: Activation; recurrentMaxAbs?: number }) {
    super({ G: 1, recurrence: 'diagonal' }, o);
    this.act = o.nonlinearity ?? 'relu';
    this.code = actCode(this.act);
    const m = o.recurrentMaxAbs;
    if (m !== undefined && !(m > 0 && Number.isFinite(m)))
      throw new RangeError(`IndRNN: recurrentMaxAbs must be a positive number, got ${m}`);
    this.maxAbs = m ?? null;
  }

  protected override initDiagonal(a: FArray, r: Rng, rinit: RecurrentInit): void {
    const identity = rinit === 'identity' || (typeof rinit === 'object' && rinit.type === 'identity');
    for (let j = 0; j < a.length; j++) a[j] = identity ? 1 : r.uniform();
  }

  /** Keeps |u_j| <= maxAbs (called after every update, and once the parameters exist). */
  override constrain(): void {
    const m = this.maxAbs;
    if (m === null) return;
    const u = this.wHh.data;
    for (let j = 0; j < u.length; j++) u[j] = Math.min(m, Math.max(-m, u[j]!));
  }

  protected ensureCell(): void {}

  forward(
    x: FArray,
    T: number,
    B: number,
    h0: FArray | null,
    _c0: FArray | null,
    lengths: Int32Array | null,
  ): CoreForward {
    this.startForward(x, T, B, h0, lengths);
    const { H, be } = this,
      BH = B * H,
      u = this.wHh.data;
    this.projectInput(x, T, B, false);
    for (let t = 0; t < T; t++) {
      // h = act(xp + u h)
      be.indrnnCell(this.code, B, H, this.XP, t * BH, u, 0, this.HS, t * BH, this.HS, (t + 1) * BH);
      this.holdFinished(t, null);
    }
    this.writeOutputs();
    return { y: this.Y, hN: this.HS.subarray(T * BH, (T + 1) * BH), cN: null };
  }

  backward(dy: FArray | null, dhN: FArray | null): CoreBackward {
    this.startBackward(dhN);
    const { T, B, H, be } = this,
      BH = B * H,
      u = this.wHh.data;
    for (let t = T - 1; t >= 0; t--) {
      this.gatherDh(dy, t); // dh = dy_t + dh from t+1
      this.noteDh(t);
      be.indrnnCellBackward(this.code, B, H, this.HS, (t + 1) * BH, u, 0, this.dh, 0, this.dXP, t * BH, this.dhNext, 0);
      this.zeroFinished(t, this.dXP, H);
      this.passFinished(t, this.dhNext, this.dh);
    }
    // du = sum over t, b of dpre_t * h_{t-1}: the diagonal recurrence's weight gradient.
    const du = this.wHh.grad,
      dXP = this.dXP,
      HS = this.HS;
    for (let r = 0; r < T * B; r++) for (let j = 0; j < H; j++) du[j] += dXP[r * H + j]! * HS[r * H + j]!;
    this.dh0.set(this.dhNext);
    this.finishBackward();
    return { dx: this.dX, dh0: this.dh0, dc0: null };
  }
}

export const indrnnSpec: CellSpec = {
  name: 'indrnn',
  label: 'IndRNN',
  summary: 'IndRNN (Li et al. 2018): h = act(W_ih x + u * h + b), u elementwise, act relu (default)',
  gates: ['h'],
  gateActs: ['cell'],
  recurrence: 'diagonal',
  hasCellState: false,
  options: ['nonlinearity', 'recurrentMaxAbs'],
  makeCore: (o, c) => new IndRNNCore({ ...o, nonlinearity: c.nonlinearity, recurrentMaxAbs: c.recurrentMaxAbs }),
  jacobian(core, t, b, W) {
    const { B, H, HS } = core.cache();
    const act = (core as IndRNNCore).act,
      hCur = ((t + 1) * B + b) * H;
    const d = new Float64Array(H);
    for (let j = 0; j < H; j++) d[j] = actDerivFromOutput(act, HS[hCur + j]!) * W[j]!;
    return {
      n: H,
      apply(v, out) {
        for (let j = 0; j < H; j++) out[j] = d[j]! * v[j]!;
      },
      applyT(u, out) {
        for (let j = 0; j < H; j++) out[j] = d[j]! * u[j]!;
      },
    };
  },
  reference(w, x, h, _c, o) {
    const act = o.nonlinearity ?? 'relu',
      { I, H } = w;
    const out: number[] = [];
    for (let j = 0; j < H; j++) {
      let s = (w.bIh ? w.bIh[j]! : 0) + w.wHh[j]! * h[j]!;
      for (let i = 0; i < I; i++) s += w.wIh[j * I + i]! * x[i]!;
      out.push(applyAct(act, s));
    }
    return { h: out, c: null };
  },
};
