/**
 * The WGSL kernels one call at a time on Float32Arrays: upload, one dispatch list, read
 * back. Slow (a round trip per call) and meant for parity tests and for trying a kernel out;
 * training goes through GpuSequenceTrainer, which keeps everything resident.
 *
 * The step functions take one time step of one cell, as the trainer runs it:
 *   forward:  pre [B,G*H] = W_ih x + biases (the part computed before the loop), h/c [B,H] = state;
 *   backward: dy [B,H], the next step's gradients (null at the last step), and the cache.
 */
/// <reference types="@webgpu/types" preserve="true" />
import type { Activation } from '../backend.js';
import { type GpuContext, Plan } from './device.js';
import * as op from './ops.js';

type F = Float32Array;
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

  /** Uploads `inputs`, records with `build`, runs once and reads back the buffers listed in `read`. */
  private async once(inputs: F[], build: (pl: Plan, b: GPUBuffer[]) => void, read: number[]): Promise<F[]> {
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
    const [c] = await this.once(
      [f32(A), f32(B), f32(C)],
      (pl, [a, b, c]) => op.gemm(pl, tA, tB, acc, M, N, K, a!, 0, b!, 0, c!, 0),
      [2],
    );
    return c!;
  }

  /** [rows, cols] rows of bias (plus bias2 when given). */
  async fillRows(rows: number, cols: number, bias: ArrayLike<number>, bias2?: ArrayLike<number>): Promise<F> {
    const [o] = await this.once(
      [cat(bias, bias2 ?? []), new Float32Array(rows * cols)],
      (pl, [s, o]) => op.fill(pl, o!, 0, rows, cols, s!, 0, bias2 ? cols : undefined),
      [1],
    );
    return o!;
  }

  /** dst + column sums of X [rows, cols]. */
  async colSumAcc(dst: ArrayLike<number>, X: ArrayLike<number>, rows: number, cols: number): Promise<F> {
    const [d] = await this.once([f32(X), f32(dst)], (pl, [x, d]) => op.colSumAcc(pl, d!, 0, x!, 0, rows, cols), [1]);
    return d!;
  }

  /** One forward step: W_hh [G*H, H] (transposed on the device), bhh [G*H] (GRU only). */
  async cellStep(
    cell: 'rnn' | 'lstm' | 'gru',
    B: number,
    H: number,
    W: ArrayLike<number>,
    pre: ArrayLike<number>,
    h: ArrayLike<number>,
    o: { c?: ArrayLike<number>; bhh?: ArrayLike<number>; act?: Activation } = {},
  ): Promise<StepState> {
    const G = cell === 'rnn' ? 1 : cell === 'lstm' ? 4 : 3,
      BH = B * H;
    const ins = [
      f32(W),
      new Float32Array(G * H * H),
      f32(pre),
      cat(h, new Float32Array(BH)),
      cat(o.c ?? new Float32Array(BH), new Float32Array(BH)),
      new Float32Array(BH),
      f32(o.bhh ?? new Float32Array(G * H)),
      new Float32Array(B * G * H),
    ];
    const r = await this.once(
      ins,
      (pl, [w, wt, xp, hs, cs, tc, bh, hp]) => {
        op.transpose(pl, wt!, 0, w!, 0, G * H, H);
        if (cell === 'rnn') op.rnnStep(pl, o.act ?? 'tanh', B, H, wt!, xp!, 0, hs!, 0, BH);
        else if (cell === 'lstm') op.lstmStep(pl, B, H, wt!, xp!, 0, hs!, 0, BH, cs!, 0, BH, tc!, 0);
        else op.gruStep(pl, B, H, wt!, bh!, o.bhh ? 0 : null, xp!, hp!, 0, hs!, 0, BH);
      },
      [2, 3, 4, 5, 7],
    );
    const [gates, hs, cs, tc, hp] = r as [F, F, F, F, F];
    return {
      gates,
      h: hs.slice(BH),
      c: cell === 'lstm' ? cs.slice(BH) : undefined,
      tc: cell === 'lstm' ? tc : undefined,
      hp: cell === 'gru' ? hp : undefined,
    };
  }

  /**
   * One backward step. `s` is the step's forward cache (gates, and c_{t-1}, tanh c (LSTM),
   * hp and h_{t-1} (GRU), h_t (RNN) in `h`); `next` the gradients of step t+1 (dgates, dc for
   * LSTM; dhp, dh and z_{t+1} for GRU) or null at the last step.
   */
  async cellStepBackward(
    cell: 'rnn' | 'lstm' | 'gru',
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
  ): Promise<StepGrads> {
    const G = cell === 'rnn' ? 1 : cell === 'lstm' ? 4 : 3,
      BH = B * H,
      BG = B * G * H;
    const z = (n: number) => new Float32Array(n);
    const nd = next ? next.dgates : z(BG);
    // Step t sits at index 0, step t+1 at index 1 of each [2, ...] buffer.
    const xpNext = z(BG);
    if (cell === 'gru' && next?.zNext)
      for (let b = 0; b < B; b++) xpNext.set(Array.from(next.zNext).slice(b * H, (b + 1) * H), b * G * H + H);
    const ins = [
      f32(W),
      cat(s.gates, xpNext),
      cat(s.h, z(BH)),
      cat(s.cPrev ?? z(BH), z(BH)),
      f32(s.tc ?? z(BH)),
      cat(z(BG), nd),
      cat(z(BG), nd),
      f32(dy),
      cat(z(BH), next?.dh ?? z(BH)),
      f32(next?.dc ?? z(BH)),
      f32(s.hp ?? z(BG)),
    ];
    const nx = next ? BG : null;
    const r = await this.once(
      ins,
      (pl, [w, xp, hs, cs, tc, dxp, dhp, dyb, dh, dc, hp]) => {
        if (cell === 'rnn') op.rnnStepBackward(pl, s.act ?? 'tanh', B, H, w!, 0, hs!, 0, dxp!, 0, nx, dyb!, 0, dh!, 0);
        else if (cell === 'lstm')
          op.lstmStepBackward(pl, B, H, w!, 0, xp!, 0, cs!, 0, tc!, 0, dxp!, 0, nx, dyb!, 0, dh!, 0, dc!);
        else
          op.gruStepBackward(
            pl,
            B,
            H,
            w!,
            0,
            xp!,
            hp!,
            0,
            hs!,
            0,
            dxp!,
            dhp!,
            0,
            dyb!,
            0,
            dh!,
            0,
            next ? { xpOff: BG, dxOff: BG, dhOff: BH } : null,
          );
      },
      [5, 6, 8, 9],
    );
    const [dxp, dhp, dh, dc] = r as [F, F, F, F];
    return {
      dgates: dxp.slice(0, BG),
      dh: dh.slice(0, BH),
      dc: cell === 'lstm' ? dc : undefined,
      dhp: cell === 'gru' ? dhp.slice(0, BG) : undefined,
    };
  }
}
