/**
 * GpuSequenceModel: SequenceModel's forward + loss + full BPTT (input -> recurrent stack ->
 * Linear head -> MSE or softmax cross-entropy) on a WebGPU device, with every time step of
 * every layer, forward and backward, in ONE command buffer. It is a gradient source for the
 * one Trainer (DESIGN.md, decision 8): `trainer.trainAsync(batch)` uploads the parameters,
 * runs the step, and reads the loss and the gradient back into params.grad; clipping, the
 * non-finite guard, the optimiser and the schedule then run as for any model.
 *
 * Dimension key: T = time, B = batch, I = input, H = hidden, G = gates, O = head outputs,
 * N = rows the head sees (B for head 'last', T*B for 'every').
 * Layout: the device holds the model's flat parameter array P and gradient array GR with
 * the same offsets as SequenceModel.params (DESIGN.md, decision 2), so each is one copy. Per layer l:
 *   XP, dXP [T,B,G*H] gates (HP, dHP for GRU's recurrent part), HS [T+1,B,H] with HS[0] = h0 = 0,
 *   CS [T+1,B,H] and TC [T,B,H] (LSTM), DH [T,B,H] dL/dh_t, DC [B,H], WT [H,G*H] = W_hh^T,
 *   dX [T,B,I_l] (the gradient handed to the layer below, or to the embedding).
 * Buffers are zero when created and HS[0], CS[0] are never written: the initial state is zero.
 *
 * Supported: the rnn, lstm and gru cells (the gate count comes from the cell registry),
 * dense or token (Embedding) input, 1..L unidirectional layers, heads 'last' and 'every',
 * losses 'mse' and 'xent'. Not (yet): bidirectional, learned initial state, variable lengths,
 * carried state, IndRNN; those throw.
 */
/// <reference types="@webgpu/types" />
import type { Activation } from '../backend/backend.js';
import type { Batch } from '../batch.js';
import type { SequenceModel } from '../layers/model.js';
import { cellSpec } from '../layers/cells/index.js';
import type { StepOptions, StepResult } from '../layers/step.js';
import type { Param, Params } from '../params.js';
import { ShapeError } from '../tensor.js';
import { type GpuContext, Plan } from '../backend/webgpu/device.js';
import * as op from '../backend/webgpu/ops.js';
import type { AsyncGradientSource, Trainable } from './trainable.js';

/** Cells with WebGPU kernels (backend/webgpu/wgsl_cells.ts). */
const GPU_CELLS = ['rnn', 'lstm', 'gru'];

interface LayerBufs {
  I: number;
  XP: GPUBuffer;
  HP: GPUBuffer;
  HS: GPUBuffer;
  CS: GPUBuffer;
  TC: GPUBuffer;
  dXP: GPUBuffer;
  dHP: GPUBuffer;
  DH: GPUBuffer;
  DC: GPUBuffer;
  WT: GPUBuffer;
  dX: GPUBuffer | null;
  wIh: Param;
  wHh: Param;
  bIh: Param | null;
  bHh: Param | null;
}

interface Shape {
  T: number;
  B: number;
  train: boolean;
}

export class GpuSequenceModel implements Trainable<Batch>, AsyncGradientSource<Batch> {
  readonly ctx: GpuContext;
  readonly model: SequenceModel;
  private readonly G: number;
  private readonly act: Activation;
  private readonly P: GPUBuffer;
  private readonly GR: GPUBuffer;
  private plan: Plan | null = null;
  private shape: Shape | null = null;
  private count = 0; // rows the last uploaded batch's loss counts
  private bufs: GPUBuffer[] = [];
  private io!: {
    X0: GPUBuffer;
    IDS: GPUBuffer;
    Y: GPUBuffer;
    S: GPUBuffer;
    PRED: GPUBuffer;
    LOSS: GPUBuffer;
    N: number;
    staging: GPUBuffer;
    predStaging: GPUBuffer;
  };

  constructor(ctx: GpuContext, model: SequenceModel) {
    const c = model.config,
      rnn = model.rnn,
      me = 'GpuSequenceModel';
    if (!GPU_CELLS.includes(c.cell))
      throw new RangeError(`${me}: the ${cellSpec(c.cell).label} cell has no WebGPU kernels yet (${GPU_CELLS} do)`);
    if (rnn.numDirections !== 1) throw new RangeError(`${me}: bidirectional models are not supported on webgpu yet`);
    if (rnn.initialState !== 'zero') throw new RangeError(`${me}: only initialState 'zero' is supported on webgpu`);
    if (c.dropout || c.inputDropout || c.outputDropout)
      throw new RangeError(`${me}: dropout is not supported on webgpu yet (train with dropout 0)`);
    if (model.params.dtype !== 'float32') throw new RangeError(`${me}: the model must be float32`);
    this.ctx = ctx;
    this.model = model;
    this.G = cellSpec(c.cell).gates.length;
    this.act = c.nonlinearity ?? 'tanh';
    this.P = ctx.buffer(model.params.size, 'params');
    this.GR = ctx.buffer(model.params.size, 'grads');
  }

