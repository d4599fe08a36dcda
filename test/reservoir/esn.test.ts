// ESN composition: teacher forcing, closed-loop generation, several readouts; ELM; datasets; metrics; plot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Reservoir,
  Ridge,
  RLS,
  ELM,
  pipe,
  nrmse,
  rsquare,
  memoryCapacity,
  forecastSvg,
  mackeyGlass,
  narma,
  lorenz,
  memoryTask,
  series,
} from 'recur-rnn/esn';
import { NonFiniteError, ShapeError } from 'recur-rnn';
import { readJSON } from '../helpers.js';

const sine = (T: number, f = 0.2) => series(Array.from({ length: T }, (_, t) => Math.sin(f * t)));

test('one-step forecast of a sine is near perfect; NRMSE and R^2 agree', () => {
  const u = sine(601);
  const x = { shape: [600, 1], data: u.data.subarray(0, 600) },
    y = { shape: [600, 1], data: u.data.subarray(1, 601) };
  const esn = pipe(new Reservoir({ units: 50, sr: 0.9, lr: 0.5, seed: 1 }), new Ridge({ ridge: 1e-8, warmup: 50 }));
  esn.fit(x, y);
  const p = esn.run(x);
  assert.deepEqual(p.shape, [600, 1]);
  const e = nrmse(y.data.subarray(50), p.data.subarray(50));
  assert.ok(e < 1e-3, `nrmse ${e}`);
  assert.ok(Math.abs(rsquare(y.data.subarray(50), p.data.subarray(50)) - (1 - e * e)) < 1e-9);
});

test('closed-loop generation is deterministic under a seed and follows the signal', () => {
  const mk = (seed: number) => {
    const X = mackeyGlass(2200, { seed: 2 });
    const esn = pipe(
      new Reservoir({ units: 100, sr: 1.1, lr: 0.5, inputScaling: 0.5, bias: 0.2, seed }),
      new Ridge({ ridge: 1e-8, warmup: 100 }),
    );
    esn.fit({ shape: [2000, 1], data: X.subarray(0, 2000) }, { shape: [2000, 1], data: X.subarray(1, 2001) });
    return { esn, X };
  };
  const { esn, X } = mk(5);
  const prime = { shape: [200, 1], data: X.subarray(1800, 2000) };
  const g1 = esn.generate(30, { prime });
  const g2 = mk(5).esn.generate(30, { prime });
  assert.deepEqual(g1.data, g2.data); // same seed: identical forecasts
  assert.notDeepEqual(mk(6).esn.generate(30, { prime }).data, g1.data);
  const err = nrmse(X.subarray(2000, 2030), g1.data);
  assert.ok(err < 0.1, `closed-loop NRMSE over 30 steps ${err}`);
  // Batched primes give the same numbers as one sequence at a time.
  const pb = new Float64Array(400);
  for (let t = 0; t < 200; t++) {
    pb[t * 2] = X[1800 + t]!;
    pb[t * 2 + 1] = X[1700 + t]!;
  }
  const gb = esn.generate(30, { prime: { shape: [200, 2, 1], data: pb } });
  for (let t = 0; t < 30; t++) assert.ok(Math.abs(gb.data[t * 2]! - g1.data[t]!) < 1e-12);
});

test('several readouts share one reservoir run; RLS readout works inside pipe', () => {
  const u = sine(401);
  const x = { shape: [400, 1], data: u.data.subarray(0, 400) };
  const y1 = { shape: [400, 1], data: u.data.subarray(1, 401) };
  const y2 = {
    shape: [400, 2],
    data: Float64Array.from({ length: 800 }, (_, i) => (i % 2 ? u.data[i >> 1]! ** 2 : -u.data[i >> 1]!)),
  };
  const esn = pipe(
    new Reservoir({ units: 40, sr: 0.9, bias: 0.5, seed: 2 }),
    new Ridge({ ridge: 1e-8, warmup: 20 }),
    new RLS({ alpha: 1e-4, warmup: 20 }),
  );
  esn.fit(x, [y1, y2]);
  const p2 = esn.run(x, { readout: 1 });
  assert.deepEqual(p2.shape, [400, 2]);
  assert.ok(nrmse(y2.data.subarray(200), p2.data.subarray(200)) < 0.1); // online: a little behind the batch solve
  assert.throws(() => esn.fit(x, [y1]), /2 readouts need 2 targets/);
  assert.throws(() => esn.generate(5, { readout: 1 }), /closing the loop needs outputs like inputs/);
});

