// Data-parallel truncated BPTT: each thread carries its own rows' state across windows, so a
// char-LM trained over a stream on 2 or 3 threads follows the one-thread run (float32
// summation order apart), gives the same bits on every run, and the state gathers into
// [L*D, B, H] and scatters back exactly (what checkpoints and resume need).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Batch, SGD, SequenceModel, type SequenceModelConfig, Trainer, TruncatedBPTT } from 'recur-rnn';
import { dataParallel, modelRngs, shardConfig } from 'recur-rnn/parallel';
import { relErr } from '../helpers.js';

const V = 11,
  B = 6,
  N = 40;
const CFG: SequenceModelConfig = {
  cell: 'lstm',
  vocabSize: V,
  embedDim: 5,
  hiddenSize: 9,
  numLayers: 2,
  outputSize: V,
  head: 'every',
  loss: 'xent',
  seed: 4,
};
// B parallel streams, time-major [N+1, B]: a deterministic pattern with some memory in it.
const stream = Int32Array.from({ length: (N + 1) * B }, (_, i) => {
  const t = Math.floor(i / B),
    b = i % B;
  return (t * (b + 2) + ((t * t) % 7) + b) % V;
});
const slice = (a: number, e: number): Batch => ({
  T: e - a,
  B,
  ids: stream.subarray(a * B, e * B),
  y: Int32Array.from(stream.subarray((a + 1) * B, (e + 1) * B)),
});

async function train(threads: number, cfg: SequenceModelConfig, k1: number, k2: number) {
  const m = new SequenceModel(cfg);
  const dp = await dataParallel(m, { threads });
  try {
    // SGD: an update linear in the gradient, so rounding differences stay at float32 level (Adam's
    // first steps divide tiny gradients by their own size and would amplify them)
    const tr = new Trainer(dp, new SGD(m.params, { lr: 0.2, momentum: 0.9 }), { clipNorm: 5 });
    const tb = new TruncatedBPTT(tr, k1, k2);
    const losses: number[] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      tb.reset();
      for (const info of tb.run(slice, N)) losses.push(info.loss);
    }
    const st = dp.getState();
    return { losses, params: Float32Array.from(m.params.data), h: st.h!, c: st.c! };
  } finally {
    await dp.close();
  }
}

for (const [k1, k2] of [
  [8, 8],
  [5, 9],
] as const) {
  test(`TBPTT(${k1}, ${k2}) over 2 and 3 threads follows one thread; the same bits on every run`, async () => {
    const one = await train(1, CFG, k1, k2);
    for (const threads of [2, 3]) {
      const a = await train(threads, CFG, k1, k2),
        again = await train(threads, CFG, k1, k2);
      assert.deepEqual(again.losses, a.losses, `threads ${threads}: not the same bits`);
      assert.deepEqual(again.params, a.params);
      assert.equal(a.losses.length, one.losses.length);
      for (let i = 0; i < a.losses.length; i++)
        assert.ok(
          Math.abs(a.losses[i]! - one.losses[i]!) <= 2e-5 * one.losses[i]!,
          `threads ${threads}, update ${i}: ${a.losses[i]} vs ${one.losses[i]}`,
        );
      assert.ok(relErr(a.params, one.params) <= 1e-4, `threads ${threads}: params ${relErr(a.params, one.params)}`);
      assert.ok(relErr(a.h, one.h) <= 1e-4 && relErr(a.c, one.c) <= 1e-4, `threads ${threads}: carried state`);
    }
    assert.ok(one.losses.at(-1)! < one.losses[0]!, 'the loss goes down');
  });
}

