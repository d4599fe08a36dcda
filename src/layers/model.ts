/**
 * SequenceModel: input layer (dense or Embedding) -> recurrent stack -> Linear head -> loss,
 * all parameters in one flat array. One call does forward + loss + full BPTT, accumulating
 * gradients; the trainer then clips and steps. This is the model the CLI, the tasks, the
 * language models and the benchmarks train.
 *
 * Heads: 'last' reads each sequence's last valid step ([B, O]); 'every' reads every step
 * ([T, B, O], padded steps masked). Losses: 'mse' (float targets) or 'xent' (class ids).
 * It is `Trainable` and `Stateful` (train/trainable.ts): the one Trainer steps it, and
 * truncated BPTT carries its state, in its own dtype, between windows.
 *
 * Dropout (inverted, seeded): `inputDropout` on the inputs (dense features or embeddings),
 * `dropout` between stacked layers (PyTorch's), `outputDropout` on the top layer's output before
 * the head. Only `lossAndGrad` (training) applies it; `predict` and `loss` never do.
 */
import type { Backend } from '../backend/backend.js';
import { Params } from '../params.js';
import { Rng } from '../random.js';
import type { RecurrentInit } from '../init.js';
import { type DType, type FArray, type Tensor, ShapeError, alloc } from '../tensor.js';
import type { Activation } from '../backend/backend.js';
import { assertFinite } from '../tensor.js';
import { Embedding } from './embedding.js';
import { Linear } from './linear.js';
import { type CellType, RecurrentStack } from './stack.js';
import { cellSpec } from './cells/index.js';
import { lastStep, lastStepBackward, mseLoss, sequenceMask, softmaxCrossEntropy } from './loss.js';
import { Dropout } from './dropout.js';
import { workspace } from '../backend/backend.js';
import type { CarriedState, StepOptions, StepResult } from './step.js';
import type { Batch } from '../batch.js';

export type { Batch, CarriedState, StepOptions, StepResult };

export interface SequenceModelConfig {
  cell: CellType;
  /** Dense input features per step (omit when vocabSize is given). */
  inputSize?: number;
  /** Token inputs: vocabulary size and embedding width. */
  vocabSize?: number;
  embedDim?: number;
  hiddenSize: number;
  numLayers?: number;
  bidirectional?: boolean;
  nonlinearity?: Activation;
  recurrentInit?: RecurrentInit;
  forgetBias?: number | null;
  /** IndRNN: |u_j| <= this after every update. */
  recurrentMaxAbs?: number;
  initialState?: 'zero' | 'learned';
  /** Dropout between stacked layers (PyTorch's `dropout`), default 0. */
  dropout?: number;
  /** Dropout on the inputs (dense features or embeddings), default 0. */
  inputDropout?: number;
  /** Dropout on the top layer's output, before the head, default 0. */
  outputDropout?: number;
  /** Seed of the dropout masks (default: seed). */
  dropoutSeed?: number;
  outputSize: number;
  head: 'last' | 'every';
  loss: 'mse' | 'xent';
  seed?: number;
  dtype?: DType;
}

export class SequenceModel {
  readonly config: Required<Pick<SequenceModelConfig, 'cell' | 'hiddenSize' | 'outputSize' | 'head' | 'loss'>> &
    SequenceModelConfig;
  readonly params: Params;
  readonly embedding: Embedding | null;
  readonly rnn: RecurrentStack;
  readonly head: Linear;
  /** State carried between calls when `carry` is used (truncated BPTT). */
  private hCarry: FArray | null = null;
  private cCarry: FArray | null = null;
  private gradBuf: FArray = new Float32Array(0);
  private lastBuf: FArray = new Float32Array(0); // [B,O] features of the last step ('last' head)
  private dLastBuf: FArray = new Float32Array(0); // [T,B,F] their gradient scattered back
  private maskBuf: Float32Array = new Float32Array(0); // [T*B] padding mask ('every' head with lengths)
  private lastPred: Tensor<FArray> | null = null;
  /** Dropout on the inputs and on the top layer's output (inactive when p = 0). */
  readonly inputDrop: Dropout;
  readonly outputDrop: Dropout;
  private inBuf: FArray = new Float32Array(0); // [T,B,I] inputs after dropout
  private featBuf: FArray = new Float32Array(0); // [T,B,D*H] top output after dropout

