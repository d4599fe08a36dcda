/**
 * The WGSL kernels one call at a time on Float32Arrays: upload, one dispatch list, read
 * back. Slow (a round trip per call) and meant for parity tests and for trying a kernel out;
 * training goes through GpuSequenceModel, which keeps everything resident.
 *
 * The step functions take one time step of one cell, as the GPU model runs it:
 *   forward:  pre [B,G*H] = W_ih x + biases (the part computed before the loop), h/c [B,H] = state;
 *   backward: dy [B,H], the next step's gradients (null at the last step), and the cache.
 * `lengths` [B] and the step `t` say which rows had ended (t >= length: the state is held).
 */
/// <reference types="@webgpu/types" preserve="true" />
import type { Activation } from '../backend.js';
import { type GpuContext, Plan } from './device.js';
import * as op from './ops.js';

type F = Float32Array;
type Cell = 'rnn' | 'lstm' | 'gru' | 'indrnn';
const f32 = (a: ArrayLike<number>): F => Float32Array.from(a);
const cat = (...a: ArrayLike<number>[]): F => {
  const out = new Float32Array(a.reduce((s, x) => s + x.length, 0));
  let o = 0;
  for (const x of a) {
    out.set(x, o);
    o += x.length;
  }
  return out;
};
const gates = (cell: Cell) => (cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1);

export interface StepState {
  gates: F;
  h: F;
  c?: F;
  tc?: F;
  hp?: F;
}
export interface StepGrads {
  dgates: F;
  dh: F;
  dc?: F;
  dhp?: F;
}

export class WebGpuKernels {
  constructor(readonly ctx: GpuContext) {}

  /**
   * Uploads `inputs` (f32, or u32 for index arrays), records with `build`, runs once in one
   * command buffer and reads back the buffers listed in `read` (as f32).
   */
  async run(
    inputs: (F | Uint32Array | Int32Array)[],
    build: (pl: Plan, b: GPUBuffer[]) => void,
    read: number[],
  ): Promise<F[]> {
    const bufs = inputs.map((a) => {
      const b = this.ctx.buffer(a.length);
      this.ctx.write(b, a);
      return b;
    });
    const pl = new Plan(this.ctx);
    build(pl, bufs);
    await pl.finish().run();
    const out: F[] = [];
    for (const i of read) out.push(await this.ctx.read(bufs[i]!, inputs[i]!.length));
    for (const b of bufs) b.destroy();
    return out;
  }

  async gemm(
    tA: boolean,
    tB: boolean,
    acc: boolean,
    M: number,
    N: number,
    K: number,
    A: ArrayLike<number>,
    B: ArrayLike<number>,
    C: ArrayLike<number>,
  ): Promise<F> {
    const [c] = await this.run(
      [f32(A), f32(B), f32(C)],
      (pl, [a, b, c]) => op.gemm(pl, tA, tB, acc, M, N, K, a!, 0, b!, 0, c!, 0),
      [2],
    );
    return c!;
  }

  /** [rows, cols] rows of bias (plus bias2 when given). */
  async fillRows(rows: number, cols: number, bias: ArrayLike<number>, bias2?: ArrayLike<number>): Promise<F> {
    const [o] = await this.run(
      [cat(bias, bias2 ?? []), new Float32Array(rows * cols)],
      (pl, [s, o]) => op.fill(pl, o!, 0, rows, cols, s!, 0, bias2 ? cols : undefined),
      [1],
    );
    return o!;
  }

  /** dst + column sums of X [rows, cols]. */
  async colSumAcc(dst: ArrayLike<number>, X: ArrayLike<number>, rows: number, cols: number): Promise<F> {
    const [d] = await this.run([f32(X), f32(dst)], (pl, [x, d]) => op.colSumAcc(pl, d!, 0, x!, 0, rows, cols), [1]);
    return d!;
  }

  /**
   * One forward step: W is W_hh [G*H, H] (transposed on the device), or u [H] for IndRNN;
   * bhh [G*H] (GRU only).
   */
  async cellStep(
    cell: Cell,
    B: number,
    H: number,
    W: ArrayLike<number>,
    pre: ArrayLike<number>,
    h: ArrayLike<number>,
    o: {
      c?: ArrayLike<number>;
      bhh?: ArrayLike<number>;
      act?: Activation;
      lengths?: ArrayLike<number>;
      t?: number;
    } = {},
  ): Promise<StepState> {
    const G = gates(cell),
      BH = B * H,
      BG = B * G * H,
      t = o.t ?? 0;
    const ins = [
      f32(W),
      new Float32Array(cell === 'indrnn' ? 1 : G * H * H),
      cat(pre, new Float32Array(BG)), // XP, then HP (GRU)
      cat(h, new Float32Array(BH)),
      cat(o.c ?? new Float32Array(BH), new Float32Array(BH), new Float32Array(BH)), // CS[t], CS[t+1], tanh c
      f32(o.bhh ?? new Float32Array(G * H)),
      Uint32Array.from(o.lengths ?? new Array(B).fill(t + 1)),
    ];
    const r = await this.run(
      ins,
      (pl, [w, wt, xp, hs, ct, bh, len]) => {
        const base = { B, H, t, LEN: len!, HS: hs!, hOff: 0, hOutOff: BH };
        if (cell !== 'indrnn') op.transpose(pl, wt!, 0, w!, 0, G * H, H);
        if (cell === 'rnn') op.rnnStep(pl, { ...base, act: o.act ?? 'tanh', WT: wt!, XP: xp!, xpOff: 0 });
        else if (cell === 'lstm')
          op.lstmStep(pl, { ...base, WT: wt!, XP: xp!, xpOff: 0, CT: ct!, cOff: 0, cOutOff: BH, tcOff: 2 * BH });
        else if (cell === 'gru')
          op.gruStep(pl, { ...base, WT: wt!, PR: bh!, bhOff: o.bhh ? 0 : null, XP: xp!, xpOff: 0, hpOff: BG });
        else op.indrnnStep(pl, { ...base, act: o.act ?? 'relu', PR: w!, uOff: 0, XP: xp!, xpOff: 0 });
      },
      [2, 3, 4],
    );
    const [xp, hs, ct] = r as [F, F, F];
    return {
      gates: xp.slice(0, BG),
      h: hs.slice(BH),
      c: cell === 'lstm' ? ct.slice(BH, 2 * BH) : undefined,
      tc: cell === 'lstm' ? ct.slice(2 * BH) : undefined,
      hp: cell === 'gru' ? xp.slice(BG) : undefined,
    };
  }

