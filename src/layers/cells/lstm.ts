/**
 * LSTM, one layer, one direction (PyTorch nn.LSTM, gate order i, f, g, o):
 *   [i f g o] = [s s tanh s](W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
 *   c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t)
 * Shapes: x [T,B,I], h, c [B,H], W_ih [4H,I], W_hh [4H,H].
 * Cache: XP [T,B,4H] gate activations, HS/CS [T+1,B,H] states, TC [T,B,H] tanh(c_t).
 * Backward (docs/derivations/lstm.md): dc += dh*o*(1-tanh^2 c); di = dc*g; df = dc*c_{t-1};
 *   dg = dc*i; do = dh*tanh c; dc_{t-1} = dc*f; dh_{t-1} = dgates W_hh.
 * Forget-gate bias: `forgetBias` sets b_ih[f] to that value and b_hh[f] to 0 (char-rnn's 1 by default).
 * Step Jacobian: the state is (h, c) (c carries memory past h), so J is the joint 2H x 2H one:
 *   di = i(1-i) W_i vh, df = f(1-f) W_f vh, dg = (1-g^2) W_g vh, do = o(1-o) W_o vh,
 *   dc = f vc + c_{t-1} df + g di + i dg,  dh = tanh(c_t) do + o (1-tanh^2 c_t) dc;
 *   its forget-gate path diag(f) is what keeps gradients alive.
 */
import type { FArray } from '../../tensor.js';
import { workspace } from '../../backend/backend.js';
import type { Rng } from '../../random.js';
import type { RecurrentInit } from '../../init.js';
import { type CoreBackward, type CoreForward, type CoreOptions, RecurrentCore } from '../core.js';
import { type CellSpec, refPre, sigmoid } from './spec.js';
import { jsProducts } from './products.js';

export class LSTMCore extends RecurrentCore {
  readonly cell = 'lstm';
  readonly forgetBias: number | null;
  private CS: FArray = new Float32Array(0); // [T+1,B,H] cell states, CS[0] = c0
  private TC: FArray = new Float32Array(0); // [T,B,H] tanh(c_t)
  private dc: FArray = new Float32Array(0); // [B,H] dL/dc_t carried backwards
  private dcSave: FArray = new Float32Array(0); // [B,H] dc of finished rows, restored after the cell kernel

  constructor(o: CoreOptions & { forgetBias?: number | null }) {
    super({ G: 4, recurrence: 'dense' }, o);
    this.forgetBias = o.forgetBias === undefined ? 1 : o.forgetBias;
  }

  protected override initBias(a: FArray, r: Rng, which: 'ih' | 'hh', rinit: RecurrentInit): void {
    super.initBias(a, r, which, rinit);
    if (this.forgetBias !== null && this.forgetBias !== undefined) {
      a.fill(which === 'ih' ? this.forgetBias : 0, this.H, 2 * this.H);
    }
  }

  protected override cellStates(): FArray {
    return this.CS;
  }

  protected ensureCell(T: number, B: number): void {
    const H = this.H;
    this.CS = workspace(this.be, this.dtype, (T + 1) * B * H, this.CS);
    this.TC = workspace(this.be, this.dtype, T * B * H, this.TC);
    this.dc = workspace(this.be, this.dtype, B * H, this.dc);
    this.dcSave = workspace(this.be, this.dtype, B * H, this.dcSave);
  }

  forward(
    x: FArray,
    T: number,
    B: number,
    h0: FArray | null,
    c0: FArray | null,
    lengths: Int32Array | null,
  ): CoreForward {
    this.startForward(x, T, B, h0, lengths);
    const { H, be } = this,
      BH = B * H,
      G4 = 4 * BH;
    if (c0) this.CS.set(c0.subarray(0, BH));
    else this.CS.fill(0, 0, BH);
    this.projectInput(x, T, B, true);
    if (!this.lengths) {
      // The whole time loop in one backend call (fused into one kernel for small batches).
      be.lstmSequence(T, B, H, this.XP, 0, this.wHh.data, 0, this.HS, 0, this.CS, 0, this.TC, 0);
      this.writeOutputs();
      return { y: this.Y, hN: this.HS.subarray(T * BH, (T + 1) * BH), cN: this.CS.subarray(T * BH, (T + 1) * BH) };
    }
    for (let t = 0; t < T; t++) {
      // gates += h_{t-1} W_hh^T
      be.gemm(false, true, true, B, 4 * H, H, this.HS, t * BH, this.wHh.data, 0, this.XP, t * G4);
      be.lstmCell(
        B,
        H,
        this.XP,
        t * G4,
        this.CS,
        t * BH,
        this.CS,
        (t + 1) * BH,
        this.TC,
        t * BH,
        this.HS,
        (t + 1) * BH,
      );
      this.holdFinished(t, this.CS);
    }
    this.writeOutputs();
    return { y: this.Y, hN: this.HS.subarray(T * BH, (T + 1) * BH), cN: this.CS.subarray(T * BH, (T + 1) * BH) };
  }