  constructor(cfg: SequenceModelConfig, backend?: Backend | string) {
    if (!cfg) throw new RangeError('SequenceModel: give a config');
    cellSpec(cfg.cell); // a RangeError naming the registered cells
    if (!['last', 'every'].includes(cfg.head))
      throw new RangeError(`SequenceModel: head must be 'last' or 'every', got '${cfg.head}'`);
    if (!['mse', 'xent'].includes(cfg.loss))
      throw new RangeError(`SequenceModel: loss must be 'mse' or 'xent', got '${cfg.loss}'`);
    const tokens = cfg.vocabSize !== undefined;
    if (!tokens && !(Number.isInteger(cfg.inputSize) && cfg.inputSize! > 0))
      throw new RangeError('SequenceModel: give inputSize (dense) or vocabSize + embedDim (tokens)');
    this.config = { ...cfg };
    this.params = new Params(cfg.dtype ?? 'float32');
    this.embedding = tokens
      ? new Embedding({
          numEmbeddings: cfg.vocabSize!,
          embeddingDim: cfg.embedDim ?? 64,
          params: this.params,
          prefix: 'embedding.',
        })
      : null;
    this.rnn = new RecurrentStack(cfg.cell, {
      inputSize: tokens ? (cfg.embedDim ?? 64) : cfg.inputSize!,
      hiddenSize: cfg.hiddenSize,
      numLayers: cfg.numLayers,
      bidirectional: cfg.bidirectional,
      nonlinearity: cfg.nonlinearity,
      recurrentInit: cfg.recurrentInit,
      forgetBias: cfg.forgetBias,
      recurrentMaxAbs: cfg.recurrentMaxAbs,
      initialState: cfg.initialState,
      dropout: cfg.dropout,
      dropoutSeed: (cfg.dropoutSeed ?? cfg.seed ?? 0) + 1,
      params: this.params,
      prefix: 'rnn.',
      backend,
    });
    const dseed = cfg.dropoutSeed ?? cfg.seed ?? 0,
      dt = cfg.dtype ?? 'float32';
    this.inputDrop = new Dropout(cfg.inputDropout ?? 0, (dseed * 7919 + 17) >>> 0, dt);
    this.outputDrop = new Dropout(cfg.outputDropout ?? 0, (dseed * 7919 + 29) >>> 0, dt);
    this.head = new Linear({
      inFeatures: this.rnn.outputSize,
      outFeatures: cfg.outputSize,
      params: this.params,
      prefix: 'head.',
      backend,
    });
    this.params.allocate(new Rng(cfg.seed ?? 0), this.rnn.backend);
    this.constrain();
  }

  /** Projects the parameters back into their allowed set (the Trainer calls it after every update). */
  constrain(): void {
    this.rnn.constrain();
  }

  /** Rejects a bad batch before anything runs (the caller's error: never skipped as a training event). */
  validate(b: Batch): void {
    if (!b || !(Number.isInteger(b.T) && b.T >= 1 && Number.isInteger(b.B) && b.B >= 1))
      throw new ShapeError(`SequenceModel: a batch needs integer T >= 1 and B >= 1, got T=${b?.T}, B=${b?.B}`);
    if (b.x) assertFinite(b.x, 'batch.x');
    assertFinite(b.y, 'batch.y');
  }

  /** Forgets the carried state (start of a new stream). */
  resetState(): void {
    this.hCarry = null;
    this.cCarry = null;
  }

  /** A copy of the carried state, in the model's dtype. */
  getState(): CarriedState {
    return { h: this.hCarry ? this.hCarry.slice() : null, c: this.cCarry ? this.cCarry.slice() : null };
  }

  setState(s: CarriedState | { h: ArrayLike<number> | null; c: ArrayLike<number> | null }): void {
    const dt = this.params.dtype;
    const copy = (a: ArrayLike<number> | null) => {
      if (!a) return null;
      const out = alloc(dt, a.length);
      out.set(a);
      return out;
    };
    this.hCarry = copy(s.h);
    this.cCarry = copy(s.c);
  }

  /** Forward only from the carried state, keeping the final state: advances a stream without learning. */
  advance(b: Batch): void {
    this.predict(b, { carry: true });
  }

  private inputs(b: Batch, training: boolean): Tensor<FArray> {
    let x: Tensor<FArray>;
    if (this.embedding) {
      if (!b.ids) throw new ShapeError('SequenceModel: this model takes token ids (batch.ids)');
      x = this.embedding.forward(b.ids, [b.T, b.B]);
    } else {
      if (!b.x) throw new ShapeError('SequenceModel: this model takes dense inputs (batch.x [T,B,I])');
      x = { shape: [b.T, b.B, this.config.inputSize!], data: b.x };
    }
    if (!this.inputDrop.active(training))
      return { shape: x.shape, data: this.inputDrop.forward(x.data, x.data, false) };
    if (this.inBuf.length !== x.data.length)
      this.inBuf = workspace(this.rnn.backend, this.params.dtype, x.data.length, this.inBuf);
    return { shape: x.shape, data: this.inputDrop.forward(x.data, this.inBuf, true) };
  }

