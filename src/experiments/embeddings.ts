/**
 * `recur experiment embeddings`: hashed against learned embeddings. The same recurrent
 * classifier (Embedding or fixed hashed vectors -> LSTM(H) -> Linear on the last step, softmax
 * cross-entropy) on a text classification task, with
 *   (a) learned embeddings: a V x E table over the training vocabulary (+ <unk>), trained;
 *   (b) fixed hashed random embeddings: word -> MurmurHash3 -> one of K rows of a fixed N(0, 1)
 *       table (signed), for several K; only the LSTM and the head are trained;
 *   (c) hashed features into a linear model: the words and word bigrams of a text hashed into
 *       K buckets, one-vs-rest FTRL-Proximal logistic regressions (recur/hashing).
 * Reported: test accuracy (mean and range over seeds) against trainable parameters and against
 * memory (bytes of every number the model keeps for prediction, in the precision this library
 * keeps it: float32 for the nets and their tables, float64 for FTRL weights).
 *
 * Data: the seeded labelled sentences of corpus.ts (four topics), or a file of `label<TAB>text`
 * lines (--text), split 70/15/15 after a seeded shuffle. Each net's learning rate is chosen on
 * validation (on the first seed), and so is its checkpoint; FTRL's alpha likewise. Budget:
 * `steps` updates of `batch` texts per net, `epochs` passes for FTRL.
 */
import { SequenceModel } from '../layers/model.js';
import type { Batch } from '../layers/model.js';
import { Adam } from '../train/optim.js';
import { Trainer } from '../train/trainer.js';
import { Rng } from '../random.js';
import { HashedEmbedding, hashFeatures } from '../lm/hashed.js';
import { FTRL } from '../hashing/ftrl.js';
import { type Series, lineChart } from '../report/svg.js';
import { dataTable } from '../report/page.js';
import { fmt } from '../report/escape.js';
import { sentences, words } from './corpus.js';
import {
  type Experiment,
  type ExperimentIO,
  type ExperimentResult,
  type Finding,
  type Verdict,
  DataError,
  check,
  mean,
  optionValues,
  separated,
  short,
  textTable,
} from './spec.js';

interface Example {
  tokens: string[];
  label: number;
}

export interface VariantResult {
  id: string;
  kind: 'learned' | 'hashed' | 'linear';
  buckets: number | null;
  params: number;
  bytes: number;
  /** Chosen on validation (first seed). */
  lr: number;
  /** Per seed: validation and test accuracy (of the checkpoint chosen on validation). */
  val: number[];
  test: number[];
  seconds: number;
}

export interface EmbeddingsResult extends ExperimentResult {
  data: { source: string; classes: number; train: number; val: number; test: number; vocabulary: number };
  variants: VariantResult[];
}

/** Texts from a `label<TAB>text` file: labels are any strings, numbered in first-seen order. */
export function parseLabelled(text: string): { examples: { text: string; label: number }[]; labels: string[] } {
  const labels: string[] = [],
    index = new Map<string, number>(),
    examples: { text: string; label: number }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const tab = line.indexOf('\t');
    if (tab <= 0) throw new DataError(`line ${i + 1}: expected 'label<TAB>text'`);
    const l = line.slice(0, tab).trim();
    if (!index.has(l)) {
      index.set(l, labels.length);
      labels.push(l);
    }
    examples.push({ text: line.slice(tab + 1), label: index.get(l)! });
  });
  return { examples, labels };
}

function shuffle<T>(a: T[], rng: Rng): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** How a variant turns texts into a batch for the LSTM. */
interface Input {
  config: { vocabSize?: number; embedDim?: number; inputSize?: number };
  batch(exs: Example[], maxLen: number): Batch;
  /** Numbers kept besides the trained parameters (a fixed table). */
  fixed: number;
}

function lengths(exs: Example[], maxLen: number): { T: number; lens: number[] } {
  const lens = exs.map((e) => Math.max(1, Math.min(maxLen, e.tokens.length)));
  return { T: Math.max(...lens), lens };
}

function learnedInput(train: Example[], E: number): Input {
  const vocab = new Map<string, number>(); // 0 = padding, 1 = <unk>
  for (const e of train) for (const w of e.tokens) if (!vocab.has(w)) vocab.set(w, vocab.size + 2);
  return {
    config: { vocabSize: vocab.size + 2, embedDim: E },
    fixed: 0,
    batch(exs, maxLen) {
      const { T, lens } = lengths(exs, maxLen),
        B = exs.length,
        ids = new Int32Array(T * B);
      exs.forEach((e, b) => {
        for (let t = 0; t < lens[b]!; t++) ids[t * B + b] = e.tokens.length ? (vocab.get(e.tokens[t]!) ?? 1) : 1;
      });
      return { T, B, ids, y: exs.map((e) => e.label), lengths: lens };
    },
  };
}

