// RecurrentModel.fitAsync with the steps on the GPU (`device`: a GpuSequenceModel over model.net)
// against fit on the CPU, same seed, through the one epoch loop and Trainer: per-epoch training
// and validation numbers to 1e-4 relative for every task (classify, regress, tag, forecast),
// early stopping that restores the best epoch on both sides (and on the device), reduce on plateau,
// and the models predicting the same after a round trip through their files. Needs a WebGPU adapter
// (CI: Mesa's llvmpipe); skips, saying why, without one.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type FitData, type FitOptions, type History, RecurrentModel, type RecurrentModelConfig } from 'recur-rnn';
import { GpuSequenceModel } from 'recur-rnn/webgpu';
import { openTestGpu } from './gpu.js';

const { ctx, skip } = await openTestGpu();
after(() => ctx?.destroy());
const TOL = 1e-4;

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
}

/** Ragged 2-feature sequences (2..7 steps): the sign of the sum of feature 1, and a value from it. */
function signData(n: number, seed: number) {
  const r = lcg(seed),
    x: number[][][] = [],
    y: string[] = [],
    v: number[][] = [];
  for (let i = 0; i < n; i++) {
    const seq = Array.from({ length: 2 + Math.floor(r() * 6) }, () => [100 + 10 * (r() - 0.5), r() - 0.5]);
    const sum = seq.reduce((a, s) => a + s[1]!, 0);
    x.push(seq);
    y.push(sum > 0 ? 'pos' : 'neg');
    v.push([1000 + 50 * sum, seq.length]);
  }
  return { x, y, v };
}

function near(a: number | undefined, b: number | undefined, what: string): void {
  assert.ok(a !== undefined && b !== undefined, `${what}: ${a} vs ${b}`);
  assert.ok(Math.abs(a - b) <= TOL * Math.max(1e-3, Math.abs(b)), `${what}: ${a} (GPU) vs ${b} (CPU)`);
}

function sameHistory(g: History, c: History, what: string): void {
  assert.equal(g.epochs.length, c.epochs.length, `${what}: epochs`);
  assert.deepEqual(
    [g.stopped, g.bestEpoch, g.restored, g.steps, g.monitor],
    [c.stopped, c.bestEpoch, c.restored, c.steps, c.monitor],
    `${what}: how it ended`,
  );
  near(g.best, c.best, `${what}: best`);
  c.epochs.forEach((ce, i) => {
    const ge = g.epochs[i]!;
    assert.deepEqual(Object.keys(ge).sort(), Object.keys(ce).sort(), `${what}: epoch ${i + 1} keys`);
    for (const k of Object.keys(ce)) near(ge[k], ce[k], `${what}: epoch ${i + 1} ${k}`);
  });
}

/** The same model and fit on the CPU (`fit`) and with the steps on the GPU (`fitAsync` + device). */
async function both(cfg: RecurrentModelConfig, data: FitData, opts: FitOptions) {
  const cpu = new RecurrentModel(cfg),
    gpu = new RecurrentModel(cfg);
  const hc = cpu.fit(data, { ...opts, backend: 'ts' });
  const split = { validationSplit: opts.validationSplit, validationData: opts.validationData, seed: opts.seed };
  const dev = new GpuSequenceModel(ctx!, gpu.build(data, { ...split, backend: 'ts' }));
  try {
    const hg = await gpu.fitAsync(data, { ...opts, device: dev, pause: async () => {} });
    // The device holds what the host holds at the end (after a restore too: it was pushed back).
    assert.deepEqual(await dev.readParams(), gpu.net!.params.data, 'device and host parameters at the end');
    return { cpu, gpu, hc, hg };
  } finally {
    dev.destroy();
  }
}

/** Both models' predictions on `x` (and those of the GPU model after a round trip through its file). */
function samePredictions(cpu: RecurrentModel, gpu: RecurrentModel, x: FitData, what: string): void {
  const xs = 'series' in x ? x.series : x.x;
  const pc = cpu.predict(xs as never),
    pg = RecurrentModel.fromBytes(gpu.toBytes()).predict(xs as never);
  assert.equal(pg.length, pc.length);
  let worst = 0,
    scale = 1e-6;
  pc.forEach((p, i) =>
    p.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(pg[i]![j]! - v));
      scale = Math.max(scale, Math.abs(v));
    }),
  );
  assert.ok(worst <= TOL * scale, `${what}: predictions differ by ${worst} (scale ${scale})`);
}