  /** The model's parameters (host copy; the optimiser updates them, each step uploads them). */
  get params(): Params {
    return this.model.params;
  }

  validate(b: Batch): void {
    this.model.validate(b);
  }

  constrain(): void {
    this.model.constrain();
  }

  lossAndGrad(): StepResult {
    throw new Error('GpuSequenceModel answers asynchronously: train it with `await trainer.trainAsync(batch)`');
  }

  /**
   * One forward + loss + BPTT on the device in one command buffer; the loss comes back and the
   * gradient is read into params.grad.
   */
  async lossAndGradAsync(b: Batch, opts: StepOptions = {}): Promise<StepResult> {
    if (opts.carry || opts.skip) throw new RangeError('GpuSequenceModel: carried state is not supported on webgpu yet');
    this.ctx.write(this.P, this.model.params.data as Float32Array);
    this.upload(b, true);
    const r = await this.plan!.run({ buf: this.io.LOSS, n: 1, staging: this.io.staging });
    this.model.params.grad.set(await this.readGrads());
    return { loss: r![0]!, count: this.count };
  }

  /** Forward only with the model's current parameters; returns the head's predictions ([B,O] or [T*B,O] flat). */
  async predict(b: Batch): Promise<Float32Array> {
    this.ctx.write(this.P, this.model.params.data as Float32Array);
    this.upload(b, false);
    const n = this.io.N * this.model.config.outputSize;
    return (await this.plan!.run({ buf: this.io.PRED, n, staging: this.io.predStaging }))!;
  }

  /** The parameters as they are on the device (same layout as model.params.data). */
  readParams(): Promise<Float32Array> {
    return this.ctx.read(this.P, this.model.params.size);
  }

  /** The gradients of the last step. */
  readGrads(): Promise<Float32Array> {
    return this.ctx.read(this.GR, this.model.params.size);
  }

  /** Frees the device buffers (the context stays open). */
  destroy(): void {
    for (const b of this.bufs) b.destroy();
    this.P.destroy();
    this.GR.destroy();
    this.bufs = [];
    this.plan = null;
    this.shape = null;
  }

  private upload(b: Batch, train: boolean): void {
    const c = this.model.config,
      T = b?.T,
      B = b?.B;
    if (!Number.isInteger(T) || !Number.isInteger(B) || T < 1 || B < 1)
      throw new ShapeError(`GpuSequenceModel: batch needs integer T >= 1 and B >= 1, got T=${T}, B=${B}`);
    if (b.lengths !== undefined && Array.from(b.lengths).some((v) => v !== T))
      throw new RangeError('GpuSequenceModel: variable lengths are not supported on webgpu yet');
    if (!this.shape || this.shape.T !== T || this.shape.B !== B || this.shape.train !== train)
      this.record({ T, B, train });
    const io = this.io,
      N = io.N,
      O = c.outputSize;
    if (this.model.embedding) {
      if (!b.ids || b.ids.length !== T * B)
        throw new ShapeError(`GpuSequenceModel: expected ${T * B} token ids (T*B), got ${b.ids?.length ?? 'none'}`);
      const V = this.model.embedding.numEmbeddings;
      const ids = Uint32Array.from(b.ids, (v, i) => {
        if (!Number.isInteger(v) || v < 0 || v >= V)
          throw new RangeError(`GpuSequenceModel: id ${v} at position ${i} is out of range [0, ${V})`);
        return v;
      });
      this.ctx.write(io.IDS, ids);
    } else {
      const n = T * B * c.inputSize!;
      if (!b.x || b.x.length !== n)
        throw new ShapeError(
          `GpuSequenceModel: expected x of ${n} values ([T,B,I] = [${T},${B},${c.inputSize}]), got ${b.x?.length ?? 'none'}`,
        );
      this.ctx.write(io.X0, b.x instanceof Float32Array ? b.x : Float32Array.from(b.x));
    }
    if (!train) return;
    let count: number;
    if (c.loss === 'mse') {
      if (b.y.length !== N * O)
        throw new ShapeError(`GpuSequenceModel: expected ${N * O} targets ([${N},${O}]), got ${b.y.length}`);
      this.ctx.write(io.Y, b.y instanceof Float32Array ? b.y : Float32Array.from(b.y));
      count = N * O;
    } else {
      if (b.y.length !== N) throw new ShapeError(`GpuSequenceModel: expected ${N} class ids, got ${b.y.length}`);
      const y = Int32Array.from(b.y, (v, i) => {
        if (v !== -1 && (!Number.isInteger(v) || v < 0 || v >= O))
          throw new RangeError(`GpuSequenceModel: target ${v} at row ${i} is out of range [0, ${O})`);
        return v;
      });
      this.ctx.write(io.Y, y);
      count = y.reduce((s, v) => s + (v === -1 ? 0 : 1), 0);
    }
    this.count = count;
    this.ctx.write(io.S, Float32Array.of(count > 0 ? 1 / count : 0));
  }

