// Gram updates split between the caller and a helper (src/reservoir/gram.ts, src/node/gram.ts):
// the tiles are disjoint and each is computed by the same kernel, so a ridge readout fitted
// with a helper thread has exactly the weights of one fitted on the calling thread alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ridge, SplitGram, type GramAccumulator, type GramHelper } from 'recur-rnn/esn';
import { threadedGram } from 'recur-rnn/parallel';
import { type WasmBackend, getBackend } from 'recur-rnn';

const T = 1500,
  N = 203;
const X = Float64Array.from({ length: T * N }, (_, i) => Math.sin(i * 0.013) + Math.cos(i * 0.7 + (i % 7)));
const Y = Float64Array.from({ length: T * 2 }, (_, i) => Math.sin(i * 0.01));
const fit = (gram?: GramAccumulator) =>
  new Ridge({ ridge: 1e-6, blockRows: 128, gram }).fit({ shape: [T, N], data: X }, { shape: [T, 2], data: Y });

test('a helper thread gives the same weights, bit for bit', async (t) => {
  const be = getBackend() as WasmBackend;
  if (be.name !== 'wasm' || !be.heap.shared) return t.skip('needs the wasm backend with a shared memory');
  const gram = await threadedGram();
  try {
    const want = fit(),
      got = fit(gram);
    assert.deepEqual(got.Wout, want.Wout);
    assert.deepEqual(got.bias, want.bias);
    assert.ok(gram.mainShare >= 0 && gram.mainShare <= 0.5);
  } finally {
    await gram.close();
  }
  assert.throws(() => fit(gram), /helper thread was closed/);
});

test('every split of the row panels covers each tile once (a helper that runs on the caller)', (t) => {
  const be = getBackend() as WasmBackend;
  if (be.name !== 'wasm') return t.skip('needs the wasm backend');
  // A helper that does its share at `wait`, and a caller made slow so that it takes a share too.
  let job: [number, number, Float64Array, Float64Array, number, number] | null = null;
  const helper: GramHelper = {
    start: (P, K, A, C, from, to) => {
      job = [P, K, A, C, from, to];
    },
    wait: () => {
      if (job) be.linalg.syrkRows(...job);
      job = null;
      return 1000;
    },
  };
  const split = new SplitGram(be.linalg, helper);
  const want = fit();
  const got = fit(split);
  assert.ok(split.mainShare > 0, 'the caller took a share');
  assert.deepEqual(got.Wout, want.Wout);
});
