/**
 * GpuSequenceModel: a SequenceModel (dense or token input -> recurrent stack -> Linear head ->
 * MSE or softmax cross-entropy) trained on a WebGPU device by the one Trainer (DESIGN.md,
 * decision 8): `await trainer.trainAsync(batch)`. Parameters, gradients, optimiser state and
 * workspace stay on the device; one step is ONE command buffer — zero the gradients, forward
 * and loss, BPTT through every time step of every layer and direction, the gradient's global
 * norm, clipping, the non-finite guard's check, the optimiser update with the Trainer's learning
 * rate, IndRNN's bound — and only the scalars come back (loss, norm, largest |g|, correct rows).
 * `pull()` brings parameters, optimiser state and carried state to the host objects (the
 * SequenceModel and the Optimizer), so checkpoints and evaluation are the CPU path's.
 *
 * Dimension key: T = time, B = batch, I = input, H = hidden, D = directions, G = gates,
 * O = head outputs, N = rows the head sees (B for head 'last', T*B for 'every'), k = l*D + d.
 * Layout: P and GR hold the model's flat parameter and gradient arrays with the same offsets as
 * SequenceModel.params (DESIGN.md, decision 2). Per core k (buffers named as core.ts's):
 *   XP [T,B,G*H] gates (GRU: then HP [T,B,3H]), dXP the same (GRU: then dHP), HS [T+1,B,H],
 *   CT (LSTM) CS [T+1,B,H] then tanh c [T,B,H], DH [T,B,H] dL/dh_t, DC [B,H], WT [H,G*H] = W_hh^T.
 * Per layer l: OUT [T,B,D*H] the output (zero past each length), DOUT its gradient; the reverse
 * direction reads REV = its input reversed within each length and writes its input gradient
 * through TMP. With one direction and full-length sequences OUT is HS[1..T] itself (no copy).
 * Carried state (truncated BPTT): CARRY [2, L*D, B, H] per batch size; the step record says
 * whether a window starts from it (useCarry) and keeps its final state (keepCarry).
 *
 * Supported: every cell of the registry (rnn, lstm, gru, indrnn), 1..L layers, bidirectional,
 * zero / learned / carried initial state, per-sequence lengths, overlapping TBPTT windows (skip),
 * heads 'last' and 'every', losses 'mse' and 'xent', SGD (momentum, Nesterov), RMSProp, Adam,
 * AdamW, weight decay, clipping by norm and by value, schedules. float32 only.
 */
/// <reference types="@webgpu/types" preserve="true" />
import type { Batch } from '../batch.js';
import type { SequenceModel } from '../layers/model.js';
import { IndRNNCore } from '../layers/cells/indrnn.js';
import type { CarriedState, StepOptions, StepResult } from '../layers/step.js';
import type { Param, Params } from '../params.js';
import { ShapeError } from '../tensor.js';
import { type GpuContext, Plan } from '../backend/webgpu/device.js';
import * as op from '../backend/webgpu/ops.js';
import { STATS_FIELDS, STEP_FIELDS, stepRecord } from '../backend/webgpu/wgsl_util.js';
import { NORM_GROUPS } from '../backend/webgpu/wgsl_optim.js';
import type { Adam, Optimizer, RMSProp, SGD } from './optim.js';
import type { DeviceStepPlan, DeviceStepResult, DeviceTrainable, Stateful } from './trainable.js';

/** Cells with WebGPU kernels (backend/webgpu/wgsl_cells.ts); a new registry cell is refused until it has them. */
const GPU_CELLS = ['rnn', 'lstm', 'gru', 'indrnn'];
const UPDATES: Record<string, op.UpdateKind> = { sgd: 'sgd', rmsprop: 'rmsprop', adam: 'adam' };
const MAP_READ = 0x0001 | 0x0008; // GPUBufferUsage.MAP_READ | COPY_DST
const MAX_PLANS = 4; // recorded (T, B, mode) shapes kept; the oldest is dropped

interface Core {
  XP: GPUBuffer;
  HS: GPUBuffer;
  CT: GPUBuffer;
  WT: GPUBuffer;
  dXP: GPUBuffer;
  DH: GPUBuffer;
  DC: GPUBuffer;
  DY: GPUBuffer;
  wIh: Param;
  wHh: Param;
  bIh: Param | null;
  bHh: Param | null;
  maxAbs: number | null;
}

interface Recorded {
  T: number;
  B: number;
  train: boolean;
  plan: Plan;
  bufs: GPUBuffer[];
  X0: GPUBuffer;
  IDS: GPUBuffer;
  Y: GPUBuffer;
  RW: GPUBuffer;
  LEN: GPUBuffer;
  PRED: GPUBuffer;
  predStaging: GPUBuffer;
  N: number;
}