function hashedInput(K: number, E: number, seed: number): Input {
  const emb = new HashedEmbedding({ buckets: K, embeddingDim: E, signed: true, seed: 0, initSeed: seed });
  const cache = new Map<string, Float32Array>();
  const vec = (w: string) => {
    let v = cache.get(w);
    if (!v) {
      v = Float32Array.from(emb.forward(emb.hash([w])).data);
      cache.set(w, v);
    }
    return v;
  };
  return {
    config: { inputSize: E },
    fixed: K * E,
    batch(exs, maxLen) {
      const { T, lens } = lengths(exs, maxLen),
        B = exs.length,
        x = new Float32Array(T * B * E);
      exs.forEach((e, b) => {
        for (let t = 0; t < lens[b]! && t < e.tokens.length; t++) x.set(vec(e.tokens[t]!), (t * B + b) * E);
      });
      return { T, B, x, y: exs.map((e) => e.label), lengths: lens };
    },
  };
}

function accuracy(model: SequenceModel, input: Input, exs: Example[], maxLen: number, C: number): number {
  let right = 0;
  for (let i = 0; i < exs.length; i += 256) {
    const part = exs.slice(i, i + 256);
    const p = model.predict(input.batch(part, maxLen)).data;
    part.forEach((e, b) => {
      let best = 0;
      for (let c = 1; c < C; c++) if (p[b * C + c]! > p[b * C + best]!) best = c;
      if (best === e.label) right++;
    });
  }
  return right / exs.length;
}

function trainNet(
  input: Input,
  split: { train: Example[]; val: Example[]; test: Example[] },
  C: number,
  lr: number,
  seed: number,
  o: Record<string, any>,
): { val: number; test: number; params: number } {
  const model = new SequenceModel({
    cell: 'lstm',
    ...input.config,
    hiddenSize: o.hidden,
    outputSize: C,
    head: 'last',
    loss: 'xent',
    seed,
    forgetBias: 1,
  });
  const trainer = new Trainer(model, new Adam(model.params, { lr }), { clipNorm: 1 });
  const rng = new Rng(seed + 101);
  let best = { val: -1, test: 0 };
  for (let s = 1; s <= o.steps; s++) {
    const exs = Array.from({ length: o.batch }, () => split.train[rng.int(split.train.length)]!);
    trainer.train(input.batch(exs, o.maxLen));
    if (s % o.evalEvery === 0 || s === o.steps) {
      const val = accuracy(model, input, split.val, o.maxLen, C);
      if (val > best.val) best = { val, test: accuracy(model, input, split.test, o.maxLen, C) };
    }
  }
  return { ...best, params: model.params.size };
}

function linearFeatures(e: Example, K: number): { idx: Int32Array; val: Float64Array } {
  const toks = [...e.tokens, ...e.tokens.slice(1).map((w, i) => `${e.tokens[i]} ${w}`)];
  const f = hashFeatures(toks.length ? toks : ['<empty>'], { buckets: K, signed: true });
  return { idx: f.indices, val: Float64Array.from(f.values) };
}

function trainLinear(
  K: number,
  split: { train: Example[]; val: Example[]; test: Example[] },
  C: number,
  alpha: number,
  seed: number,
  epochs: number,
): { val: number; test: number } {
  const bits = Math.log2(K);
  const models = Array.from({ length: C }, () => new FTRL({ bits, alpha, beta: 1, l1: 0, l2: 1e-4 }));
  const feats = new Map<Example, { idx: Int32Array; val: Float64Array }>();
  const f = (e: Example) => {
    let v = feats.get(e);
    if (!v) feats.set(e, (v = linearFeatures(e, K)));
    return v;
  };
  const rng = new Rng(seed + 202);
  let best = { val: -1, test: 0 };
  const acc = (exs: Example[]) =>
    exs.filter((e) => {
      const { idx, val } = f(e);
      let bestC = 0,
        bestP = -1;
      models.forEach((m, c) => {
        const p = m.predict(idx, val, idx.length);
        if (p > bestP) {
          bestP = p;
          bestC = c;
        }
      });
      return bestC === e.label;
    }).length / exs.length;
  for (let ep = 0; ep < epochs; ep++) {
    for (const e of shuffle([...split.train], rng)) {
      const { idx, val } = f(e);
      models.forEach((m, c) => m.learn(idx, val, idx.length, e.label === c ? 1 : 0));
    }
    const val = acc(split.val);
    if (val > best.val) best = { val, test: acc(split.test) };
  }
  return best;
}

