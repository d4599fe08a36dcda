// Readout features (x, u, x2, u2) and ESN ensembles: shapes, the features' math by hand,
// determinism under a seed, closed-loop averaging against a hand-run loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ESN,
  ESNEnsemble,
  Reservoir,
  Ridge,
  pipe,
  readoutFeatures,
  readoutFeatureDim,
  parseReadoutTerms,
  mackeyGlass,
} from 'recur-rnn/esn';
import { ShapeError } from 'recur-rnn';

test('readoutFeatures: [x, u, x^2, u^2] by hand, in the order given, per sequence', () => {
  // B = 2 sequences, N = 3 units, D = 2 inputs.
  const x = [0.5, -0.2, 0.1, 1, 2, -3],
    u = [0.3, -0.4, 5, 6];
  const z = readoutFeatures(['x', 'u', 'x2', 'u2'], 2, 3, 2, x, u);
  assert.equal(readoutFeatureDim(['x', 'u', 'x2', 'u2'], 3, 2), 10);
  assert.deepEqual(
    [...z.subarray(0, 10)],
    [0.5, -0.2, 0.1, 0.3, -0.4, 0.25, 0.04000000000000001, 0.010000000000000002, 0.09, 0.16000000000000003],
  );
  assert.deepEqual([...z.subarray(10)], [1, 2, -3, 5, 6, 1, 4, 9, 25, 36]);
  const z2 = readoutFeatures(['x2', 'x'], 2, 3, 2, x, u); // order follows the list
  assert.deepEqual([...z2.subarray(0, 6)], [0.25, 0.04000000000000001, 0.010000000000000002, 0.5, -0.2, 0.1]);
  assert.deepEqual(parseReadoutTerms('x, u,x2'), ['x', 'u', 'x2']);
  assert.throws(() => parseReadoutTerms('x,y'), /unknown term 'y', expected some of x, u, x2, u2/);
  assert.throws(() => parseReadoutTerms(['x', 'x']), /term 'x' is given twice/);
  assert.throws(() => readoutFeatures(['x'], 2, 3, 1, [1, 2], []), ShapeError);
});

const mg = mackeyGlass(1400, { seed: 3 });
const X = { shape: [1000, 1], data: mg.subarray(0, 1000) },
  Y = { shape: [1000, 1], data: mg.subarray(1, 1001) };
const prime = { shape: [100, 1], data: mg.subarray(1100, 1200) };
const make = (seed: number, features = 'x') =>
  new ESN(
    new Reservoir({
      units: 60,
      sr: 1.2,
      lr: 0.6,
      inputScaling: 0.5,
      bias: 0.2,
      connectivity: 0.1,
      inputConnectivity: 1,
      seed,
    }),
    [new Ridge({ ridge: 1e-8, warmup: 50 })],
    { readoutFeatures: features, standardize: false }, // the checks by hand below work on raw values
  );

test('ESN with readoutFeatures x,u,x2: the readout sees 2N + D features, each step as computed by hand', () => {
  const esn = make(1, 'x,u,x2');
  esn.fit(X, Y);
  assert.equal(esn.featureDim, 60 + 1 + 60);
  assert.equal(esn.readouts[0]!.inputDim, 121);
  // The prediction at one step equals Wout . [x, u, x^2] + bias from the reservoir's own states.
  const T = 20,
    u = { shape: [T, 1], data: mg.subarray(1000, 1000 + T) };
  const p = esn.run(u);
  const res = new Reservoir({ ...esn.reservoir.opts });
  res.initialize(1);
  res.reset(1);
  const states = res.run(u).data,
    r = esn.readouts[0]!;
  for (const t of [0, 7, T - 1]) {
    const x = states.subarray(t * 60, t * 60 + 60),
      z = [...x, u.data[t]!, ...x.map((v) => v * v)];
    const want = z.reduce((s, v, j) => s + r.Wout[j]! * v, r.bias[0]!);
    assert.ok(Math.abs(p.data[t]! - want) < 1e-12, `step ${t}: ${p.data[t]} vs ${want}`);
  }
  const g1 = esn.generate(30, { prime }),
    g2 = make(1, 'x,u,x2').fit(X, Y).generate(30, { prime });
  assert.deepEqual(g1.shape, [30, 1]);
  assert.deepEqual(g1.data, g2.data); // same seed, same forecast
  esn.readoutFeatures = ['x'];
  assert.throws(() => esn.generate(5, { prime }), /fitted on 121 features but the ESN now gives 60/);
});

test('ESNEnsemble: one member reproduces its ESN; K members average, in closed loop too', () => {
  const single = make(1).fit(X, Y);
  const one = new ESNEnsemble([make(1)]).fit(X, Y);
  assert.deepEqual(one.generate(40, { prime }).data, single.generate(40, { prime }).data);

  const ens = new ESNEnsemble([make(1), make(2, 'x,u'), make(3)]).fit(X, Y);
  const p = ens.run({ shape: [50, 1], data: mg.subarray(1000, 1050) });
  assert.deepEqual(p.shape, [50, 1]);
  const runs = ens.members.map((m) => m.run({ shape: [50, 1], data: mg.subarray(1000, 1050) }).data);
  for (let t = 0; t < 50; t++)
    assert.ok(Math.abs(p.data[t]! - (runs[0]![t]! + runs[1]![t]! + runs[2]![t]!) / 3) < 1e-12);

  // Closed loop by hand: each member predicts, the mean is fed back to all of them.
  const H = 25,
    g = ens.generate(H, { prime });
  const want: number[] = [];
  const fresh = [make(1).fit(X, Y), make(2, 'x,u').fit(X, Y), make(3).fit(X, Y)];
  for (let k = 0; k < H; k++) {
    // Re-run each member over the prime and what was generated so far, take its last prediction.
    const seq = Float64Array.from([...prime.data, ...want]);
    const last = fresh.map((m) => m.run({ shape: [seq.length, 1], data: seq }).data[seq.length - 1]!);
    want.push((last[0]! + last[1]! + last[2]!) / 3);
  }
  for (let k = 0; k < H; k++)
    assert.ok(Math.abs(g.data[k]! - want[k]!) < 1e-9, `step ${k}: ${g.data[k]} vs ${want[k]}`);
  const truth = mg.subarray(1200, 1200 + H);
  // Deterministic, and different seeds give a different forecast.
  assert.deepEqual(new ESNEnsemble([make(1), make(2, 'x,u'), make(3)]).fit(X, Y).generate(H, { prime }).data, g.data);
  assert.notDeepEqual(
    new ESNEnsemble([make(4), make(2, 'x,u'), make(3)]).fit(X, Y).generate(H, { prime }).data,
    g.data,
  );
  let e = 0;
  for (let k = 0; k < H; k++) e += (g.data[k]! - truth[k]!) ** 2;
  assert.ok(Math.sqrt(e / H) < 0.05, `closed-loop rms error ${Math.sqrt(e / H)}`);
});

test('ESNEnsemble errors name what disagrees', () => {
  assert.throws(() => new ESNEnsemble([]), /needs at least one member/);
  const a = make(1).fit(X, Y),
    b = pipe(new Reservoir({ units: 20, seed: 2 }), new Ridge({ ridge: 1e-6 }));
  assert.throws(() => new ESNEnsemble([a, b]).generate(5, { prime }), /member 1 is not fitted|readout 0 is not fitted/);
  assert.throws(
    () => new ESNEnsemble([a]).generate(0, { prime }),
    /ESNEnsemble.generate: steps must be a positive integer, got 0/,
  );
});