test('a non-finite value in the input gives a clear error', () => {
  const esn = pipe(new Reservoir({ units: 10, seed: 1 }), new Ridge());
  const data = new Float64Array(20).fill(0.1);
  data[13] = NaN;
  assert.throws(
    () => esn.fit({ shape: [10, 2], data }, { shape: [10, 1], data: new Float64Array(10) }),
    (e: Error) =>
      e instanceof NonFiniteError &&
      /ESN.fit x: non-finite value NaN at time step 6, sequence 0, feature 1/.test(e.message),
  );
  assert.throws(
    () => new Reservoir({ units: 10 }).run({ shape: [2, 1], data: [1, Infinity] }),
    /non-finite value Infinity at time step 1/,
  );
  assert.throws(
    () => esn.fit({ shape: [10], data: new Float64Array(10) }, { shape: [10, 1], data: new Float64Array(10) }),
    ShapeError,
  );
  assert.throws(() => new Reservoir({ units: 10, lr: 0 }), /lr \(leak rate\) must be in \(0, 1\]/);
});

test('memory capacity of a linear reservoir is high and bounded by K', () => {
  const { u, targets, maxDelay: K } = memoryTask(2200, { maxDelay: 20, seed: 1 });
  const esn = pipe(
    new Reservoir({ units: 50, sr: 0.9, activation: 'identity', inputScaling: 0.1, inputConnectivity: 1, seed: 1 }),
    new Ridge({ ridge: 1e-10, warmup: 100 }),
  );
  esn.fit({ shape: [2000, 1], data: u.subarray(0, 2000) }, { shape: [2000, K], data: targets.subarray(0, 2000 * K) });
  const p = esn.run({ shape: [2200, 1], data: u });
  const mc = memoryCapacity(targets.subarray(2100 * K), p.data.subarray(2100 * K), K);
  assert.ok(mc.total > 12 && mc.total <= K, `MC ${mc.total}`);
  assert.ok(mc.perDelay[0]! > 0.99);
});

test('Mackey-Glass: ReservoirPy discretisation (history buffer + RK4), seeded', () => {
  const a = mackeyGlass(500, { seed: 1 }),
    b = mackeyGlass(500, { seed: 1 });
  assert.deepEqual(a, b);
  assert.equal(a[0], 1.2);
  // Restarting from a stretch of the series with its own past as history reproduces it.
  const c = mackeyGlass(100, { x0: a[200]!, history: a.subarray(183, 200) });
  for (let i = 0; i < 100; i++) assert.ok(Math.abs(c[i]! - a[200 + i]!) < 1e-9);
  let lo = Infinity,
    hi = -Infinity;
  for (const v of a.subarray(100)) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.ok(lo > 0.3 && hi < 1.45, `range ${lo}..${hi}`); // the tau=17 attractor lives in about [0.4, 1.35]
  assert.throws(() => mackeyGlass(10, { history: [1, 2] }), /at least floor\(tau\/h\) = 17/);
});

// fixtures/esn/narma10_reservoirpy.json: ReservoirPy 0.4.2's NARMA-10 (seed 1), its first 500 steps.
test('NARMA-10 reproduces ReservoirPy 0.4.2 exactly from its input', () => {
  const s = readJSON<{ u: number[]; y: number[] }>('fixtures/esn/narma10_reservoirpy.json');
  assert.equal(s.u.length, s.y.length + 10);
  const { y, u } = narma(s.y.length, { u: s.u });
  let m = 0;
  for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(y[i]! - s.y[i]!));
  assert.ok(m < 1e-9, `max diff ${m}`);
  assert.ok(Math.max(...s.y) > 0.3, 'the series is not trivial');
  assert.equal(u.length, y.length);
});