export class GpuSequenceModel implements DeviceTrainable<Batch>, Stateful<Batch> {
  readonly ctx: GpuContext;
  readonly model: SequenceModel;
  private readonly n: number;
  private readonly P: GPUBuffer;
  private readonly GR: GPUBuffer;
  private readonly MASK: GPUBuffer; // [n] 1 where weight decay applies
  private readonly STEP: GPUBuffer; // the step record (wgsl_util.ts STEP_FIELDS)
  private readonly STATS: GPUBuffer; // what a step reads back (STATS_FIELDS)
  private readonly NP: GPUBuffer; // the norm's partials
  private readonly DUMMY: GPUBuffer; // bound where a kernel's optional buffer is absent
  private readonly statsStaging: GPUBuffer;
  private S1: GPUBuffer | null = null;
  private S2: GPUBuffer | null = null;
  private BAK: GPUBuffer | null = null; // parameters and state before the update (the after-update guard)
  private ns = 0; // state arrays the optimiser uses
  private opt: Optimizer | null = null; // the optimiser whose state is on the device
  private readonly plans = new Map<string, Recorded>();
  private readonly carry = new Map<number, GPUBuffer>(); // per batch size: [2, L*D, B, H]
  private carryB: number | null = null; // the batch size whose carried state is current
  private last: Recorded | null = null;

  constructor(ctx: GpuContext, model: SequenceModel) {
    const c = model.config,
      me = 'GpuSequenceModel';
    if (!GPU_CELLS.includes(c.cell))
      throw new RangeError(`${me}: the ${model.rnn.spec.label} cell has no WebGPU kernels yet (${GPU_CELLS} do)`);
    if (c.dropout || c.inputDropout || c.outputDropout)
      throw new RangeError(`${me}: dropout is not supported on webgpu yet (train with dropout 0)`);
    if (model.params.dtype !== 'float32') throw new RangeError(`${me}: the model must be float32`);
    this.ctx = ctx;
    this.model = model;
    const n = (this.n = model.params.size);
    this.P = ctx.buffer(n, 'params');
    this.GR = ctx.buffer(n, 'grads');
    this.MASK = ctx.buffer(n, 'decay mask');
    const mask = new Float32Array(n);
    for (const p of model.params.list) if (p.decay) mask.fill(1, p.offset, p.offset + p.size);
    ctx.write(this.MASK, mask);
    this.STEP = ctx.buffer(STEP_FIELDS.length, 'step');
    this.STATS = ctx.buffer(8, 'stats');
    this.NP = ctx.buffer(3 * NORM_GROUPS, 'norm partials');
    this.DUMMY = ctx.buffer(1, 'unused');
    this.statsStaging = ctx.device.createBuffer({ size: 32, usage: MAP_READ });
    this.push();
  }

  /** The host model's parameters (current on the host after `pull()`). */
  get params(): Params {
    return this.model.params;
  }

  /** Rejects a bad batch before anything runs (the host model's checks, then this model's). */
  validate(b: Batch): void {
    this.model.validate(b);
  }

  lossAndGrad(): StepResult {
    throw new Error('GpuSequenceModel steps on its device: train it with `await trainer.trainAsync(batch)`');
  }

  /** One training step on the device (the Trainer calls this; see train/trainable.ts DeviceTrainable). */
  async stepOnDevice(b: Batch, opts: StepOptions, plan: DeviceStepPlan): Promise<DeviceStepResult> {
    const opt = plan.optimizer;
    this.attach(opt);
    const { rec, count } = this.prepare(b, true, opts.skip ?? 0);
    const useCarry = !!opts.carry && this.carryB === b.B;
    this.ctx.write(
      this.STEP,
      stepRecord({
        ...hyper(opt),
        lr: plan.lr,
        clipNorm: plan.clipNorm,
        clipValue: plan.clipValue,
        useCarry: +useCarry,
        keepCarry: +!!opts.carry,
      }),
    );
    const s = (await rec.plan.run({ buf: this.STATS, n: 7, staging: this.statsStaging }))!;
    if (opts.carry) this.carryB = b.B;
    const loss = s[STATS_FIELDS.badLoss] ? Number.NaN : s[STATS_FIELDS.loss]!;
    const gradNorm = s[STATS_FIELDS.badGrad] ? Number.NaN : s[STATS_FIELDS.norm]!;
    const undone = new Uint32Array(s.buffer, s.byteOffset, 7)[STATS_FIELDS.undone] !== 0;
    if (Number.isFinite(loss) && Number.isFinite(gradNorm) && !undone) opt.t++; // the device kept the update
    const r: DeviceStepResult = { loss, count, gradNorm, gradMax: s[STATS_FIELDS.maxAbs]!, undone };
    if (this.model.config.loss === 'xent') r.correct = s[STATS_FIELDS.correct]!;
    return r;
  }

