/**
 * The contract between a model and the one Trainer (DESIGN.md, decision 8): parameters in
 * one flat store and a step that turns a batch into a loss and gradients in params.grad.
 * Anything with this shape trains through `Trainer`: SequenceModel, EncoderDecoder, the NPLM,
 * a data-parallel gradient source, the WebGPU model.
 */
import type { Params } from '../params.js';
import type { CarriedState, StepOptions, StepResult } from '../layers/step.js';
import type { Optimizer } from './optim.js';

export type { CarriedState, StepOptions, StepResult };

/** Anything that turns a batch into a loss and gradients (added to the model's params.grad). */
export interface GradientSource<B> {
  lossAndGrad(batch: B, opts?: StepOptions): StepResult;
}

/** The same for sources that must wait (a GPU reading back its gradients). */
export interface AsyncGradientSource<B> {
  lossAndGradAsync(batch: B, opts?: StepOptions): Promise<StepResult>;
}

export interface Trainable<B> extends GradientSource<B> {
  readonly params: Params;
  /** Optional: throws when the batch itself is bad (the caller's error, never skipped as a training event). */
  validate?(batch: B): void;
  /** Optional: projects the parameters back into their allowed set after each update (IndRNN's |u| bound). */
  constrain?(): void;
}

/** A model that carries its recurrent state between calls (truncated BPTT over a stream). */
export interface Stateful<B> extends Trainable<B> {
  /** Forgets the carried state (the start of a new stream). */
  resetState(): void;
  /** A copy of the carried state (in the model's dtype). */
  getState(): CarriedState;
  setState(s: CarriedState): void;
  /** Forward only from the carried state, keeping the final state: advances the stream without learning. */
  advance(batch: B): void;
  /** Optional: `getState` for models whose state lives on a device (read back asynchronously). */
  getStateAsync?(): Promise<CarriedState>;
}

/** What the Trainer decides for one step of a model that updates itself on a device. */
export interface DeviceStepPlan {
  /** The schedule's learning rate for this step. */
  lr: number;
  clipNorm?: number;
  clipValue?: number;
  /** The host optimiser: its kind, hyper-parameters and step count `t` (its state arrays live on the device). */
  optimizer: Optimizer;
}

export interface DeviceStepResult extends StepResult {
  /** Global L2 norm of the gradient before clipping (a reduction on the device). */
  gradNorm: number;
  /** Largest |gradient entry| before clipping (clipping by value changed something iff it exceeds clipValue). */
  gradMax: number;
  /** The update left a non-finite parameter or optimiser state behind and was undone on the device (guard.ts). */
  undone: boolean;
}

/**
 * A model whose parameters, gradients, optimiser state and workspace stay on a device (the GPU).
 * `stepOnDevice` runs the Trainer's step there in one submission: forward, loss, BPTT, the
 * gradient norm, clipping, the non-finite guard's check (no update when the loss or the norm is
 * not finite), the optimiser update with the plan's learning rate (undone when it left anything
 * non-finite, as guard.ts does on the CPU), and `constrain`. Only the
 * scalars come back; the Trainer then counts, throws (strict) and calls its hooks as for any model.
 * The host copies are refreshed by `pull()` (checkpoints, evaluation on the CPU) and sent by `push()`.
 */
export interface DeviceTrainable<B> extends Trainable<B> {
  stepOnDevice(batch: B, opts: StepOptions, plan: DeviceStepPlan): Promise<DeviceStepResult>;
  /** Copies the device's parameters, optimiser state and carried state into the host objects. */
  pull(): Promise<void>;
  /** Sends the host's parameters (and, on the next step, the optimiser's state) to the device: `pull()` first. */
  push(): void;
}

/** The model's device side when it updates itself on a device, else null. */
export function deviceOf<B>(m: Trainable<B>): DeviceTrainable<B> | null {
  return typeof (m as Partial<DeviceTrainable<B>>).stepOnDevice === 'function' ? (m as DeviceTrainable<B>) : null;
}
