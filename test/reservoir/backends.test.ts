// The readout and reservoir on every backend: the float64 kernels (syrk, blocked Cholesky,
// CSR mat-vec) must give what the ts loops give. Ridge: 1e-10 relative; reservoir states:
// identical bits (both sum the CSR rows in the same order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend, listBackends, setBackend } from 'recur-rnn/backend';
import { Reservoir, Ridge, choleskyInPlace } from 'recur-rnn/esn';
import { randn, relErr } from '../helpers.js';

function onEach<T>(f: () => T): Map<string, T> {
  const prev = getBackend().name,
    out = new Map<string, T>();
  try {
    for (const name of listBackends()) {
      setBackend(name);
      out.set(name, f());
    }
  } finally {
    setBackend(prev);
  }
  return out;
}

test('blocked Cholesky (M past two blocks) factors A = L L^T on every backend', () => {
  const M = 203,
    K = 260,
    X = randn(K * M, 11) as Float64Array;
  const A = new Float64Array(M * M);
  for (let k = 0; k < K; k++)
    for (let i = 0; i < M; i++) for (let j = 0; j <= i; j++) A[i * M + j] += X[k * M + i]! * X[k * M + j]!;
  for (const [name, L] of onEach(() => {
    const L = A.slice();
    choleskyInPlace(L, M);
    return L;
  })) {
    let err = 0,
      scale = 0;
    for (let i = 0; i < M; i++)
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k <= j; k++) s += L[i * M + k]! * L[j * M + k]!;
        err = Math.max(err, Math.abs(s - A[i * M + j]!));
        scale = Math.max(scale, Math.abs(A[i * M + j]!));
      }
    assert.ok(err / scale < 1e-13, `${name}: |L L^T - A| / |A| = ${err / scale}`);
  }
});

test('Ridge (float64, 300 features, uneven blocks) gives the same weights on every backend', () => {
  const n = 650,
    N = 300,
    O = 3,
    X = randn(n * N, 21) as Float64Array,
    Y = randn(n * O, 22) as Float64Array;
  const res = onEach(() => {
    const r = new Ridge({ ridge: 1e-6, blockRows: 129 }).fit({ shape: [n, N], data: X }, { shape: [n, O], data: Y });
    return [...r.Wout, ...r.bias];
  });
  const ts = res.get('ts')!;
  for (const [name, w] of res) assert.ok(relErr(w, ts) < 1e-10, `${name}: rel err ${relErr(w, ts)}`);
});

test('Reservoir states are bit-identical on every backend (CSR kernel, batch 2)', () => {
  const u = randn(2 * 50, 31) as Float64Array;
  const res = onEach(
    () =>
      new Reservoir({ units: 97, lr: 0.3, bias: 0.5, inputDim: 1, seed: 4 }).run({ shape: [50, 2, 1], data: u }).data,
  );
  const ts = res.get('ts')!;
  for (const [name, s] of res) assert.deepEqual(s, ts, name);
});
