// Data-parallel training (recur/parallel): the batch split over worker threads gives the
// full-batch gradient (float32 tolerance against one thread), the same bits on every run
// with the same thread count, trains like one thread, allocates nothing per step, and
// reports a worker's bad input as the error the caller would have got.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Batch, SGD, SequenceModel, type SequenceModelConfig, Trainer } from 'recur-rnn';
import { dataParallel } from 'recur-rnn/parallel';
import { randn, relErr } from '../helpers.js';

const T = 9;
const CASES: { name: string; cfg: SequenceModelConfig; batch: (B: number) => Batch }[] = [
  {
    name: 'lstm dense, last step, mse',
    cfg: { cell: 'lstm', inputSize: 3, hiddenSize: 12, outputSize: 2, head: 'last', loss: 'mse', seed: 5 },
    batch: (B) => ({
      T,
      B,
      x: randn(T * B * 3, 1, 1, false) as Float32Array,
      y: randn(B * 2, 2, 1, false) as Float32Array,
    }),
  },
  {
    name: 'gru tokens, every step, xent, lengths and ignored targets',
    cfg: {
      cell: 'gru',
      vocabSize: 13,
      embedDim: 4,
      hiddenSize: 10,
      outputSize: 13,
      head: 'every',
      loss: 'xent',
      seed: 6,
    },
    batch: (B) => ({
      T,
      B,
      ids: Int32Array.from({ length: T * B }, (_, i) => (i * 7 + 3) % 13),
      y: Int32Array.from({ length: T * B }, (_, i) => (i % 4 === 1 ? -1 : (i * 5) % 13)),
      lengths: Int32Array.from({ length: B }, (_, b) => 1 + ((b * 5) % T)),
    }),
  },
  {
    name: 'rnn dense, every step, mse with lengths',
    cfg: { cell: 'rnn', inputSize: 2, hiddenSize: 8, outputSize: 3, head: 'every', loss: 'mse', seed: 7 },
    batch: (B) => ({
      T,
      B,
      x: randn(T * B * 2, 3, 1, false) as Float32Array,
      y: randn(T * B * 3, 4, 1, false) as Float32Array,
      lengths: Int32Array.from({ length: B }, (_, b) => T - (b % 3)),
    }),
  },
];

function oneThread(cfg: SequenceModelConfig, b: Batch): { loss: number; grad: Float32Array } {
  const m = new SequenceModel(cfg);
  m.params.zeroGrad();
  const r = m.lossAndGrad(b);
  return { loss: r.loss, grad: Float32Array.from(m.params.grad) };
}

for (const c of CASES) {
  test(`data-parallel gradient equals the full-batch gradient: ${c.name}`, async () => {
    for (const [threads, B] of [
      [2, 6],
      [3, 7],
      [2, 1],
    ] as const) {
      const b = c.batch(B),
        ref = oneThread(c.cfg, b);
      const m = new SequenceModel(c.cfg);
      const dp = await dataParallel(m, { threads });
      try {
        const r = dp.lossAndGrad(b);
        assert.ok(
          Math.abs(r.loss - ref.loss) <= 1e-6 * Math.abs(ref.loss),
          `threads ${threads}, B ${B}: loss ${r.loss} vs ${ref.loss}`,
        );
        const e = relErr(m.params.grad, ref.grad);
        assert.ok(e <= 1e-5, `threads ${threads}, B ${B}: gradient relative error ${e}`);
        dp.lossAndGrad(b); // a second step on the same shapes: same result
        assert.ok(relErr(m.params.grad, ref.grad) <= 1e-5);
      } finally {
        await dp.close();
      }
    }
  });
}

test('two threads: the same bits on every run; training follows the one-thread run', async () => {
  const c = CASES[1]!,
    b = c.batch(8);
  const run = async (threads: number) => {
    const m = new SequenceModel(c.cfg);
    const dp = await dataParallel(m, { threads });
    const tr = new Trainer(m, new SGD(m.params, { lr: 0.1 }), { grads: dp, clipNorm: 5 });
    try {
      const losses = Array.from({ length: 15 }, () => tr.train(b).loss);
      return { losses, params: Float32Array.from(m.params.data) };
    } finally {
      await dp.close();
    }
  };
  const a = await run(2),
    a2 = await run(2),
    one = await run(1);
  assert.deepEqual(a2.losses, a.losses);
  assert.deepEqual(a2.params, a.params);
  for (let i = 0; i < 15; i++)
    assert.ok(
      Math.abs(a.losses[i]! - one.losses[i]!) <= 1e-4 * one.losses[i]!,
      `step ${i}: ${a.losses[i]} vs ${one.losses[i]}`,
    );
  assert.ok(a.losses[14]! < a.losses[0]!, 'the loss goes down');
});

test('a data-parallel step allocates nothing in steady state (JS heap flat over 300 steps)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const c = CASES[0]!,
    b = c.batch(8);
  const m = new SequenceModel(c.cfg);
  const dp = await dataParallel(m, { threads: 2 });
  try {
    for (let i = 0; i < 50; i++) dp.lossAndGrad(b);
    // A per-step allocation grows the heap in every window; one-off growth (the JIT settling
    // while other test files load the machine) does not: pass when one of three windows is flat.
    const growth: string[] = [];
    for (let w = 0; w < 3; w++) {
      gc();
      gc();
      const before = process.memoryUsage();
      for (let i = 0; i < 300; i++) dp.lossAndGrad(b);
      gc();
      gc();
      const after = process.memoryUsage();
      const heap = after.heapUsed - before.heapUsed,
        bufs = after.arrayBuffers - before.arrayBuffers;
      if (heap <= 256 * 1024 && bufs <= 64 * 1024) return;
      growth.push(`heap +${heap} B, ArrayBuffers +${bufs} B`);
    }
    assert.fail(`memory grew in every window of 300 steps: ${growth.join('; ')}`);
  } finally {
    await dp.close();
  }
});

test("bad input in a worker shard comes back as the caller's error; unsupported uses are refused", async () => {
  const c = CASES[1]!,
    b = c.batch(6);
  const m = new SequenceModel(c.cfg);
  await assert.rejects(dataParallel(m, { threads: 0 }), RangeError);
  await assert.rejects(
    dataParallel(new SequenceModel({ ...CASES[0]!.cfg, dtype: 'float64' }), { threads: 2 }),
    /float32/,
  );
  const dp = await dataParallel(m, { threads: 2 });
  try {
    const bad = { ...b, ids: Int32Array.from(b.ids!) };
    bad.ids[bad.ids.length - 1] = 99; // last row of the last step: the worker's shard
    assert.throws(
      () => dp.lossAndGrad(bad),
      (e: Error) => e instanceof RangeError && /id 99/.test(e.message),
    );
    const r = dp.lossAndGrad(b); // still usable after an error
    assert.ok(Number.isFinite(r.loss));
  } finally {
    await dp.close();
  }
  assert.throws(() => dp.lossAndGrad(b), /after close/);
  assert.throws(() => dp.resetState(), /after close/);
});
