// Whole training runs on the GPU against the CPU path, through the same Trainer: every optimiser,
// clipping by norm and by value, schedules, per-sequence lengths, bidirectional and stacked
// layers of every cell, learned and carried initial state (truncated BPTT, overlapping windows
// too), IndRNN's bound, the non-finite guard, and checkpoints that move between the two. Losses,
// gradient norms and parameters agree to 1e-4 relative. Runs on any WebGPU adapter (CI: Mesa's
// llvmpipe, small sizes); skips, saying why, without one.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NonFiniteError,
  SequenceModel,
  Trainer,
  TruncatedBPTT,
  loadCheckpoint,
  makeOptimizer,
  saveCheckpoint,
  type Batch,
  type OptimizerSpec,
  type SequenceModelConfig,
  type StepInfo,
  type TrainerOptions,
} from 'recur-rnn';
import { GpuSequenceModel } from 'recur-rnn/webgpu';
import { close, openTestGpu, r32 } from './gpu.js';

const { ctx, skip } = await openTestGpu();
after(() => ctx?.destroy());
const TOL = 1e-4;

/** A batch for `cfg` of T x B with targets for its head and loss (seeded; lengths optional). */
function batch(cfg: SequenceModelConfig, T: number, B: number, seed: number, lengths?: number[]): Batch {
  const N = cfg.head === 'last' ? B : T * B,
    O = cfg.outputSize;
  const x = cfg.vocabSize ? undefined : r32(T * B * cfg.inputSize!, seed);
  const ids = cfg.vocabSize ? Array.from({ length: T * B }, (_, i) => (i * 7 + seed * 3) % cfg.vocabSize!) : undefined;
  const y =
    cfg.loss === 'mse'
      ? r32(N * O, seed + 1000)
      : Array.from({ length: N }, (_, i) => (i % 9 === 4 ? -1 : (i * 5 + seed) % O));
  return { T, B, x, ids, y, lengths };
}

