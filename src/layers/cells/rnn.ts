/**
 * Elman RNN, one layer, one direction (PyTorch nn.RNN):
 *   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),  act in {tanh, relu, sigmoid, identity}
 * Shapes: x [T,B,I], h [B,H], W_ih [H,I], W_hh [H,H].
 * Cache: HS [T+1,B,H] (h_{-1}=h0 .. h_T); act' is read off the output (tanh' = 1 - h^2, ...).
 * Backward (docs/derivations/rnn.md): dpre_t = (dy_t + dh_t) * act'(h_t); dh_{t-1} = dpre_t W_hh.
 * Step Jacobian: J = diag(act'(h_t)) W_hh.
 */
import { type ActCode, type Activation, actCode } from '../../backend/backend.js';
import type { FArray } from '../../tensor.js';
import { type CoreBackward, type CoreForward, type CoreOptions, RecurrentCore } from '../core.js';
import { type CellSpec, actDerivFromOutput, applyAct, refPre } from './spec.js';
import { jsProducts } from './products.js';

export class RNNCore extends RecurrentCore {
  readonly cell = 'rnn';
  override readonly act: Activation;
  private readonly code: ActCode;

  constructor(o: CoreOptions & { nonlinearity?: Activation }) {
    super({ G: 1, recurrence: 'dense' }, o);
    this.act = o.nonlinearity ?? 'tanh';
    this.code = actCode(this.act);
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
      BH = B * H;
    this.projectInput(x, T, B, true);
    for (let t = 0; t < T; t++) {
      be.gemm(false, true, true, B, H, H, this.HS, t * BH, this.wHh.data, 0, this.XP, t * BH); // pre += h W_hh^T
      be.actForward(this.code, BH, this.XP, t * BH); // h_t = act(pre)
      this.HS.set(this.XP.subarray(t * BH, (t + 1) * BH), (t + 1) * BH);
      this.holdFinished(t, null);
    }
    this.writeOutputs();
    return { y: this.Y, hN: this.HS.subarray(T * BH, (T + 1) * BH), cN: null };
  }

  backward(dy: FArray | null, dhN: FArray | null): CoreBackward {
    this.startBackward(dhN);
    const { T, B, H, be } = this,
      BH = B * H;
    for (let t = T - 1; t >= 0; t--) {
      this.gatherDh(dy, t); // dh = dy_t + dh from t+1
      this.noteDh(t);
      be.actBackward(this.code, BH, this.HS, (t + 1) * BH, this.dh, 0, this.dXP, t * BH); // dpre = dh act'(h_t)
      this.zeroFinished(t, this.dXP, H);
      be.gemm(false, false, false, B, H, H, this.dXP, t * BH, this.wHh.data, 0, this.dhNext, 0); // dh_{t-1} = dpre W
      this.passFinished(t, this.dhNext, this.dh);
    }
    this.dh0.set(this.dhNext);
    this.finishBackward();
    return { dx: this.dX, dh0: this.dh0, dc0: null };
  }
}

export const rnnSpec: CellSpec = {
  name: 'rnn',
  label: 'RNN',
  summary: 'Elman RNN: h = act(W_ih x + W_hh h + b), act tanh (default), relu, sigmoid or identity',
  gates: ['h'],
  gateActs: ['cell'],
  recurrence: 'dense',
  hasCellState: false,
  options: ['nonlinearity'],
  makeCore: (o, c) => new RNNCore({ ...o, nonlinearity: c.nonlinearity }),
  jacobian(core, t, b, W, products) {
    const { B, H, HS } = core.cache();
    const P = products ?? jsProducts(W, 1, H);
    const act = (core as RNNCore).act,
      hCur = ((t + 1) * B + b) * H;
    const d = new Float64Array(H),
      tmp = new Float64Array(H);
    for (let j = 0; j < H; j++) d[j] = actDerivFromOutput(act, HS[hCur + j]!);
    return {
      n: H,
      apply(v, out) {
        P.mv(v, out);
        for (let j = 0; j < H; j++) out[j] *= d[j]!;
      },
      applyT(u, out) {
        for (let j = 0; j < H; j++) tmp[j] = u[j]! * d[j]!;
        P.mtv(tmp, out, false);
      },
    };
  },
  reference(w, x, h, _c, o) {
    const act = o.nonlinearity ?? 'tanh';
    return { h: refPre(w, 0, x, h).map((v) => applyAct(act, v)), c: null };
  },
};