  /**
   * Forward only. With `carry`, starts from the carried state and stores the final state
   * (detached: no gradient flows into the previous chunk). Returns predictions
   * ([B,O] or [T,B,O]): views valid until the next call.
   */
  predict(b: Batch, opts: { carry?: boolean; training?: boolean } = {}): Tensor<FArray> {
    const training = opts.training ?? false;
    const x = this.inputs(b, training);
    const LD = this.rnn.numLayers * this.rnn.numDirections,
      H = this.rnn.hiddenSize;
    const carry = opts.carry && this.hCarry && this.hCarry.length === LD * b.B * H;
    const out = this.rnn.forward(x, {
      h0: carry ? { shape: [LD, b.B, H], data: this.hCarry! } : undefined,
      c0: carry && this.cCarry ? { shape: [LD, b.B, H], data: this.cCarry } : undefined,
      lengths: b.lengths,
      training,
    });
    if (opts.carry) {
      if (!this.hCarry || this.hCarry.length !== out.hN.data.length)
        this.hCarry = alloc(this.params.dtype, out.hN.data.length);
      this.hCarry.set(out.hN.data);
      if (out.cN) {
        if (!this.cCarry || this.cCarry.length !== out.cN.data.length)
          this.cCarry = alloc(this.params.dtype, out.cN.data.length);
        this.cCarry.set(out.cN.data);
      }
    }
    let top = out.output;
    if (this.outputDrop.active(training)) {
      if (this.featBuf.length !== top.data.length)
        this.featBuf = workspace(this.rnn.backend, this.params.dtype, top.data.length, this.featBuf);
      top = { shape: top.shape, data: this.outputDrop.forward(top.data, this.featBuf, true) };
    } else this.outputDrop.forward(top.data, top.data, false); // records that no mask applies
    const feats = this.config.head === 'last' ? lastStep(top, b.lengths, this.lastBuf) : top;
    if (feats.data !== top.data) this.lastBuf = feats.data;
    this.lastPred = this.head.forward(feats);
    return this.lastPred;
  }

  /** Loss of predictions against the batch targets (and the gradient w.r.t. predictions). */
  loss(pred: Tensor<FArray>, b: Batch, skip = 0): StepResult & { grad: Tensor<FArray> } {
    const every = this.config.head === 'every';
    const masked = every && (b.lengths || skip > 0);
    const mask = masked ? (this.maskBuf = sequenceMask(b.T, b.B, b.lengths, this.maskBuf, skip)) : undefined;
    if (this.gradBuf.length !== pred.data.length) this.gradBuf = alloc(this.params.dtype, pred.data.length);
    if (this.config.loss === 'mse') {
      const r = mseLoss(pred, b.y, mask, this.gradBuf);
      // count = what the mean divides by (padded steps excluded), so shards and batches weight correctly
      let rows = pred.data.length / this.config.outputSize;
      if (mask) {
        rows = 0;
        for (let i = 0; i < mask.length; i++) rows += mask[i]!;
      }
      return { loss: r.loss, count: rows * this.config.outputSize, grad: r.grad };
    }
    const r = softmaxCrossEntropy(pred, b.y, mask, this.gradBuf);
    return { loss: r.loss, count: r.count, correct: r.correct, grad: r.grad };
  }

  /**
   * forward + loss + full BPTT; gradients are added to params.grad (zero them per step).
   * `skip`: the first steps' losses are not counted (head 'every'; see StepOptions).
   */
  lossAndGrad(b: Batch, opts: StepOptions = {}): StepResult {
    const pred = this.predict(b, { carry: opts.carry, training: true });
    const r = this.loss(pred, b, opts.skip ?? 0);
    const dfeat = this.head.backward(r.grad);
    const dOut = this.config.head === 'last' ? lastStepBackward(dfeat, b.T, b.lengths, this.dLastBuf) : dfeat;
    if (dOut !== dfeat) this.dLastBuf = dOut.data;
    this.outputDrop.backwardInPlace(dOut.data); // dOut is this model's own buffer (head or lastStep workspace)
    const back = this.rnn.backward({ output: dOut });
    if (this.embedding) {
      this.inputDrop.backwardInPlace(back.dx.data);
      this.embedding.backward(back.dx);
    }
    return { loss: r.loss, count: r.count, correct: r.correct };
  }
}
