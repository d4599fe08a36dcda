// The divide-and-conquer eigensolver (tridiagonal.ts + tridiag_eigen.ts, what symmetricEigen runs
// for n > 64) against the QL reference (symmetricEigenQL): the same eigenvalues, A v = lambda v,
// orthonormal vectors, on random matrices, low-rank covariances (a cluster of zero eigenvalues),
// repeated eigenvalues, a matrix that is already tridiagonal with tiny couplings (deflation),
// the zero and identity matrices; on the wasm kernels and on the reference kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend, linalgOf, listBackends, tsLinalg } from 'recur-rnn/backend';
import { symmetricEigen, symmetricEigenQL } from '../../src/preprocess/eigen.js';
import { randn } from '../helpers.js';

function sym(n: number, f: (i: number, j: number) => number): Float64Array {
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) A[i * n + j] = A[j * n + i] = f(i, j);
  return A;
}

/** X^T X / N for X [N, n] ~ N(0, 1) scaled per column: rank min(N, n). */
function covariance(n: number, N: number, seed: number): Float64Array {
  const X = randn(N * n, seed);
  const A = new Float64Array(n * n);
  for (let q = 0; q < N; q++)
    for (let i = 0; i < n; i++) {
      const xi = X[q * n + i]! * (1 + i / n);
      for (let j = i; j < n; j++) A[i * n + j]! += (xi * X[q * n + j]! * (1 + j / n)) / N;
    }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A[i * n + j] = A[j * n + i]!;
  return A;
}

/** Q diag(values) Q^T with Q from the QR of a random matrix (Householder, plain loops). */
function withSpectrum(values: number[], seed: number): Float64Array {
  const n = values.length,
    A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) A[i * n + i] = values[i]!;
  const r = randn(n * n, seed);
  for (let k = 0; k < n - 1; k++) {
    // A <- H A H with H = I - 2 v v^T / (v^T v), v random below row k
    const v = new Float64Array(n);
    let vv = 0;
    for (let i = k; i < n; i++) vv += (v[i] = r[k * n + i]!) ** 2;
    const Av = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = k; j < n; j++) Av[i]! += A[i * n + j]! * v[j]!;
    let vAv = 0;
    for (let i = k; i < n; i++) vAv += v[i]! * Av[i]!;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        A[i * n + j]! += (-2 * (v[i]! * Av[j]! + Av[i]! * v[j]!) + (4 * vAv * v[i]! * v[j]!) / vv) / vv;
  }
  return A;
}

function check(what: string, A: Float64Array, n: number, lin = linalgOf(getBackend())): void {
  const { values, vectors } = symmetricEigen(A, n, lin);
  const ref = symmetricEigenQL(A, n);
  let scale = 0;
  for (const v of ref.values) scale = Math.max(scale, Math.abs(v));
  scale = Math.max(scale, 1e-300);
  const tol = 1e-12 * Math.max(1, n / 64);
  for (let k = 0; k < n; k++) {
    assert.ok(
      Math.abs(values[k]! - ref.values[k]!) <= tol * scale,
      `${what}: value ${k} ${values[k]} vs ${ref.values[k]}`,
    );
    if (k > 0) assert.ok(values[k]! >= values[k - 1]!, `${what}: values ascending`);
  }
  // residual and orthonormality on a sample of vectors
  for (let k = 0; k < n; k += Math.max(1, n >> 4)) {
    let res = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j]! * vectors[k * n + j]!;
      res = Math.max(res, Math.abs(s - values[k]! * vectors[k * n + i]!));
    }
    assert.ok(res <= tol * scale, `${what}: |A v - lambda v| = ${res.toExponential(2)} for vector ${k}`);
    for (let l = 0; l < n; l += Math.max(1, n >> 3)) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += vectors[k * n + j]! * vectors[l * n + j]!;
      assert.ok(Math.abs(dot - (k === l ? 1 : 0)) <= tol, `${what}: v${k} . v${l} = ${dot}`);
    }
  }
}

const linalgs = [
  ['reference kernels', tsLinalg],
  ...(listBackends().includes('wasm') ? [['wasm kernels', linalgOf(getBackend('wasm'))] as const] : []),
] as const;

for (const [name, lin] of linalgs) {
  test(`divide and conquer vs QL (${name}): random, covariance, low rank, repeated, tridiagonal, 0, I`, () => {
    for (const n of [65, 97, 160])
      check(
        `random ${n}`,
        sym(n, (i, j) => Math.sin(i * 7.1 + j * 3.3 + n)),
        n,
        lin,
      );
    check('covariance 130 (N = 2n)', covariance(130, 260, 3), 130, lin);
    check('low rank 120 (N = 30: 90 zero eigenvalues)', covariance(120, 30, 4), 120, lin);
    const rep = Array.from({ length: 100 }, (_, i) => [1, 2, 2, 2, 5][i % 5]!);
    check('repeated eigenvalues 100', withSpectrum(rep, 5), 100, lin);
    check(
      'tridiagonal with tiny couplings 150',
      sym(150, (i, j) => (i === j ? (i % 7) * 0.5 : j === i + 1 ? (i % 3 === 0 ? 1e-14 : 0.3) : 0)),
      150,
      lin,
    );
    check('zero 70', new Float64Array(70 * 70), 70, lin);
    check(
      'identity 80',
      sym(80, (i, j) => (i === j ? 1 : 0)),
      80,
      lin,
    );
  });
}

test('symmetricEigen of a 300x300 covariance: the same eigenvalues and vectors (up to sign) as QL', () => {
  const n = 300,
    A = covariance(n, 600, 9),
    a = symmetricEigen(A, n),
    b = symmetricEigenQL(A, n);
  for (let k = n - 5; k < n; k++) {
    // the largest eigenvalues are well separated: vectors agree up to sign
    let dot = 0;
    for (let j = 0; j < n; j++) dot += a.vectors[k * n + j]! * b.vectors[k * n + j]!;
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-9, `vector ${k}: |dot| = ${Math.abs(dot)}`);
  }
});