function near(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= TOL * Math.max(1e-3, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

function sameStep(g: StepInfo, c: StepInfo, what: string): void {
  near(g.loss, c.loss, `${what}: loss`);
  near(g.gradNorm, c.gradNorm, `${what}: gradient norm`);
  assert.equal(g.count, c.count, `${what}: count`);
  assert.equal(g.clipped, c.clipped, `${what}: clipped`);
  assert.equal(g.skipped, c.skipped, `${what}: skipped`);
  assert.equal(g.lr, c.lr, `${what}: learning rate`);
  if (c.correct !== undefined) assert.equal(g.correct, c.correct, `${what}: correct`);
}

/** The same model, optimiser and options on the CPU and on the GPU. */
function pair(cfg: SequenceModelConfig, spec: OptimizerSpec, opts: TrainerOptions = {}) {
  const cm = new SequenceModel(cfg, 'ts'),
    gm = new SequenceModel(cfg, 'ts'),
    gpu = new GpuSequenceModel(ctx!, gm);
  const cpu = new Trainer(cm, makeOptimizer(cm.params, spec), opts);
  const dev = new Trainer(gpu, makeOptimizer(gm.params, spec), opts);
  return { cm, gm, gpu, cpu, dev };
}

/** Trains both for `steps` steps on the same batches; compares every step and the parameters at the end. */
async function run(
  cfg: SequenceModelConfig,
  spec: OptimizerSpec,
  opts: TrainerOptions,
  mk: (step: number) => Batch,
  steps = 3,
) {
  const p = pair(cfg, spec, opts);
  for (let s = 0; s < steps; s++) {
    const b = mk(s);
    sameStep(await p.dev.trainAsync(b), p.cpu.train(b), `step ${s}`);
  }
  await p.gpu.pull();
  close(p.gm.params.data, p.cm.params.data, TOL, 'parameters');
  for (const [k, a] of Object.entries(p.cpu.optimizer.state()))
    close(p.dev.optimizer.state()[k]!, a, TOL, `optimiser state ${k}`);
  assert.equal(p.dev.optimizer.t, p.cpu.optimizer.t, 'optimiser steps');
  assert.equal(p.dev.clipEvents, p.cpu.clipEvents, 'clip events');
  return p;
}

const lstmTokens: SequenceModelConfig = {
  cell: 'lstm',
  vocabSize: 7,
  embedDim: 5,
  hiddenSize: 9,
  outputSize: 7,
  head: 'every',
  loss: 'xent',
  seed: 2,
};

describe('GPU training vs the CPU path, through the one Trainer', { skip }, () => {
  const optimisers: [string, OptimizerSpec, TrainerOptions][] = [
    ['SGD', { type: 'sgd', lr: 0.5 }, {}],
    [
      'SGD, momentum, Nesterov, weight decay',
      { type: 'sgd', lr: 0.3, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
      {},
    ],
    [
      'RMSProp, weight decay, step schedule',
      { type: 'rmsprop', lr: 0.01, weightDecay: 0.01 },
      { schedule: { type: 'step', every: 2, gamma: 0.5 } },
    ],
    [
      'Adam, cosine schedule with warm-up',
      { type: 'adam', lr: 0.02 },
      { schedule: { type: 'cosine', total: 4, warmup: 1 } },
    ],
    ['AdamW', { type: 'adamw', lr: 0.02, weightDecay: 0.1 }, {}],
  ];
  for (const [name, spec, opts] of optimisers)
    test(`${name}: LSTM over tokens, every step, cross-entropy`, async () => {
      await run(lstmTokens, spec, opts, (s) => batch(lstmTokens, 5, 3, s), 4);
    });

  const gruDense: SequenceModelConfig = {
    cell: 'gru',
    inputSize: 3,
    hiddenSize: 17,
    outputSize: 2,
    head: 'last',
    loss: 'mse',
    seed: 3,
  };
  test('clipping by global norm (every step clipped) and by value', async () => {
    const p = await run(gruDense, { type: 'sgd', lr: 0.1, momentum: 0.5 }, { clipNorm: 0.05 }, (s) =>
      batch(gruDense, 6, 4, s),
    );
    assert.equal(p.dev.clipEvents, 3);
    await run(gruDense, { type: 'adam', lr: 0.01 }, { clipValue: 0.01, clipNorm: 10 }, (s) => batch(gruDense, 6, 4, s));
  });

  const lengths = [6, 1, 4, 6, 3]; // different rows end early in each step
  const rotate = (a: number[], s: number) => a.map((_, i) => a[(i + s) % a.length]!);
  for (const head of ['last', 'every'] as const)
    for (const cell of ['rnn', 'gru'] as const) {
      const cfg: SequenceModelConfig = {
        cell,
        inputSize: 2,
        hiddenSize: 11,
        numLayers: 2,
        outputSize: 3,
        head,
        loss: 'mse',
        seed: 4,
      };
      test(`per-sequence lengths: ${cell}, 2 layers, head '${head}'`, async () => {
        await run(cfg, { type: 'sgd', lr: 0.2 }, {}, (s) => batch(cfg, 6, 5, s, rotate(lengths, s)));
      });
    }

  for (const cell of ['rnn', 'lstm', 'gru', 'indrnn'] as const) {
    const cfg: SequenceModelConfig = {
      cell,
      inputSize: 3,
      hiddenSize: 7,
      numLayers: 2,
      bidirectional: true,
      outputSize: 4,
      head: 'every',
      loss: 'xent',
      seed: 5,
      initialState: cell === 'lstm' || cell === 'indrnn' ? 'learned' : 'zero',
      ...(cell === 'indrnn' ? { recurrentMaxAbs: 1.05 } : {}),
    };
    const learned = cfg.initialState === 'learned' ? ', learned initial state' : '';
    test(`bidirectional, 2 layers: ${cell}${learned}, lengths`, async () => {
      await run(cfg, { type: 'adam', lr: 0.05 }, { clipNorm: 1 }, (s) => batch(cfg, 5, 3, s, rotate([5, 2, 4], s)));
    });
  }

  test('learned initial state (h and c) and IndRNN whose bound binds', async () => {
    const lstm: SequenceModelConfig = { ...lstmTokens, initialState: 'learned', numLayers: 2 };
    const p = await run(lstm, { type: 'sgd', lr: 0.5 }, {}, (s) => batch(lstm, 4, 3, s));
    assert.ok(
      p.cm.params.get('rnn.initial_c').data.some((v) => v !== 0),
      'initial_c learned',
    );
    const ind: SequenceModelConfig = {
      cell: 'indrnn',
      inputSize: 2,
      hiddenSize: 13,
      outputSize: 1,
      head: 'last',
      loss: 'mse',
      seed: 6,
      recurrentMaxAbs: 0.6,
      nonlinearity: 'tanh',
    };
    const q = await run(ind, { type: 'sgd', lr: 2 }, {}, (s) => batch(ind, 5, 4, s));
    const u = q.gm.params.get('rnn.weight_hh_l0').data;
    assert.ok(
      u.some((v) => Math.abs(v) === Math.fround(0.6)),
      'some |u| at the bound',
    );
  });

  test('carried state: truncated BPTT over token streams (k1 = k2, and overlapping k1 = 3, k2 = 5)', async () => {
    const cfg: SequenceModelConfig = { ...lstmTokens, cell: 'gru', numLayers: 2 };
    const B = 3,
      total = 11,
      stream = Int32Array.from({ length: (total + 1) * B }, (_, i) => (i * 5 + (i >> 2)) % 7);
    const slice = (a: number, e: number): Batch => ({
      T: e - a,
      B,
      ids: stream.subarray(a * B, e * B),
      y: Float32Array.from(stream.subarray((a + 1) * B, (e + 1) * B)),
    });
    for (const [k1, k2] of [
      [4, 4],
      [3, 5],
    ]) {
      const p = pair(cfg, { type: 'adam', lr: 0.02 }, { clipNorm: 2 });
      const want = new TruncatedBPTT(p.cpu, k1!, k2!).run(slice, total);
      const got = await new TruncatedBPTT(p.dev, k1!, k2!).runAsync(slice, total);
      assert.equal(got.length, want.length);
      got.forEach((g, i) => sameStep(g, want[i]!, `k1=${k1} k2=${k2} update ${i}`));
      const sg = await p.gpu.getStateAsync(),
        sc = p.cm.getState();
      close(sg.h!, sc.h!, TOL, 'carried state');
      await p.gpu.pull();
      close(p.gm.params.data, p.cm.params.data, TOL, 'parameters');
      close(p.gm.getState().h!, sc.h!, TOL, 'carried state on the host after pull');
      p.gpu.destroy();
    }
  });

  test('a non-finite gradient skips the update on the device and is counted; strict mode throws', async () => {
    const p = pair(gruDense, { type: 'adam', lr: 0.01 }, { clipNorm: 1 });
    const b = batch(gruDense, 4, 3, 1);
    await p.dev.trainAsync(b);
    await p.gpu.pull();
    p.gm.params.data[0] = Number.NaN; // a poisoned weight: only the gradient shows it
    p.gpu.push();
    const before = Float32Array.from(await p.gpu.readParams());
    const t = p.dev.optimizer.t;
    const info = await p.dev.trainAsync(b);
    assert.ok(info.skipped && p.dev.skippedSteps === 1 && !Number.isFinite(info.gradNorm));
    assert.deepEqual(await p.gpu.readParams(), before, 'nothing updated');
    assert.equal(p.dev.optimizer.t, t, 'the optimiser did not step');
    const strict = new Trainer(p.gpu, p.dev.optimizer, { nonFinite: 'strict' });
    await assert.rejects(strict.trainAsync(b), NonFiniteError);
    p.gpu.destroy();
  });

  test('an update that overflows is undone on the device, as the after-update guard does on the CPU', async () => {
    const p = pair(gruDense, { type: 'adam', lr: 1e40 }, {});
    const b = batch(gruDense, 4, 3, 2);
    const before = Float32Array.from(p.gm.params.data);
    const [g, c] = [await p.dev.trainAsync(b), p.cpu.train(b)];
    sameStep(g, c, 'overflowing update');
    assert.ok(g.skipped && p.dev.skippedSteps === 1 && Number.isFinite(g.gradNorm), 'skipped with a finite gradient');
    assert.deepEqual(await p.gpu.readParams(), before, 'parameters restored');
    await p.gpu.pull();
    assert.ok(p.dev.optimizer.t === 0 && Object.values(p.dev.optimizer.state()).every((a) => a.every((v) => v === 0)));
    const strict = new Trainer(p.gpu, p.dev.optimizer, { nonFinite: 'strict' });
    await assert.rejects(strict.trainAsync(b), /made parameters or optimiser state non-finite; they are restored/);
    p.gpu.destroy();
  });

  test('checkpoints move between the GPU and the CPU (optimiser state and step count included)', async () => {
    const cfg = lstmTokens,
      spec: OptimizerSpec = { type: 'adam', lr: 0.02 };
    const mk = (s: number) => batch(cfg, 5, 3, s);
    // reference: 6 steps on the CPU
    const ref = new SequenceModel(cfg, 'ts'),
      refTr = new Trainer(ref, makeOptimizer(ref.params, spec));
    const refInfo: StepInfo[] = [];
    for (let s = 0; s < 6; s++) refInfo.push(refTr.train(mk(s)));
    // 2 steps on the GPU, checkpoint, 2 on the CPU, checkpoint, 2 on the GPU
    let model = new SequenceModel(cfg, 'ts'),
      opt = makeOptimizer(model.params, spec);
    for (let leg = 0; leg < 3; leg++) {
      const gpuLeg = leg !== 1;
      const gpu = gpuLeg ? new GpuSequenceModel(ctx!, model) : null;
      const tr = new Trainer(gpu ?? model, opt);
      tr.step = 2 * leg;
      for (let s = 2 * leg; s < 2 * leg + 2; s++) {
        const info = gpu ? await tr.trainAsync(mk(s)) : tr.train(mk(s));
        sameStep(info, refInfo[s]!, `leg ${leg} step ${s}`);
      }
      await gpu?.pull();
      gpu?.destroy();
      const ck = loadCheckpoint(saveCheckpoint(model, { step: tr.step }, { opt, spec }));
      model = ck.model;
      opt = ck.optimizer!;
    }
    close(model.params.data, ref.params.data, TOL, 'parameters after GPU -> CPU -> GPU');
    assert.equal(opt.t, 6);
  });

  test('predictions, dispatch count, and what the GPU model refuses', async () => {
    const cfg: SequenceModelConfig = { ...gruDense, numLayers: 2, head: 'every', bidirectional: true };
    const gm = new SequenceModel(cfg, 'ts'),
      gpu = new GpuSequenceModel(ctx!, gm);
    const b = batch(cfg, 5, 3, 9, [5, 2, 4]);
    close(await gpu.predict(b), gm.predict(b).data, 1e-5, 'predict');
    assert.ok(gpu.dispatches > 2 * 5 * 2, 'every time step of every layer and direction is a dispatch');
    await assert.rejects(gpu.predict({ T: 2, B: 1, x: new Float32Array(3), y: [] }), /expected x of 6 values/);
    await assert.rejects(gpu.predict({ ...b, lengths: [5, 0, 4] }), /lengths\[1\] = 0 is out of range/);
    const tr = new Trainer(gpu, makeOptimizer(gm.params, { type: 'sgd', lr: 0.1 }));
    await assert.rejects(tr.trainAsync({ ...b, y: Array.from(b.y).slice(1) }), /expected 30 targets/);
    assert.throws(() => tr.train(b), /trainAsync/);
    assert.throws(() => gpu.getState(), /getStateAsync/);
    assert.throws(() => new GpuSequenceModel(ctx!, new SequenceModel({ ...cfg, dtype: 'float64' })), /must be float32/);
    assert.throws(
      () => new Trainer(gpu, makeOptimizer(gm.params, { type: 'sgd', lr: 0.1 }), { grads: gm }),
      /computes its own gradients/,
    );
    gpu.destroy();
  });
});