  /** Forward only; returns the head's predictions ([B,O] or [T*B,O] flat). `carry` as SequenceModel.predict. */
  async predict(b: Batch, opts: { carry?: boolean } = {}): Promise<Float32Array> {
    const rec = this.forwardOnly(b, !!opts.carry);
    return (await rec.plan.run({ buf: rec.PRED, n: rec.N * this.model.config.outputSize, staging: rec.predStaging }))!;
  }

  /** Stateful: forward only from the carried state, keeping the final state (submitted, not awaited). */
  advance(b: Batch): void {
    this.model.validate(b);
    void this.forwardOnly(b, true).plan.run();
  }

  resetState(): void {
    this.carryB = null;
  }

  /** The carried state lives on the device: read it with `getStateAsync()`. */
  getState(): CarriedState {
    throw new Error('GpuSequenceModel keeps its carried state on the device: use `await getStateAsync()`');
  }

  /** A copy of the carried state ([L*D, B, H] each), read back from the device. */
  async getStateAsync(): Promise<CarriedState> {
    if (this.carryB === null) return { h: null, c: null };
    const size = this.stateSize(this.carryB),
      buf = this.carryFor(this.carryB);
    const h = await this.ctx.read(buf, size);
    const c = this.model.rnn.spec.hasCellState ? await this.ctx.read(buf, size, size) : null;
    return { h, c };
  }

  setState(s: CarriedState | { h: ArrayLike<number> | null; c: ArrayLike<number> | null }): void {
    if (!s.h) {
      this.carryB = null;
      return;
    }
    const per = this.stateSize(1),
      B = s.h.length / per;
    if (!Number.isInteger(B) || B < 1)
      throw new ShapeError(`GpuSequenceModel.setState: h has ${s.h.length} values, not a multiple of L*D*H = ${per}`);
    const buf = this.carryFor(B);
    this.ctx.write(buf, Float32Array.from(s.h));
    if (s.c) this.ctx.write(buf, Float32Array.from(s.c), per * B);
    this.carryB = B;
  }

  /** Copies the device's parameters, optimiser state and carried state into the host model and optimiser. */
  async pull(): Promise<void> {
    this.model.params.data.set(await this.ctx.read(this.P, this.n));
    if (this.opt) {
      const st = Object.values(this.opt.state());
      if (st[0]) st[0].set(await this.ctx.read(this.S1!, this.n));
      if (st[1]) st[1].set(await this.ctx.read(this.S2!, this.n));
    }
    if (this.carryB === null) this.model.resetState();
    else this.model.setState(await this.getStateAsync());
  }

  /**
   * Makes the host copies the truth again: sends the host's parameters and carried state, and the
   * optimiser's state with the next step. After training on the device, `pull()` first.
   */
  push(): void {
    this.ctx.write(this.P, this.model.params.data as Float32Array);
    const s = this.model.getState();
    this.setState(s);
    this.opt = null;
  }

  /** The parameters as they are on the device (same layout as model.params.data). */
  readParams(): Promise<Float32Array> {
    return this.ctx.read(this.P, this.n);
  }

  /** The gradients of the last step, before clipping. */
  readGrads(): Promise<Float32Array> {
    return this.ctx.read(this.GR, this.n);
  }

  /** Dispatches in the last recorded step (a measure of what the GPU loop costs). */
  get dispatches(): number {
    return this.last?.plan.size ?? 0;
  }

  /** Frees the device buffers (the context stays open). */
  destroy(): void {
    for (const r of this.plans.values()) for (const b of r.bufs) b.destroy();
    this.plans.clear();
    for (const b of this.carry.values()) b.destroy();
    this.carry.clear();
    for (const b of [this.P, this.GR, this.MASK, this.STEP, this.STATS, this.NP, this.DUMMY, this.statsStaging])
      b.destroy();
    this.S1?.destroy();
    this.S2?.destroy();
    this.BAK?.destroy();
    this.last = null;
  }

