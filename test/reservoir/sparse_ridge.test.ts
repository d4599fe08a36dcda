// Sparse reservoir weights, spectral radius, and the streaming ridge readout against a dense solve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Reservoir,
  Ridge,
  RLS,
  csrFromDense,
  csrSpectralRadius,
  csrToDense,
  csrMatVecBatch,
  randomSparse,
  choleskyInPlace,
  NotPositiveDefiniteError,
  type CSR,
} from 'recur-rnn/esn';
import { Rng, NonFiniteError } from 'recur-rnn';
import { readJSON, randn, relErr } from '../helpers.js';

type Fx = { matrices: { n: number; rows: number[]; cols: number[]; values: number[]; rho: number }[] };

function fromTriplets(n: number, r: number[], c: number[], v: number[]): CSR {
  const D = new Float64Array(n * n);
  r.forEach((ri, k) => {
    D[ri * n + c[k]!] = v[k]!;
  });
  return csrFromDense(D, n, n);
}

test('csrSpectralRadius matches numpy eigvals within 1%, and scaling hits the target within 1%', () => {
  for (const m of readJSON<Fx>('fixtures/esn/spectral.json').matrices) {
    const A = fromTriplets(m.n, m.rows, m.cols, m.values);
    const est = csrSpectralRadius(A);
    assert.ok(Math.abs(est - m.rho) / m.rho < 0.01, `n=${m.n}: estimate ${est} vs numpy ${m.rho}`);
    // After scaling W by sr / estimate, the true radius is (sr / est) * rho.
    for (const sr of [0.9, 1.25]) {
      const trueAfter = (sr / est) * m.rho;
      assert.ok(Math.abs(trueAfter - sr) / sr < 0.01, `sr ${sr}: true radius after scaling ${trueAfter}`);
    }
  }
});

test('spectral radius of known matrices: rotation blocks and a triangular matrix', () => {
  // Block diagonal of 2x2 rotations scaled by 0.5, 0.9, 0.7: complex pairs, radius 0.9.
  const n = 6,
    D = new Float64Array(n * n);
  [0.5, 0.9, 0.7].forEach((r, k) => {
    const c = Math.cos(0.3 + k),
      s = Math.sin(0.3 + k),
      o = 2 * k;
    D[o * n + o] = r * c;
    D[o * n + o + 1] = -r * s;
    D[(o + 1) * n + o] = r * s;
    D[(o + 1) * n + o + 1] = r * c;
  });
  assert.ok(Math.abs(csrSpectralRadius(csrFromDense(D, n, n)) - 0.9) < 0.009);
  // Upper triangular: eigenvalues on the diagonal (max |.| = 1.3), strongly non-normal.
  const T = new Float64Array(16);
  [0.2, -1.3, 0.7, 1.1].forEach((v, i) => {
    T[i * 4 + i] = v;
    for (let j = i + 1; j < 4; j++) T[i * 4 + j] = 2;
  });
  assert.ok(Math.abs(csrSpectralRadius(csrFromDense(T, 4, 4)) - 1.3) < 0.013);
});

test('Reservoir W has the requested density and spectral radius; same seed, same weights', () => {
  const r = new Reservoir({ units: 200, sr: 0.95, connectivity: 0.05, inputDim: 2, seed: 3 });
  assert.equal(r.W.values.length, 200 * 10); // fixed in-degree round(0.05 * 200) = 10
  const rho = csrSpectralRadius(r.W, { seed: 99 });
  assert.ok(Math.abs(rho - 0.95) / 0.95 < 0.01, `radius after scaling ${rho}`);
  const r2 = new Reservoir({ units: 200, sr: 0.95, connectivity: 0.05, inputDim: 2, seed: 3 });
  assert.deepEqual(r2.W.values, r.W.values);
  assert.deepEqual(r2.Win.colIdx, r.Win.colIdx);
  const r3 = new Reservoir({ units: 200, sr: 0.95, connectivity: 0.05, inputDim: 2, seed: 4 });
  assert.notDeepEqual(r3.W.values, r.W.values);
});

test('batched CSR mat-vec equals the dense product', () => {
  const A = randomSparse(7, 5, 0.4, new Rng(1));
  const D = csrToDense(A),
    B = 3,
    X = randn(B * 5, 2) as Float64Array,
    Y = new Float64Array(B * 7);
  csrMatVecBatch(A, B, X, 0, Y, 0);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < 7; i++) {
      let s = 0;
      for (let j = 0; j < 5; j++) s += D[i * 5 + j]! * X[b * 5 + j]!;
      assert.ok(Math.abs(Y[b * 7 + i]! - s) < 1e-12);
    }
});