describe('fitAsync on the GPU vs fit on the CPU, the same loop and Trainer', { skip }, () => {
  test('classify ragged dense sequences: Adam, clipping, cosine schedule, warm-up, a validation split', async () => {
    const d = signData(48, 1),
      data = { x: d.x, y: d.y };
    const { cpu, gpu, hc, hg } = await both({ task: 'classify', cell: 'lstm', hiddenSize: 8, seed: 3 }, data, {
      epochs: 3,
      batchSize: 8,
      lr: 0.02,
      clipNorm: 0.5,
      schedule: 'cosine',
      warmup: 3,
      validationSplit: 0.25,
      seed: 4,
    });
    sameHistory(hg, hc, 'classify');
    assert.ok(hc.epochs[0]!.valAccuracy !== undefined && hc.epochs[0]!.accuracy !== undefined);
    samePredictions(cpu, gpu, data, 'classify');
  });

  test('regress two values with a bidirectional GRU, reduce on plateau, validation data', async () => {
    const d = signData(40, 2),
      v = signData(16, 3);
    const data = { x: d.x, y: d.v };
    const { cpu, gpu, hc, hg } = await both(
      { task: 'regress', cell: 'gru', hiddenSize: 6, bidirectional: true, seed: 5 },
      data,
      {
        epochs: 5,
        batchSize: 10,
        optimizer: { type: 'sgd', lr: 0.2, momentum: 0.9 },
        validationData: { x: v.x, y: v.v },
        reduceLrOnPlateau: { patience: 1, factor: 0.5 },
      },
    );
    sameHistory(hg, hc, 'regress');
    assert.ok(hc.epochs.at(-1)!.lr < 0.2, `the plateau lowered the rate: ${hc.epochs.map((e) => e.lr)}`);
    assert.ok(hc.epochs[0]!.valRmse !== undefined);
    samePredictions(cpu, gpu, data, 'regress');
  });

  test('tag the steps of ragged text (tokens, head on every step, padding masked), RMSProp', async () => {
    const r = lcg(7),
      x: string[] = [],
      y: string[][] = [];
    for (let i = 0; i < 30; i++) {
      const s = Array.from({ length: 1 + Math.floor(r() * 6) }, () => 'abc'[Math.floor(r() * 3)]).join('');
      x.push(s);
      y.push([...s].map((ch, t) => (ch === 'a' || (t > 0 && s[t - 1] === 'a') ? 'A' : 'o')));
    }
    const data = { x, y };
    const { cpu, gpu, hc, hg } = await both({ task: 'tag', cell: 'rnn', hiddenSize: 8, embedDim: 4, seed: 6 }, data, {
      epochs: 3,
      batchSize: 8,
      optimizer: { type: 'rmsprop', lr: 0.01 },
      validationSplit: 0.2,
    });
    sameHistory(hg, hc, 'tag');
    samePredictions(cpu, gpu, data, 'tag');
  });

  test('forecast windows of two series (IndRNN, two layers, horizon 2), chronological validation', async () => {
    const series = [0, 1].map((k) =>
      Array.from({ length: 60 }, (_, t) => [10 * Math.sin(0.3 * t + k), 5 * Math.cos(0.1 * t + k)]),
    );
    const data = { series };
    const { cpu, gpu, hc, hg } = await both(
      { task: 'forecast', cell: 'indrnn', numLayers: 2, hiddenSize: 6, window: 8, horizon: 2, seed: 7 },
      data,
      { epochs: 3, batchSize: 16, lr: 0.01, validationSplit: 0.25, clipValue: 0.5 },
    );
    sameHistory(hg, hc, 'forecast');
    assert.ok(hc.epochs[0]!.valRmse !== undefined);
    samePredictions(cpu, gpu, { series: series.map((s) => s.slice(0, 8)) }, 'forecast');
  });

  test('early stopping restores the best epoch on both paths, and on the device', async () => {
    const d = signData(24, 8),
      v = signData(30, 9);
    const data = { x: d.x, y: d.v };
    const { cpu, gpu, hc, hg } = await both({ task: 'regress', cell: 'lstm', hiddenSize: 12, seed: 5 }, data, {
      epochs: 30,
      batchSize: 4,
      lr: 0.05,
      validationData: { x: v.x, y: v.v },
      earlyStopping: { patience: 2 },
    });
    assert.equal(hc.stopped, 'early');
    assert.ok(hc.restored && hc.bestEpoch < hc.epochs.length, JSON.stringify(hc));
    sameHistory(hg, hc, 'early stopping');
    // both models are now the best epoch's: their validation loss is the best one seen
    near(gpu.evaluate({ x: v.x, y: v.v }).loss, hc.best, 'GPU model after the restore');
    near(cpu.evaluate({ x: v.x, y: v.v }).loss, hc.best, 'CPU model after the restore');
    samePredictions(cpu, gpu, { x: v.x, y: v.v }, 'restored');
  });

  test('a device model needs fitAsync and this model’s network', async () => {
    const d = signData(12, 10),
      data = { x: d.x, y: d.y };
    const m = new RecurrentModel({ task: 'classify', hiddenSize: 4, seed: 1 });
    const dev = new GpuSequenceModel(ctx!, m.build(data));
    try {
      assert.throws(() => m.fit(data, { epochs: 1, device: dev }), /asynchronously: use fitAsync/);
      const other = new RecurrentModel({ task: 'classify', hiddenSize: 4, seed: 1 });
      await assert.rejects(other.fitAsync(data, { epochs: 1, device: dev }), /must train this model's network/);
    } finally {
      dev.destroy();
    }
  });
});