  /**
   * One backward step. `s` is the step's forward cache (gates, and c_{t-1}, tanh c (LSTM),
   * hp and h_{t-1} (GRU), h_t (RNN, IndRNN) in `h`); `next` the gradients of step t+1 (dgates,
   * dc for LSTM; dhp, dh and z_{t+1} for GRU; dh is what passes when a row ended at t+1) or null
   * at the last step. W is W_hh [G*H, H], or u [H] for IndRNN.
   */
  async cellStepBackward(
    cell: Cell,
    B: number,
    H: number,
    W: ArrayLike<number>,
    dy: ArrayLike<number>,
    s: {
      gates: ArrayLike<number>;
      h: ArrayLike<number>;
      cPrev?: ArrayLike<number>;
      tc?: ArrayLike<number>;
      hp?: ArrayLike<number>;
      act?: Activation;
    },
    next: {
      dgates: ArrayLike<number>;
      dc?: ArrayLike<number>;
      dh?: ArrayLike<number>;
      zNext?: ArrayLike<number>;
    } | null,
    o: { lengths?: ArrayLike<number>; t?: number } = {},
  ): Promise<StepGrads> {
    const G = gates(cell),
      BH = B * H,
      BG = B * G * H,
      t = o.t ?? 0;
    const z = (n: number) => new Float32Array(n);
    const nd = next ? next.dgates : z(BG);
    // Step t sits at index 0, step t+1 at index 1 of each [2, ...] buffer; GRU's HP and dHP follow (at 2 BG).
    const xpNext = z(BG);
    if (cell === 'gru' && next?.zNext)
      for (let b = 0; b < B; b++) xpNext.set(Array.from(next.zNext).slice(b * H, (b + 1) * H), b * G * H + H);
    const ins = [
      f32(W),
      cat(s.gates, xpNext, s.hp ?? z(BG)), // XP[t], XP[t+1], HP[t]
      f32(s.h),
      cat(s.cPrev ?? z(BH), s.tc ?? z(BH)), // CT: c_{t-1}, tanh c_t
      cat(z(BG), nd, z(BG), nd), // dXP[t], dXP[t+1], dHP[t], dHP[t+1]
      f32(dy),
      cat(z(BH), next?.dh ?? z(BH)), // DH[t], DH[t+1]
      f32(next?.dc ?? z(BH)),
      Uint32Array.from(o.lengths ?? new Array(B).fill(t + 2)),
    ];
    const nx = next ? BG : null;
    const r = await this.run(
      ins,
      (pl, [w, xp, hs, ct, dxp, dyb, dh, dc, len]) => {
        const base = { B, H, t, LEN: len!, dXP: dxp!, dxOff: 0, dY: dyb!, dyOff: 0, DH: dh!, dhOff: 0, dhNextOff: BH };
        const act = s.act ?? (cell === 'indrnn' ? 'relu' : 'tanh');
        if (cell === 'rnn') op.rnnStepBackward(pl, { ...base, act, W: w!, wOff: 0, HS: hs!, hOff: 0, dxNextOff: nx });
        else if (cell === 'lstm')
          op.lstmStepBackward(pl, {
            ...base,
            W: w!,
            wOff: 0,
            XP: xp!,
            xpOff: 0,
            CT: ct!,
            cpOff: 0,
            tcOff: BH,
            dxNextOff: nx,
            DC: dc!,
          });
        else if (cell === 'gru')
          op.gruStepBackward(pl, {
            ...base,
            W: w!,
            wOff: 0,
            XP: xp!,
            xpOff: 0,
            hpOff: 2 * BG,
            xpNextOff: BG,
            HS: hs!,
            hOff: 0,
            dhpOff: 2 * BG,
            dxNextOff: next ? 3 * BG : null,
          });
        else op.indrnnStepBackward(pl, { ...base, act, PR: w!, uOff: 0, HS: hs!, hOff: 0, dxNextOff: nx });
      },
      [4, 6, 7],
    );
    const [dxp, dh, dc] = r as [F, F, F];
    return {
      dgates: dxp.slice(0, BG),
      dh: dh.slice(0, BH),
      dc: cell === 'lstm' ? dc : undefined,
      dhp: cell === 'gru' ? dxp.slice(2 * BG, 3 * BG) : undefined,
    };
  }
}
