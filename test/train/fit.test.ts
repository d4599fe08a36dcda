// RecurrentModel on users' sequences: ragged data for every task, early stopping that restores the
// best epoch, callbacks in order, determinism, fitAsync, padded tensors either way round, one file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RecurrentModel,
  SafetensorsError,
  SequenceModel,
  Adam,
  saveCheckpoint,
  type BatchLogs,
  type EpochLogs,
} from 'recur-rnn';

/** A small seeded generator for test data (independent of the library's Rng). */
function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
}

/** Ragged 2-feature sequences around 100 (feature 0) whose label is the sign of the sum of feature 1. */
function signData(n: number, seed: number) {
  const r = lcg(seed),
    x: number[][][] = [],
    y: string[] = [],
    v: number[] = [];
  for (let i = 0; i < n; i++) {
    const T = 2 + Math.floor(r() * 9);
    const seq = Array.from({ length: T }, () => [100 + 10 * (r() - 0.5), r() - 0.5]);
    const sum = seq.reduce((a, s) => a + s[1]!, 0);
    x.push(seq);
    y.push(sum > 0 ? 'pos' : 'neg');
    v.push(1000 + 50 * sum);
  }
  return { x, y, v };
}

test('classify ragged dense sequences around 100 (standardised inputs): beats the majority class', () => {
  const tr = signData(300, 1),
    te = signData(200, 2);
  const m = new RecurrentModel({ task: 'classify', hiddenSize: 16, seed: 1 });
  const h = m.fit({ x: tr.x, y: tr.y }, { epochs: 12, batchSize: 16, lr: 0.01 });
  assert.equal(h.epochs.length, 12);
  assert.deepEqual(m.classes, ['neg', 'pos']);
  const e = m.evaluate({ x: te.x, y: te.y });
  assert.equal(e.n, 200);
  assert.ok(e.accuracy! > 0.9 && e.accuracy! > e.baseline.accuracy! + 0.3, JSON.stringify(e));
  const p = m.predict(te.x.slice(0, 3));
  assert.equal(p.length, 3);
  for (const q of p) assert.ok(Math.abs(q[0]! + q[1]! - 1) < 1e-5 && q.length === 2);
  // fresh arrays: a later call does not overwrite earlier results, and results do not alias
  const keep = Array.from(p[0]!);
  m.predict(te.x.slice(5, 9));
  assert.deepEqual(Array.from(p[0]!), keep);
  assert.notEqual(p[0]!.buffer, p[1]!.buffer);
  assert.deepEqual(m.predictLabels(te.x.slice(0, 3)), te.y.slice(0, 3));
  // the inputs' standardisation was fitted on the training data: feature 0 has mean ~100
  assert.ok(Math.abs(m.normalization.x!.mean[0]! - 100) < 1, String(m.normalization.x!.mean[0]));
});

test('regress: ragged sequences to a value around 1000, errors in the data units beside the mean baseline', () => {
  const tr = signData(300, 3),
    te = signData(100, 4);
  const m = new RecurrentModel({ task: 'regress', hiddenSize: 16, seed: 2 });
  m.fit({ x: tr.x, y: tr.v }, { epochs: 15, batchSize: 16, lr: 0.01 });
  const e = m.evaluate({ x: te.x, y: te.v });
  assert.ok(e.rmse! < 0.3 * e.baseline.rmse!, JSON.stringify(e));
  const p = m.predict(te.x.slice(0, 4));
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(p[i]![0]! - te.v[i]!) < 4 * e.rmse! + 5, `${p[i]![0]} vs ${te.v[i]}`);
});

test('tag: one label per step of ragged text, per-step accuracy beside the majority tag', () => {
  const r = lcg(5),
    words = ['ab', 'ba', 'aab', 'bba', 'abab', 'b', 'a'];
  const mk = (n: number) => {
    const x: string[] = [],
      y: string[][] = [];
    for (let i = 0; i < n; i++) {
      const s = Array.from({ length: 1 + Math.floor(r() * 6) }, () => words[Math.floor(r() * words.length)]).join('');
      x.push(s);
      // tag: whether the step repeats the previous character (needs memory of one step)
      y.push([...s].map((c, t) => (t > 0 && s[t - 1] === c ? 'rep' : 'new')));
    }
    return { x, y };
  };
  const tr = mk(300),
    te = mk(100);
  const m = new RecurrentModel({ task: 'tag', cell: 'gru', hiddenSize: 16, embedDim: 8, seed: 3 });
  m.fit(tr, { epochs: 10, batchSize: 16, lr: 0.02 });
  const e = m.evaluate(te);
  assert.ok(e.accuracy! > 0.97 && e.accuracy! > e.baseline.accuracy!, JSON.stringify(e));
  assert.equal(e.unknownTokens, 0);
  const lab = m.predictLabels([te.x[0]!]) as string[][];
  assert.equal(lab[0]!.length, te.x[0]!.length);
  const probs = m.predict([te.x[0]!]);
  assert.equal(probs[0]!.length, te.x[0]!.length * 2);
  // an unseen character reads as <unk> and is counted
  assert.equal(m.evaluate({ x: ['abz'], y: [['new', 'new', 'new']] }).unknownTokens, 1);
  assert.equal(m.vocabulary![0], '<unk>');
});

