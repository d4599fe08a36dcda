// FTRL-Proximal against a two-step example worked by hand, AdaGrad logistic regression
// against one step by hand, and both learning a small synthetic problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FTRL, AdaGradLogistic, FeatureHasher, LogLossMeter, sigmoid } from 'recur-rnn/hashing';
import { Rng } from 'recur-rnn';

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('FTRL-Proximal: two steps worked by hand (alpha 1, beta 1, l1 0.25, l2 0.5)', () => {
  const f = new FTRL({ bits: 2, alpha: 1, beta: 1, l1: 0.25, l2: 0.5 });
  // Step 1: x = {0: 1, 1: 1}, y = 1. All z = 0 -> w = 0 -> p = 0.5; g = p - y = -0.5 on both;
  // sigma = (sqrt(0 + 0.25) - 0) / 1 = 0.5; z = 0 + g - sigma * 0 = -0.5; n = 0.25.
  assert.equal(f.learn(Int32Array.from([0, 1]), Float64Array.from([1, 1]), 2, 1), 0.5);
  assert.deepEqual(Array.from(f.zs.subarray(0, 6)), [-0.5, 0.5, -0.5, 0.5, 0, 0]); // (z, sqrt n) pairs
  // Step 2: x = {1: 2, 2: 1}, y = 0.
  //   w1 = -(z1 - sign(z1) l1) / ((beta + sqrt(n1)) / alpha + l2) = -(-0.5 + 0.25) / (1.5 + 0.5) = 0.125
  //   w2 = 0 (z2 = 0 <= l1);  p = sigmoid(0.125 * 2) = sigmoid(0.25) = 0.5621765008857981
  //   coordinate 1: g = 2p = 1.1243530017715963, n1 = 0.25 + g^2 = 1.5141696725927989,
  //                 sigma = sqrt(n1) - 0.5, z1 = -0.5 + g - sigma * 0.125 = 0.5330384994180712
  //   coordinate 2: g = p, n2 = p^2 = 0.3160424181481997, sigma = p, z2 = p - p * 0 = p
  const p = f.learn(Int32Array.from([1, 2]), Float64Array.from([2, 1]), 2, 0);
  close(p, 0.5621765008857981);
  close(f.zs[2]!, 0.5330384994180712);
  close(f.zs[3]! ** 2, 1.5141696725927989);
  close(f.zs[4]!, 0.5621765008857981);
  close(f.zs[5]! ** 2, 0.3160424181481997);
  assert.equal(f.zs[0], -0.5); // untouched by step 2
  // The weights: w0 = 0.125, w1 = -(0.53304 - 0.25) / ((1 + sqrt(1.51417)) + 0.5), w2 by the same rule.
  const w = f.weights();
  close(w[0]!, 0.125);
  close(w[1]!, -0.10365751289001311);
  close(w[2]!, -0.15138204743953979);
  close(
    f.predict(Int32Array.from([0, 1, 2]), Float64Array.from([1, 1, 1]), 3),
    sigmoid(0.125 - 0.10365751289001311 - 0.15138204743953979),
  );
});

test('FTRL: L1 keeps rarely-seen coordinates at exactly zero', () => {
  const f = new FTRL({ bits: 4, alpha: 0.1, l1: 5 });
  for (let i = 0; i < 3; i++) f.learn(Int32Array.from([3]), Float64Array.from([1]), 1, 1);
  assert.equal(f.weights()[3], 0);
});

test('AdaGrad logistic: one step by hand', () => {
  const a = new AdaGradLogistic({ bits: 3, alpha: 0.5, beta: 1, l2: 0 });
  // w = 0 -> p = 0.5; y = 0: g = 0.5 * x = [0.5, 1.5]; n = g^2; w -= 0.5 g / (1 + |g|)
  assert.equal(a.learn(Int32Array.from([1, 6]), Float64Array.from([1, 3]), 2, 0), 0.5);
  const w = a.weights();
  close(w[1]!, (-0.5 * 0.5) / 1.5);
  close(w[6]!, (-0.5 * 1.5) / 2.5);
});

test('both learners beat the constant predictor on a hashed synthetic problem', () => {
  const rng = new Rng(7);
  const h = new FeatureHasher({ columns: ['y', 'u', 'v'], label: 'y', bits: 12 });
  const effect = (s: number) => Math.sin(s * 1.7) * 2;
  for (const learner of [new FTRL({ bits: 12, alpha: 0.2, l1: 0.1 }), new AdaGradLogistic({ bits: 12, alpha: 0.2 })]) {
    const prog = new LogLossMeter(),
      late = new LogLossMeter();
    let pos = 0;
    for (let i = 0; i < 6000; i++) {
      const u = rng.int(50),
        v = rng.int(20);
      const y = rng.uniform() < sigmoid(effect(u) - effect(v)) ? 1 : 0;
      pos += y;
      const r = h.hashValues([String(y), `u${u}`, `v${v}`], undefined, true);
      const p = learner.learn(r.idx, r.val, r.n, r.label);
      prog.add(p, y);
      if (i >= 4000) late.add(p, y);
    }
    const c = pos / 6000,
      constant = -(c * Math.log(c) + (1 - c) * Math.log(1 - c));
    assert.ok(
      late.value < constant - 0.1,
      `${learner.kind}: late progressive loss ${late.value} vs constant ${constant}`,
    );
  }
});

test('learners check their options and saved state', () => {
  assert.throws(() => new FTRL({ alpha: 0 }), /alpha must be a positive finite number, got 0/);
  assert.throws(() => new AdaGradLogistic({ bits: 0 }), /bits must be an integer in 1\.\.30/);
  const f = new FTRL({ bits: 3 });
  assert.throws(() => f.loadState({}), /missing tensor 'ftrl_z_sqrtn'/);
  assert.throws(
    () => f.loadState({ ftrl_z_sqrtn: { shape: [4, 2], data: new Float64Array(8) } }),
    /must have shape \[8, 2\], got \[4, 2\]/,
  );
});