  private buf(n: number, label: string): GPUBuffer {
    const b = this.ctx.buffer(n, label);
    this.bufs.push(b);
    return b;
  }

  /** Allocates the workspace for (T, B) and records the step's dispatches. */
  private record(s: Shape): void {
    for (const b of this.bufs) b.destroy();
    this.bufs = [];
    const { model, G, P, GR } = this,
      c = model.config,
      { T, B } = s;
    const H = c.hiddenSize,
      GH = G * H,
      BH = B * H,
      BG = B * GH,
      TB = T * B,
      O = c.outputSize;
    const L = model.rnn.numLayers,
      N = c.head === 'last' ? B : TB;
    const emb = model.embedding;
    const I0 = emb ? emb.embeddingDim : c.inputSize!;
    const layers: LayerBufs[] = [];
    for (let l = 0; l < L; l++) {
      const core = model.rnn.cores[l]!,
        I = l === 0 ? I0 : H,
        lstm = c.cell === 'lstm',
        gru = c.cell === 'gru';
      const XP = this.buf(TB * GH, `XP${l}`),
        dXP = this.buf(TB * GH, `dXP${l}`);
      layers.push({
        I,
        XP,
        dXP,
        HP: gru ? this.buf(TB * GH, `HP${l}`) : XP,
        dHP: gru ? this.buf(TB * GH, `dHP${l}`) : dXP,
        HS: this.buf((T + 1) * BH, `HS${l}`),
        CS: lstm ? this.buf((T + 1) * BH, `CS${l}`) : XP,
        TC: lstm ? this.buf(TB * H, `TC${l}`) : XP,
        DH: this.buf(TB * H, `DH${l}`),
        DC: this.buf(BH, `DC${l}`),
        WT: this.buf(GH * H, `WT${l}`),
        dX: s.train && (l > 0 || emb) ? this.buf(TB * I, `dX${l}`) : null,
        wIh: core.wIh,
        wHh: core.wHh,
        bIh: core.bIh,
        bHh: core.bHh,
      });
    }
    const X0 = this.buf(TB * I0, 'X0');
    this.io = {
      X0,
      IDS: this.buf(TB, 'ids'),
      Y: this.buf(N * O, 'targets'),
      S: this.buf(1, 'scale'),
      PRED: this.buf(N * O, 'pred'),
      LOSS: this.buf(1, 'loss'),
      N,
      staging: this.ctx.device.createBuffer({ size: 4, usage: 0x0001 | 0x0008 }),
      predStaging: this.ctx.device.createBuffer({ size: Math.max(4, N * O * 4), usage: 0x0001 | 0x0008 }),
    };
    const DPRED = this.buf(N * O, 'dpred'),
      ROWS = this.buf(N, 'rowLoss'),
      DY = this.buf(TB * H, 'dY');
    const pl = new Plan(this.ctx);