test('carried state: gather [L*D, B, H] from the threads, scatter it back, reset; odd B', async () => {
  const m = new SequenceModel(CFG),
    ref = new SequenceModel(CFG);
  const dp = await dataParallel(m, { threads: 2 });
  try {
    const LD = 2,
      H = 9,
      b5 = (a: number, e: number): Batch => {
        const s = slice(a, e); // 5 of the 6 rows: shards of 3 and 2
        const pick = (x: ArrayLike<number>) =>
          Int32Array.from({ length: (e - a) * 5 }, (_, i) => x[Math.floor(i / 5) * B + (i % 5)]!);
        return { T: e - a, B: 5, ids: pick(s.ids!), y: pick(s.y) };
      };
    assert.deepEqual(dp.getState(), { h: null, c: null });
    dp.advance(b5(0, 7));
    ref.advance(b5(0, 7));
    const st = dp.getState(),
      want = ref.getState();
    assert.equal(st.h!.length, LD * 5 * H);
    assert.ok(relErr(st.h!, want.h!) <= 1e-6 && relErr(st.c!, want.c!) <= 1e-6, 'gathered state = one thread');
    // a step from the carried state equals the same step on one model with that state
    const r = dp.lossAndGrad(b5(7, 12), { carry: true });
    ref.params.zeroGrad();
    const rr = ref.lossAndGrad(b5(7, 12), { carry: true });
    assert.ok(Math.abs(r.loss - rr.loss) <= 1e-6 * rr.loss, `${r.loss} vs ${rr.loss}`);
    assert.ok(relErr(m.params.grad, ref.params.grad) <= 1e-5);
    // scatter a given state and read it back bit for bit
    const h = Float32Array.from({ length: LD * 5 * H }, (_, i) => Math.sin(i)),
      c = Float32Array.from({ length: LD * 5 * H }, (_, i) => Math.cos(i));
    dp.setState({ h, c });
    const back = dp.getState();
    assert.deepEqual(back.h, h);
    assert.deepEqual(back.c, c);
    ref.setState({ h, c });
    const r2 = dp.lossAndGrad(b5(12, 20), { carry: true });
    ref.params.zeroGrad();
    assert.ok(Math.abs(r2.loss - ref.lossAndGrad(b5(12, 20), { carry: true }).loss) <= 1e-6 * r2.loss);
    dp.resetState();
    assert.deepEqual(dp.getState(), { h: null, c: null });
    assert.throws(() => dp.setState({ h: new Float32Array(7), c: null }), /not \[2, B, 9\]/);
  } finally {
    await dp.close();
  }
});

test("dropout over threads: each shard its own masks; every thread's generators save and restore", async () => {
  const cfg: SequenceModelConfig = { ...CFG, dropout: 0.3, inputDropout: 0.1, outputDropout: 0.2 };
  assert.notEqual(shardConfig(cfg, 1).dropoutSeed, shardConfig(cfg, 2).dropoutSeed);
  assert.equal(shardConfig(cfg, 0), cfg);
  const m = new SequenceModel(cfg);
  assert.equal(modelRngs(m).length, 3); // inputs, between the 2 layers, outputs
  const dp = await dataParallel(m, { threads: 2 });
  try {
    const tr = new Trainer(dp, new SGD(m.params, { lr: 0.1 }), { clipNorm: 5 });
    const tb = new TruncatedBPTT(tr, 8, 8);
    tb.reset();
    tb.run(slice, 16);
    const saved = dp.getRngStates(),
      st = dp.getState(),
      params = Float32Array.from(m.params.data);
    assert.equal(saved.length, 2);
    assert.notDeepEqual(saved[0], saved[1], 'the shards draw from different generators');
    const next = () => tr.train(slice(16, 24), { carry: true }).loss;
    const a = next();
    // back to the saved point: the same parameters, state and generators give the same bits
    m.params.data.set(params);
    dp.setState(st);
    dp.setRngStates(saved);
    assert.equal(next(), a);
    // without restoring the generators the masks differ
    m.params.data.set(params);
    dp.setState(st);
    assert.notEqual(next(), a);
    assert.throws(() => dp.setRngStates([[]]), /expected/);
  } finally {
    await dp.close();
  }
});