  /** Puts `opt`'s state on the device (when it is not the optimiser already there); plans record its kernel. */
  private attach(opt: Optimizer): void {
    if (opt === this.opt) return;
    const kind = UPDATES[opt.kind];
    if (!kind) throw new RangeError(`GpuSequenceModel: the '${opt.kind}' optimiser has no WebGPU kernel`);
    const st = Object.values(opt.state());
    for (const a of st)
      if (a.length !== this.n)
        throw new RangeError("GpuSequenceModel: the optimiser is not over this model's parameters");
    this.S1?.destroy();
    this.S2?.destroy();
    this.BAK?.destroy();
    this.ns = st.length;
    this.S1 = this.ctx.buffer(st[0] ? this.n : 1, 'optimizer state 1');
    this.S2 = this.ctx.buffer(st[1] ? this.n : 1, 'optimizer state 2');
    this.BAK = this.ctx.buffer((1 + this.ns) * this.n, 'before the update');
    if (st[0]) this.ctx.write(this.S1, Float32Array.from(st[0]));
    if (st[1]) this.ctx.write(this.S2, Float32Array.from(st[1]));
    this.opt = opt;
    this.dropPlans(); // the update dispatch binds the state buffers
  }

  private forwardOnly(b: Batch, carry: boolean): Recorded {
    const { rec } = this.prepare(b, false, 0);
    const useCarry = carry && this.carryB === b.B;
    this.ctx.write(this.STATS, new Float32Array(8)); // clears `undone`
    this.ctx.write(this.STEP, stepRecord({ useCarry: +useCarry, keepCarry: +carry }));
    if (carry) this.carryB = b.B;
    return rec;
  }

  private stateSize(B: number): number {
    const r = this.model.rnn;
    return r.numLayers * r.numDirections * B * r.hiddenSize;
  }

  private carryFor(B: number): GPUBuffer {
    let c = this.carry.get(B);
    if (!c) {
      c = this.ctx.buffer(2 * this.stateSize(B), `carry B=${B}`);
      this.carry.set(B, c);
    }
    return c;
  }

  private dropPlans(): void {
    for (const r of this.plans.values()) for (const b of r.bufs) b.destroy();
    this.plans.clear();
    this.last = null;
  }

  /** Checks and uploads a batch (inputs, lengths, targets and row weights); returns its plan and the loss's count. */
  private prepare(b: Batch, train: boolean, skip: number): { rec: Recorded; count: number } {
    const c = this.model.config,
      me = 'GpuSequenceModel',
      T = b?.T,
      B = b?.B;
    if (!Number.isInteger(T) || !Number.isInteger(B) || T < 1 || B < 1)
      throw new ShapeError(`${me}: batch needs integer T >= 1 and B >= 1, got T=${T}, B=${B}`);
    const len = new Uint32Array(B).fill(T);
    if (b.lengths !== undefined) {
      if (b.lengths.length !== B)
        throw new ShapeError(`${me}: lengths must have one entry per sequence (B=${B}), got ${b.lengths.length}`);
      for (let i = 0; i < B; i++) {
        const v = b.lengths[i]!;
        if (!Number.isInteger(v) || v < 1 || v > T)
          throw new RangeError(`${me}: lengths[${i}] = ${v} is out of range; expected an integer in 1..${T} (T)`);
        len[i] = v;
      }
    }
    const ragged = len.some((v) => v !== T);
    const rec = this.planFor(T, B, train, this.model.rnn.numDirections === 2 || ragged);
    const N = rec.N,
      O = c.outputSize;
    this.ctx.write(rec.LEN, len);
    if (this.model.embedding) {
      if (!b.ids || b.ids.length !== T * B)
        throw new ShapeError(`${me}: expected ${T * B} token ids (T*B), got ${b.ids?.length ?? 'none'}`);
      const V = this.model.embedding.numEmbeddings;
      const ids = Uint32Array.from(b.ids, (v, i) => {
        if (!Number.isInteger(v) || v < 0 || v >= V)
          throw new RangeError(`${me}: id ${v} at position ${i} is out of range [0, ${V})`);
        return v;
      });
      this.ctx.write(rec.IDS, ids);
    } else {
      const n = T * B * c.inputSize!;
      if (!b.x || b.x.length !== n)
        throw new ShapeError(
          `${me}: expected x of ${n} values ([T,B,I] = [${T},${B},${c.inputSize}]), got ${b.x?.length ?? 'none'}`,
        );
      this.ctx.write(rec.X0, b.x instanceof Float32Array ? b.x : Float32Array.from(b.x));
    }
    if (!train) return { rec, count: 0 };
    // Which rows the loss counts (SequenceModel.loss): steps past a length, the first `skip`
    // steps (head 'every') and ignored targets (-1, xent) weigh 0; the rest 1/count.
    const every = c.head === 'every',
      w = new Float32Array(N);
    for (let r = 0; r < N; r++) {
      const t = every ? Math.floor(r / B) : 0;
      w[r] = !every || (t >= skip && t < len[r % B]!) ? 1 : 0;
    }
    let count = 0;
    if (c.loss === 'mse') {
      if (b.y.length !== N * O)
        throw new ShapeError(`${me}: expected ${N * O} targets ([${N},${O}]), got ${b.y.length}`);
      this.ctx.write(rec.Y, b.y instanceof Float32Array ? b.y : Float32Array.from(b.y));
      for (let r = 0; r < N; r++) count += w[r]!;
      count *= O;
    } else {
      if (b.y.length !== N) throw new ShapeError(`${me}: expected ${N} class ids, got ${b.y.length}`);
      const y = Int32Array.from(b.y, (v, i) => {
        if (v !== -1 && (!Number.isInteger(v) || v < 0 || v >= O))
          throw new RangeError(`${me}: target ${v} at row ${i} is out of range [0, ${O})`);
        return v;
      });
      for (let r = 0; r < N; r++) if (y[r] === -1) w[r] = 0;
      for (let r = 0; r < N; r++) count += w[r]!;
      this.ctx.write(rec.Y, y);
    }
    for (let r = 0; r < N; r++) w[r] = count > 0 ? w[r]! / count : 0;
    this.ctx.write(rec.RW, w);
    return { rec, count };
  }

