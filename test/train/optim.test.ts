// Optimisers and clipping against PyTorch (fixtures/torch_optim.json from scripts/make_optim_fixtures.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Params, Rng, makeOptimizer, clipGradNorm, clipGradValue, lrAt, type OptimizerSpec } from 'recur-rnn';
import { readJSON, relErr } from '../helpers.js';

const fx = readJSON<{
  p0: number[];
  grads: number[][];
  results: Record<string, { kwargs: Record<string, number | boolean>; trajectory: number[][] }>;
  clip: { max_norm: number; grad: number[]; total: number; clipped: number[] }[];
}>('fixtures/torch_optim.json');

const specs: Record<string, OptimizerSpec> = {
  sgd: { type: 'sgd', lr: 0.1 },
  sgd_momentum: { type: 'sgd', lr: 0.1, momentum: 0.9 },
  sgd_nesterov: { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true },
  sgd_wd: { type: 'sgd', lr: 0.1, momentum: 0.5, weightDecay: 0.01 },
  rmsprop: { type: 'rmsprop', lr: 0.01 },
  adam: { type: 'adam', lr: 0.01 },
  adam_wd: { type: 'adam', lr: 0.01, weightDecay: 0.1 },
  adamw: { type: 'adamw', lr: 0.01, weightDecay: 0.1 },
};

for (const [name, spec] of Object.entries(specs)) {
  test(`${name} matches torch.optim over 4 steps`, () => {
    const p = new Params('float64');
    p.declare('w', [1, fx.p0.length], (a) => a.set(fx.p0)); // 2-D so weight decay applies
    p.allocate(new Rng(0));
    const opt = makeOptimizer(p, spec);
    fx.results[name]!.trajectory.forEach((want, k) => {
      p.grad.set(fx.grads[k]!);
      opt.step();
      const e = relErr(p.data, want);
      assert.ok(e < 1e-6, `${name} step ${k + 1}: rel error ${e}`);
    });
  });
}

test('weight decay skips biases (1-D parameters)', () => {
  const p = new Params('float64');
  p.declare('w', [2, 2], (a) => a.fill(1));
  p.declare('b', [2], (a) => a.fill(1));
  p.allocate(new Rng(0));
  makeOptimizer(p, { type: 'sgd', lr: 1, weightDecay: 0.5 }).step();
  assert.deepEqual([...p.data], [0.5, 0.5, 0.5, 0.5, 1, 1]);
});

for (const c of fx.clip) {
  test(`clipGradNorm matches clip_grad_norm_ (max_norm ${c.max_norm})`, () => {
    const g = Float32Array.from(c.grad);
    const total = clipGradNorm(g, c.max_norm);
    assert.ok(Math.abs(total - c.total) / c.total < 1e-6);
    assert.ok(relErr(g, c.clipped) < 1e-6);
  });
}

test('clipGradValue clamps and counts', () => {
  const g = Float32Array.from([0.5, -3, 2, -0.1]);
  assert.equal(clipGradValue(g, 1), 2);
  assert.deepEqual([...g], [0.5, -1, 1, Math.fround(-0.1)]);
  assert.throws(() => clipGradNorm(g, 0), /maxNorm must be > 0/);
});

test('learning-rate schedules', () => {
  assert.equal(lrAt(0.1, 5), 0.1);
  assert.ok(Math.abs(lrAt(0.1, 25, { type: 'step', every: 10, gamma: 0.5 }) - 0.025) < 1e-12);
  assert.equal(lrAt(1, 0, { type: 'cosine', total: 100 }), 1);
  assert.ok(Math.abs(lrAt(1, 50, { type: 'cosine', total: 100 }) - 0.5) < 1e-12);
  assert.ok(Math.abs(lrAt(1, 100, { type: 'cosine', total: 100, minLr: 0.1 }) - 0.1) < 1e-12);
  assert.equal(lrAt(1, 0, { type: 'constant', warmup: 4 }), 0.25);
  assert.equal(lrAt(1, 4, { type: 'constant', warmup: 4 }), 1);
});
