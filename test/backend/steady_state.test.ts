// Workspace, not garbage (DESIGN.md, decision 6): after the first step, a training step
// allocates nothing: no new blocks in the wasm memory, no growth of the memory, and the JS
// heap and ArrayBuffer totals flat over 1,000 steps (measured after forced collections).
// Also: a model trains to the same numbers on wasm as on the reference backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SGD } from '../../src/train/optim.js';
import { type Batch, SequenceModel } from '../../src/layers/model.js';
import { type WasmBackend, getBackend, listBackends } from 'recur';
import { randn } from '../helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function trainer(cell: 'lstm' | 'gru' | 'rnn', backend: string, tokens: boolean) {
  const T = 8, B = 4;
  const model = new SequenceModel({ cell, hiddenSize: 16, outputSize: tokens ? 11 : 2, head: tokens ? 'every' : 'last', loss: tokens ? 'xent' : 'mse', seed: 3,
    ...(tokens ? { vocabSize: 11, embedDim: 6 } : { inputSize: 3 }) }, backend);
  const opt = new SGD(model.params, { lr: 0.05 });
  const batch: Batch = tokens
    ? { T, B, ids: Int32Array.from({ length: T * B }, (_, i) => (i * 7) % 11), y: Int32Array.from({ length: T * B }, (_, i) => (i * 3) % 11) }
    : { T, B, x: randn(T * B * 3, 1, 1, false) as Float32Array, y: randn(B * 2, 2, 1, false) as Float32Array };
  return { model, step: () => { model.params.zeroGrad(); const r = model.lossAndGrad(batch); opt.step(); return r.loss; } };
}

const snapshot = (be: WasmBackend | null) => {
  gc(); gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers, wasmUsed: be ? be.heap.used : 0, wasmBytes: be ? be.memory.buffer.byteLength : 0 };
};

for (const name of listBackends()) {
  test(`[${name}] a training step allocates nothing in steady state (1,000 steps)`, () => {
    const be = name === 'wasm' ? (getBackend('wasm') as WasmBackend) : null;
    const runs = [trainer('lstm', name, false), trainer('gru', name, true), trainer('rnn', name, false)];
    for (const r of runs) for (let i = 0; i < 20; i++) r.step();
    const before = snapshot(be);
    for (let i = 0; i < 1000; i++) for (const r of runs) r.step();
    const after = snapshot(be);
    assert.equal(after.wasmUsed, before.wasmUsed, 'blocks allocated in the wasm memory during steady-state steps');
    assert.equal(after.wasmBytes, before.wasmBytes, 'the wasm memory grew');
    assert.ok(after.buffers - before.buffers <= 64 * 1024, `ArrayBuffers grew by ${after.buffers - before.buffers} bytes over 1,000 steps`);
    assert.ok(after.heap - before.heap <= 512 * 1024, `JS heap grew by ${after.heap - before.heap} bytes over 1,000 steps`);
  });
}

test('training gives the same losses on every backend', () => {
  const ref = trainer('lstm', 'ts', true);
  const want = Array.from({ length: 30 }, () => ref.step());
  for (const name of listBackends()) {
    const r = trainer('lstm', name, true);
    const got = Array.from({ length: 30 }, () => r.step());
    for (let i = 0; i < 30; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * Math.abs(want[i]!), `${name} step ${i}: ${got[i]} vs ${want[i]}`);
    assert.ok(got[29]! < got[0]!, 'the loss goes down');
  }
});