  /** The recorded plan for (T, B, train, general), recording it when new (the oldest of MAX_PLANS is dropped). */
  private planFor(T: number, B: number, train: boolean, general: boolean): Recorded {
    const key = `${T}:${B}:${train}:${general}`;
    let r = this.plans.get(key);
    if (r) this.plans.delete(key);
    else {
      if (train && !this.opt) throw new Error('GpuSequenceModel: no optimiser attached');
      r = this.record(T, B, train, general);
      if (this.plans.size >= MAX_PLANS) {
        const [oldKey, old] = this.plans.entries().next().value as [string, Recorded];
        for (const b of old.bufs) b.destroy();
        this.plans.delete(oldKey);
      }
    }
    this.plans.set(key, r);
    this.last = r;
    return r;
  }

  /**
   * Allocates the workspace for (T, B) and records the step's dispatches. `general`: the
   * outputs are copied per layer (two directions, or sequences that end early); else each layer's
   * output is its states HS[1..T] as they are.
   */
  private record(T: number, B: number, train: boolean, general: boolean): Recorded {
    const { model, P, GR, STEP, STATS } = this,
      ctx = this.ctx,
      c = model.config,
      rnn = model.rnn,
      spec = rnn.spec;
    const bufs: GPUBuffer[] = [];
    const buf = (n: number, label: string): GPUBuffer => {
      const x = ctx.buffer(n, label);
      bufs.push(x);
      return x;
    };
    const cell = c.cell,
      H = rnn.hiddenSize,
      D = rnn.numDirections,
      L = rnn.numLayers,
      LD = L * D,
      G = spec.gates.length,
      GH = G * H,
      DH = D * H,
      BH = B * H,
      BG = B * GH,
      TB = T * B,
      O = c.outputSize,
      N = c.head === 'last' ? B : TB;
    const lstm = spec.hasCellState,
      gru = cell === 'gru',
      diag = spec.recurrence === 'diagonal',
      act = rnn.cores[0]!.act ?? 'tanh';
    const emb = model.embedding,
      I0 = emb ? emb.embeddingDim : c.inputSize!;
    const learned = rnn.initialState === 'learned';
    const initH = learned ? model.params.get('rnn.initial_h') : null,
      initC = learned && lstm ? model.params.get('rnn.initial_c') : null;
    const LEN = buf(B, 'lengths'),
      X0 = buf(TB * I0, 'X0'),
      IDS = buf(TB, 'ids'),
      Y = buf(N * O, 'targets'),
      RW = buf(N, 'row weights'),
      PRED = buf(N * O, 'pred'),
      CARRY = this.carryFor(B);
    const predStaging = ctx.device.createBuffer({ size: Math.max(4, N * O * 4), usage: MAP_READ });
    bufs.push(predStaging);
    const needDx = (l: number) => train && (l > 0 || emb !== null);
    // Per layer: the output (general) and its gradient; the reverse direction's reversed input and dX.
    const inSize = (l: number) => (l === 0 ? I0 : DH);
    const OUT = Array.from({ length: L }, (_, l) => (general ? buf(TB * DH, `OUT${l}`) : null));
    const DOUT = Array.from({ length: L }, (_, l) => (train ? buf(TB * DH, `DOUT${l}`) : null));
    const REV = Array.from({ length: L }, (_, l) => (D === 2 ? buf(TB * inSize(l), `REV${l}`) : null));
    const TMP = Array.from({ length: L }, (_, l) => (D === 2 && needDx(l) ? buf(TB * inSize(l), `TMP${l}`) : null));
    const dX0 = train && emb ? buf(TB * I0, 'dX0') : null;
    const cores: Core[] = rnn.cores.map((core, k) => ({
      XP: buf(TB * GH * (gru ? 2 : 1), `XP${k}`),
      HS: buf((T + 1) * BH, `HS${k}`),
      CT: lstm ? buf((2 * T + 1) * BH, `CT${k}`) : this.DUMMY,
      WT: diag ? this.DUMMY : buf(GH * H, `WT${k}`),
      dXP: train ? buf(TB * GH * (gru ? 2 : 1), `dXP${k}`) : this.DUMMY,
      DH: train ? buf(TB * H, `DH${k}`) : this.DUMMY,
      DC: train && lstm ? buf(BH, `DC${k}`) : this.DUMMY,
      DY: train && D === 2 ? buf(TB * H, `DY${k}`) : this.DUMMY,
      wIh: core.wIh,
      wHh: core.wHh,
      bIh: core.bIh,
      bHh: core.bHh,
      maxAbs: core instanceof IndRNNCore ? core.maxAbs : null,
    }));
    /** Layer l's input as [T*B, inSize(l)] rows: buffer and element offset. */
    const input = (l: number): [GPUBuffer, number] =>
      l === 0 ? [X0, 0] : general ? [OUT[l - 1]!, 0] : [cores[l - 1]!.HS, BH];
    const pl = new Plan(ctx);

