// Dropout (PyTorch's, between stacked layers, plus on inputs and outputs) and batchFirst: gradients
// by central differences in float64 with the masks held fixed, and batch-first == time-major.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CELL_NAMES,
  RecurrentStack,
  SequenceModel,
  gradCheck,
  mseLoss,
  type CellType,
  type FArray,
  type SequenceModelConfig,
} from 'recur-rnn';
import { randn } from '../helpers.js';

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** [A, Bn, F] -> [Bn, A, F]. */
function swap(src: ArrayLike<number>, A: number, Bn: number, F: number): Float64Array {
  const out = new Float64Array(A * Bn * F);
  for (let a = 0; a < A; a++)
    for (let b = 0; b < Bn; b++) for (let f = 0; f < F; f++) out[(b * A + a) * F + f] = src[(a * Bn + b) * F + f]!;
  return out;
}

for (const cell of CELL_NAMES) {
  test(`${cell}: batchFirst forward and backward equal the time-major path (bidirectional, 2 layers, lengths)`, () => {
    const T = 5,
      B = 3,
      I = 2,
      H = 3,
      lengths = [5, 2, 4];
    const o = { inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, dtype: 'float64' as const, seed: 4 };
    const tm = new RecurrentStack(cell as CellType, o);
    const bf = new RecurrentStack(cell as CellType, { ...o, batchFirst: true });
    assert.equal(bf.config.batchFirst, true);
    const xT = randn(T * B * I, 1),
      xB = swap(xT, T, B, I);
    const a = tm.forward({ shape: [T, B, I], data: xT }, { lengths });
    const b = bf.forward({ shape: [B, T, I], data: xB }, { lengths });
    assert.deepEqual(b.output.shape, [B, T, 2 * H]);
    assert.deepEqual(b.hN.shape, [4, B, H]); // states stay [L*D, B, H], as PyTorch's
    assert.deepEqual(Array.from(b.output.data), Array.from(swap(a.output.data, T, B, 2 * H)));
    assert.deepEqual(Array.from(b.hN.data), Array.from(a.hN.data));
    const gT = randn(T * B * 2 * H, 2);
    const ga = tm.backward({ output: { shape: [T, B, 2 * H], data: gT } });
    const gb = bf.backward({ output: { shape: [B, T, 2 * H], data: swap(gT, T, B, 2 * H) } });
    assert.deepEqual(gb.dx.shape, [B, T, I]);
    assert.deepEqual(Array.from(gb.dx.data), Array.from(swap(ga.dx.data, T, B, I)));
    assert.deepEqual(Array.from(bf.params.grad), Array.from(tm.params.grad));
    assert.throws(() => bf.forward({ shape: [T, B, I + 1], data: new Float64Array(T * B * (I + 1)) }), /batchFirst/);
  });
}

for (const cell of ['lstm', 'gru', 'rnn'] as CellType[]) {
  test(`${cell}: dropout between 3 stacked layers, gradient check with the masks fixed (float64)`, () => {
    const T = 4,
      B = 2,
      I = 3,
      H = 3;
    const m = new RecurrentStack(cell, {
      inputSize: I,
      hiddenSize: H,
      numLayers: 3,
      dropout: 0.4,
      dropoutSeed: 5,
      dtype: 'float64',
      seed: 2,
    });
    assert.equal(m.dropouts.length, 2);
    const x = { shape: [T, B, I], data: randn(T * B * I, 3) },
      w = randn(T * B * H, 4),
      lengths = [4, 3];
    const f = () => dot(m.forward(x, { lengths }).output.data, w);
    const first = f();
    // A new mask each training call; the masks zero some units (p = 0.4 over 2 x 24 values).
    assert.notEqual(f(), first);
    const zeros = m.dropouts.reduce((n, d) => n + Array.from(d.mask).filter((v) => v === 0).length, 0);
    assert.ok(zeros > 5 && zeros < 35, `${zeros} dropped of 48`);
    for (const d of m.dropouts) d.frozen = true;
    const y0 = f();
    assert.equal(f(), y0, 'frozen masks: the same function');
    m.zeroGrad();
    m.forward(x, { lengths });
    m.backward({ output: { shape: [T, B, H], data: w } });
    const r = gradCheck(f, m.params.data, Float64Array.from(m.params.grad), { eps: 1e-5, atol: 1e-6 });
    assert.ok(r.maxRelError < 1e-5, `params: max rel error ${r.maxRelError}`);
    // dx through the first gap's mask too
    m.forward(x, { lengths });
    const dx = Float64Array.from(m.backward({ output: { shape: [T, B, H], data: w } }).dx.data);
    const rx = gradCheck(f, x.data as FArray, dx, { eps: 1e-5, atol: 1e-6 });
    assert.ok(rx.maxRelError < 1e-5, `dx: max rel error ${rx.maxRelError}`);
    // Off in evaluation: no mask, deterministic, equal to a stack without dropout.
    const plain = new RecurrentStack(cell, { inputSize: I, hiddenSize: H, numLayers: 3, dtype: 'float64', seed: 2 });
    const e1 = Array.from(m.forward(x, { training: false }).output.data);
    m.training = false;
    assert.deepEqual(Array.from(m.forward(x).output.data), e1);
    assert.deepEqual(Array.from(plain.forward(x).output.data), e1);
  });
}

