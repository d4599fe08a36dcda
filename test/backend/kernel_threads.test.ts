// Helper threads in the wasm kernels (src/node/kernel_threads.ts): a product split into blocks of
// C and the LSTM's time loop split by hidden units give the same bits as one thread (every
// output is computed by one thread in the same order), and the reference's numbers to 1e-5.
// The float64 kernels of the eigensolver likewise (symvUpper64 sums each thread's rows apart).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LSTM, getBackend, listBackends, tsBackend } from 'recur-rnn';
import { linalgOf, tsLinalg } from 'recur-rnn/backend';
import { symmetricEigen } from '../../src/preprocess/eigen.js';
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

test('kernel threads: float64 products split by rows or columns give the same bits; symvUpper64, eigen: same numbers', {
  skip: !hasWasm,
}, async () => {
  const be = getBackend('wasm') as WasmBackend;
  const lin = linalgOf(be);
  const fill64 = (n: number, seed: number): Float64Array => {
    const a = lin.alloc64(n);
    a.set(randn(n, seed));
    return a;
  };
  // [tA, tB, upper, M, N, K]: wide products (N > M) go by columns, the others by rows.
  const gemms: [boolean, boolean, boolean, number, number, number][] = [
    [false, false, false, 32, 1000, 300], // reflectors against a matrix: by columns
    [false, true, false, 40, 602, 250], // B transposed, N not a multiple of 4
    [true, false, false, 30, 500, 310],
    [true, false, true, 400, 400, 70], // upper (a covariance): by rows, equal areas
    [false, false, false, 500, 120, 200], // tall: by rows
  ];
  const run = () => {
    let seed = 100;
    const out: Float64Array[] = [];
    for (const [tA, tB, upper, M, N, K] of gemms)
      for (const acc of [false, true]) {
        const A = fill64(M * K, seed++),
          B = fill64(K * N, seed++),
          C = fill64(M * N, seed++);
        lin.gemm64(tA, tB, acc, upper, M, N, K, 0.5, A, 0, tA ? M : K, B, 0, tB ? K : N, C, 0, N);
        out.push(Float64Array.from(C));
      }
    return out;
  };
  // symvUpper64 splits its rows over the threads, each into a y of its own: the same numbers as
  // the reference to rounding (the sums are grouped differently), n odd and even.
  const symv = () =>
    [301, 400, 257].map((n, i) => {
      const A = fill64(n * n, 7 + i),
        x = fill64(n, 17 + i),
        y = lin.alloc64(n),
        yr = new Float64Array(n);
      lin.symvUpper64(n, A, 0, n, x, 0, y, 0);
      tsLinalg.symvUpper64(n, Float64Array.from(A), 0, n, Float64Array.from(x), 0, yr, 0);
      const e = relErr(y, yr, 1e-12);
      assert.ok(e <= 1e-13, `symvUpper64 n=${n}: ${e.toExponential(2)} from the reference`);
      return Float64Array.from(y);
    });
  const S = randn(300 * 300, 5),
    A = new Float64Array(300 * 300);
  for (let i = 0; i < 300; i++) for (let j = 0; j < 300; j++) A[i * 300 + j] = S[i * 300 + j]! + S[j * 300 + i]!;
  const one = run(),
    ys1 = symv(),
    eig1 = symmetricEigen(A, 300, lin);
  const kt = await useKernelThreads(2);
  try {
    const two = run();
    for (let i = 0; i < one.length; i++) assert.deepEqual(two[i], one[i], `gemm64 output ${i} differs with 2 threads`);
    const ys2 = symv();
    for (let i = 0; i < ys1.length; i++) assert.ok(relErr(ys2[i]!, ys1[i]!, 1e-12) <= 1e-13);
    const eig2 = symmetricEigen(A, 300, lin);
    assert.ok(relErr(eig2.values, eig1.values, 1e-12) <= 1e-12, 'eigenvalues with 2 threads');
    // Eigenvectors up to sign.
    for (let k = 0; k < 300; k++) {
      let dot = 0;
      for (let i = 0; i < 300; i++) dot += eig1.vectors[k * 300 + i]! * eig2.vectors[k * 300 + i]!;
      assert.ok(Math.abs(Math.abs(dot) - 1) <= 1e-9, `eigenvector ${k}: |v1 . v2| = ${Math.abs(dot)}`);
    }
  } finally {
    await kt.close();
  }
});
