// The Trainer hook: which steps are measured, what a record holds, and that the numbers
// say what the lecture says (a tanh-RNN with small weights loses its gradient going back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SGD, SequenceModel, Trainer, Rng, makeTask } from 'recur-rnn';
import { Diagnostics, diagToJSON, saturation, type DiagRecord } from 'recur-rnn/diagnostics';

function setup(cell: 'rnn' | 'lstm' | 'gru', every: number, clipNorm?: number) {
  const task = makeTask({ name: 'adding', T: 30 });
  const model = new SequenceModel({
    cell,
    inputSize: 2,
    hiddenSize: 12,
    numLayers: 2,
    outputSize: 1,
    head: 'last',
    loss: 'mse',
    seed: 4,
  });
  const seen: DiagRecord[] = [];
  const diag = new Diagnostics(model, { every, window: 10, onRecord: (r) => seen.push(r) });
  const trainer = new Trainer(model, new SGD(model.params, { lr: 0.05 }), { onStep: diag.onStep, clipNorm });
  return { task, model, diag, trainer, seen };
}

const MEASURES =
  'Diagnostics measures step 1 and every N-th step, with ||dL/dh_t|| per layer, spectra, Jacobians, saturation';
test(MEASURES, () => {
  const { task, model, diag, trainer, seen } = setup('rnn', 4, 0.05);
  const rng = new Rng(2);
  for (let s = 0; s < 9; s++) trainer.train(task.batch(rng, 8));
  assert.deepEqual(
    seen.map((r) => r.step),
    [1, 4, 8],
  );
  assert.equal(diag.records.length, 3);
  assert.equal(diag.clipEvents, trainer.clipEvents);
  const r = seen[2]!;
  assert.equal(r.T, 30);
  assert.equal(r.cores.length, 2);
  for (const c of r.cores) {
    assert.equal(c.dhNorms.length, 30);
    assert.ok(c.dhNorms.every((v) => v > 0 && Number.isFinite(v)));
    assert.equal(c.saturation.hNorm.length, 30);
    assert.ok(c.spectrum.rho > 0 && c.spectrum.sigma >= c.spectrum.rho * 0.99);
    assert.equal(c.jacobian.window, 10);
    assert.ok(c.jacobian.sigma > 0 && c.jacobian.perStep > 0);
  }
  // PyTorch's default init (sigma_max(W_hh) < 1 at H=12) and a loss on the last step: the gradient
  // reaching h_1 is much smaller than the one at h_T.
  const top = r.cores[1]!.dhNorms;
  assert.ok(top[0]! < 1e-2 * top[29]!, `||dL/dh_1|| ${top[0]} vs ||dL/dh_T|| ${top[29]}`);
  assert.ok(r.cores[1]!.jacobian.perStep < 1);
  // Recording is off between measured steps.
  assert.ok(model.rnn.cores.every((c) => !c.recordGradNorms));
  const j = diagToJSON(r) as { cores: { dh_norms: number[]; gates: unknown[] }[]; kind: string };
  assert.equal(j.kind, 'diag');
  assert.equal(j.cores[0]!.dh_norms.length, 30);
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(j)));
});

test('Diagnostics on gated cells: per-gate spectra and gate saturation; bad options are refused', () => {
  for (const cell of ['lstm', 'gru'] as const) {
    const { task, trainer, seen } = setup(cell, 2);
    const rng = new Rng(5);
    for (let s = 0; s < 2; s++) trainer.train(task.batch(rng, 4));
    const c = seen.at(-1)!.cores[0]!;
    assert.deepEqual(
      c.spectrum.gates.map((g) => g.gate),
      cell === 'lstm' ? ['i', 'f', 'g', 'o'] : ['r', 'z', 'n'],
    );
    assert.equal(c.saturation.gates.length, cell === 'lstm' ? 4 : 3);
    assert.ok(c.saturation.tanh !== null && c.saturation.tanh >= 0 && c.saturation.tanh <= 1);
    if (cell === 'lstm') assert.ok(c.saturation.gates[1]!.mean > 0.6, 'forget bias 1 keeps f near 0.73');
  }
  const { model } = setup('rnn', 1);
  assert.throws(() => new Diagnostics(model, { every: 0 }), /every must be an integer >= 1, got 0/);
  assert.throws(() => new Diagnostics(model, { window: 1.5 }), /window must be an integer >= 1, got 1.5/);
});

test('saturation: large recurrent weights saturate a tanh-RNN; ReLU reports dead units', () => {
  const m = new SequenceModel({
    cell: 'rnn',
    inputSize: 2,
    hiddenSize: 16,
    outputSize: 1,
    head: 'last',
    loss: 'mse',
    seed: 1,
  });
  const w = m.rnn.cores[0]!.wHh.data;
  for (let i = 0; i < w.length; i++) w[i] = w[i]! * 40;
  const task = makeTask({ name: 'adding', T: 20 });
  m.predict(task.batch(new Rng(1), 4));
  const s = saturation(m.rnn.cores[0]!);
  assert.ok(s.tanh! > 0.5, `saturated fraction ${s.tanh}`);
  assert.ok(
    s.hNorm.slice(3).every((v) => v > 1),
    `saturated states have norms near sqrt(H): ${s.hNorm}`,
  );
  assert.equal(s.reluZero, null);
  const relu = new SequenceModel({
    cell: 'rnn',
    nonlinearity: 'relu',
    inputSize: 2,
    hiddenSize: 16,
    outputSize: 1,
    head: 'last',
    loss: 'mse',
    seed: 1,
  });
  relu.predict(task.batch(new Rng(1), 4));
  const r = saturation(relu.rnn.cores[0]!);
  assert.equal(r.tanh, null);
  assert.ok(r.reluZero! > 0 && r.reluZero! < 1);
});
