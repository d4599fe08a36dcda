/**
 * The one training step (DESIGN.md, decision 8), as min-char-rnn reads:
 *
 *   params.zeroGrad();
 *   r = source.lossAndGrad(batch)           // forward + loss + full BPTT (or an async source)
 *   norm = clip(grad)                        // global norm (Pascanu 2013) or by value
 *   if (!finite(norm, loss)) skip (count) | throw (strict)
 *   opt.lr = schedule(step); opt.step()      // undone if it left anything non-finite (guard.ts)
 *   model.constrain?.(); onStep(info)
 *
 * Every model trains through it: anything with `params` and `lossAndGrad` (train/trainable.ts).
 * Truncated BPTT over a stream (`TruncatedBPTT`): every k1 steps, backpropagate over the
 * last k2 steps, starting from the state carried (detached) from before the window.
 */
import { NonFiniteError } from '../tensor.js';
import { clipGradNorm, clipGradValue, globalNorm } from './clip.js';
import type { Optimizer } from './optim.js';
import { type ScheduleSpec, lrAt } from './schedule.js';
import type { AsyncGradientSource, GradientSource, Stateful, StepOptions, StepResult, Trainable } from './trainable.js';
import { UpdateGuard } from './guard.js';

export interface TrainerOptions<B = unknown> {
  clipNorm?: number;
  clipValue?: number;
  /** 'skip' (default): a non-finite gradient skips the update and is counted; 'strict' throws. */
  nonFinite?: 'skip' | 'strict';
  schedule?: ScheduleSpec;
  /** Called after every step (diagnostics, logging). */
  onStep?: (info: StepInfo) => void;
  /** Where gradients come from (default the model itself; data-parallel workers plug in here, see recur/parallel). */
  grads?: GradientSource<B>;
}

export interface StepInfo extends StepResult {
  step: number;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
  skipped: boolean;
}

export class Trainer<B = any> {
  step = 0;
  clipEvents = 0;
  skippedSteps = 0;
  /** The learning rate the schedule scales (lower it for reduce-on-plateau). */
  baseLr: number;
  /** Computes loss and gradients for `train` (opts.grads, else the model). */
  grads: GradientSource<B>;
  private guard: UpdateGuard | null = null;

  constructor(
    readonly model: Trainable<B>,
    readonly optimizer: Optimizer,
    readonly opts: TrainerOptions<B> = {},
  ) {
    this.baseLr = optimizer.lr;
    this.grads = opts.grads ?? model;
    if (opts.clipNorm !== undefined && !(opts.clipNorm > 0))
      throw new RangeError(`clipNorm must be > 0, got ${opts.clipNorm}`);
    if (opts.clipValue !== undefined && !(opts.clipValue > 0))
      throw new RangeError(`clipValue must be > 0, got ${opts.clipValue}`);
  }

  /** One update on one batch. `carry` continues from (and keeps) the model's carried state. */
  train(batch: B, opts: StepOptions = {}): StepInfo {
    this.model.validate?.(batch); // bad data is the caller's error, not a training event
    this.model.params.zeroGrad();
    let r: StepResult;
    try {
      r = this.grads.lossAndGrad(batch, opts); // forward + loss + BPTT
    } catch (e) {
      r = overflowed(e);
    }
    return this.update(r);
  }

  /** `train` for sources that answer asynchronously (the WebGPU model); the same step otherwise. */
  async trainAsync(batch: B, opts: StepOptions = {}): Promise<StepInfo> {
    this.model.validate?.(batch);
    this.model.params.zeroGrad();
    const src = this.grads as Partial<AsyncGradientSource<B>> & GradientSource<B>;
    let r: StepResult;
    try {
      r = src.lossAndGradAsync ? await src.lossAndGradAsync(batch, opts) : src.lossAndGrad(batch, opts);
    } catch (e) {
      r = overflowed(e);
    }
    return this.update(r);
  }