test('forecast: windows cut for you, multi-step horizon, chronological validation, last-value baseline', () => {
  const series = [0, 1, 2].map((k) =>
    Array.from({ length: 400 }, (_, t) => [100 + 10 * Math.sin(0.15 * t + k), 20 * Math.cos(0.05 * t + k)]),
  );
  const m = new RecurrentModel({ task: 'forecast', window: 16, horizon: 4, targets: [0], hiddenSize: 16, seed: 4 });
  const h = m.fit({ series }, { epochs: 6, batchSize: 32, lr: 0.01, validationSplit: 0.2 });
  assert.ok(h.epochs[0]!.valRmse !== undefined);
  const last = h.epochs.at(-1)!;
  assert.ok(last.valRmse! < 1.5, JSON.stringify(last));
  const e = m.evaluate({ series: series.map((s) => s.slice(300)) });
  assert.equal(e.n, 3 * (100 - 16 - 4 + 1));
  assert.equal(e.rmseByStep!.length, 4);
  assert.ok(e.rmse! < e.baseline.rmse!, JSON.stringify(e));
  const p = m.predict([series[0]!.slice(100, 116)]);
  assert.equal(p[0]!.length, 4); // horizon x one target
  for (let hh = 0; hh < 4; hh++) assert.ok(Math.abs(p[0]![hh]! - series[0]![116 + hh]![0]!) < 3);
  // standardisation fitted on the training part (before each series' 80% cut) only
  const cut = Math.floor(400 * 0.8);
  const mean = series.reduce((a, s) => a + s.slice(0, cut).reduce((b, r) => b + r[0]!, 0), 0) / (3 * cut);
  assert.ok(Math.abs(m.normalization.x!.mean[0]! - mean) < 1e-6);
  assert.throws(() => new RecurrentModel({ task: 'forecast' } as never), /window/);
});

test('forecastChange: a smooth random walk is forecast as a change from the last step, beside holding it', () => {
  const r = lcg(21);
  const series = [0, 1].map(() => {
    let v = 50,
      d = 0;
    return Array.from({ length: 600 }, () => {
      d = 0.95 * d + 0.05 * (r() - 0.5); // a smooth drift: the last value is a strong forecast
      v += d;
      return [v, 20 + v / 10];
    });
  });
  const fit = (forecastChange: boolean) => {
    const m = new RecurrentModel({ task: 'forecast', window: 12, horizon: 3, forecastChange, hiddenSize: 16, seed: 8 });
    m.fit({ series: series.map((s) => s.slice(0, 450)) }, { epochs: 8, batchSize: 32, lr: 0.005 });
    return m;
  };
  const test = { series: series.map((s) => s.slice(438)) };
  const ch = fit(true),
    e = ch.evaluate(test);
  assert.ok(e.rmse! < e.baseline.rmse!, `change ${e.rmse} vs last value ${e.baseline.rmse}`);
  assert.ok(e.rmse! < fit(false).evaluate(test).rmse!, 'the change model beats the value model here');
  const back = RecurrentModel.fromBytes(ch.toBytes());
  const ctx = [series[0]!.slice(500, 512)];
  assert.deepEqual(Array.from(back.predict(ctx)[0]!), Array.from(ch.predict(ctx)[0]!));
  // predictions continue from the context's last value
  assert.ok(Math.abs(ch.predict(ctx)[0]![0]! - series[0]![511]![0]!) < 1);
});

