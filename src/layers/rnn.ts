/**
 * Elman RNN, one layer, one direction (PyTorch nn.RNN):
 *   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),  act in {tanh, relu, sigmoid, identity}
 * Shapes: x [T,B,I], h [B,H], W_ih [H,I], W_hh [H,H].
 * Cache: HS [T+1,B,H] (h_{-1}=h0 .. h_T); act' is read off the output (tanh' = 1 - h^2, ...).
 * Backward (docs/derivations/rnn.md): dpre_t = (dy_t + dh_t) * act'(h_t); dh_{t-1} = dpre_t W_hh.
 */
import type { Activation } from '../backend/backend.js';
import type { FArray } from '../tensor.js';
import { type CoreBackward, type CoreForward, type CoreOptions, RecurrentCore } from './core.js';

export class RNNCore extends RecurrentCore {
  readonly act: Activation;

  constructor(o: CoreOptions & { nonlinearity?: Activation }) {
    super(1, o);
    this.act = o.nonlinearity ?? 'tanh';
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
      be.gemm(false, true, true, B, H, H, this.HS, t * BH, this.wHh.data, 0, this.XP, t * BH); // pre += h_{t-1} W_hh^T
      be.actForward(this.act, this.XP, t * BH, BH); // h_t = act(pre)
      this.HS.set(this.XP.subarray(t * BH, (t + 1) * BH), (t + 1) * BH);
      this.holdFinished(t, null);
    }
    this.writeOutputs();
    return { y: this.Y, hN: this.HS.subarray(T * BH, (T + 1) * BH), cN: null };
  }

  backward(dy: FArray | null, dhN: FArray | null): CoreBackward {
    this.startBackward(dhN);
    const { T, B, H, be } = this,
      BH = B * H,
      len = this.lengths;
    for (let t = T - 1; t >= 0; t--) {
      this.gatherDh(dy, t); // dh = dy_t + dh from t+1
      this.noteDh(t);
      be.actBackward(this.act, this.HS, (t + 1) * BH, this.dh, 0, this.dXP, t * BH, BH); // dpre = dh * act'(h_t)
      if (len) for (let b = 0; b < B; b++) if (t >= len[b]!) this.dXP.fill(0, (t * B + b) * H, (t * B + b + 1) * H);
      be.gemm(false, false, false, B, H, H, this.dXP, t * BH, this.wHh.data, 0, this.dhNext, 0); // dh_{t-1} = dpre W_hh
      if (len)
        for (let b = 0; b < B; b++) if (t >= len[b]!) this.dhNext.set(this.dh.subarray(b * H, (b + 1) * H), b * H);
    }
    this.dh0.set(this.dhNext);
    this.finishBackward();
    return { dx: this.dX, dh0: this.dh0, dc0: null };
  }
}
