// Initial weights distributed as PyTorch's (fixtures/torch_distributions.json, written by
// scripts/make_distribution_fixtures.py): for every module and parameter (each gate block of
// the recurrent ones), recur's values pooled over 200 seeds against PyTorch's pooled over 200
// seeds: mean and variance within 5 standard errors, the two-sample Kolmogorov-Smirnov
// distance on PyTorch's percentiles below its 1e-5 critical value, uniform draws filling
// exactly PyTorch's documented bounds, and deterministic inits (identity, zeros, the
// forget-gate bias) equal value for value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Embedding, GRU, LSTM, Linear, type Params, RNN, SequenceModel } from 'recur-rnn';
import { readJSON } from '../helpers.js';

interface Entry {
  module: string;
  param: string;
  shape: number[];
  block: number | null;
  blocks: number;
  constant?: number[];
  n?: number;
  mean?: number;
  var?: number;
  m4?: number;
  min?: number;
  max?: number;
  percentiles?: number[];
  uniform_bound?: number;
}
const fx = readJSON<{ torch_version: string; seeds: number; percentiles: number[]; init: Entry[] }>(
  'fixtures/torch_distributions.json',
);

const I = 3,
  H = 20,
  O = 4;
/** recur's module for each PyTorch module of the fixture, built from a seed. */
const RECUR: Record<string, (seed: number) => Params> = {
  rnn_tanh: (seed) => new RNN({ inputSize: I, hiddenSize: H, seed }).params,
  rnn_relu: (seed) => new RNN({ inputSize: I, hiddenSize: H, nonlinearity: 'relu', seed }).params,
  // PyTorch's default draws every LSTM bias uniformly; recur's default sets the forget-gate bias
  // to 1 (checked against the learning benchmark's LSTM below), so the default draw is forgetBias null
  lstm: (seed) => new LSTM({ inputSize: I, hiddenSize: H, forgetBias: null, seed }).params,
  gru: (seed) => new GRU({ inputSize: I, hiddenSize: H, seed }).params,
  lstm_2layer_bi: (seed) =>
    new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, forgetBias: null, seed }).params,
  linear: (seed) => new Linear({ inFeatures: H, outFeatures: O, seed }).params,
  embedding: (seed) => new Embedding({ numEmbeddings: 10, embeddingDim: 7, seed }).params,
};
// bench/peers/learn_bench.py's models as `npm run bench -- learn` builds them in recur
const model = (cell: 'rnn' | 'lstm' | 'gru', extra: object) => (seed: number) =>
  new SequenceModel({ cell, inputSize: 6, hiddenSize: H, outputSize: O, head: 'last', loss: 'xent', seed, ...extra })
    .params;
RECUR.learn_bench_rnn_tanh = model('rnn', {});
RECUR.learn_bench_rnn_tanh_orth = model('rnn', { recurrentInit: 'orthogonal' });
RECUR.learn_bench_irnn = model('rnn', { nonlinearity: 'relu', recurrentInit: 'identity' });
RECUR.learn_bench_lstm = model('lstm', {}); // forget-gate bias 1 (b_ih[f] = 1, b_hh[f] = 0), as learn_bench's
RECUR.learn_bench_gru = model('gru', {});

/** Pools each parameter block over seeds 1..S of recur's module. */
function pooled(module: string): Map<string, Float64Array[]> {
  const make = RECUR[module];
  assert.ok(make, `no recur module for ${module}`);
  const out = new Map<string, Float64Array[]>();
  for (let s = 1; s <= fx.seeds; s++) {
    const p = make(s);
    for (const q of p.list) {
      const runs = out.get(q.name) ?? [];
      runs.push(Float64Array.from(q.data));
      out.set(q.name, runs);
    }
  }
  return out;
}

const byModule = new Map<string, Entry[]>();
for (const e of fx.init) byModule.set(e.module, [...(byModule.get(e.module) ?? []), e]);

for (const [module, entries] of byModule) {
  test(`initial weights distributed as PyTorch ${fx.torch_version}'s: ${module}`, () => {
    const recur = pooled(module);
    // the same parameters, by PyTorch's names and shapes
    assert.deepEqual([...recur.keys()].sort(), [...new Set(entries.map((e) => e.param))].sort());
    for (const e of entries) {
      const what = `${module} ${e.param}${e.block === null ? '' : ` block ${e.block}`}`;
      const runs = recur.get(e.param)!,
        per = runs[0]!.length / e.blocks,
        lo = (e.block ?? 0) * per;
      const blocks = runs.map((r) => r.subarray(lo, lo + per));
      if (e.constant) {
        for (const b of blocks) assert.deepEqual(Array.from(b), e.constant, `${what}: deterministic values differ`);
        continue;
      }
      const x = new Float64Array(blocks.length * per);
      blocks.forEach((b, i) => x.set(b, i * per));
      x.sort();
      const n = x.length,
        m = e.n!;
      let mean = 0;
      for (const v of x) mean += v / n;
      let v2 = 0;
      for (const v of x) v2 += (v - mean) ** 2 / n;
      // standard errors of the difference of two sample means / variances (PyTorch's moments)
      const seMean = Math.sqrt(e.var! / n + e.var! / m),
        seVar = Math.sqrt((e.m4! - e.var! ** 2) * (1 / n + 1 / m));
      assert.ok(Math.abs(mean - e.mean!) <= 5 * seMean, `${what}: mean ${mean} vs PyTorch ${e.mean} (se ${seMean})`);
      assert.ok(Math.abs(v2 - e.var!) <= 5 * seVar, `${what}: variance ${v2} vs PyTorch ${e.var} (se ${seVar})`);
      // Kolmogorov-Smirnov distance on PyTorch's percentiles: |F_recur(q_p) - p|
      let ks = 0;
      fx.percentiles.forEach((p, i) => {
        const q = e.percentiles![i]!;
        let a = 0,
          b = n; // count of x <= q by bisection
        while (a < b) {
          const mid = (a + b) >> 1;
          if (x[mid]! <= q) a = mid + 1;
          else b = mid;
        }
        ks = Math.max(ks, Math.abs(a / n - p / 100));
      });
      const crit = Math.sqrt(-Math.log(1e-5 / 2) / 2) * Math.sqrt((n + m) / (n * m));
      assert.ok(ks <= crit, `${what}: KS distance ${ks.toFixed(4)} > ${crit.toFixed(4)}`);
      if (e.uniform_bound !== undefined) {
        const k = e.uniform_bound,
          slack = (2 * k * 20) / n; // ten times the expected gap between the extremes and the bounds
        assert.ok(x[0]! >= -k && x[n - 1]! <= k, `${what}: values outside U(-${k}, ${k}): [${x[0]}, ${x[n - 1]}]`);
        assert.ok(x[0]! < -k + slack && x[n - 1]! > k - slack, `${what}: [${x[0]}, ${x[n - 1]}] does not fill +-${k}`);
      }
    }
  });
}

test('the distribution fixture covers every PyTorch recurrent cell, Linear, Embedding, the benchmark models', () => {
  assert.deepEqual([...byModule.keys()].sort(), Object.keys(RECUR).sort());
  assert.ok(fx.init.filter((e) => e.constant).length >= 4); // identity, zero biases, forget-gate bias 1 / 0
});
