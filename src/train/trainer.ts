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
 * A model that keeps its parameters on a device (the GPU, `DeviceTrainable`) gets the same step
 * with the arithmetic moved there: the Trainer computes the learning rate, the device clips, checks,
 * updates (undoing an update that overflowed) and constrains in the step's one submission and
 * answers the norm; counting, strict mode and the hooks stay here.
 * Truncated BPTT over a stream (`TruncatedBPTT`): every k1 steps, backpropagate over the
 * last k2 steps, starting from the state carried (detached) from before the window.
 */
import { NonFiniteError } from '../tensor.js';
import { clipGradNorm, clipGradValue, globalNorm } from './clip.js';
import type { Optimizer } from './optim.js';
import { type ScheduleSpec, lrAt } from './schedule.js';
import {
  type AsyncGradientSource,
  type DeviceTrainable,
  type GradientSource,
  type Stateful,
  type StepOptions,
  type StepResult,
  type Trainable,
  deviceOf,
} from './trainable.js';
import { UpdateGuard } from './guard.js';

/** How a step ended: the update kept, skipped for a non-finite loss or gradient, or undone because it overflowed. */
type Outcome = 'kept' | 'nonfinite' | 'undone';

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
    if (opts.grads && deviceOf(model))
      throw new TypeError('Trainer: a model that updates on its device computes its own gradients (no `grads`)');
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
    const dev = this.grads === this.model ? deviceOf(this.model) : null;
    if (dev) return this.trainOnDevice(dev, batch, opts);
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
    let outcome: Outcome = 'nonfinite';
    if (finite) {
      this.optimizer.lr = lr;
      this.guard ??= new UpdateGuard(this.model.params, this.optimizer);
      outcome = this.guard.step() ? 'kept' : 'undone'; // undone: parameters and optimiser state are back as they were
      if (outcome === 'kept') this.model.constrain?.();
    }
    return this.conclude(r, norm, clipped, lr, outcome);
  }

  /** The same step on a device: zero, forward, BPTT, clip, guard, update and constrain run there in one submission. */
  private async trainOnDevice(dev: DeviceTrainable<B>, batch: B, opts: StepOptions): Promise<StepInfo> {
    dev.validate?.(batch);
    const { clipNorm, clipValue } = this.opts;
    const lr = lrAt(this.baseLr, this.step, this.opts.schedule);
    this.optimizer.lr = lr;
    const r = await dev.stepOnDevice(batch, opts, { lr, clipNorm, clipValue, optimizer: this.optimizer });
    const { gradNorm, gradMax, undone, ...res } = r;
    const finite = Number.isFinite(gradNorm) && Number.isFinite(r.loss); // the device's own test
    const scale = clipNorm ? Math.min(1, clipNorm / (gradNorm + 1e-6)) : 1; // as clipGradNorm scaled it
    const clipped =
      (clipNorm !== undefined && gradNorm > clipNorm) || (finite && !!clipValue && gradMax * scale > clipValue);
    return this.conclude(res, gradNorm, clipped, lr, !finite ? 'nonfinite' : undone ? 'undone' : 'kept');
  }

  /** What every step ends with: strict mode, the counters, the step's record and the hook. */
  private conclude(r: StepResult, norm: number, clipped: boolean, lr: number, outcome: Outcome): StepInfo {
    if (outcome !== 'kept' && this.opts.nonFinite === 'strict') {
      const what =
        outcome === 'undone'
          ? `the update (lr ${lr}, gradient norm ${norm}) made parameters or optimiser ` +
            'state non-finite; they are restored'
          : `non-finite ${Number.isFinite(r.loss) ? `gradient norm (${norm})` : `loss (${r.loss})`}`;
      throw new NonFiniteError(`step ${this.step}: ${what}; stopping (strict mode)`);
    }
    if (outcome !== 'kept') this.skippedSteps++;
    else if (clipped) this.clipEvents++;
    const info: StepInfo = { ...r, step: this.step, lr, gradNorm: norm, clipped, skipped: outcome !== 'kept' };
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
    for (const w of this.windows(total)) {
      if (w.advance) m.advance(slice(w.advance[0], w.advance[1])); // forward only: advance the state
      const saved = w.restore ? m.getState() : null;
      const info = this.trainer.train(slice(w.a, w.end), { carry: true, skip: w.skip });
      infos.push(info);
      onUpdate?.(info, w.end);
      if (saved) m.setState(saved); // the next window starts before this one's end
    }
    return infos;
  }

  /** `run` for models that train asynchronously (`trainer.trainAsync`; the WebGPU model). */
  async runAsync(
    slice: (a: number, b: number) => B,
    total: number,
    onUpdate?: (info: StepInfo, end: number) => void,
  ): Promise<StepInfo[]> {
    const m = this.model,
      infos: StepInfo[] = [];
    for (const w of this.windows(total)) {
      if (w.advance) m.advance(slice(w.advance[0], w.advance[1]));
      const saved = w.restore ? await (m.getStateAsync?.() ?? m.getState()) : null;
      const info = await this.trainer.trainAsync(slice(w.a, w.end), { carry: true, skip: w.skip });
      infos.push(info);
      onUpdate?.(info, w.end);
      if (saved) m.setState(saved);
    }
    return infos;
  }

  /**
   * The updates up to `total`, in order: the stretch to run forward only first (`advance`), the
   * window [a, end) to train with its first `skip` steps' losses not counted, and whether the state
   * before the window must be restored after it (`restore`: the next window starts inside it).
   */
  private *windows(
    total: number,
  ): Generator<{ advance: [number, number] | null; a: number; end: number; skip: number; restore: boolean }> {
    while (this.done < total) {
      const end = Math.min(this.done + this.k1, total);
      const a = Math.max(this.p, end - this.k2);
      const skip = Math.max(0, this.done - a); // steps counted by the previous update
      const nextStart = end + this.k1 - this.k2; // where the next window begins
      const restore = nextStart < end;
      yield { advance: a > this.p ? [this.p, a] : null, a, end, skip, restore };
      this.p = restore ? a : end;
      this.done = end;
    }
  }
}
