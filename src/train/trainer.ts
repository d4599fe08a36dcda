/**
 * The training step, as min-char-rnn reads: data -> forward -> loss -> backward -> clip -> step.
 *
 *   model.params.zeroGrad();
 *   const r = model.lossAndGrad(batch);          // forward + loss + full BPTT
 *   norm = clip(grad)                             // global norm (Pascanu 2013) or by value
 *   if (!finite(norm)) skip (count) | throw (strict)
 *   opt.lr = schedule(step); opt.step()           // undone if it left anything non-finite (guard.ts)
 *
 * Truncated BPTT over a stream (`tbpttWindows`): every k1 steps, backpropagate over the
 * last k2 steps, starting from the state carried (detached) from before the window.
 */
import type { Batch, SequenceModel, StepResult } from '../layers/model.js';
import { NonFiniteError, assertFinite } from '../tensor.js';
import { clipGradNorm, clipGradValue, globalNorm } from './clip.js';
import type { Optimizer } from './optim.js';
import type { GradientSource } from './data_parallel.js';
import { type ScheduleSpec, lrAt } from './schedule.js';
import { UpdateGuard } from './guard.js';

export interface TrainerOptions {
  clipNorm?: number;
  clipValue?: number;
  /** 'skip' (default): a non-finite gradient skips the update and is counted; 'strict' throws. */
  nonFinite?: 'skip' | 'strict';
  schedule?: ScheduleSpec;
  /** Called after every step (diagnostics, logging). */
  onStep?: (info: StepInfo) => void;
  /** Where gradients come from (default the model itself; data-parallel workers plug in here, see recur/parallel). */
  grads?: GradientSource;
}

export interface StepInfo extends StepResult {
  step: number;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
  skipped: boolean;
}

export class Trainer {
  step = 0;
  clipEvents = 0;
  skippedSteps = 0;
  readonly baseLr: number;
  /** Computes loss and gradients for `train` (opts.grads, else the model). */
  grads: GradientSource;
  private guard: UpdateGuard | null = null;

  constructor(
    readonly model: SequenceModel,
    readonly optimizer: Optimizer,
    readonly opts: TrainerOptions = {},
  ) {
    this.baseLr = optimizer.lr;
    this.grads = opts.grads ?? model;
    if (opts.clipNorm !== undefined && !(opts.clipNorm > 0))
      throw new RangeError(`clipNorm must be > 0, got ${opts.clipNorm}`);
    if (opts.clipValue !== undefined && !(opts.clipValue > 0))
      throw new RangeError(`clipValue must be > 0, got ${opts.clipValue}`);
  }

  /** One update on one batch. `carry` continues from (and stores) the model's carried state. */
  train(batch: Batch, opts: { carry?: boolean } = {}): StepInfo {
    const m = this.model;
    // Bad data is the caller's error; non-finite numbers that arise inside the net are a training event.
    if (batch.x) assertFinite(batch.x, 'batch.x');
    assertFinite(batch.y, 'batch.y');
    m.params.zeroGrad();
    let r: StepResult;
    try {
      r = this.grads.lossAndGrad(batch, opts); // forward + loss + BPTT
    } catch (e) {
      if (!(e instanceof NonFiniteError)) throw e;
      r = { loss: NaN, count: 0 }; // activations overflowed: skip like a NaN gradient
    }
    return this.update(r);
  }