    // ---- forward ----
    if (train) op.fill(pl, GR, 0, 1, this.n, P); // zero the gradients
    if (emb) op.embed(pl, X0, P, emb.weight.offset, IDS, TB, I0);
    for (let l = 0; l < L; l++) {
      const [X, xOff] = input(l),
        I = inSize(l);
      for (let d = 0; d < D; d++) {
        const k = l * D + d,
          y = cores[k]!;
        let xin = X,
          xinOff = xOff;
        if (d === 1) {
          // the reverse direction runs forward over each sequence reversed within its length
          op.seqCopy(pl, { T, B, F: I, S: X, sOff: xOff, sStride: I, O: REV[l]!, oOff: 0, oStride: I, LEN, rev: true });
          xin = REV[l]!;
          xinOff = 0;
        }
        if (!diag) op.transpose(pl, y.WT, 0, P, y.wHh.offset, GH, H); // WT = W_hh^T
        const foldHh = !gru && !diag && y.bHh; // RNN and LSTM add b_hh here; GRU keeps it inside r * (.)
        if (y.bIh) op.fill(pl, y.XP, 0, TB, GH, P, y.bIh.offset, foldHh ? y.bHh!.offset : undefined);
        op.gemm(pl, false, true, y.bIh !== null, TB, GH, I, xin, xinOff, P, y.wIh.offset, y.XP, 0); // XP (+)= X W_ih^T
        op.initState(pl, {
          B,
          H,
          k,
          LD,
          PR: P,
          CARRY,
          step: STEP,
          HS: y.HS,
          CS: lstm ? y.CT : this.DUMMY,
          hasC: lstm,
          learnedH: initH?.offset ?? null,
          learnedC: initC?.offset ?? null,
        });
        for (let t = 0; t < T; t++) {
          const base = { B, H, t, LEN, HS: y.HS, hOff: t * BH, hOutOff: (t + 1) * BH };
          if (cell === 'rnn') op.rnnStep(pl, { ...base, act, WT: y.WT, XP: y.XP, xpOff: t * BH });
          else if (cell === 'lstm') {
            const tc = (T + 1) * BH + t * BH;
            op.lstmStep(pl, {
              ...base,
              WT: y.WT,
              XP: y.XP,
              xpOff: t * BG,
              CT: y.CT,
              cOff: t * BH,
              cOutOff: (t + 1) * BH,
              tcOff: tc,
            });
          } else if (cell === 'gru') {
            const bh = y.bHh ? y.bHh.offset : null;
            op.gruStep(pl, { ...base, WT: y.WT, PR: P, bhOff: bh, XP: y.XP, xpOff: t * BG, hpOff: TB * GH + t * BG });
          } else op.indrnnStep(pl, { ...base, act, PR: P, uOff: y.wHh.offset, XP: y.XP, xpOff: t * BH });
        }
        op.carryOut(pl, {
          B,
          H,
          k,
          LD,
          HS: y.HS,
          hOff: T * BH,
          CS: lstm ? y.CT : null,
          cOff: T * BH,
          step: STEP,
          CARRY,
        });
        if (general)
          // the output: directions side by side, the reverse one re-reversed, zeros past each end
          op.seqCopy(pl, {
            T,
            B,
            F: H,
            S: y.HS,
            sOff: BH,
            sStride: H,
            O: OUT[l]!,
            oOff: d * H,
            oStride: DH,
            LEN,
            rev: d === 1,
            zeroPast: true,
          });
      }
    }
    const top = L - 1;
    const every = c.head === 'every';
    let feats: GPUBuffer, featOff: number;
    if (!general)
      [feats, featOff] = [cores[top]!.HS, every ? BH : T * BH]; // HS[1..T] or HS[T]
    else if (every) [feats, featOff] = [OUT[top]!, 0];
    else {
      feats = buf(B * DH, 'last');
      featOff = 0;
      op.lastGather(pl, feats, OUT[top]!, 0, B, DH, LEN);
    }
    const hw = model.head.weight,
      hb = model.head.bias;
    if (hb) op.fill(pl, PRED, 0, N, O, P, hb.offset);
    op.gemm(pl, false, true, hb !== null, N, O, DH, feats, featOff, P, hw.offset, PRED, 0); // pred = feats W^T + b