test('early stopping stops on a plateau and restores the weights of the best epoch', () => {
  const tr = signData(40, 7),
    va = signData(60, 8);
  const m = new RecurrentModel({ task: 'regress', hiddenSize: 32, seed: 5 });
  const h = m.fit(
    { x: tr.x, y: tr.v },
    { epochs: 60, batchSize: 4, lr: 0.03, validationData: { x: va.x, y: va.v }, earlyStopping: { patience: 3 } },
  );
  assert.equal(h.stopped, 'early');
  assert.equal(h.monitor, 'valLoss');
  const losses = h.epochs.map((e) => e.valLoss!);
  assert.equal(h.best, Math.min(...losses));
  assert.equal(h.bestEpoch, losses.indexOf(h.best) + 1);
  assert.equal(h.epochs.length, h.bestEpoch + 3);
  assert.ok(h.restored);
  // the model now gives the best epoch's validation loss, not the last epoch's
  const now = m.evaluate({ x: va.x, y: va.v }).loss;
  assert.ok(Math.abs(now - h.best) <= 1e-6 * h.best, `${now} vs best ${h.best}, last ${losses.at(-1)}`);
  assert.notEqual(losses.at(-1), h.best);
});

test('callbacks run in order; returning false stops; history, schedule and clipping reach the Trainer', () => {
  const tr = signData(20, 9);
  const events: string[] = [];
  const lrs: number[] = [];
  const m = new RecurrentModel({ task: 'classify', hiddenSize: 8, seed: 6 });
  const h = m.fit(
    { x: tr.x, y: tr.y },
    {
      epochs: 3,
      batchSize: 8,
      lr: 0.1,
      schedule: 'cosine',
      clipNorm: 1e-3,
      validationSplit: 0.25,
      callbacks: {
        onTrainBegin: () => events.push('begin'),
        onEpochBegin: (e) => events.push(`epoch ${e}`),
        onBatchEnd: (b: BatchLogs) => {
          events.push(`batch ${b.epoch}.${b.batch}`);
          lrs.push(b.lr);
          assert.ok(b.clipped, 'clip at 1e-3 always clips');
        },
        onEpochEnd: (l: EpochLogs) => {
          events.push(`end ${l.epoch}`);
          assert.ok(l.valAccuracy !== undefined && l.accuracy !== undefined);
        },
        onTrainEnd: (hist) => events.push(`done ${hist.epochs.length}`),
      },
    },
  );
  // 15 training sequences, batches of 8: two per epoch
  assert.deepEqual(events, [
    'begin',
    'epoch 1',
    'batch 1.0',
    'batch 1.1',
    'end 1',
    'epoch 2',
    'batch 2.0',
    'batch 2.1',
    'end 2',
    'epoch 3',
    'batch 3.0',
    'batch 3.1',
    'end 3',
    'done 3',
  ]);
  assert.equal(h.steps, 6);
  assert.ok(lrs[0]! > 0.09 && lrs[5]! < 0.01 && lrs.every((v, i) => i === 0 || v <= lrs[i - 1]!), String(lrs));
  const stopped = m.fit({ x: tr.x, y: tr.y }, { epochs: 5, batchSize: 8, callbacks: { onBatchEnd: () => false } });
  assert.equal(stopped.stopped, 'callback');
  assert.equal(stopped.epochs.length, 1);
  assert.equal(m.fit({ x: tr.x, y: tr.y }, { epochs: 5, batchSize: 8, maxSteps: 3 }).stopped, 'steps');
});

test('determinism: the same seed gives the same history and weights; another seed does not', () => {
  const tr = signData(60, 10);
  const run = (seed: number) => {
    const m = new RecurrentModel({ task: 'classify', hiddenSize: 8, dropout: 0.2, numLayers: 2, seed });
    const h = m.fit({ x: tr.x, y: tr.y }, { epochs: 3, batchSize: 8, validationSplit: 0.2, lr: 0.01 });
    return { epochs: h.epochs, w: Array.from(m.net!.params.data) };
  };
  const a = run(1);
  assert.deepEqual(run(1), a);
  assert.notDeepEqual(run(2).epochs, a.epochs);
});

test('fitAsync pauses between batches and gives the same history as fit', async () => {
  const tr = signData(40, 11);
  const opts = { epochs: 2, batchSize: 10, lr: 0.01 };
  const h1 = new RecurrentModel({ task: 'classify', hiddenSize: 8, seed: 3 }).fit({ x: tr.x, y: tr.y }, opts);
  let pauses = 0;
  const h2 = await new RecurrentModel({ task: 'classify', hiddenSize: 8, seed: 3 }).fitAsync(
    { x: tr.x, y: tr.y },
    {
      ...opts,
      pause: async () => {
        pauses++;
      },
    },
  );
  assert.equal(pauses, 8); // 4 batches x 2 epochs
  assert.deepEqual(h2, h1);
});

