// Trainer: non-finite guard, truncated BPTT, bit-exact resume, checkpoint errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SequenceModel,
  Trainer,
  TruncatedBPTT,
  Adam,
  SGD,
  Rng,
  makeTask,
  saveCheckpoint,
  loadCheckpoint,
  SafetensorsError,
  NonFiniteError,
  encodeSafetensors,
  Params,
  type Batch,
  type StepInfo,
  type Trainable,
} from 'recur-rnn';
import { randn } from '../helpers.js';

function tiny(cell: 'rnn' | 'lstm' | 'gru' = 'lstm', seed = 1) {
  return new SequenceModel({ cell, inputSize: 2, hiddenSize: 8, outputSize: 1, head: 'last', loss: 'mse', seed });
}

test('a non-finite gradient skips the update and is counted; strict mode throws', () => {
  const m = tiny();
  const tr = new Trainer(m, new SGD(m.params, { lr: 0.1 }), { clipNorm: 1 });
  const b = makeTask({ name: 'adding', T: 5 }).batch(new Rng(1), 4);
  const before = Float32Array.from(m.params.data);
  const bad: Batch = { ...b, y: Float32Array.from(b.y, () => NaN) };
  assert.throws(() => tr.train(bad), /batch.y: non-finite/); // bad data is an error, not a skipped step
  // A NaN that only shows up in the gradient: poison a weight.
  m.params.data[0] = NaN;
  const info = tr.train(b);
  assert.equal(info.skipped, true);
  assert.equal(tr.skippedSteps, 1);
  m.params.data[0] = before[0]!;
  assert.deepEqual(m.params.data.subarray(1), before.subarray(1));
  const strict = new Trainer(m, new SGD(m.params, { lr: 0.1 }), { nonFinite: 'strict' });
  m.params.data[0] = NaN;
  assert.throws(() => strict.train(b), NonFiniteError);
});

test('clipping by norm: the norm before clipping is reported and clip events counted', () => {
  const m = tiny('rnn');
  const tr = new Trainer(m, new SGD(m.params, { lr: 0.01 }), { clipNorm: 1e-3 });
  const info = tr.train(makeTask({ name: 'adding', T: 10 }).batch(new Rng(2), 8));
  assert.ok(info.gradNorm > 1e-3 && info.clipped && tr.clipEvents === 1);
});

test('carried state: two chunks with carry give the same outputs as one pass over the whole sequence', () => {
  const m = new SequenceModel({
    cell: 'gru',
    inputSize: 3,
    hiddenSize: 5,
    numLayers: 2,
    outputSize: 2,
    head: 'every',
    loss: 'mse',
    seed: 3,
  });
  const T = 8,
    B = 2,
    x = Float32Array.from({ length: T * B * 3 }, (_, i) => Math.sin(i * 0.7));
  const full = Float32Array.from(m.predict({ T, B, x, y: new Float32Array(T * B * 2) }).data);
  m.resetState();
  const a = Float32Array.from(
    m.predict({ T: 5, B, x: x.subarray(0, 5 * B * 3), y: new Float32Array(5 * B * 2) }, { carry: true }).data,
  );
  const c = Float32Array.from(
    m.predict({ T: 3, B, x: x.subarray(5 * B * 3), y: new Float32Array(3 * B * 2) }, { carry: true }).data,
  );
  const both = [...a, ...c];
  for (let i = 0; i < full.length; i++) assert.ok(Math.abs(full[i]! - both[i]!) < 1e-6);
});

test('truncated BPTT with k1 = k2 = stream length is one full-BPTT update', () => {
  const mk = () =>
    new SequenceModel({
      cell: 'lstm',
      vocabSize: 5,
      embedDim: 4,
      hiddenSize: 6,
      outputSize: 5,
      head: 'every',
      loss: 'xent',
      seed: 4,
    });
  const T = 12,
    B = 2,
    rng = new Rng(9);
  const ids = Int32Array.from({ length: (T + 1) * B }, () => rng.int(5));
  const slice = (a: number, b: number): Batch => ({
    T: b - a,
    B,
    ids: ids.subarray(a * B, b * B),
    y: Float32Array.from(ids.subarray((a + 1) * B, (b + 1) * B)),
  });
  const m1 = mk(),
    m2 = mk();
  const t1 = new Trainer(m1, new SGD(m1.params, { lr: 0.5 }));
  t1.train(slice(0, T));
  const tb = new TruncatedBPTT(new Trainer(m2, new SGD(m2.params, { lr: 0.5 })), T, T);
  const infos = tb.run(slice, T);
  assert.equal(infos.length, 1);
  assert.deepEqual(m2.params.data, m1.params.data);
});

