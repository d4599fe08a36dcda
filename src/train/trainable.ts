/**
 * The contract between a model and the one Trainer (DESIGN.md, decision 8): parameters in
 * one flat store and a step that turns a batch into a loss and gradients in params.grad.
 * Anything with this shape trains through `Trainer`: SequenceModel, EncoderDecoder, the NPLM,
 * a data-parallel gradient source, the WebGPU model.
 */
import type { Params } from '../params.js';
import type { CarriedState, StepOptions, StepResult } from '../layers/step.js';

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
}
