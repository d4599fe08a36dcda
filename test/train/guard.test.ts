// The after-update guard (issue 13): an update taken with a finite gradient that leaves parameters
// or optimiser state non-finite is undone, then skipped (counted) or, in strict mode, an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, Rng, SGD, SequenceModel, Trainer, clipGradNorm, makeTask, saveCheckpoint } from 'recur-rnn';

function tiny() {
  return new SequenceModel({
    cell: 'gru',
    inputSize: 2,
    hiddenSize: 6,
    outputSize: 1,
    head: 'last',
    loss: 'mse',
    seed: 3,
  });
}
const batch = (seed: number) => makeTask({ name: 'adding', T: 6 }).batch(new Rng(seed), 4);

test('SGD with lr 3e38: every overflowing update is undone and counted; nothing non-finite is kept', () => {
  const m = tiny(),
    opt = new SGD(m.params, { lr: 3e38 }),
    tr = new Trainer(m, opt);
  const before = Float32Array.from(m.params.data);
  let skipped = 0;
  for (let i = 0; i < 5; i++) {
    const info = tr.train(batch(i));
    assert.ok(Number.isFinite(info.gradNorm), 'the gradient itself is finite');
    if (info.skipped) skipped++;
    for (const v of m.params.data) assert.ok(Number.isFinite(v));
  }
  assert.equal(skipped, 5);
  assert.equal(tr.skippedSteps, 5);
  assert.deepEqual(m.params.data, before); // restored bit for bit
  assert.equal(tr.step, 5);
  saveCheckpoint(m, { step: tr.step }); // savable: no non-finite value
});

test('strict mode stops at the overflowing update, with the parameters restored', () => {
  const m = tiny(),
    tr = new Trainer(m, new SGD(m.params, { lr: 3e38 }), { nonFinite: 'strict' });
  const before = Float32Array.from(m.params.data);
  assert.throws(() => tr.train(batch(1)), /made parameters or optimiser state non-finite; they are restored/);
  assert.deepEqual(m.params.data, before);
});

test('Adam: an overflowing second moment is undone with its step count, then training goes on', () => {
  const m = tiny(),
    opt = new Adam(m.params, { lr: 0.01 }),
    tr = new Trainer(m, opt);
  tr.train(batch(1));
  const p = Float32Array.from(m.params.data),
    s = Object.fromEntries(Object.entries(opt.state()).map(([k, a]) => [k, Float32Array.from(a)]));
  const t = opt.scalars().t;
  // A finite gradient whose (1 - beta2) g^2 overflows float32 (|g| > 5.8e20 with beta2 = 0.999).
  const huge = {
    lossAndGrad: () => {
      m.params.grad.fill(1e22);
      return { loss: 1, count: 1 };
    },
  };
  tr.grads = huge;
  const info = tr.train(batch(2));
  assert.equal(info.skipped, true);
  assert.deepEqual(m.params.data, p);
  for (const [k, a] of Object.entries(opt.state())) assert.deepEqual(a, s[k], k);
  assert.equal(opt.scalars().t, t);
  tr.grads = m;
  assert.equal(tr.train(batch(3)).skipped, false);
  assert.equal(opt.scalars().t, t + 1);
});

test('the guard changes nothing when updates stay finite (bit-identical to the optimiser alone)', () => {
  const a = tiny(),
    b = tiny();
  const ta = new Trainer(a, new Adam(a.params, { lr: 0.01 }), { clipNorm: 1 });
  const ob = new Adam(b.params, { lr: 0.01 });
  for (let i = 0; i < 10; i++) {
    ta.train(batch(i));
    b.params.zeroGrad();
    b.lossAndGrad(batch(i));
    clipGradNorm(b.params.grad, 1);
    ob.step();
  }
  assert.deepEqual(a.params.data, b.params.data);
});