  backward(dy: FArray | null, dhN: FArray | null, dcN: FArray | null): CoreBackward {
    this.startBackward(dhN);
    const { T, B, H, be } = this,
      BH = B * H,
      G4 = 4 * BH;
    if (dcN) this.dc.set(dcN);
    else this.dc.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      this.gatherDh(dy, t); // dh = dy_t + dh from t+1
      this.noteDh(t);
      const masked = this.anyFinished(t);
      if (masked) this.dcSave.set(this.dc);
      be.lstmCellBackward(
        B,
        H,
        this.XP,
        t * G4,
        this.CS,
        t * BH,
        this.TC,
        t * BH,
        this.dh,
        0,
        this.dc,
        0,
        this.dXP,
        t * G4,
      );
      if (masked) {
        this.zeroFinished(t, this.dXP, 4 * H); // finished rows: the state passed through unchanged
        this.passFinished(t, this.dc, this.dcSave);
      }
      be.gemm(false, false, false, B, H, 4 * H, this.dXP, t * G4, this.wHh.data, 0, this.dhNext, 0); // dh_{t-1} = dg W
      this.passFinished(t, this.dhNext, this.dh);
    }
    this.dh0.set(this.dhNext);
    this.finishBackward();
    return { dx: this.dX, dh0: this.dh0, dc0: this.dc };
  }
}

export const lstmSpec: CellSpec = {
  name: 'lstm',
  label: 'LSTM',
  summary: 'LSTM (gates i, f, g, o; forget-gate bias 1 by default)',
  gates: ['i', 'f', 'g', 'o'],
  gateActs: ['sigmoid', 'sigmoid', 'tanh', 'sigmoid'],
  recurrence: 'dense',
  hasCellState: true,
  options: ['forgetBias'],
  makeCore: (o, c) => new LSTMCore({ ...o, forgetBias: c.forgetBias }),
  jacobian(core, t, b, W, products) {
    const c = core.cache(),
      { B, H } = c,
      CS = c.CS!;
    const hPrev = (t * B + b) * H,
      hCur = ((t + 1) * B + b) * H,
      gOff = (t * B + b) * 4 * H;
    const [ig, fg, gg, og] = [0, 1, 2, 3].map((k) => c.XP.subarray(gOff + k * H, gOff + (k + 1) * H)) as [
      FArray,
      FArray,
      FArray,
      FArray,
    ];
    const tc = new Float64Array(H);
    for (let j = 0; j < H; j++) tc[j] = Math.tanh(CS[hCur + j]!);
    const P = products ?? jsProducts(W, 4, H);
    const a4 = new Float64Array(4 * H); // W's four gate blocks times v, or the four gates' gradients
    const a = [0, 1, 2, 3].map((k) => a4.subarray(k * H, (k + 1) * H)) as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    return {
      n: 2 * H,
      apply(v, out) {
        P.mv(v, a4);
        for (let j = 0; j < H; j++) {
          const i = ig[j]!,
            f = fg[j]!,
            g = gg[j]!,
            o = og[j]!;
          const dc =
            f * v[H + j]! +
            CS[hPrev + j]! * f * (1 - f) * a[1][j]! +
            g * i * (1 - i) * a[0][j]! +
            i * (1 - g * g) * a[2][j]!;
          out[j] = tc[j]! * o * (1 - o) * a[3][j]! + o * (1 - tc[j]! * tc[j]!) * dc;
          out[H + j] = dc;
        }
      },
      applyT(u, out) {
        for (let j = 0; j < H; j++) {
          const i = ig[j]!,
            f = fg[j]!,
            g = gg[j]!,
            o = og[j]!;
          const gc = u[H + j]! + u[j]! * o * (1 - tc[j]! * tc[j]!); // dL/dc_t through both outputs
          a[0][j] = gc * g * i * (1 - i);
          a[1][j] = gc * CS[hPrev + j]! * f * (1 - f);
          a[2][j] = gc * i * (1 - g * g);
          a[3][j] = u[j]! * tc[j]! * o * (1 - o);
          out[H + j] = gc * f;
        }
        P.mtv(a4, out, false);
      },
    };
  },
  reference(w, x, h, c) {
    const [i, f, g, o] = [0, 1, 2, 3].map((k) => refPre(w, k, x, h)) as [number[], number[], number[], number[]];
    const cNew = i.map((_, j) => sigmoid(f[j]!) * c![j]! + sigmoid(i[j]!) * Math.tanh(g[j]!));
    return { h: cNew.map((cj, j) => sigmoid(o[j]!) * Math.tanh(cj)), c: cNew };
  },
};