async function run(o: Record<string, any>, io: ExperimentIO, data?: unknown): Promise<EmbeddingsResult> {
  for (const k of ['steps', 'batch', 'hidden', 'embed', 'maxLen', 'evalEvery', 'seeds', 'epochs', 'examples'])
    check(
      Number.isInteger(o[k]) && o[k] >= 1,
      `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive integer, got ${o[k]}`,
    );
  const buckets = (o.buckets as string[]).map(Number);
  check(
    buckets.length > 0 && buckets.every((k) => Number.isInteger(k) && k >= 2 && k <= 2 ** 24 && (k & (k - 1)) === 0),
    `--buckets must be powers of two in 2..2^24, got ${o.buckets}`,
  );
  const lrs = (o.lrs as string[]).map(Number),
    alphas = (o.alphas as string[]).map(Number);
  check(lrs.length > 0 && lrs.every((x) => x > 0), `--lrs must be positive numbers`);
  check(alphas.length > 0 && alphas.every((x) => x > 0), `--alphas must be positive numbers`);
  let raw: { text: string; label: number }[], labels: string[];
  if (typeof data === 'string') {
    ({ examples: raw, labels } = parseLabelled(data));
    if (raw.length < 20 || labels.length < 2) throw new DataError(`--text needs at least 20 lines and 2 labels`);
  } else {
    raw = sentences(o.examples, { seed: o.seed });
    labels = ['sea', 'farm', 'city', 'forest'];
  }
  const C = labels.length;
  const all = shuffle(
    raw.map((r) => ({ tokens: words(r.text), label: r.label })),
    new Rng(o.seed + 303),
  );
  const nTr = Math.floor(all.length * 0.7),
    nV = Math.floor(all.length * 0.15);
  const split = { train: all.slice(0, nTr), val: all.slice(nTr, nTr + nV), test: all.slice(nTr + nV) };
  const vocabulary = new Set(split.train.flatMap((e) => e.tokens)).size;
  const seeds = Array.from({ length: o.seeds }, (_, i) => o.seed + i);

  const variants: VariantResult[] = [];
  const netVariant = (id: string, kind: 'learned' | 'hashed', K: number | null, make: (seed: number) => Input) => {
    const t0 = performance.now();
    // Learning rate on validation, first seed; then every seed at that rate.
    let lr = lrs[0]!,
      first: { val: number; test: number; params: number } | null = null;
    for (const r of lrs) {
      const res = trainNet(make(seeds[0]!), split, C, r, seeds[0]!, o);
      if (!first || res.val > first.val) {
        first = res;
        lr = r;
      }
    }
    const runs = [first!, ...seeds.slice(1).map((s) => trainNet(make(s), split, C, lr, s, o))];
    const input = make(seeds[0]!);
    const v: VariantResult = {
      id,
      kind,
      buckets: K,
      params: first!.params,
      bytes: 4 * (first!.params + input.fixed),
      lr,
      val: runs.map((r) => r.val),
      test: runs.map((r) => r.test),
      seconds: (performance.now() - t0) / 1000,
    };
    io.log(`  ${id}: test accuracy ${v.test.map((a) => short(a)).join(', ')} (lr ${lr})`);
    variants.push(v);
  };
  io.log(`embeddings: ${C} classes, ${split.train.length}/${split.val.length}/${split.test.length} texts`);
  netVariant('learned', 'learned', null, () => learnedInput(split.train, o.embed));
  for (const K of buckets) netVariant(`hashed K=${K}`, 'hashed', K, (s) => hashedInput(K, o.embed, s));
  for (const K of buckets) {
    const t0 = performance.now();
    let alpha = alphas[0]!,
      first: { val: number; test: number } | null = null;
    for (const a of alphas) {
      const res = trainLinear(K, split, C, a, seeds[0]!, o.epochs);
      if (!first || res.val > first.val) {
        first = res;
        alpha = a;
      }
    }
    // FTRL's result does not depend on the seed except through the order of the examples.
    const runs = [first!, ...seeds.slice(1).map((s) => trainLinear(K, split, C, alpha, s, o.epochs))];
    const v: VariantResult = {
      id: `linear K=${K}`,
      kind: 'linear',
      buckets: K,
      params: K * C,
      bytes: 8 * K * C,
      lr: alpha,
      val: runs.map((r) => r.val),
      test: runs.map((r) => r.test),
      seconds: (performance.now() - t0) / 1000,
    };
    io.log(`  ${v.id}: test accuracy ${v.test.map((a) => short(a)).join(', ')} (alpha ${alpha})`);
    variants.push(v);
  }

  const learned = variants[0]!;
  const hashed = variants.filter((v) => v.kind === 'hashed');
  const linear = variants.filter((v) => v.kind === 'linear');
  const pm = (v: VariantResult) =>
    `${short(mean(v.test))} [${short(Math.min(...v.test))}-${short(Math.max(...v.test))}]`;
  const notWorse = hashed.filter((h) => separated(h.test, learned.test) !== 'no');
  const smallest = notWorse[0];
  const findings: Finding[] = [
    {
      question:
        'Do fixed hashed random embeddings reach the accuracy of learned ones (ranges over seeds ' +
        'overlapping or above)?',
      verdict: smallest ? 'yes' : 'no',
      answer:
        `Learned (${learned.params} parameters, ${learned.bytes} bytes): ${pm(learned)}. ` +
        hashed.map((h) => `K = ${h.buckets}: ${pm(h)} (${h.bytes} bytes)`).join('; ') +
        (smallest ? `. The smallest K not below the learned embeddings: ${smallest.buckets}.` : '. None did.'),
    },
  ];
  if (hashed.length >= 2) {
    const lo = hashed[0]!,
      hi = hashed.at(-1)!;
    const v: Verdict = separated(hi.test, lo.test);
    findings.push({
      question: `Do collisions cost accuracy (K = ${lo.buckets} worse than K = ${hi.buckets})?`,
      verdict: v,
      answer:
        `Test accuracy ${pm(lo)} at K = ${lo.buckets} (${vocabulary} training words into ` +
        `${lo.buckets} rows) vs ${pm(hi)} at K = ${hi.buckets}.`,
    });
  }
  const bestLin = linear.reduce((a, v) => (mean(v.val) > mean(a.val) ? v : a));
  findings.push({
    question:
      'Is the hashed linear model (bucket count chosen on validation) more accurate than the learned-embedding LSTM?',
    verdict: separated(bestLin.test, learned.test),
    answer:
      `${bestLin.id}: ${pm(bestLin)} with ${bestLin.params} weights (${bestLin.bytes} ` +
      `bytes) vs learned ${pm(learned)}; yes or no when every seed agrees, inconclusive when the ranges overlap.`,
  });
  return {
    experiment: 'embeddings',
    title: experiment.title,
    question: experiment.question,
    options: optionValues(o, experiment.options),
    findings,
    budget: {
      unit:
        'nets: updates of `batch` texts (plus one run per extra learning rate on the first ' +
        'seed); linear: epochs over the training texts',
      net_updates: (1 + buckets.length) * (lrs.length + seeds.length - 1) * o.steps,
      linear_epochs: buckets.length * (alphas.length + seeds.length - 1) * o.epochs,
    },
    data: {
      source: typeof data === 'string' ? 'file' : 'generated sentences (corpus.ts)',
      classes: C,
      train: split.train.length,
      val: split.val.length,
      test: split.test.length,
      vocabulary,
    },
    labels,
    variants,
  };
}