  /** Clip, guard and step with the gradients already in params.grad. */
  update(r: StepResult): StepInfo {
    const g = this.model.params.grad;
    const norm = this.opts.clipNorm ? clipGradNorm(g, this.opts.clipNorm) : globalNorm(g); // norm before clipping
    let clipped = this.opts.clipNorm !== undefined && norm > this.opts.clipNorm;
    const finite = Number.isFinite(norm) && Number.isFinite(r.loss);
    if (finite && this.opts.clipValue) clipped = clipGradValue(g, this.opts.clipValue) > 0 || clipped;
    const lr = lrAt(this.baseLr, this.step, this.opts.schedule);
    let skipped = false;
    if (!finite) {
      if (this.opts.nonFinite === 'strict') {
        throw new NonFiniteError(
          `step ${this.step}: non-finite ${Number.isFinite(r.loss) ? 'gradient norm' : 'loss'} ` +
            `(${Number.isFinite(r.loss) ? norm : r.loss}); stopping (strict mode)`,
        );
      }
      skipped = true;
      this.skippedSteps++;
    } else {
      this.optimizer.lr = lr;
      this.guard ??= new UpdateGuard(this.model.params, this.optimizer);
      if (this.guard.step()) {
        if (clipped) this.clipEvents++;
      } else {
        // The update itself overflowed (parameters and optimiser state are back as they were).
        if (this.opts.nonFinite === 'strict')
          throw new NonFiniteError(
            `step ${this.step}: the update (lr ${lr}, gradient norm ${norm}) made parameters or optimiser ` +
              `state non-finite; they are restored; stopping (strict mode)`,
          );
        skipped = true;
        this.skippedSteps++;
      }
    }
    const info: StepInfo = { ...r, step: this.step, lr, gradNorm: norm, clipped, skipped };
    this.step++;
    this.opts.onStep?.(info);
    return info;
  }
}

/**
 * Truncated BPTT(k1, k2) over a stream (Williams & Peng 1990): every k1 steps, one update
 * that backpropagates through the last k2 steps. The state entering each window is carried
 * from the stream (detached: no gradient crosses into earlier windows). k1 = k2 gives the
 * usual consecutive chunks with the state carried (char-rnn); k1 = k2 = stream length is
 * full BPTT. With k2 > k1 the windows overlap: the first k2 - k1 steps of a window only
 * rebuild the state with gradient flowing through them, and (for class targets) their
 * loss is not counted again. With k2 < k1 the first k1 - k2 steps of each stretch are run
 * forward only.
 *
 * `slice(a, b)` returns the batch of stream steps [a, b) for all B parallel streams.
 */
export class TruncatedBPTT {
  private p = 0; // stream position of the carried state
  private done = 0; // stream position trained up to

  constructor(
    readonly trainer: Trainer,
    readonly k1: number,
    readonly k2: number,
  ) {
    if (!(Number.isInteger(k1) && k1 >= 1 && Number.isInteger(k2) && k2 >= 1))
      throw new RangeError(`tbptt: k1 and k2 must be positive integers, got ${k1}, ${k2}`);
  }

  /** Starts a new stream: forgets the carried state. */
  reset(): void {
    this.p = 0;
    this.done = 0;
    this.trainer.model.resetState();
  }

  /** Runs updates until the stream position reaches `total`; returns the per-update infos. */
  run(
    slice: (a: number, b: number) => Batch,
    total: number,
    onUpdate?: (info: StepInfo, end: number) => void,
  ): StepInfo[] {
    const m = this.trainer.model,
      infos: StepInfo[] = [];
    while (this.done < total) {
      const end = Math.min(this.done + this.k1, total);
      const a = Math.max(this.p, end - this.k2);
      if (a > this.p) m.predict(slice(this.p, a), { carry: true }); // forward only: advance the state
      const overlap = this.done > a;
      const saved = overlap || end - this.k2 < end - this.k1 ? m.getState() : null;
      const b = slice(a, end);
      if (overlap && m.config.loss === 'xent') {
        const y = b.y as Float32Array;
        for (let i = 0; i < (this.done - a) * b.B; i++) y[i] = -1; // counted by the previous update
      }
      const info = this.trainer.train(b, { carry: true });
      infos.push(info);
      onUpdate?.(info, end);
      const nextStart = end + this.k1 - this.k2; // where the next window begins
      if (saved && nextStart < end) {
        m.setState(saved);
        this.p = a;
      } else this.p = end;
      this.done = end;
    }
    return infos;
  }
}