test('padded tensors, batch-first or time-major, read the same as ragged arrays', () => {
  const tr = signData(50, 12);
  const m = new RecurrentModel({ task: 'classify', hiddenSize: 8, seed: 2 });
  m.fit({ x: tr.x, y: tr.y }, { epochs: 1 });
  const xs = tr.x.slice(0, 5),
    N = 5,
    T = Math.max(...xs.map((s) => s.length)),
    F = 2;
  const bf = new Float32Array(N * T * F),
    tm = new Float32Array(N * T * F);
  xs.forEach((s, n) =>
    s.forEach((st, t) =>
      st.forEach((v, f) => {
        bf[(n * T + t) * F + f] = v;
        tm[(t * N + n) * F + f] = v;
      }),
    ),
  );
  const lengths = xs.map((s) => s.length);
  const want = m.predict(xs).map((p) => Array.from(p));
  const a = m.predict({ shape: [N, T, F], data: bf, lengths, batchFirst: true }).map((p) => Array.from(p));
  const b = m.predict({ shape: [T, N, F], data: tm, lengths }).map((p) => Array.from(p));
  assert.deepEqual(a, want);
  assert.deepEqual(b, want);
});

test('one file per model: weights, config, standardisation, classes and vocabulary as bytes', () => {
  const x = ['anna', 'bob', 'carla', 'dave', 'eve', 'fred', 'gina', 'hal'],
    y = [1, 0, 1, 0, 1, 0, 1, 0];
  const m = new RecurrentModel({ task: 'classify', cell: 'gru', hiddenSize: 8, embedDim: 4, seed: 9 });
  m.fit({ x, y }, { epochs: 3, batchSize: 4, lr: 0.05 });
  m.extra = { note: 'kept' };
  const bytes = m.toBytes();
  assert.ok(bytes instanceof Uint8Array);
  const back = RecurrentModel.fromBytes(bytes);
  assert.deepEqual(back.classes, [0, 1]);
  assert.deepEqual(back.vocabulary, m.vocabulary);
  assert.deepEqual(back.extra, { note: 'kept' });
  assert.deepEqual(
    back.predict(['zoe', 'anna']).map((p) => Array.from(p)),
    m.predict(['zoe', 'anna']).map((p) => Array.from(p)),
  );
  assert.deepEqual(back.evaluate({ x, y }), m.evaluate({ x, y }));
  // dense regression: both standardisations travel
  const tr = signData(30, 13);
  const r = new RecurrentModel({ task: 'regress', hiddenSize: 8, seed: 1 });
  r.fit({ x: tr.x, y: tr.v }, { epochs: 1 });
  const r2 = RecurrentModel.fromBytes(r.toBytes());
  assert.deepEqual(Array.from(r2.normalization.y!.mean), Array.from(r.normalization.y!.mean));
  assert.deepEqual(Array.from(r2.predict(tr.x.slice(0, 2))[0]!), Array.from(r.predict(tr.x.slice(0, 2))[0]!));
  // bad bytes: truncated, or a task checkpoint, are refused with a clear error
  assert.throws(() => RecurrentModel.fromBytes(bytes.subarray(0, 40)), SafetensorsError);
  const net = new SequenceModel({
    cell: 'lstm',
    inputSize: 1,
    hiddenSize: 2,
    outputSize: 1,
    head: 'last',
    loss: 'mse',
  });
  const ck = saveCheckpoint(net, { step: 0 }, { opt: new Adam(net.params, { lr: 1 }), spec: { type: 'adam', lr: 1 } });
  assert.throws(() => RecurrentModel.fromBytes(ck), /task checkpoint/);
});

test('bad data gets errors that name the sequence and step', () => {
  const m = new RecurrentModel({ task: 'classify', hiddenSize: 4 });
  assert.throws(
    () => m.fit({ x: [[[1], [2]], [[1, 2]]], y: [0, 1] }),
    /x\[1\]: steps of 2 features, but the first sequence has 1/,
  );
  assert.throws(() => m.fit({ x: [[1, Number.NaN]], y: [0] }), /x\[0\]\[1\]: non-finite/);
  assert.throws(() => m.fit({ x: [[1], []], y: [0, 1] }), /x\[1\]: empty sequence/);
  assert.throws(() => m.fit({ x: [[1], [2]], y: [0] }), /expected 2 labels/);
  assert.throws(() => m.predict([[1]]), /not fitted/);
  m.fit({ x: [[1], [2, 3]], y: ['a', 'b'] }, { epochs: 1 });
  assert.throws(() => m.evaluate({ x: [[1]], y: ['c'] }), /label "c" is not one of the model's 2 classes/);
  assert.throws(() => m.predict([[[1, 2]]]), /steps of 2 features; the model reads 1/);
  assert.throws(() => m.predict(['text']), /the model reads numbers/);
});