function text(r: EmbeddingsResult): string {
  return textTable(
    ['model', 'trainable params', 'memory bytes', 'lr / alpha', 'val acc (mean)', 'test acc per seed', 'wall s'],
    r.variants.map((v) => [
      v.id,
      String(v.params),
      String(v.bytes),
      String(v.lr),
      short(mean(v.val)),
      v.test.map((a) => short(a)).join(', '),
      v.seconds.toFixed(1),
    ]),
  );
}

function sections(r: EmbeddingsResult): ReturnType<Experiment['sections']> {
  const pts = (vs: VariantResult[], x: (v: VariantResult) => number): [number, number][] =>
    vs.map((v) => [x(v), mean(v.test)]);
  const groups = (x: (v: VariantResult) => number): Series[] => [
    {
      name: 'learned embeddings + LSTM',
      points: pts(
        r.variants.filter((v) => v.kind === 'learned'),
        x,
      ),
      color: '#d62728',
      dots: true,
    },
    {
      name: 'fixed hashed embeddings + LSTM',
      points: pts(
        r.variants.filter((v) => v.kind === 'hashed'),
        x,
      ),
      color: '#1f77b4',
      dots: true,
      // Every bucket count has the same trainable parameters: points, not a line.
      markers: new Set(r.variants.filter((v) => v.kind === 'hashed').map(x)).size === 1,
    },
    {
      name: 'hashed features, linear (FTRL)',
      points: pts(
        r.variants.filter((v) => v.kind === 'linear'),
        x,
      ),
      color: '#2ca02c',
      dots: true,
    },
  ];
  const byK: Series[] = [
    {
      name: 'fixed hashed + LSTM',
      points: pts(
        r.variants.filter((v) => v.kind === 'hashed'),
        (v) => v.buckets!,
      ),
      color: '#1f77b4',
      dots: true,
    },
    {
      name: 'linear',
      points: pts(
        r.variants.filter((v) => v.kind === 'linear'),
        (v) => v.buckets!,
      ),
      color: '#2ca02c',
      dots: true,
    },
  ];
  const learned = r.variants.find((v) => v.kind === 'learned')!;
  const charts = [
    lineChart(
      groups((v) => v.params),
      { title: 'test accuracy vs trainable parameters', xLabel: 'trainable parameters', logX: true },
    ),
    lineChart(
      groups((v) => v.bytes),
      { title: 'test accuracy vs memory (bytes kept for prediction)', xLabel: 'bytes', logX: true },
    ),
    lineChart(byK, {
      title: 'test accuracy vs bucket count K',
      xLabel: 'K',
      logX: true,
      hlines: [{ y: mean(learned.test), label: 'learned' }],
    }),
  ];
  const table = dataTable(
    [
      'model',
      'trainable params',
      'memory bytes',
      'lr / alpha (validation)',
      'validation accuracy per seed',
      'test accuracy per seed',
      'wall s (record only)',
    ],
    r.variants.map((v) => [
      v.id,
      String(v.params),
      String(v.bytes),
      String(v.lr),
      v.val.map((a) => fmt(a)).join(', '),
      v.test.map((a) => fmt(a)).join(', '),
      v.seconds.toFixed(1),
    ]),
  );
  return [
    {
      id: 'accuracy',
      title: 'Accuracy against parameters and memory',
      intro:
        `${r.data.classes} classes; ${r.data.train}/${r.data.val}/${r.data.test} texts for training/validation/test; ` +
        `${r.data.vocabulary} distinct training words (${r.data.source}). Points are means over ` +
        `seeds; the table has every seed.`,
      html: `<div class="grid">${charts.join('')}</div>${table}`,
    },
  ];
}

