// Workspace, not garbage (DESIGN.md, decision 6): after the first step, a training step
// allocates nothing: no new blocks in the wasm memory, no growth of the memory, and the JS
// heap and ArrayBuffer totals flat over 1,000-step windows (measured after forced collections).
// Also: a model trains to the same numbers on wasm as on the reference backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SGD } from '../../src/train/optim.js';
import { type Batch, SequenceModel } from '../../src/layers/model.js';
import { type WasmBackend, getBackend, listBackends } from 'recur-rnn';
import { randn } from '../helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function trainer(cell: 'lstm' | 'gru' | 'rnn', backend: string, tokens: boolean) {
  const T = 8,
    B = 4;
  const model = new SequenceModel(
    {
      cell,
      hiddenSize: 16,
      outputSize: tokens ? 11 : 2,
      head: tokens ? 'every' : 'last',
      loss: tokens ? 'xent' : 'mse',
      seed: 3,
      ...(tokens ? { vocabSize: 11, embedDim: 6 } : { inputSize: 3 }),
    },
    backend,
  );
  const opt = new SGD(model.params, { lr: 0.05 });
  const batch: Batch = tokens
    ? {
        T,
        B,
        ids: Int32Array.from({ length: T * B }, (_, i) => (i * 7) % 11),
        y: Int32Array.from({ length: T * B }, (_, i) => (i * 3) % 11),
      }
    : { T, B, x: randn(T * B * 3, 1, 1, false) as Float32Array, y: randn(B * 2, 2, 1, false) as Float32Array };
  return {
    model,
    step: () => {
      model.params.zeroGrad();
      const r = model.lossAndGrad(batch);
      opt.step();
      return r.loss;
    },
  };
}

const snapshot = (be: WasmBackend | null) => {
  gc();
  gc();
  const m = process.memoryUsage();
  return {
    heap: m.heapUsed,
    buffers: m.arrayBuffers,
    wasmUsed: be ? be.heap.used : 0,
    wasmBytes: be ? be.memory.buffer.byteLength : 0,
  };
};

for (const name of listBackends()) {
  test(`[${name}] a training step allocates nothing in steady state (1,000 steps)`, () => {
    const be = name === 'wasm' ? (getBackend('wasm') as WasmBackend) : null;
    const runs = [trainer('lstm', name, false), trainer('gru', name, true), trainer('rnn', name, false)];
    // Warm-up long enough for V8's tiering to settle: the first ~1,000 steps grow the heap by
    // feedback vectors and optimised code (160-730 KB depending on the machine), which is not a leak.
    for (const r of runs) for (let i = 0; i < 300; i++) r.step();
    // Two measured windows: a leak grows the heap in both, late JIT work in at most one.
    const growth: number[] = [];
    let before = snapshot(be);
    const first = before;
    for (let w = 0; w < 2; w++) {
      for (let i = 0; i < 1000; i++) for (const r of runs) r.step();
      const after = snapshot(be);
      assert.ok(
        after.buffers - before.buffers <= 64 * 1024,
        `ArrayBuffers grew by ${after.buffers - before.buffers} bytes over 1,000 steps`,
      );
      growth.push(after.heap - before.heap);
      before = after;
    }
    assert.equal(before.wasmUsed, first.wasmUsed, 'blocks allocated in the wasm memory during steady-state steps');
    assert.equal(before.wasmBytes, first.wasmBytes, 'the wasm memory grew');
    assert.ok(
      Math.min(...growth) <= 256 * 1024,
      `JS heap grew in every window: ${growth.join(', ')} bytes per 1,000 steps`,
    );
  });
}

test('training gives the same losses on every backend', () => {
  const ref = trainer('lstm', 'ts', true);
  const want = Array.from({ length: 30 }, () => ref.step());
  for (const name of listBackends()) {
    const r = trainer('lstm', name, true);
    const got = Array.from({ length: 30 }, () => r.step());
    for (let i = 0; i < 30; i++)
      assert.ok(
        Math.abs(got[i]! - want[i]!) <= 1e-4 * Math.abs(want[i]!),
        `${name} step ${i}: ${got[i]} vs ${want[i]}`,
      );
    assert.ok(got[29]! < got[0]!, 'the loss goes down');
  }
});

test('alternating batch sizes (training vs evaluation) reuse wasm memory instead of filling it', async () => {
  const be = getBackend() as { name: string; heap?: { used: number } };
  if (!be.heap) return; // ts backend: nothing to check
  const m = new SequenceModel({
    cell: 'lstm',
    inputSize: 2,
    hiddenSize: 32,
    outputSize: 1,
    head: 'last',
    loss: 'mse',
    seed: 1,
  });
  const batch = (B: number) => ({ T: 20, B, x: new Float32Array(20 * B * 2), y: new Float32Array(B) });
  for (let i = 0; i < 2; i++) {
    m.lossAndGrad(batch(8));
    m.predict(batch(100));
  }
  const used = be.heap.used;
  for (let i = 0; i < 20; i++) {
    m.lossAndGrad(batch(8));
    m.predict(batch(100));
  }
  assert.ok(be.heap.used <= used, `wasm heap grew from ${used} to ${be.heap.used} bytes`);
});
