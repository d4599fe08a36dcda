/**
 * The feed-forward neural probabilistic language model of Bengio, Ducharme, Vincent & Jauvin
 * (2003): the previous n-1 words, each looked up in one shared embedding table, concatenated,
 * through a tanh hidden layer, to a softmax over the vocabulary.
 *
 *   x = [C(w_{t-n+1}), ..., C(w_{t-1})]                 [N, (n-1)m]
 *   a = tanh(d + H x)                                   [N, h]
 *   y = b + U a  (+ W x with `direct: true`)            [N, V]
 *   P(w_t = v | context) = softmax(y)_v;  loss = -mean log P(w_t);  perplexity = e^loss
 *
 * Shapes: N = batch of contexts, m = embedDim, h = hiddenSize, V = vocabulary.
 * Parameters (one flat array): embedding.weight C [V,m], hidden.weight H [h,(n-1)m],
 * hidden.bias d [h], output.weight U [V,h], output.bias b [V], direct.weight W [V,(n-1)m].
 * Backward (all +=):
 *   dy = (softmax(y) - onehot) / N;  dU += dy^T a;  db += sum dy;  da = dy U
 *   dpre = da * (1 - a^2);  dH += dpre^T x;  dd += sum dpre;  dx = dpre H (+ dy W; dW += dy^T x)
 *   dC[w] += the slice of dx for every position that looked w up
 */
import { ACT, type Backend } from '../backend/backend.js';
import { getBackend, tsBackend } from '../backend/index.js';
import { Params } from '../params.js';
import { Rng } from '../random.js';
import { type DType, type FArray, type Tensor, ShapeError, alloc } from '../tensor.js';
import { Embedding } from '../layers/embedding.js';
import { Linear } from '../layers/linear.js';
import { softmaxCrossEntropy } from '../layers/loss.js';
import { type Optimizer, type OptimizerSpec, makeOptimizer } from '../train/optim.js';
import { Trainer } from '../train/trainer.js';
import type { ScheduleSpec } from '../train/schedule.js';
import type { StepResult } from '../layers/step.js';

/** A minibatch of n-grams: N contexts of n-1 ids ([N, n-1] flat) and their next ids [N]. */
export interface NgramBatch {
  context: ArrayLike<number>;
  targets: ArrayLike<number>;
}

export interface NPLMConfig {
  vocabSize: number;
  /** n of the n-gram: the model reads n - 1 previous words. */
  order: number;
  embedDim?: number;
  hiddenSize?: number;
  /** Direct connections from the embeddings to the output (Bengio et al.'s W). */
  direct?: boolean;
  seed?: number;
  dtype?: DType;
  backend?: Backend | string;
}

export class NPLM {
  readonly config: Required<Omit<NPLMConfig, 'backend' | 'dtype'>> & { dtype: DType };
  readonly params: Params;
  readonly embedding: Embedding;
  readonly hidden: Linear;
  readonly output: Linear;
  readonly direct: Linear | null;
  private readonly be: Backend;
  private act: FArray = new Float32Array(0); // [N,h] tanh activations
  private dpre: FArray = new Float32Array(0); // [N,h]
  private dx: FArray = new Float32Array(0); // [N,(n-1)m]
  private dy: FArray = new Float32Array(0); // [N,V]
  private N = -1;