    if (train) {
      // ---- loss ----
      const DPRED = buf(N * O, 'dpred'),
        ROWS = buf(2 * N, 'row losses');
      op.lossRows(pl, c.loss, N, O, PRED, Y, RW, DPRED, ROWS);
      op.reduceLoss(pl, STATS, ROWS, N);
      // ---- backward: the head ----
      op.gemm(pl, true, false, true, O, DH, N, DPRED, 0, feats, featOff, GR, hw.offset); // dW_head += dpred^T feats
      if (hb) op.colSumAcc(pl, GR, hb.offset, DPRED, 0, N, O); // db_head += sum dpred
      const dTop = DOUT[top]!;
      if (every)
        op.gemm(pl, false, false, false, N, DH, O, DPRED, 0, P, hw.offset, dTop, 0); // dOUT = dpred W
      else if (!general) op.gemm(pl, false, false, false, B, DH, O, DPRED, 0, P, hw.offset, dTop, (T - 1) * BH);
      else {
        const dLast = buf(B * DH, 'dlast');
        op.gemm(pl, false, false, false, B, DH, O, DPRED, 0, P, hw.offset, dLast, 0);
        op.lastScatter(pl, dTop, dLast, T, B, DH, LEN);
      }
      // ---- backward: the stack, top layer first ----
      for (let l = top; l >= 0; l--) {
        const [X, xOff] = input(l),
          I = inSize(l),
          dOut = DOUT[l]!;
        const dIn = needDx(l) ? (l > 0 ? DOUT[l - 1]! : dX0!) : null;
        for (let d = 0; d < D; d++) {
          const k = l * D + d,
            y = cores[k]!;
          let dY = dOut;
          if (D === 2) {
            // this direction's half of dOUT, in its own time
            op.seqCopy(pl, {
              T,
              B,
              F: H,
              S: dOut,
              sOff: d * H,
              sStride: DH,
              O: y.DY,
              oOff: 0,
              oStride: H,
              LEN,
              rev: d === 1,
              zeroPast: true,
            });
            dY = y.DY;
          }
          for (let t = T - 1; t >= 0; t--) {
            const next = t < T - 1;
            const base = {
              B,
              H,
              t,
              LEN,
              dXP: y.dXP,
              dY,
              dyOff: t * BH,
              DH: y.DH,
              dhOff: t * BH,
              dhNextOff: next ? (t + 1) * BH : 0,
            };
            if (cell === 'rnn')
              op.rnnStepBackward(pl, {
                ...base,
                act,
                W: P,
                wOff: y.wHh.offset,
                HS: y.HS,
                hOff: (t + 1) * BH,
                dxOff: t * BH,
                dxNextOff: next ? (t + 1) * BH : null,
              });
            else if (cell === 'lstm')
              op.lstmStepBackward(pl, {
                ...base,
                W: P,
                wOff: y.wHh.offset,
                XP: y.XP,
                xpOff: t * BG,
                CT: y.CT,
                cpOff: t * BH,
                tcOff: (T + 1) * BH + t * BH,
                dxOff: t * BG,
                dxNextOff: next ? (t + 1) * BG : null,
                DC: y.DC,
              });
            else if (cell === 'gru')
              op.gruStepBackward(pl, {
                ...base,
                W: P,
                wOff: y.wHh.offset,
                XP: y.XP,
                xpOff: t * BG,
                hpOff: TB * GH + t * BG,
                xpNextOff: next ? (t + 1) * BG : 0,
                HS: y.HS,
                hOff: t * BH,
                dxOff: t * BG,
                dhpOff: TB * GH + t * BG,
                dxNextOff: next ? TB * GH + (t + 1) * BG : null,
              });
            else
              op.indrnnStepBackward(pl, {
                ...base,
                act,
                PR: P,
                uOff: y.wHh.offset,
                HS: y.HS,
                hOff: (t + 1) * BH,
                dxOff: t * BH,
                dxNextOff: next ? (t + 1) * BH : null,
              });
          }
          if (initH)
            op.initGrad(pl, {
              B,
              H,
              G,
              cell: diag ? 'diagonal' : gru ? 'gru' : 'dense',
              PR: P,
              wOff: y.wHh.offset,
              XP: y.XP,
              dXP: y.dXP,
              dOff: gru ? TB * GH : 0,
              DH: y.DH,
              DC: lstm ? y.DC : null,
              step: STEP,
              GR,
              ghOff: initH.offset + k * H,
              gcOff: initC ? initC.offset + k * H : null,
            });
          // The products left after the loop (as RecurrentCore.finishBackward).
          const [xin, xinOff] = d === 1 ? [REV[l]!, 0] : [X, xOff];
          op.gemm(pl, true, false, true, GH, I, TB, y.dXP, 0, xin, xinOff, GR, y.wIh.offset); // dW_ih += dXP^T X
          const foldHh = !gru && !diag && y.bHh;
          if (y.bIh) op.colSumAcc(pl, GR, y.bIh.offset, y.dXP, 0, TB, GH, foldHh ? y.bHh!.offset : undefined);
          if (gru && y.bHh) op.colSumAcc(pl, GR, y.bHh.offset, y.dXP, TB * GH, TB, GH);
          if (diag)
            op.colSumProd(pl, GR, y.wHh.offset, y.dXP, 0, y.HS, 0, TB, H); // du += sum dpre h_{t-1}
          // dW_hh += dHP^T H_{t-1}
          else op.gemm(pl, true, false, true, GH, H, TB, y.dXP, gru ? TB * GH : 0, y.HS, 0, GR, y.wHh.offset);
          if (dIn) {
            if (d === 0)
              op.gemm(pl, false, false, false, TB, I, GH, y.dXP, 0, P, y.wIh.offset, dIn, 0); // dX = dXP W_ih
            else {
              op.gemm(pl, false, false, false, TB, I, GH, y.dXP, 0, P, y.wIh.offset, TMP[l]!, 0);
              op.seqCopy(pl, {
                T,
                B,
                F: I,
                S: TMP[l]!,
                sOff: 0,
                sStride: I,
                O: dIn,
                oOff: 0,
                oStride: I,
                LEN,
                rev: true,
                acc: true,
              });
            }
          }
        }
      }
      if (emb) op.embedBackward(pl, GR, emb.weight.offset, dX0!, IDS, TB, I0, emb.numEmbeddings);
      // ---- the update: norm, guard, clip, optimiser (undone if it overflowed), constraint ----
      op.gradNorm(pl, STATS, GR, this.n, this.NP);
      op.update(pl, UPDATES[this.opt!.kind]!, this.n, this.ns, {
        step: STEP,
        stats: STATS,
        mask: this.MASK,
        GR,
        W: P,
        S1: this.S1!,
        S2: this.S2!,
        BAK: this.BAK!,
      });
      for (const y of cores) if (y.maxAbs !== null) op.clampAfterUpdate(pl, P, y.wHh.offset, H, y.maxAbs, STATS);
    }
    return { T, B, train, plan: pl.finish(), bufs, X0, IDS, Y, RW, LEN, PRED, predStaging, N };
  }
}

/** The optimiser's part of the step record: its hyper-parameters and step count. */
function hyper(opt: Optimizer): Parameters<typeof stepRecord>[0] {
  const wd = opt.weightDecay;
  if (opt.kind === 'sgd') {
    const o = opt as SGD;
    return { wd, momentum: o.momentum, nesterov: +o.nesterov, first: +(opt.t === 0) };
  }
  if (opt.kind === 'rmsprop') {
    const o = opt as RMSProp;
    return { wd, alpha: o.alpha, oneMinusAlpha: 1 - o.alpha, eps: o.eps };
  }
  const o = opt as Adam,
    t = opt.t + 1; // Adam counts the step it is taking
  return {
    wd,
    beta1: o.beta1,
    beta2: o.beta2,
    oneMinusBeta1: 1 - o.beta1,
    oneMinusBeta2: 1 - o.beta2,
    eps: o.eps,
    decoupled: +o.decoupled,
    bc1: 1 - o.beta1 ** t,
    bc2: 1 - o.beta2 ** t,
  };
}
