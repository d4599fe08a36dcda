// Helper threads in the wasm kernels (src/node/kernel_threads.ts): a product split into blocks of
// C and the LSTM's time loop split by hidden units give the same bits as one thread (every
// output is computed by one thread in the same order), and the reference's numbers to 1e-5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LSTM, getBackend, listBackends, tsBackend } from 'recur-rnn';
import type { WasmBackend } from 'recur-rnn/backend';
import { useKernelThreads } from '../../src/node/kernel_threads.js';
import { randn, relErr } from '../helpers.js';

const hasWasm = listBackends().includes('wasm') && typeof SharedArrayBuffer !== 'undefined';

function fill(be: WasmBackend, n: number, seed: number, scale = 1): Float32Array {
  const a = be.alloc(n);
  a.set(randn(n, seed, scale, false));
  return a;
}

test('kernel threads: split products and LSTM time loops give the same bits as one thread', {
  skip: !hasWasm,
}, async () => {
  const be = getBackend('wasm') as WasmBackend;
  const gemms: [boolean, boolean, number, number, number][] = [
    [false, true, 64, 2048, 64], // wide C: split by columns
    [false, false, 64, 520, 300],
    [true, false, 1024, 260, 40], // tall C: split by rows
    [false, false, 3000, 6, 700], // thin N (NN as NT on B transposed)
    [false, true, 1000, 40, 12], // short K (NT as NN)
    [true, false, 700, 5, 1200], // TN with a thin N: one block, never split
    [true, true, 300, 200, 70],
  ];
  const seqs: [number, number, number][] = [
    [40, 1, 256],
    [33, 2, 100], // H not a multiple of 8
    [20, 3, 77],
    [24, 4, 72], // packed W_hh, the two threads' unit ranges 40 and 32
  ];
  const run = () => {
    let seed = 1;
    const out: Float32Array[] = [];
    for (const [tA, tB, M, N, K] of gemms)
      for (const acc of [false, true]) {
        const A = fill(be, M * K, seed++),
          B = fill(be, K * N, seed++),
          C = fill(be, M * N, seed++);
        be.gemm(tA, tB, acc, M, N, K, A, 0, B, 0, C, 0);
        out.push(Float32Array.from(C));
      }
    for (const [T, B, H] of seqs) {
      const BH = B * H;
      const xp = fill(be, 4 * T * BH, seed++, 2),
        w = fill(be, 4 * H * H, seed++, 1 / Math.sqrt(H)),
        hs = fill(be, (T + 1) * BH, seed++),
        cs = fill(be, (T + 1) * BH, seed++),
        tc = be.alloc(T * BH);
      const ref = [xp, w, hs, cs, tc].map((a) => Float32Array.from(a));
      be.lstmSequence(T, B, H, xp, 0, w, 0, hs, 0, cs, 0, tc, 0);
      tsBackend.lstmSequence(T, B, H, ref[0]!, 0, ref[1]!, 0, ref[2]!, 0, ref[3]!, 0, ref[4]!, 0);
      const e = relErr(hs, ref[2]!);
      assert.ok(e <= 1e-5, `lstmSequence T=${T} B=${B} H=${H} against the reference: ${e.toExponential(2)}`);
      out.push(Float32Array.from(hs), Float32Array.from(cs), Float32Array.from(xp));
    }
    return out;
  };
  const one = run();
  const kt = await useKernelThreads(2);
  try {
    assert.equal(kt.threads, 2);
    assert.ok(be.helpers, 'the backend has helpers');
    const two = run();
    assert.equal(two.length, one.length);
    for (let i = 0; i < one.length; i++) assert.deepEqual(two[i], one[i], `output ${i} differs with 2 threads`);
    // An LSTM layer's forward goes through the same loop.
    const m = new LSTM({ inputSize: 5, hiddenSize: 96, seed: 3, backend: be });
    const x = { shape: [30, 1, 5], data: Float32Array.from(randn(150, 9)) };
    const y2 = Float32Array.from(m.forward(x).output.data),
      pool = be.helpers;
    be.setHelpers(null);
    const y1 = Float32Array.from(m.forward(x).output.data);
    be.setHelpers(pool);
    assert.deepEqual(y2, y1);
  } finally {
    await kt.close();
  }
  assert.equal(be.helpers, null, 'close() takes the helpers away');
});

test('useKernelThreads: bad thread counts and a second pool are refused', { skip: !hasWasm }, async () => {
  await assert.rejects(useKernelThreads(0), /positive integer/);
  await assert.rejects(useKernelThreads(1.5), /positive integer/);
  const one = await useKernelThreads(1);
  assert.equal(one.threads, 1);
  await one.close();
  const kt = await useKernelThreads(2);
  try {
    await assert.rejects(useKernelThreads(2), /already running/);
  } finally {
    await kt.close();
  }
});