  constructor(cfg: NPLMConfig) {
    const V = cfg?.vocabSize,
      n = cfg?.order;
    if (!(Number.isInteger(V) && V >= 2)) throw new RangeError(`NPLM: vocabSize must be an integer >= 2, got ${V}`);
    if (!(Number.isInteger(n) && n >= 2))
      throw new RangeError(`NPLM: order (n of the n-gram) must be an integer >= 2, got ${n}`);
    const dtype = cfg.dtype ?? 'float32';
    this.config = {
      vocabSize: V,
      order: n,
      embedDim: cfg.embedDim ?? 30,
      hiddenSize: cfg.hiddenSize ?? 60,
      direct: cfg.direct ?? false,
      seed: cfg.seed ?? 0,
      dtype,
    };
    const { embedDim: m, hiddenSize: h, direct } = this.config,
      ctx = (n - 1) * m;
    const backend = cfg.backend;
    this.params = new Params(dtype);
    this.embedding = new Embedding({ numEmbeddings: V, embeddingDim: m, params: this.params, prefix: 'embedding.' });
    this.hidden = new Linear({ inFeatures: ctx, outFeatures: h, params: this.params, prefix: 'hidden.', backend });
    this.output = new Linear({ inFeatures: h, outFeatures: V, params: this.params, prefix: 'output.', backend });
    this.direct = direct
      ? new Linear({ inFeatures: ctx, outFeatures: V, bias: false, params: this.params, prefix: 'direct.', backend })
      : null;
    const named = typeof backend === 'string' ? getBackend(backend) : (backend ?? getBackend());
    this.be = dtype === 'float64' ? tsBackend : named;
    this.params.allocate(new Rng(this.config.seed));
  }

  private ensure(N: number): void {
    if (N === this.N) return;
    const dt = this.params.dtype,
      { hiddenSize: h, vocabSize: V, order: n, embedDim: m } = this.config;
    this.N = N;
    this.act = alloc(dt, N * h);
    this.dpre = alloc(dt, N * h);
    this.dx = alloc(dt, N * (n - 1) * m);
    this.dy = alloc(dt, N * V);
  }

  /** Logits [N, V] for contexts [N, n-1] (row-major word ids). A view valid until the next call. */
  forward(context: ArrayLike<number>, N: number): Tensor<FArray> {
    const { order: n, hiddenSize: h } = this.config;
    if (!(Number.isInteger(N) && N >= 1) || context.length !== N * (n - 1)) {
      throw new ShapeError(
        `NPLM.forward: expected ${N} contexts of ${n - 1} ids (${N * (n - 1)} ids), got ${context.length}`,
      );
    }
    this.ensure(N);
    const x = this.embedding.forward(context, [N, n - 1]); // [N, n-1, m]: the concatenation, already contiguous
    const xf = { shape: [N, (n - 1) * this.config.embedDim], data: x.data };
    const pre = this.hidden.forward(xf);
    this.act.set(pre.data);
    this.be.actForward(ACT.tanh, N * h, this.act, 0); // a = tanh(d + H x)
    const y = this.output.forward({ shape: [N, h], data: this.act }); // y = b + U a
    if (this.direct) {
      const w = this.direct.forward(xf); // + W x
      for (let i = 0; i < y.data.length; i++) y.data[i] += w.data[i]!;
    }
    return y;
  }

  /** forward + mean cross-entropy + backward; gradients added to params.grad (the one Trainer steps it). */
  lossAndGrad(b: NgramBatch): StepResult {
    const { context, targets } = b;
    const N = targets.length,
      h = this.config.hiddenSize;
    const y = this.forward(context, N);
    const r = softmaxCrossEntropy(y, targets, undefined, this.dy); // dy = (p - onehot) / N
    const da = this.output.backward(r.grad); // dU += dy^T a; db += sum dy; da = dy U
    this.be.actBackward(ACT.tanh, N * h, this.act, 0, da.data, 0, this.dpre, 0); // dpre = da (1 - a^2)
    const dx = this.hidden.backward({ shape: [N, h], data: this.dpre }); // dH += dpre^T x; dd += sum; dx = dpre H
    this.dx.set(dx.data);
    if (this.direct) {
      const dxd = this.direct.backward(r.grad); // dW += dy^T x; dx += dy W
      for (let i = 0; i < this.dx.length; i++) this.dx[i] += dxd.data[i]!;
    }
    this.embedding.backward({ shape: [N, this.dx.length / N], data: this.dx }); // dC[w] += dx slice
    return { loss: r.loss, count: r.count, correct: r.correct };
  }
}

