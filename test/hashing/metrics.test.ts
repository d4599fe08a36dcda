// Log-loss and AUC: the exact AUC with ties, and the streaming binned AUC agreeing with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auc, logLoss, AucMeter, LogLossMeter } from 'recur-rnn/hashing';
import { Rng } from 'recur-rnn';

test('exact AUC counts ties as one half', () => {
  assert.equal(auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
  assert.equal(auc([0, 1], [0.5, 0.5]), 0.5);
  assert.equal(auc([1, 1, 0], [0.2, 0.9, 0.1]), 1);
  assert.ok(Number.isNaN(auc([1, 1], [0.2, 0.3])));
});

test('log-loss clips probabilities and matches the definition', () => {
  assert.equal(logLoss([1, 0], [0.5, 0.5]), Math.log(2));
  assert.ok(Number.isFinite(logLoss([1], [0])));
  const m = new LogLossMeter();
  m.add(0.9, 1);
  m.add(0.2, 0);
  assert.ok(Math.abs(m.value - (-Math.log(0.9) - Math.log(0.8)) / 2) < 1e-15);
});

test('the streaming AUC agrees with the exact one to 1e-4', () => {
  const rng = new Rng(3),
    y: number[] = [],
    p: number[] = [];
  const meter = new AucMeter();
  for (let i = 0; i < 20000; i++) {
    const yi = rng.uniform() < 0.3 ? 1 : 0,
      pi = 1 / (1 + Math.exp(-(rng.normal() + yi)));
    y.push(yi);
    p.push(pi);
    meter.add(pi, yi);
  }
  assert.ok(Math.abs(meter.value - auc(y, p)) < 1e-4, `${meter.value} vs ${auc(y, p)}`);
});