test('SequenceModel: input, between-layer and output dropout; fixed-mask gradient check; off in predict', () => {
  for (const tokens of [false, true]) {
    const T = 4,
      B = 3,
      I = 2;
    const cfg: SequenceModelConfig = {
      cell: 'lstm',
      ...(tokens ? { vocabSize: 5, embedDim: 3 } : { inputSize: I }),
      hiddenSize: 4,
      numLayers: 2,
      dropout: 0.3,
      inputDropout: 0.25,
      outputDropout: 0.2,
      outputSize: 2,
      head: 'every',
      loss: 'mse',
      dtype: 'float64',
      seed: 7,
    };
    const m = new SequenceModel(cfg);
    const lengths = [4, 2, 3];
    const batch = {
      T,
      B,
      lengths,
      ...(tokens ? { ids: Int32Array.from({ length: T * B }, (_, i) => (i * 7) % 5) } : { x: randn(T * B * I, 9) }),
      y: randn(T * B * 2, 10),
    };
    const a = m.lossAndGrad(batch).loss,
      b = m.lossAndGrad(batch).loss;
    assert.notEqual(a, b, 'masks are drawn anew each training step');
    for (const d of [m.inputDrop, m.outputDrop, ...m.rnn.dropouts]) d.frozen = true;
    m.params.zeroGrad();
    m.lossAndGrad(batch);
    const grad = Float64Array.from(m.params.grad);
    const f = () => {
      const saved = Float64Array.from(m.params.grad);
      const l = m.lossAndGrad(batch).loss; // training forward with the frozen masks
      m.params.grad.set(saved);
      return l;
    };
    const r = gradCheck(f, m.params.data, grad, { eps: 1e-5, atol: 1e-6 });
    assert.ok(r.maxRelError < 1e-4, `tokens=${tokens}: max rel error ${r.maxRelError}`);
    // predict never drops: deterministic and equal to the loss without dropout
    const p1 = Array.from(m.predict(batch).data);
    assert.deepEqual(Array.from(m.predict(batch).data), p1);
    const plain = new SequenceModel({ ...cfg, dropout: 0, inputDropout: 0, outputDropout: 0 });
    plain.params.data.set(m.params.data);
    assert.deepEqual(Array.from(plain.predict(batch).data), p1);
    const l = m.loss(m.predict(batch), batch).loss;
    assert.ok(Math.abs(l - mseLoss(plain.predict(batch), batch.y).loss) < 1, 'finite evaluation loss');
  }
});

test('dropout seeds: the same seed gives the same training losses; p out of range is refused', () => {
  const cfg: SequenceModelConfig = {
    cell: 'gru',
    inputSize: 2,
    hiddenSize: 4,
    numLayers: 2,
    dropout: 0.5,
    outputSize: 1,
    head: 'last',
    loss: 'mse',
    seed: 3,
  };
  const batch = { T: 3, B: 2, x: Float32Array.from(randn(12, 1)), y: [0.5, -0.5] };
  const run = (c: SequenceModelConfig) => {
    const m = new SequenceModel(c);
    return [0, 1, 2].map(() => m.lossAndGrad(batch).loss);
  };
  assert.deepEqual(run(cfg), run(cfg));
  assert.notDeepEqual(run(cfg), run({ ...cfg, dropoutSeed: 99 }));
  assert.throws(() => new SequenceModel({ ...cfg, dropout: 1 }), /dropout/);
  assert.throws(() => new SequenceModel({ ...cfg, outputDropout: -0.1 }), /dropout/);
});