/** Contexts and targets for every position t >= n-1 of `ids` listed in `positions`. */
export function ngramBatch(
  ids: ArrayLike<number>,
  order: number,
  positions: ArrayLike<number>,
  ctx: Int32Array,
  tgt: Int32Array,
): void {
  const k = order - 1;
  for (let i = 0; i < positions.length; i++) {
    const t = positions[i]!;
    for (let j = 0; j < k; j++) ctx[i * k + j] = ids[t - k + j]!;
    tgt[i] = ids[t]!;
  }
}

/** Perplexity (and mean nats) of the model on every n-gram of `ids`, in batches. */
export function evaluateNPLM(
  model: NPLM,
  ids: ArrayLike<number>,
  batch = 256,
): { loss: number; perplexity: number; tokens: number } {
  const k = model.config.order - 1,
    total = ids.length - k;
  if (total < 1) throw new RangeError(`evaluateNPLM: need more than ${k} ids, got ${ids.length}`);
  let nats = 0;
  const pos = new Int32Array(batch),
    ctx = new Int32Array(batch * k),
    tgt = new Int32Array(batch);
  for (let s = 0; s < total; s += batch) {
    const N = Math.min(batch, total - s);
    for (let i = 0; i < N; i++) pos[i] = k + s + i;
    ngramBatch(ids, model.config.order, pos.subarray(0, N), ctx, tgt);
    const y = model.forward(ctx.subarray(0, N * k), N);
    nats += softmaxCrossEntropy(y, tgt.subarray(0, N)).loss * N;
  }
  const loss = nats / total;
  return { loss, perplexity: Math.exp(loss), tokens: total };
}

export interface TrainNPLMOptions {
  batch?: number;
  epochs?: number;
  steps?: number;
  maxSeconds?: number;
  optimizer?: OptimizerSpec;
  clipNorm?: number;
  schedule?: ScheduleSpec;
  seed?: number;
  onStep?: (step: number, loss: number) => void;
}

/** Minibatch training over shuffled n-gram positions (seeded); returns the final optimiser and step count. */
export function trainNPLM(
  model: NPLM,
  ids: ArrayLike<number>,
  o: TrainNPLMOptions = {},
): { steps: number; optimizer: Optimizer; loss: number } {
  const k = model.config.order - 1,
    B = o.batch ?? 64,
    rng = new Rng(o.seed ?? 1);
  const opt = makeOptimizer(model.params, o.optimizer ?? { type: 'adam', lr: 3e-3 });
  const trainer = new Trainer<NgramBatch>(model, opt, { clipNorm: o.clipNorm || undefined, schedule: o.schedule });
  const positions = Array.from({ length: ids.length - k }, (_, i) => i + k);
  if (positions.length < 1) throw new RangeError(`trainNPLM: need more than ${k} ids, got ${ids.length}`);
  const ctx = new Int32Array(B * k),
    tgt = new Int32Array(B),
    pos = new Int32Array(B);
  const maxSteps = o.steps ?? Infinity,
    epochs = o.epochs ?? (o.steps || o.maxSeconds ? Infinity : 1),
    t0 = performance.now();
  let step = 0,
    loss = NaN;
  for (let e = 0; e < epochs && step < maxSteps; e++) {
    rng.shuffle(positions);
    for (let s = 0; s < positions.length && step < maxSteps; s += B) {
      if (o.maxSeconds !== undefined && (performance.now() - t0) / 1000 >= o.maxSeconds)
        return { steps: step, optimizer: opt, loss };
      const N = Math.min(B, positions.length - s);
      for (let i = 0; i < N; i++) pos[i] = positions[s + i]!;
      ngramBatch(ids, model.config.order, pos.subarray(0, N), ctx, tgt);
      loss = trainer.train({ context: ctx.subarray(0, N * k), targets: tgt.subarray(0, N) }).loss;
      o.onStep?.(++step, loss);
    }
  }
  return { steps: step, optimizer: opt, loss };
}
