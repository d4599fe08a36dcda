/**
 * GRU, one layer, one direction (PyTorch nn.GRU, gate order r, z, n):
 *   r = s(W_ir x + b_ir + W_hr h + b_hr),  z = s(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}
 * Shapes: x [T,B,I], h [B,H], W_ih [3H,I], W_hh [3H,H].
 * Cache: XP [T,B,3H] r,z,n; HP [T,B,3H] W_hh h_{t-1} + b_hh (its n part is needed for dr); HS [T+1,B,H].
 * Backward (docs/derivations/gru.md): dn = dh(1-z); dz = dh(h_{t-1} - n); dr = dn(1-n^2) hp_n;
 *   the recurrent projection's gradient differs from the input's only in the n block (times r).
 */
import type { FArray } from '../tensor.js';
import { workspace } from '../backend/backend.js';
import { type CoreBackward, type CoreForward, type CoreOptions, RecurrentCore } from './core.js';

export class GRUCore extends RecurrentCore {
  private HP: FArray = new Float32Array(0); // [T,B,3H]
  private dHPown: FArray = new Float32Array(0); // [T,B,3H] grads of the recurrent projection

  constructor(o: CoreOptions) {
    super(3, o);
  }

  protected ensureCell(T: number, B: number): void {
    this.HP = workspace(this.be, this.dtype, T * B * 3 * this.H, this.HP);
    this.dHPown = workspace(this.be, this.dtype, T * B * 3 * this.H, this.dHPown); // GRU's dHP is not dXP
    this.dHP = this.dHPown;
  }

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
      G3 = 3 * BH;
    this.projectInput(x, T, B, false);
    for (let t = 0; t < T; t++) {
      if (this.bHh) be.fillRows(this.HP, t * G3, B, 3 * H, this.bHh.data, 0);
      be.gemm(false, true, this.bHh !== null, B, 3 * H, H, this.HS, t * BH, this.wHh.data, 0, this.HP, t * G3); // hp = W_hh h + b_hh
      be.gruCell(B, H, this.XP, t * G3, this.HP, t * G3, this.HS, t * BH, this.HS, (t + 1) * BH);
      this.holdFinished(t, null);
    }
    this.writeOutputs();
    return { y: this.Y, hN: this.HS.subarray(T * BH, (T + 1) * BH), cN: null };
  }

  backward(dy: FArray | null, dhN: FArray | null): CoreBackward {
    this.startBackward(dhN);
    const { T, B, H, be } = this,
      BH = B * H,
      G3 = 3 * BH,
      len = this.lengths;
    for (let t = T - 1; t >= 0; t--) {
      this.gatherDh(dy, t);
      this.noteDh(t);
      be.gruCellBackward(
        B,
        H,
        this.XP,
        t * G3,
        this.HP,
        t * G3,
        this.HS,
        t * BH,
        this.dh,
        0,
        this.dXP,
        t * G3,
        this.dHP,
        t * G3,
        this.dhNext,
        0,
      ); // dhNext = z * dh (direct path)
      if (len) {
        for (let b = 0; b < B; b++) {
          if (t < len[b]!) continue;
          this.dXP.fill(0, (t * B + b) * 3 * H, (t * B + b + 1) * 3 * H);
          this.dHP.fill(0, (t * B + b) * 3 * H, (t * B + b + 1) * 3 * H);
          this.dhNext.set(this.dh.subarray(b * H, (b + 1) * H), b * H);
        }
      }
      be.gemm(false, false, true, B, H, 3 * H, this.dHP, t * G3, this.wHh.data, 0, this.dhNext, 0); // += dhp W_hh
    }
    this.dh0.set(this.dhNext);
    this.finishBackward();
    return { dx: this.dX, dh0: this.dh0, dc0: null };
  }
}