export const experiment: Experiment<EmbeddingsResult> = {
  name: 'embeddings',
  title: 'hashed against learned embeddings',
  question:
    'How much accuracy do fixed hashed random embeddings (and a hashed linear model) give up ' +
    'against learned embeddings, for how many fewer parameters and bytes?',
  options: {
    buckets: { type: 'list', default: ['64', '256', '1024', '4096', '16384'], help: 'bucket counts K (powers of two)' },
    hidden: { type: 'int', default: 32, help: 'LSTM hidden units' },
    embed: { type: 'int', default: 16, help: 'embedding width E' },
    steps: { type: 'int', default: 1500, help: 'updates per net (the budget)' },
    batch: { type: 'int', default: 32, help: 'texts per update' },
    'max-len': { type: 'int', default: 24, help: 'tokens read per text' },
    lrs: { type: 'list', default: ['0.003', '0.01'], help: 'Adam learning rates tried (chosen on validation)' },
    alphas: { type: 'list', default: ['0.03', '0.1', '0.3'], help: 'FTRL alphas tried (chosen on validation)' },
    epochs: { type: 'int', default: 5, help: 'FTRL passes over the training texts' },
    'eval-every': { type: 'int', default: 250, help: 'checkpoints: evaluate on validation every N updates' },
    seeds: { type: 'int', default: 3, help: 'seeds per model' },
    examples: { type: 'int', default: 6000, help: 'generated texts (without --text)' },
    text: { type: 'string', help: "a file of 'label<TAB>text' lines (default: generated sentences)" },
    seed: { type: 'int', default: 1, help: 'first seed' },
  },
  quick: {
    buckets: ['16', '256'],
    steps: 40,
    evalEvery: 20,
    lrs: ['0.01'],
    alphas: ['0.1'],
    epochs: 1,
    seeds: 2,
    examples: 400,
    hidden: 8,
    embed: 8,
  },
  run,
  text,
  sections,
};