test('truncated BPTT k1=4, k2=4 makes 3 updates over 12 steps and k1=4, k2=8 overlaps windows', () => {
  const m = new SequenceModel({
    cell: 'rnn',
    vocabSize: 4,
    embedDim: 3,
    hiddenSize: 5,
    outputSize: 4,
    head: 'every',
    loss: 'xent',
    seed: 5,
  });
  const B = 2,
    ids = Int32Array.from({ length: 13 * B }, (_, i) => i % 4);
  const seen: [number, number][] = [];
  const slice = (a: number, b: number): Batch => {
    seen.push([a, b]);
    return {
      T: b - a,
      B,
      ids: ids.subarray(a * B, b * B),
      y: Float32Array.from(ids.subarray((a + 1) * B, (b + 1) * B)),
    };
  };
  const tr = new Trainer(m, new SGD(m.params, { lr: 0.1 }));
  assert.equal(new TruncatedBPTT(tr, 4, 4).run(slice, 12).length, 3);
  assert.deepEqual(seen, [
    [0, 4],
    [4, 8],
    [8, 12],
  ]);
  seen.length = 0;
  m.resetState();
  assert.equal(new TruncatedBPTT(tr, 4, 8).run(slice, 12).length, 3);
  // windows of the last k2 steps; [0, 4] again re-advances the carried state (forward only) before [4, 12]
  assert.deepEqual(seen, [
    [0, 4],
    [0, 8],
    [0, 4],
    [4, 12],
  ]);
});

test('resume is bit-exact: N steps straight == N/2, save, load, N/2', () => {
  const task = makeTask({ name: 'order', T: 12 });
  const run = (m: SequenceModel, opt: Adam, tr: Trainer, rng: Rng, n: number) => {
    for (let i = 0; i < n; i++) tr.train(task.batch(rng, 8));
  };
  const mk = () =>
    new SequenceModel({
      cell: 'lstm',
      inputSize: 6,
      hiddenSize: 8,
      outputSize: 4,
      head: 'last',
      loss: 'xent',
      seed: 6,
    });
  const m1 = mk(),
    o1 = new Adam(m1.params, { lr: 0.01 }),
    t1 = new Trainer(m1, o1, { clipNorm: 1 }),
    r1 = new Rng(11);
  run(m1, o1, t1, r1, 10);
  const m2 = mk(),
    o2 = new Adam(m2.params, { lr: 0.01 }),
    t2 = new Trainer(m2, o2, { clipNorm: 1 }),
    r2 = new Rng(11);
  run(m2, o2, t2, r2, 5);
  const bytes = saveCheckpoint(
    m2,
    { step: t2.step, rng: { data: r2.getState() } },
    { opt: o2, spec: { type: 'adam', lr: 0.01 } },
  );
  const ck = loadCheckpoint(bytes);
  const t3 = new Trainer(ck.model, ck.optimizer!, { clipNorm: 1 });
  t3.step = ck.meta.step;
  run(ck.model, ck.optimizer as Adam, t3, new Rng(0).setState(ck.meta.rng!.data!), 5);
  assert.deepEqual(ck.model.params.data, m1.params.data);
});

test('corrupt checkpoints give clear errors', () => {
  const m = tiny();
  const good = saveCheckpoint(m, { step: 0 });
  assert.throws(() => loadCheckpoint(good.subarray(0, good.length - 3)), SafetensorsError);
  assert.throws(
    () => loadCheckpoint(encodeSafetensors({ w: { shape: [1], data: new Float32Array(1) } })),
    /not a recur checkpoint/,
  );
  assert.throws(() => loadCheckpoint(encodeSafetensors({}, { recur: '{bad' })), /not valid JSON/);
  const meta = JSON.stringify({ version: 1, model: m.config, step: 0 });
  assert.throws(() => loadCheckpoint(encodeSafetensors({}, { recur: meta })), /lacks parameter/);
  assert.throws(
    () =>
      loadCheckpoint(encodeSafetensors({}, { recur: JSON.stringify({ version: 1, model: { cell: 'xyz' }, step: 0 }) })),
    /checkpoint metadata: model\.hiddenSize must be an integer/,
  );
  const real: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const p of m.params.list) real[p.name] = { shape: [...p.shape], data: Float32Array.from(p.data) };
  const xyz = JSON.stringify({ version: 1, model: { ...m.config, cell: 'xyz' }, step: 0 });
  assert.throws(
    () => loadCheckpoint(encodeSafetensors(real, { recur: xyz })),
    /unknown cell 'xyz'; expected one of rnn/,
  );
  const sd: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const p of m.params.list)
    sd[p.name] = { shape: p.shape.map((d) => d + 1), data: new Float32Array(p.shape.reduce((a, d) => a * (d + 1), 1)) };
  assert.throws(
    () => loadCheckpoint(encodeSafetensors(sd, { recur: meta })),
    /says hiddenSize 8, but tensor 'rnn.weight_hh_l0' gives 9: the metadata and the tensors disagree/,
  );
});

test('a fresh softmax model starts near ln V (char-rnn sanity check)', () => {
  const V = 65;
  const m = new SequenceModel({
    cell: 'lstm',
    vocabSize: V,
    embedDim: 16,
    hiddenSize: 32,
    outputSize: V,
    head: 'every',
    loss: 'xent',
    seed: 7,
  });
  const T = 10,
    B = 4,
    rng = new Rng(1);
  const ids = Int32Array.from({ length: T * B }, () => rng.int(V));
  const r = m.loss(m.predict({ T, B, ids, y: ids }), { T, B, ids, y: ids });
  assert.ok(Math.abs(r.loss - Math.log(V)) < 0.15, `initial loss ${r.loss} vs ln V ${Math.log(V)}`);
});

