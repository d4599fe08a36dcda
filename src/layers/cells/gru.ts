/**
 * GRU, one layer, one direction (PyTorch nn.GRU, gate order r, z, n):
 *   r = s(W_ir x + b_ir + W_hr h + b_hr),  z = s(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}
 * Shapes: x [T,B,I], h [B,H], W_ih [3H,I], W_hh [3H,H].
 * Cache: XP [T,B,3H] r,z,n; HP [T,B,3H] W_hh h_{t-1} + b_hh (its n part is needed for dr); HS [T+1,B,H].
 * Backward (docs/derivations/gru.md): dn = dh(1-z); dz = dh(h_{t-1} - n); dr = dn(1-n^2) hp_n;
 *   the recurrent projection's gradient differs from the input's only in the n block (times r).
 * Step Jacobian: J v = z v + (1-z) dn + (h_{t-1} - n) dz, with dz = z(1-z) W_z v,
 *   dr = r(1-r) W_r v, dn = (1-n^2)(r W_n v + hp_n dr), hp_n = W_n h_{t-1} + b_hn recomputed.
 */
import type { FArray } from '../../tensor.js';
import { workspace } from '../../backend/backend.js';
import { type CoreBackward, type CoreForward, type CoreOptions, RecurrentCore } from '../core.js';
import { type CellSpec, blockMv, refPre, sigmoid } from './spec.js';
import { jsProducts } from './products.js';

export class GRUCore extends RecurrentCore {
  readonly cell = 'gru';
  private HP: FArray = new Float32Array(0); // [T,B,3H]
  private dHPown: FArray = new Float32Array(0); // [T,B,3H] grads of the recurrent projection

  constructor(o: CoreOptions) {
    super({ G: 3, recurrence: 'dense' }, o);
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
      if (this.bHh) be.fillRows(B, 3 * H, this.HP, t * G3, this.bHh.data, 0);
      // hp = W_hh h + b_hh
      be.gemm(false, true, this.bHh !== null, B, 3 * H, H, this.HS, t * BH, this.wHh.data, 0, this.HP, t * G3);
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
      G3 = 3 * BH;
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
      this.zeroFinished(t, this.dXP, 3 * H); // finished rows: the state passed through unchanged
      this.zeroFinished(t, this.dHP, 3 * H);
      this.passFinished(t, this.dhNext, this.dh);
      be.gemm(false, false, true, B, H, 3 * H, this.dHP, t * G3, this.wHh.data, 0, this.dhNext, 0); // += dhp W_hh
    }
    this.dh0.set(this.dhNext);
    this.finishBackward();
    return { dx: this.dX, dh0: this.dh0, dc0: null };
  }
}

export const gruSpec: CellSpec = {
  name: 'gru',
  label: 'GRU',
  summary: "GRU (PyTorch's gates r, z, n)",
  gates: ['r', 'z', 'n'],
  gateActs: ['sigmoid', 'sigmoid', 'tanh'],
  recurrence: 'dense',
  hasCellState: false,
  options: [],
  makeCore: (o) => new GRUCore(o),
  jacobian(core, t, b, W, products) {
    const c = core.cache(),
      { B, H } = c;
    const hPrev = (t * B + b) * H,
      gOff = (t * B + b) * 3 * H;
    const r = c.XP.subarray(gOff, gOff + H),
      z = c.XP.subarray(gOff + H, gOff + 2 * H),
      nn = c.XP.subarray(gOff + 2 * H, gOff + 3 * H);
    const hpn = new Float64Array(H);
    blockMv(W, 2, H, c.HS, hPrev, hpn);
    if (core.bHh) for (let j = 0; j < H; j++) hpn[j] += core.bHh.data[2 * H + j]!;
    const P = products ?? jsProducts(W, 3, H);
    const a3 = new Float64Array(3 * H), // W's three gate blocks times v, or the gates' gradients
      dr = a3.subarray(0, H),
      dz = a3.subarray(H, 2 * H),
      tmp = a3.subarray(2 * H),
      an = new Float64Array(H);
    return {
      n: H,
      apply(v, out) {
        P.mv(v, a3);
        for (let j = 0; j < H; j++) {
          const rj = r[j]!,
            zj = z[j]!,
            nj = nn[j]!;
          const drj = rj * (1 - rj) * dr[j]!,
            dzj = zj * (1 - zj) * dz[j]!;
          const dn = (1 - nj * nj) * (rj * tmp[j]! + hpn[j]! * drj);
          out[j] = zj * v[j]! + (1 - zj) * dn + (c.HS[hPrev + j]! - nj) * dzj;
        }
      },
      applyT(u, out) {
        for (let j = 0; j < H; j++) {
          const rj = r[j]!,
            zj = z[j]!,
            nj = nn[j]!;
          an[j] = (1 - zj) * u[j]! * (1 - nj * nj); // dL/d(n's pre-activation)
          dz[j] = (c.HS[hPrev + j]! - nj) * u[j]! * zj * (1 - zj); // dL/d(z's pre-activation)
          dr[j] = an[j]! * hpn[j]! * rj * (1 - rj); // dL/d(r's pre-activation)
          tmp[j] = rj * an[j]!; // dL/d(W_n h)
        }
        for (let j = 0; j < H; j++) out[j] = z[j]! * u[j]!;
        P.mtv(a3, out, true);
      },
    };
  },
  reference(w, x, h) {
    const r = refPre(w, 0, x, h).map(sigmoid),
      z = refPre(w, 1, x, h).map(sigmoid);
    const xn = refPre(w, 2, x, h, false), // W_in x + b_in
      hn = refPre({ ...w, wIh: new Float64Array(w.wIh.length), bIh: null }, 2, x, h); // W_hn h + b_hn
    const n = xn.map((v, j) => Math.tanh(v + r[j]! * hn[j]!));
    return { h: n.map((nj, j) => (1 - z[j]!) * nj + z[j]! * h[j]!), c: null };
  },
};
