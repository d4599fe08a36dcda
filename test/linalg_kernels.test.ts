// The small float64 products behind the diagnostics' power iterations (src/linalg.ts): dotAt's
// four partial sums agree with the plain sum; addRowsAt adds four rows per pass in row order, so
// it gives exactly the sums of the one-row-at-a-time loop, zero rows included. The tiled copies
// (transposeInto, symmetricFromUpper) give exactly what the plain loops give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addRowsAt, dotAt, matTVec, matVec, symmetricFromUpper, transposeInto } from '../src/linalg.js';
import { Rng } from '../src/random.js';

test('dotAt matches the plain sum on every length and offset', () => {
  const r = new Rng(5);
  for (const m of [0, 1, 3, 4, 5, 7, 8, 13, 128, 131]) {
    const A = Float32Array.from({ length: m + 9 }, () => r.normal()),
      x = Float64Array.from({ length: m + 5 }, () => r.normal());
    let want = 0;
    for (let j = 0; j < m; j++) want += A[7 + j]! * x[3 + j]!;
    const got = dotAt(A, 7, x, 3, m);
    assert.ok(Math.abs(got - want) <= 1e-12 * (1 + Math.abs(want)), `m=${m}: ${got} vs ${want}`);
  }
});

test('addRowsAt is bit-identical to adding one row at a time (odd counts, zero rows, offsets)', () => {
  const r = new Rng(6);
  for (const [n, m] of [
    [1, 1],
    [3, 5],
    [4, 4],
    [5, 3],
    [9, 17],
    [130, 64],
  ] as const) {
    const A = Float32Array.from({ length: 2 + n * m }, () => r.normal());
    const x = Float64Array.from({ length: n }, (_, i) => (i % 3 === 1 ? 0 : r.normal()));
    if (n >= 8) x.fill(0, 4, 8); // a whole group of four zero rows
    const y0 = Float64Array.from({ length: m + 3 }, () => r.normal());
    const want = Float64Array.from(y0);
    for (let i = 0; i < n; i++) {
      if (x[i] === 0) continue;
      for (let j = 0; j < m; j++) want[3 + j] += A[2 + i * m + j]! * x[i]!;
    }
    const got = Float64Array.from(y0);
    addRowsAt(A, 2, n, m, x, got, 3);
    assert.deepEqual(got, want, `n=${n} m=${m}`);
  }
});

test('matVec and matTVec against the definitions', () => {
  const r = new Rng(7),
    n = 7,
    m = 10;
  const A = Float64Array.from({ length: n * m }, () => r.normal()),
    x = Float64Array.from({ length: m }, () => r.normal()),
    u = Float64Array.from({ length: n }, () => r.normal());
  const y = new Float64Array(n),
    z = new Float64Array(m);
  matVec(A, n, m, x, y);
  matTVec(A, n, m, u, z);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += A[i * m + j]! * x[j]!;
    assert.ok(Math.abs(y[i]! - s) < 1e-12);
  }
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += A[i * m + j]! * u[i]!;
    assert.ok(Math.abs(z[j]! - s) < 1e-12);
  }
});

test('transposeInto, symmetricFromUpper: the plain loops by tiles (sizes around the tile edge, a column order)', () => {
  const r = new Rng(7);
  for (const n of [1, 5, 31, 32, 33, 70]) {
    const A = Float64Array.from({ length: n * n }, () => r.normal());
    const T = new Float64Array(n * n);
    transposeInto(A, n, T);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.equal(T[j * n + i], A[i * n + j]);
    // With a column order: row j of the result is column cols[j] of A.
    const cols = Int32Array.from({ length: n }, (_, j) => (j * 7 + 3) % n);
    transposeInto(A, n, T, cols);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) assert.equal(T[j * n + i], A[i * n + cols[j]!]);
    // Only the upper triangle is read; the result is symmetric and scaled; in place works too.
    const U = Float64Array.from(A);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) U[i * n + j] = NaN;
    const S = new Float64Array(n * n);
    symmetricFromUpper(U, n, 0.5, S);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) assert.equal(S[i * n + j], 0.5 * A[Math.min(i, j) * n + Math.max(i, j)]!);
    symmetricFromUpper(U, n, 0.5, U);
    assert.deepEqual(U, S);
  }
});