const ONE_TRAINER =
  'one Trainer for any Trainable: clipping, the guard, the schedule, constrain and hooks hold for a custom model';
test(ONE_TRAINER, () => {
  // A two-parameter quadratic, loss = 0.5 |p - target|^2, as a plain object: no SequenceModel involved.
  const params = new Params('float64');
  const p = params.declare('p', [2], (a) => a.fill(0));
  params.allocate(new Rng(0));
  const target = [3, -4];
  let constrained = 0,
    poison = false;
  const model: Trainable<number[]> = {
    params,
    validate: (b) => {
      if (b.length !== 2) throw new RangeError('a batch is two numbers');
    },
    lossAndGrad: (scale) => {
      let loss = 0;
      for (let i = 0; i < 2; i++) {
        const d = p.data[i]! - target[i]! * scale[i]!;
        p.grad[i] += poison ? Number.NaN : d;
        loss += 0.5 * d * d;
      }
      return { loss, count: 1 };
    },
    constrain: () => {
      constrained++;
    },
  };
  const seen: StepInfo[] = [];
  const tr = new Trainer(model, new SGD(params, { lr: 0.5 }), {
    clipNorm: 1,
    schedule: { type: 'step', every: 2, gamma: 0.5 },
    onStep: (i) => seen.push(i),
  });
  const first = tr.train([1, 1]);
  assert.equal(first.gradNorm, 5, '|(-3, 4)| before clipping');
  assert.ok(first.clipped);
  assert.ok(Math.abs(p.data[0]! - 0.3) < 1e-6 && Math.abs(p.data[1]! + 0.4) < 1e-6, 'clipped to norm 1, lr 0.5');
  tr.train([1, 1]);
  assert.equal(tr.train([1, 1]).lr, 0.25, 'the step schedule halves the rate at step 2');
  poison = true;
  const bad = tr.train([1, 1]);
  assert.ok(bad.skipped && tr.skippedSteps === 1, 'a NaN gradient skips the update');
  assert.equal(constrained, 3, 'constrain runs after each applied update, not after a skipped one');
  assert.equal(seen.length, 4);
  assert.throws(() => tr.train([1]), /a batch is two numbers/, 'validate rejects bad data before anything runs');
  const strict = new Trainer(model, new SGD(params, { lr: 0.5 }), { nonFinite: 'strict' });
  assert.throws(() => strict.train([1, 1]), NonFiniteError);
});

const OVERLAP =
  'truncated BPTT with overlapping windows counts each step once (skip), for MSE heads too, without touching targets';
test(OVERLAP, () => {
  const m = new SequenceModel({
    cell: 'gru',
    inputSize: 2,
    hiddenSize: 5,
    outputSize: 1,
    head: 'every',
    loss: 'mse',
    seed: 3,
  });
  const B = 2,
    L = 12;
  const x = Float32Array.from(randn(L * B * 2, 1)),
    y = Float32Array.from(randn(L * B, 2));
  const windows: { a: number; count: number }[] = [];
  const slice = (a: number, b: number): Batch => ({
    T: b - a,
    B,
    x: x.subarray(a * B * 2, b * B * 2),
    y: y.subarray(a * B, b * B),
  });
  const yBefore = Float32Array.from(y);
  const tr = new Trainer(m, new SGD(m.params, { lr: 0 }), {
    onStep: (i) => windows.push({ a: i.step, count: i.count }),
  });
  new TruncatedBPTT(tr, 4, 8).run(slice, 12);
  // Windows [0,4), [0,8) (4 steps already counted), [4,12) (4 already counted): 4 new steps each.
  assert.deepEqual(
    windows.map((w) => w.count),
    [4 * B, 4 * B, 4 * B],
  );
  assert.deepEqual(y, yBefore, "the caller's targets are never written");
});

test('float64 models carry their state in float64 (truncated BPTT loses no precision)', () => {
  const cfg = {
    cell: 'lstm' as const,
    inputSize: 2,
    hiddenSize: 4,
    outputSize: 1,
    head: 'every' as const,
    loss: 'mse' as const,
    dtype: 'float64' as const,
    seed: 4,
  };
  const a = new SequenceModel(cfg),
    b = new SequenceModel(cfg);
  const T = 6,
    B = 2,
    x = Float64Array.from(randn(T * B * 2, 5)),
    y = new Float64Array(T * B);
  const whole = a.predict({ T, B, x, y });
  b.advance({ T: 3, B, x: x.subarray(0, 3 * B * 2), y: y.subarray(0, 3 * B) });
  const st = b.getState();
  assert.ok(st.h instanceof Float64Array && st.c instanceof Float64Array);
  b.setState(st);
  const tail = b.predict({ T: 3, B, x: x.subarray(3 * B * 2), y: y.subarray(3 * B) }, { carry: true });
  assert.deepEqual(Array.from(tail.data), Array.from(whole.data.subarray(3 * B)), 'bit-identical to one pass');
});
