// The fused reservoir step (src/reservoir/step.ts, assembly/reservoir64.ts): the wasm kernel
// gives the same bits as the reference loop for every activation, batch size and index width,
// and our float64 tanh / sigmoid stay within a few ulp of the engine's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reservoir, csrFromDense } from 'recur-rnn/esn';
import { getBackend, linalgOf, listBackends, setBackend, tsLinalg } from 'recur-rnn';
import { sigmoid64, tanh64 } from '../../src/backend/math64.js';
import type { ReservoirRunArgs } from '../../src/backend/backend.js';
import { Rng } from '../../src/random.js';

test('tanh64 and sigmoid64 are within 4 ulp of Math.tanh and 1 / (1 + Math.exp(-x))', () => {
  const rng = new Rng(7);
  for (let i = 0; i < 200000; i++) {
    const x = (rng.uniform() - 0.5) * 2 * 10 ** (rng.uniform() * 4 - 3);
    const t = Math.tanh(x),
      s = 1 / (1 + Math.exp(-x));
    assert.ok(Math.abs(tanh64(x) - t) <= 4 * 2.3e-16 * Math.abs(t), `tanh64(${x}) = ${tanh64(x)}, Math.tanh ${t}`);
    assert.ok(Math.abs(sigmoid64(x) - s) <= 4 * 2.3e-16 * s, `sigmoid64(${x}) = ${sigmoid64(x)}, reference ${s}`);
  }
  assert.equal(tanh64(30), 1);
  assert.equal(tanh64(-Infinity), -1);
  assert.ok(Number.isNaN(tanh64(NaN)));
  assert.equal(sigmoid64(800), 1);
  assert.equal(sigmoid64(-800), 0);
  assert.ok(Number.isNaN(sigmoid64(NaN)));
  assert.equal(tanh64(1e-300), 1e-300);
});

for (const activation of ['tanh', 'relu', 'sigmoid', 'identity'] as const) {
  test(`[${activation}] every backend runs the reservoir to the same bits (B = 3, run and step)`, () => {
    const be = getBackend().name;
    const u = Float64Array.from({ length: 200 * 3 * 2 }, (_, i) => Math.sin(i * 0.37));
    const results: Float64Array[] = [];
    try {
      for (const name of listBackends()) {
        setBackend(name);
        const r = new Reservoir({
          units: 41,
          sr: 0.9,
          lr: 0.7,
          seed: 4,
          bias: 0.3,
          connectivity: 0.3,
          inputConnectivity: 0.5,
          activation,
          inputDim: 2,
        });
        const run = r.run({ shape: [200, 3, 2], data: u }).data;
        r.reset(3);
        const steps: number[] = [];
        for (let t = 0; t < 200; t++) steps.push(...r.step(u, t * 6));
        assert.deepEqual(Array.from(run), steps, `${name}: run and step agree`);
        results.push(run);
      }
    } finally {
      setBackend(be);
    }
    for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
    assert.ok(results[0]!.some((v) => v !== 0));
  });
}

test('int32 column indices (N > 65536 layout) give the same bits as u16 ones', () => {
  const N = 9,
    D = 1,
    rng = new Rng(3);
  const dense = Array.from({ length: N * N }, () => (rng.uniform() < 0.6 ? Math.fround(rng.normal() * 0.3) : 0));
  const W = csrFromDense(dense, N, N),
    Win = csrFromDense(
      Array.from({ length: N }, () => rng.normal()),
      N,
      1,
    );
  const nnz = W.rowPtr[N]!;
  const packed16 = new Int32Array(Math.ceil(nnz / 2) + 1);
  new Uint16Array(packed16.buffer, 0, nnz).set(W.colIdx);
  const run = (idx16: boolean, ref: boolean): Float64Array => {
    const x = new Float64Array(N),
      out = new Float64Array(20 * N);
    const a: ReservoirRunArgs = {
      N,
      D,
      B: 1,
      T: 20,
      wRow: W.rowPtr,
      wIdx: idx16 ? packed16 : W.colIdx,
      idx16,
      wVal: Float32Array.from([...W.values, 0, 0, 0, 0]),
      inRow: Win.rowPtr,
      inIdx: Win.colIdx,
      inVal: Win.values,
      bias: new Float64Array(N).fill(0.1),
      lr: 0.5,
      act: 0,
      x,
      pre: new Float64Array(N),
      u: Float64Array.from({ length: 20 }, (_, t) => Math.cos(t)),
      uOff: 0,
      out,
      outOff: 0,
      outStride: N,
    };
    (ref ? tsLinalg : linalgOf()).reservoirRun(a);
    return out;
  };
  const want = run(true, true);
  assert.deepEqual(run(false, true), want);
  assert.deepEqual(run(true, false), want);
  assert.deepEqual(run(false, false), want);
  // and against the plain formula with Math.tanh (a few ulp apart at most)
  const x = new Float64Array(N);
  for (let t = 0; t < 20; t++) {
    const nx = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += dense[i * N + j]! * x[j]!;
      for (let p = Win.rowPtr[i]!; p < Win.rowPtr[i + 1]!; p++) s += Win.values[p]! * Math.cos(t);
      nx[i] = 0.5 * x[i]! + 0.5 * Math.tanh(s + 0.1);
    }
    x.set(nx);
    for (let i = 0; i < N; i++) assert.ok(Math.abs(want[t * N + i]! - x[i]!) < 1e-14, `step ${t} unit ${i}`);
  }
});

test('a step before initialisation, or with too few inputs, is a clear error', () => {
  const r = new Reservoir({ units: 5, seed: 1 });
  assert.throws(() => r.step(new Float64Array(1)), /not initialised/);
  r.initialize(2);
  assert.throws(() => r.step(new Float64Array(1)), /need 2 values, got 1/);
  assert.throws(() => r.runSteps(new Float64Array(6), 0, 4), /need 8 values, got 6/);
  assert.throws(() => r.runSteps(new Float64Array(6), 0, 65), /T must be in/);
});
