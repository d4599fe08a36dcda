/**
 * `Diagnostics`: every N training steps, what the lecture asks of a recurrent net, measured on
 * the step's own forward and backward pass and the weights it ran with:
 *   - ||dL/dh_t|| for t = 1..T per layer and direction (gradflow.ts),
 *   - rho and sigma_max of each W_hh and its gate blocks (spectrum.ts),
 *   - sigma_max and rho of the product of step Jacobians over the last `window` steps (jacobian.ts),
 *   - tanh/gate saturation and ||h_t|| over time (saturation.ts),
 *   - the gradient's global norm before clipping, clip events and skipped non-finite steps.
 *
 * It is driven by the Trainer's hook alone: `onStep` of the step before a measured one turns
 * the ||dL/dh_t|| recording on and keeps a copy of W_hh (the weights that step's forward will
 * use); `onStep` of the measured step reads the caches, turns the recording off again and
 * emits a record. Steps in between cost one comparison. Step numbers count completed steps
 * (1 = the first), as the training log does; step 1 is always measured.
 *
 *   const diag = new Diagnostics(model, { every: 50, onRecord: (r) => log(r) });
 *   const trainer = new Trainer(model, opt, { onStep: diag.onStep });
 */
import type { FArray } from '../tensor.js';
import type { SequenceModel } from '../layers/model.js';
import type { StepInfo } from '../train/trainer.js';
import { readGradFlow, recordGradFlow } from './gradflow.js';
import { type WeightSpectrum, coreSpectrum } from './spectrum.js';
import { type JacobianProductStats, jacobianProduct } from './jacobian.js';
import { type Saturation, saturation } from './saturation.js';

export interface DiagnosticsOptions {
  /** Measure every N steps (and on step 1). Default 50. */
  every?: number;
  /** Steps in the Jacobian product window (ending at the last step). Default 20. */
  window?: number;
  /** Power iterations for the spectra. Default 100 (W_hh) and 60 (Jacobian product). */
  iters?: number;
  /** Batch row whose Jacobians are multiplied. Default 0. */
  batchRow?: number;
  /** Steps already done (a resumed run): counting continues from here. Default 0. */
  startStep?: number;
  /** Called with each record. */
  onRecord?: (r: DiagRecord) => void;
  /** Keep at most this many records in `records` (oldest dropped). Default 1000. */
  keep?: number;
}

export interface CoreDiag {
  layer: number;
  direction: number;
  /** [T] ||dL/dh_t||. */
  dhNorms: number[];
  spectrum: WeightSpectrum;
  jacobian: JacobianProductStats;
  saturation: Saturation;
}

export interface DiagRecord {
  kind: 'diag';
  /** Completed steps, counting this one. */
  step: number;
  T: number;
  gradNorm: number;
  clipped: boolean;
  skipped: boolean;
  /** Totals since the Diagnostics started (including steps not measured). */
  clipEvents: number;
  skippedSteps: number;
  cores: CoreDiag[];
}

export class Diagnostics {
  readonly every: number;
  readonly records: DiagRecord[] = [];
  clipEvents = 0;
  skippedSteps = 0;
  private done: number;
  private armed = false;
  private weights: FArray[] = [];
  private readonly o: DiagnosticsOptions;

  constructor(
    readonly model: SequenceModel,
    opts: DiagnosticsOptions = {},
  ) {
    this.every = opts.every ?? 50;
    if (!(Number.isInteger(this.every) && this.every >= 1))
      throw new RangeError(`Diagnostics: every must be an integer >= 1, got ${opts.every}`);
    const w = opts.window ?? 20;
    if (!(Number.isInteger(w) && w >= 1))
      throw new RangeError(`Diagnostics: window must be an integer >= 1, got ${opts.window}`);
    this.o = opts;
    this.done = opts.startStep ?? 0;
    if (this.due(this.done + 1)) this.arm();
  }

  /** Whether the step that completes `step` steps is measured. */
  due(step: number): boolean {
    return step === 1 || step % this.every === 0;
  }

  private arm(): void {
    recordGradFlow(this.model.rnn, true);
    this.weights = this.model.rnn.cores.map((c) => Float64Array.from(c.wHh.data));
    this.armed = true;
  }

  /** The Trainer hook (bound: pass it as `onStep: diag.onStep`). */
  readonly onStep = (info: StepInfo): void => {
    this.done = info.step + 1;
    if (info.clipped) this.clipEvents++;
    if (info.skipped) this.skippedSteps++;
    if (this.armed) {
      const r = this.measure(info);
      this.armed = false;
      recordGradFlow(this.model.rnn, false);
      this.records.push(r);
      if (this.records.length > (this.o.keep ?? 1000)) this.records.shift();
      this.o.onRecord?.(r);
    }
    if (this.due(this.done + 1)) this.arm();
  };

  /** Measures from the caches of the step just run (normally called by onStep). */
  measure(info: Pick<StepInfo, 'gradNorm' | 'clipped' | 'skipped'>): DiagRecord {
    const stack = this.model.rnn;
    const flows = readGradFlow(stack);
    const iters = this.o.iters ?? 100;
    const cores = stack.cores.map((core, k): CoreDiag => {
      const W = this.weights[k] ?? core.wHh.data;
      const T = core.cache().T;
      return {
        layer: flows[k]!.layer,
        direction: flows[k]!.direction,
        dhNorms: flows[k]!.norms,
        spectrum: coreSpectrum(core, { iters, W }),
        jacobian: jacobianProduct(core, {
          window: Math.min(this.o.window ?? 20, T),
          b: this.o.batchRow ?? 0,
          iters: Math.min(iters, 60),
          W,
        }),
        saturation: saturation(core),
      };
    });
    return {
      kind: 'diag',
      step: this.done,
      T: stack.cores[0]!.cache().T,
      gradNorm: info.gradNorm,
      clipped: info.clipped,
      skipped: info.skipped,
      clipEvents: this.clipEvents,
      skippedSteps: this.skippedSteps,
      cores,
    };
  }
}

/**
 * A record as one flat JSON-friendly object for metrics.jsonl (snake_case, numbers rounded to 6 significant
 * digits).
 */
export function diagToJSON(r: DiagRecord): Record<string, unknown> {
  const f = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : null);
  return {
    kind: 'diag',
    step: r.step,
    T: r.T,
    grad_norm: f(r.gradNorm),
    clipped: r.clipped,
    skipped: r.skipped,
    clip_events: r.clipEvents,
    skipped_steps: r.skippedSteps,
    cores: r.cores.map((c) => ({
      layer: c.layer,
      direction: c.direction,
      dh_norms: c.dhNorms.map(f),
      rho: f(c.spectrum.rho),
      sigma: f(c.spectrum.sigma),
      gates: c.spectrum.gates.map((g) => ({ gate: g.gate, rho: f(g.rho), sigma: f(g.sigma) })),
      jacobian: {
        window: c.jacobian.window,
        sigma: f(c.jacobian.sigma),
        rho: f(c.jacobian.rho),
        per_step: f(c.jacobian.perStep),
      },
      saturation: {
        tanh: c.saturation.tanh === null ? null : f(c.saturation.tanh),
        relu_zero: c.saturation.reluZero === null ? null : f(c.saturation.reluZero),
        gates: c.saturation.gates.map((g) => ({ gate: g.gate, low: f(g.low), high: f(g.high), mean: f(g.mean) })),
      },
      h_norm: c.saturation.hNorm.map(f),
    })),
  };
}