/** Dense oracle: [W b] = argmin ||Y - X W^T - b||^2 + ridge ||W||^2 by Gaussian elimination. */
function denseRidge(X: Float64Array, Y: Float64Array, n: number, N: number, O: number, ridge: number): Float64Array {
  const M = N + 1,
    A = new Float64Array(M * M),
    R = new Float64Array(M * O);
  for (let r = 0; r < n; r++) {
    const xr = (j: number) => (j < N ? X[r * N + j]! : 1);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < M; j++) A[i * M + j] += xr(i) * xr(j);
      for (let o = 0; o < O; o++) R[i * O + o] += xr(i) * Y[r * O + o]!;
    }
  }
  for (let i = 0; i < N; i++) A[i * M + i] += ridge;
  for (let k = 0; k < M; k++) {
    // elimination with partial pivoting
    let p = k;
    for (let i = k + 1; i < M; i++) if (Math.abs(A[i * M + k]!) > Math.abs(A[p * M + k]!)) p = i;
    for (let j = 0; j < M; j++) {
      const t = A[k * M + j]!;
      A[k * M + j] = A[p * M + j]!;
      A[p * M + j] = t;
    }
    for (let o = 0; o < O; o++) {
      const t = R[k * O + o]!;
      R[k * O + o] = R[p * O + o]!;
      R[p * O + o] = t;
    }
    for (let i = k + 1; i < M; i++) {
      const f = A[i * M + k]! / A[k * M + k]!;
      for (let j = k; j < M; j++) A[i * M + j] -= f * A[k * M + j]!;
      for (let o = 0; o < O; o++) R[i * O + o] -= f * R[k * O + o]!;
    }
  }
  for (let i = M - 1; i >= 0; i--)
    for (let o = 0; o < O; o++) {
      let s = R[i * O + o]!;
      for (let j = i + 1; j < M; j++) s -= A[i * M + j]! * R[j * O + o]!;
      R[i * O + o] = s / A[i * M + i]!;
    }
  return R; // [M, O]: rows 0..N-1 weights, row N bias
}

test('streaming Ridge (several partialFit calls, small blocks, several tiles) equals a dense solve', () => {
  const n = 700,
    N = 300,
    O = 2,
    ridge = 1e-3;
  const X = randn(n * N, 5) as Float64Array,
    Y = randn(n * O, 6) as Float64Array;
  const ref = denseRidge(X, Y, n, N, O, ridge);
  for (const precision of ['float64', 'float32'] as const) {
    const r = new Ridge({ ridge, blockRows: 97, precision });
    // Three uneven sequences streamed one after another.
    for (const [a, b] of [
      [0, 250],
      [250, 251],
      [251, 700],
    ] as const) {
      r.partialFit(
        { shape: [b - a, N], data: X.subarray(a * N, b * N) },
        { shape: [b - a, O], data: Y.subarray(a * O, b * O) },
      );
    }
    r.solve();
    const got = new Float64Array(ref.length);
    for (let o = 0; o < O; o++) {
      for (let j = 0; j < N; j++) got[j * O + o] = r.Wout[o * N + j]!;
      got[N * O + o] = r.bias[o]!;
    }
    const tol = precision === 'float64' ? 1e-9 : 1e-4;
    assert.ok(relErr(got, ref) < tol, `${precision}: rel err ${relErr(got, ref)}`);
    assert.equal(r.samples, n);
  }
});

test('RLS converges to the ridge solution with penalty alpha', () => {
  const n = 300,
    N = 8,
    O = 1,
    alpha = 1e-2;
  const X = randn(n * N, 8) as Float64Array,
    Y = randn(n * O, 9) as Float64Array;
  const ref = denseRidge(X, Y, n, N, O, alpha);
  const r = new RLS({ alpha });
  r.partialFit({ shape: [n, N], data: X }, { shape: [n, O], data: Y });
  // RLS penalises the bias too (P_0 = I / alpha on all M); with alpha small the difference is tiny.
  assert.ok(relErr(r.Wout, ref.subarray(0, N)) < 1e-3, `rel err ${relErr(r.Wout, ref.subarray(0, N))}`);
});

test('Ridge and Cholesky errors are clear', () => {
  const A = Float64Array.from([1, 2, 2, 1]);
  assert.throws(
    () => choleskyInPlace(A, 2),
    (e: Error) => e instanceof NotPositiveDefiniteError && /not positive definite/.test(e.message),
  );
  const r = new Ridge({ ridge: 0 });
  // Two identical columns and no penalty: singular normal equations.
  const X = Float64Array.from([1, 1, 2, 2, 3, 3, 4, 4]);
  r.partialFit({ shape: [4, 2], data: X }, { shape: [4, 1], data: [1, 2, 3, 4] });
  assert.throws(() => r.solve(), /not positive definite.*increase the ridge/);
  assert.throws(() => new Ridge().solve(), /no data accumulated/);
  assert.throws(
    () => r.partialFit({ shape: [2, 2], data: [1, NaN, 0, 0] }, { shape: [2, 1], data: [0, 0] }),
    (e: Error) => e instanceof NonFiniteError && /time step 0, sequence 0, feature 1/.test(e.message),
  );
  assert.throws(
    () => r.partialFit({ shape: [2, 3], data: [0, 0, 0, 0, 0, 0] }, { shape: [2, 1], data: [0, 0] }),
    /expected 2 features/,
  );
});

test('iterated Tikhonov (order k) moves the ridge solution towards least squares', () => {
  const n = 200,
    N = 10,
    ridge = 5;
  const X = randn(n * N, 11) as Float64Array,
    Y = randn(n, 12) as Float64Array;
  const ls = denseRidge(X, Y, n, N, 1, 1e-12).subarray(0, N);
  const err = (order: number) => {
    const r = new Ridge({ ridge, order });
    r.partialFit({ shape: [n, N], data: X }, { shape: [n, 1], data: Y }).solve();
    return relErr(r.Wout, ls);
  };
  const e1 = err(1),
    e3 = err(3),
    e20 = err(20);
  assert.ok(e1 > e3 && e3 > e20 && e20 < 1e-6, `errors ${e1} ${e3} ${e20}`);
  assert.ok(
    relErr(
      new Ridge({ ridge }).partialFit({ shape: [n, N], data: X }, { shape: [n, 1], data: Y }).solve().Wout,
      denseRidge(X, Y, n, N, 1, ridge).subarray(0, N),
    ) < 1e-9,
  );
  assert.throws(() => new Ridge({ order: 0 }), /order must be an integer >= 1/);
});