  /** Clip, guard, step and constrain with the gradients already in params.grad. */
  update(r: StepResult): StepInfo {
    const g = this.model.params.grad;
    const { clipNorm, clipValue } = this.opts;
    const norm = clipNorm ? clipGradNorm(g, clipNorm) : globalNorm(g); // norm before clipping
    let clipped = clipNorm !== undefined && norm > clipNorm;
    const finite = Number.isFinite(norm) && Number.isFinite(r.loss);
    if (finite && clipValue) clipped = clipGradValue(g, clipValue) > 0 || clipped;
    const lr = lrAt(this.baseLr, this.step, this.opts.schedule);
    let skipped = false;
    if (!finite) {
      if (this.opts.nonFinite === 'strict') {
        const what = Number.isFinite(r.loss) ? `gradient norm (${norm})` : `loss (${r.loss})`;
        throw new NonFiniteError(`step ${this.step}: non-finite ${what}; stopping (strict mode)`);
      }
      skipped = true;
      this.skippedSteps++;
    } else {
      this.optimizer.lr = lr;
      this.guard ??= new UpdateGuard(this.model.params, this.optimizer);
      if (this.guard.step()) {
        if (clipped) this.clipEvents++;
        this.model.constrain?.();
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

/** Activations that overflowed inside the net are a training event (the step is skipped like a NaN gradient). */
function overflowed(e: unknown): StepResult {
  if (!(e instanceof NonFiniteError)) throw e;
  return { loss: Number.NaN, count: 0 };
}

/**
 * Truncated BPTT(k1, k2) over a stream (Williams & Peng 1990): every k1 steps, one update
 * that backpropagates through the last k2 steps. The state entering each window is carried
 * from the stream (detached: no gradient crosses into earlier windows). k1 = k2 gives the
 * usual consecutive chunks with the state carried (char-rnn); k1 = k2 = stream length is
 * full BPTT. With k2 > k1 the windows overlap: the first k2 - k1 steps of a window only
 * rebuild the state with gradient flowing through them, and their loss is not counted again
 * (`skip`). With k2 < k1 the first k1 - k2 steps of each stretch are run forward only.
 *
 * `slice(a, b)` returns the batch of stream steps [a, b) for all parallel streams.
 */
export class TruncatedBPTT<B> {
  private p = 0; // stream position of the carried state
  private done = 0; // stream position trained up to
  private readonly model: Stateful<B>;

  constructor(
    readonly trainer: Trainer<B>,
    readonly k1: number,
    readonly k2: number,
  ) {
    if (!(Number.isInteger(k1) && k1 >= 1 && Number.isInteger(k2) && k2 >= 1))
      throw new RangeError(`tbptt: k1 and k2 must be positive integers, got ${k1}, ${k2}`);
    const m = trainer.model as Partial<Stateful<B>>;
    if (!m.resetState || !m.getState || !m.setState || !m.advance)
      throw new TypeError('TruncatedBPTT: the model must carry state (resetState, getState, setState, advance)');
    this.model = trainer.model as Stateful<B>;
  }

  /** Starts a new stream: forgets the carried state. */
  reset(): void {
    this.p = 0;
    this.done = 0;
    this.model.resetState();
  }

  /** Runs updates until the stream position reaches `total`; returns the per-update infos. */
  run(slice: (a: number, b: number) => B, total: number, onUpdate?: (info: StepInfo, end: number) => void): StepInfo[] {
    const m = this.model,
      infos: StepInfo[] = [];
    while (this.done < total) {
      const end = Math.min(this.done + this.k1, total);
      const a = Math.max(this.p, end - this.k2);
      if (a > this.p) m.advance(slice(this.p, a)); // forward only: advance the state
      const skip = Math.max(0, this.done - a); // steps counted by the previous update
      const saved = skip > 0 || end - this.k2 < end - this.k1 ? m.getState() : null;
      const info = this.trainer.train(slice(a, end), { carry: true, skip });
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
