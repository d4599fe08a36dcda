// The cell registry: every registered cell's fused core against its spec's reference gate maths
// (one plain step at a time, float64, with lengths and a passed-in state), the registry's
// bookkeeping, and IndRNN's own parts (parameter layout, its recurrent-weight bound held by the
// Trainer after every update, diagnostics read off the spec).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Adam,
  CELL_NAMES,
  CELLS,
  IndRNN,
  RecurrentStack,
  SequenceModel,
  Trainer,
  cellSpec,
  makeTask,
  Rng,
  type Activation,
} from 'recur-rnn';
import { coreSpectrum, saturation } from 'recur-rnn/diagnostics';
import { randn } from '../helpers.js';

test('the registry lists rnn, lstm, gru and indrnn; specs agree with their cores', () => {
  assert.deepEqual([...CELL_NAMES], ['rnn', 'lstm', 'gru', 'indrnn']);
  assert.throws(() => cellSpec('elman'), /unknown cell 'elman'; expected one of rnn, lstm, gru, indrnn/);
  assert.throws(() => cellSpec('toString'), /unknown cell/);
  for (const name of CELL_NAMES) {
    const spec = CELLS[name]!;
    const stack = new RecurrentStack(name as 'rnn', { inputSize: 2, hiddenSize: 3 });
    const core = stack.cores[0]!;
    assert.equal(core.cell, name);
    assert.equal(core.G, spec.gates.length, `${name}: G`);
    assert.equal(spec.gateActs.length, spec.gates.length, `${name}: one activation per gate`);
    assert.equal(core.recurrence, spec.recurrence);
    assert.equal(!!stack.forward({ shape: [2, 1, 2], data: new Float32Array(4) }).cN, spec.hasCellState);
  }
  assert.throws(
    () => new RecurrentStack('gru', { inputSize: 2, hiddenSize: 3, nonlinearity: 'relu' }),
    /GRU: option 'nonlinearity' does not apply to this cell/,
  );
  assert.throws(
    () => new RecurrentStack('lstm', { inputSize: 2, hiddenSize: 3, recurrentMaxAbs: 1 }),
    /option 'recurrentMaxAbs' does not apply/,
  );
});

const variants: { cell: string; act?: Activation }[] = [
  { cell: 'rnn', act: 'tanh' },
  { cell: 'rnn', act: 'relu' },
  { cell: 'lstm' },
  { cell: 'gru' },
  { cell: 'indrnn' },
  { cell: 'indrnn', act: 'tanh' },
];

for (const { cell, act } of variants) {
  test(`${cell}${act ? ` (${act})` : ''}: the fused core equals the spec's reference step, with lengths and h0`, () => {
    const I = 3,
      H = 4,
      T = 5,
      B = 3,
      lengths = [5, 2, 4];
    const spec = cellSpec(cell);
    const m = new RecurrentStack(cell as 'rnn', {
      inputSize: I,
      hiddenSize: H,
      dtype: 'float64',
      seed: 9,
      nonlinearity: act,
    });
    const p = m.params.data,
      r = randn(p.length, 5, 0.7);
    for (let i = 0; i < p.length; i++) p[i] = r[i]!; // weights well away from the defaults
    const x = randn(T * B * I, 6) as Float64Array,
      h0 = randn(B * H, 7, 0.5) as Float64Array,
      c0 = randn(B * H, 8, 0.5) as Float64Array;
    const out = m.forward(
      { shape: [T, B, I], data: x },
      {
        h0: { shape: [1, B, H], data: h0 },
        c0: spec.hasCellState ? { shape: [1, B, H], data: c0 } : undefined,
        lengths,
      },
    );
    const core = m.cores[0]!;
    const w = {
      I,
      H,
      wIh: core.wIh.data,
      wHh: core.wHh.data,
      bIh: core.bIh?.data ?? null,
      bHh: core.bHh?.data ?? null,
    };
    for (let b = 0; b < B; b++) {
      let h = Array.from(h0.subarray(b * H, (b + 1) * H)),
        c: number[] | null = spec.hasCellState ? Array.from(c0.subarray(b * H, (b + 1) * H)) : null;
      for (let t = 0; t < lengths[b]!; t++) {
        const xt = x.subarray((t * B + b) * I, (t * B + b + 1) * I);
        const s = spec.reference(w, xt, h, c, { nonlinearity: act });
        h = s.h;
        c = s.c;
        for (let j = 0; j < H; j++) {
          const got = out.output.data[(t * B + b) * H + j]!;
          assert.ok(Math.abs(got - h[j]!) < 1e-12, `t=${t} b=${b} j=${j}: ${got} vs ${h[j]}`);
        }
      }
      for (let j = 0; j < H; j++) {
        assert.ok(Math.abs(out.hN.data[b * H + j]! - h[j]!) < 1e-12, `hN b=${b}`);
        if (c) assert.ok(Math.abs(out.cN!.data[b * H + j]! - c[j]!) < 1e-12, `cN b=${b}`);
      }
    }
  });
}