test('Lorenz stays on the attractor', () => {
  const L = lorenz(2000);
  for (let t = 500; t < 2000; t++) assert.ok(Math.abs(L[t * 3]!) < 25 && L[t * 3 + 2]! > 0 && L[t * 3 + 2]! < 55);
});

test('ELM: regression and classification', () => {
  const n = 400,
    X = new Float64Array(n * 2),
    Y = new Float64Array(n),
    labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = ((i * 0.37) % 2) - 1,
      b = ((i * 0.61) % 2) - 1;
    X[i * 2] = a;
    X[i * 2 + 1] = b;
    Y[i] = Math.sin(3 * a) * b;
    labels.push(a * a + b * b < 0.5 ? 0 : a > 0 ? 1 : 2);
  }
  const elm = new ELM({ hidden: 100, ridge: 1e-6, seed: 1 }).fit(
    { shape: [n, 2], data: X },
    { shape: [n, 1], data: Y },
  );
  assert.ok(nrmse(Y, elm.predict({ shape: [n, 2], data: X }).data) < 0.05);
  const clf = new ELM({ hidden: 100, ridge: 1e-3, seed: 1 }).fitClassifier({ shape: [n, 2], data: X }, labels);
  const pred = clf.predictClass({ shape: [n, 2], data: X });
  const acc = pred.filter((p, i) => p === labels[i]).length / n;
  assert.ok(acc > 0.95, `train accuracy ${acc}`);
  assert.equal(clf.classes, 3);
  assert.throws(() => clf.predict({ shape: [2, 3], data: new Float64Array(6) }), /expected 2 features, got 3/);
});

test('forecastSvg is self-contained and escapes strings', () => {
  const svg = forecastSvg({ t: [0, 1, 2], truth: [0, 1, 0], prediction: [0, 0.9, NaN], mode: '<closed & loop>' });
  assert.match(svg, /^<svg xmlns/);
  assert.ok(!svg.includes('<closed'));
  assert.match(svg, /&lt;closed &amp; loop&gt;/);
  assert.ok(!/script|href/.test(svg));
  assert.throws(() => forecastSvg({ t: [0], truth: [1, 2], prediction: [1] }), /equal lengths/);
});

test('ELM on scikit-learn digits (anchor split): a small hidden layer already classifies well', async () => {
  const { loadDigits } = await import('../digits.js');
  const { ROOT } = await import('../helpers.js');
  const d = loadDigits(ROOT);
  assert.equal(d.ytr.length, 1347);
  assert.equal(d.yte.length, 450);
  const elm = new ELM({ hidden: 300, ridge: 1, seed: 1 }).fitClassifier({ shape: [1347, 64], data: d.Xtr }, d.ytr);
  const pred = elm.predictClass({ shape: [450, 64], data: d.Xte });
  const acc = pred.filter((p, i) => p === d.yte[i]).length / 450;
  assert.ok(acc > 0.95, `test accuracy ${acc}`);
});

test('inputToReadout: readouts see [x, u]; generation needs the last input', () => {
  const u = sine(301);
  const x = { shape: [300, 1], data: u.data.subarray(0, 300) },
    y = { shape: [300, 1], data: u.data.subarray(1, 301) };
  const esn = pipe(new Reservoir({ units: 30, sr: 0.9, seed: 3 }), new Ridge({ ridge: 1e-8, warmup: 20 }));
  esn.inputToReadout = true;
  esn.fit(x, y);
  assert.equal(esn.readouts[0]!.inputDim, 31);
  assert.ok(nrmse(y.data.subarray(20), esn.run(x).data.subarray(20)) < 1e-3);
  const g = esn.generate(10, { prime: { shape: [50, 1], data: u.data.subarray(100, 150) } });
  assert.ok(nrmse(u.data.subarray(150, 160), g.data) < 0.05);
});