    // ---- forward ----
    if (s.train) op.fill(pl, GR, 0, 1, model.params.size, P); // zero the gradients
    if (emb) op.embed(pl, X0, P, emb.weight.offset, this.io.IDS, TB, I0);
    // layer l reads HS_{l-1}[1..T]
    const input = (l: number): [GPUBuffer, number] => (l === 0 ? [X0, 0] : [layers[l - 1]!.HS, BH]);
    layers.forEach((y, l) => {
      const [X, xOff] = input(l);
      op.transpose(pl, y.WT, 0, P, y.wHh.offset, GH, H); // WT = W_hh^T
      if (y.bIh) op.fill(pl, y.XP, 0, TB, GH, P, y.bIh.offset, c.cell !== 'gru' && y.bHh ? y.bHh.offset : undefined);
      op.gemm(pl, false, true, y.bIh !== null, TB, GH, y.I, X, xOff, P, y.wIh.offset, y.XP, 0); // XP (+)= X W_ih^T
      for (let t = 0; t < T; t++) {
        if (c.cell === 'rnn') op.rnnStep(pl, this.act, B, H, y.WT, y.XP, t * BG, y.HS, t * BH, (t + 1) * BH);
        else if (c.cell === 'lstm')
          op.lstmStep(
            pl,
            B,
            H,
            y.WT,
            y.XP,
            t * BG,
            y.HS,
            t * BH,
            (t + 1) * BH,
            y.CS,
            t * BH,
            (t + 1) * BH,
            y.TC,
            t * BH,
          );
        else op.gruStep(pl, B, H, y.WT, P, y.bHh ? y.bHh.offset : null, y.XP, y.HP, t * BG, y.HS, t * BH, (t + 1) * BH);
      }
    });
    const top = layers[L - 1]!,
      featOff = c.head === 'last' ? T * BH : BH; // HS[T] or HS[1..T]
    const hw = model.head.weight,
      hb = model.head.bias;
    if (hb) op.fill(pl, this.io.PRED, 0, N, O, P, hb.offset);
    op.gemm(pl, false, true, hb !== null, N, O, H, top.HS, featOff, P, hw.offset, this.io.PRED, 0); // pred = feats W^T + b
    if (s.train) {
      // ---- loss and backward ----
      op.lossRows(pl, c.loss, N, O, this.io.PRED, this.io.Y, this.io.S, DPRED, ROWS);
      op.reduceSum(pl, this.io.LOSS, ROWS, N, this.io.S);
      op.gemm(pl, true, false, true, O, H, N, DPRED, 0, top.HS, featOff, GR, hw.offset); // dW_head += dpred^T feats
      if (hb) op.colSumAcc(pl, GR, hb.offset, DPRED, 0, N, O); // db_head += sum dpred
      op.gemm(pl, false, false, false, N, H, O, DPRED, 0, P, hw.offset, DY, c.head === 'last' ? (T - 1) * BH : 0); // dfeat = dpred W
      for (let l = L - 1; l >= 0; l--) {
        const y = layers[l]!,
          [X, xOff] = input(l),
          dY = l === L - 1 ? DY : layers[l + 1]!.dX!;
        for (let t = T - 1; t >= 0; t--) {
          const last = t === T - 1;
          if (c.cell === 'rnn')
            op.rnnStepBackward(
              pl,
              this.act,
              B,
              H,
              P,
              y.wHh.offset,
              y.HS,
              (t + 1) * BH,
              y.dXP,
              t * BG,
              last ? null : (t + 1) * BG,
              dY,
              t * BH,
              y.DH,
              t * BH,
            );
          else if (c.cell === 'lstm')
            op.lstmStepBackward(
              pl,
              B,
              H,
              P,
              y.wHh.offset,
              y.XP,
              t * BG,
              y.CS,
              t * BH,
              y.TC,
              t * BH,
              y.dXP,
              t * BG,
              last ? null : (t + 1) * BG,
              dY,
              t * BH,
              y.DH,
              t * BH,
              y.DC,
            );
          else
            op.gruStepBackward(
              pl,
              B,
              H,
              P,
              y.wHh.offset,
              y.XP,
              y.HP,
              t * BG,
              y.HS,
              t * BH,
              y.dXP,
              y.dHP,
              t * BG,
              dY,
              t * BH,
              y.DH,
              t * BH,
              last ? null : { xpOff: (t + 1) * BG, dxOff: (t + 1) * BG, dhOff: (t + 1) * BH },
            );
        }
        // The products left after the loop (as RecurrentCore.finishBackward).
        op.gemm(pl, true, false, true, GH, y.I, TB, y.dXP, 0, X, xOff, GR, y.wIh.offset); // dW_ih += dXP^T X
        if (y.bIh)
          op.colSumAcc(pl, GR, y.bIh.offset, y.dXP, 0, TB, GH, c.cell !== 'gru' && y.bHh ? y.bHh.offset : undefined);
        if (c.cell === 'gru' && y.bHh) op.colSumAcc(pl, GR, y.bHh.offset, y.dHP, 0, TB, GH);
        if (y.dX) op.gemm(pl, false, false, false, TB, y.I, GH, y.dXP, 0, P, y.wIh.offset, y.dX, 0); // dX = dXP W_ih
        op.gemm(pl, true, false, true, GH, H, TB, y.dHP, 0, y.HS, 0, GR, y.wHh.offset); // dW_hh += dHP^T H_{t-1}
      }
      if (emb) op.embedBackward(pl, GR, emb.weight.offset, layers[0]!.dX!, this.io.IDS, TB, I0, emb.numEmbeddings);
    }
    this.plan = pl.finish();
    this.shape = s;
  }

  /** Dispatches per step for the recorded shape (a measure of what the GPU loop costs). */
  get dispatches(): number {
    return this.plan?.size ?? 0;
  }
}