test("IndRNN: PyTorch-style names, u [H] in 'weight_hh_l0', one bias; u ~ U(0, 1) or 1 ('identity')", () => {
  const m = new IndRNN({ inputSize: 2, hiddenSize: 50, numLayers: 2, seed: 3 });
  const names = m.params.list.map((p) => `${p.name} [${p.shape}]`);
  assert.deepEqual(names, [
    'weight_ih_l0 [50,2]',
    'weight_hh_l0 [50]',
    'bias_ih_l0 [50]',
    'weight_ih_l1 [50,50]',
    'weight_hh_l1 [50]',
    'bias_ih_l1 [50]',
  ]);
  const u = m.cores[0]!.wHh.data;
  assert.ok(
    u.every((v) => v >= 0 && v < 1),
    'u in [0, 1)',
  );
  assert.ok(Math.max(...u) - Math.min(...u) > 0.5, 'spread over the interval');
  const id = new IndRNN({ inputSize: 2, hiddenSize: 4, recurrentInit: 'identity', recurrentMaxAbs: 0.9 });
  assert.deepEqual(
    Array.from(id.cores[0]!.wHh.data),
    Array(4).fill(Math.fround(0.9)),
    'the bound applies from the start',
  );
  assert.equal(m.config.nonlinearity, 'relu');
  assert.throws(() => new IndRNN({ inputSize: 2, hiddenSize: 4, recurrentMaxAbs: -1 }), /recurrentMaxAbs must be/);
});

test('IndRNN: the Trainer keeps |u| <= recurrentMaxAbs after every update; it learns the adding task', () => {
  const task = makeTask({ name: 'adding', T: 20 });
  const bound = 2 ** (1 / 20);
  const model = new SequenceModel({
    cell: 'indrnn',
    inputSize: task.inputSize,
    hiddenSize: 32,
    recurrentMaxAbs: bound,
    outputSize: task.outputSize,
    head: task.head,
    loss: task.loss,
    seed: 2,
  });
  const trainer = new Trainer(model, new Adam(model.params, { lr: 0.05 })); // a large step pushes u past the bound
  const rng = new Rng(4);
  let first = 0,
    last = 0,
    pushed = 0;
  for (let i = 0; i < 150; i++) {
    const info = trainer.train(task.batch(rng, 32));
    if (i === 0) first = info.loss;
    last = info.loss;
    const u = model.rnn.cores[0]!.wHh.data;
    for (const v of u) assert.ok(Math.abs(v) <= bound + 1e-7, `step ${i}: |u| = ${Math.abs(v)} > ${bound}`);
    if (u.some((v) => Math.abs(v) === Math.fround(bound))) pushed++;
  }
  assert.ok(pushed > 0, 'some update hit the bound (so the projection was exercised)');
  assert.ok(last < 0.5 * first, `loss ${first} -> ${last}`);
});

test('IndRNN diagnostics come from the spec: spectrum max |u|, saturation of the ReLU units', () => {
  const m = new IndRNN({ inputSize: 2, hiddenSize: 6, seed: 1 });
  const core = m.cores[0]!;
  core.wHh.data.set([0.1, -0.95, 0.3, 0.2, 0.5, 0.4]);
  const s = coreSpectrum(core);
  assert.ok(Math.abs(s.rho - 0.95) < 1e-6 && Math.abs(s.sigma - 0.95) < 1e-6);
  assert.deepEqual(
    s.gates.map((g) => g.gate),
    ['h'],
  );
  m.forward({ shape: [4, 2, 2], data: Float32Array.from(randn(16, 3)) });
  const sat = saturation(core);
  assert.deepEqual(
    sat.gates.map((g) => g.gate),
    ['h'],
  );
  assert.equal(sat.tanh, null, 'a ReLU cell has no tanh units');
  assert.ok(sat.reluZero !== null && sat.reluZero >= 0 && sat.reluZero <= 1);
});
