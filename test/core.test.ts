// Tensors, the seeded Rng and the initialisers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, init, spectralRadius, largestSingularValue, tensor, checkShape, ShapeError } from 'recur-rnn';

test('Rng: same seed, same numbers; state round trip; known first values', () => {
  const a = new Rng(123),
    b = new Rng(123);
  const xs = Array.from({ length: 5 }, () => a.nextU32());
  assert.deepEqual(
    xs,
    Array.from({ length: 5 }, () => b.nextU32()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 5 }, () => new Rng(124).nextU32()),
  );
  // Pinned so a change to the generator (and so to every seeded result) is caught.
  assert.deepEqual(
    Array.from(
      { length: 3 },
      (() => {
        const r = new Rng(1);
        return () => r.nextU32();
      })(),
    ),
    [2442144158, 3238099751, 3819917871],
  );
  a.normal();
  const st = a.getState();
  const next = [a.uniform(), a.normal(), a.normal()];
  assert.deepEqual(
    [
      new Rng(0).setState(st).uniform(),
      ...(() => {
        const r = new Rng(0).setState(st);
        r.uniform();
        return [r.normal(), r.normal()];
      })(),
    ],
    next,
  );
});

test('Rng: uniform in [0,1), normal has mean 0 and variance 1', () => {
  const r = new Rng(7);
  let s = 0,
    s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
  }
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    s += z;
    s2 += z * z;
  }
  assert.ok(Math.abs(s / n) < 0.03 && Math.abs(s2 / n - 1) < 0.05);
});

test('orthogonal init: Q^T Q = I for square, tall and wide shapes, with gain', () => {
  for (const [rows, cols] of [
    [6, 6],
    [8, 3],
    [3, 8],
  ] as const) {
    const W = new Float64Array(rows * cols);
    init.orthogonal(W, rows, cols, new Rng(1), 2);
    const k = Math.min(rows, cols);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let d = 0;
        // rows >= cols: columns orthonormal; else rows orthonormal.
        for (let m = 0; m < Math.max(rows, cols); m++)
          d += rows >= cols ? W[m * cols + i]! * W[m * cols + j]! : W[i * cols + m]! * W[j * cols + m]!;
        assert.ok(Math.abs(d - (i === j ? 4 : 0)) < 1e-9, `[${rows},${cols}] (${i},${j}) = ${d}`);
      }
    }
  }
});

test('identity init, xavier bounds, spectral radius scaling and singular values', () => {
  const I = new Float32Array(9);
  init.identity(I, 3, 3, 0.5);
  assert.deepEqual([...I], [0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5]);
  const X = new Float32Array(200);
  init.xavierUniform(X, 10, 20, new Rng(2));
  const b = Math.sqrt(6 / 30);
  assert.ok(X.every((v) => Math.abs(v) <= b) && X.some((v) => Math.abs(v) > b * 0.9));
  // A rotation by 90 degrees scaled by 0.7 has complex eigenvalues +-0.7i: radius 0.7.
  assert.ok(Math.abs(spectralRadius([0, -0.7, 0.7, 0], 2) - 0.7) < 1e-3);
  // Upper-triangular: eigenvalues on the diagonal; largest singular value from the known SVD.
  assert.ok(Math.abs(spectralRadius([0.5, 3, 0, -0.9], 2) - 0.9) < 2e-3);
  assert.ok(Math.abs(largestSingularValue([3, 0, 0, 0, 2, 0], 2, 3) - 3) < 1e-9);
  const W = new Float64Array(50 * 50);
  init.normal(W, 0, 1, new Rng(3));
  init.scaleToSpectralRadius(W, 50, 1.1);
  assert.ok(Math.abs(spectralRadius(W, 50, { iters: 2000 }) - 1.1) / 1.1 < 0.01);
});

test('tensor and checkShape errors', () => {
  assert.throws(() => tensor([2, 2], [1, 2, 3]), /needs 4 values, got 3/);
  assert.throws(() => tensor([2, -1]), /bad dimension -1/);
  assert.throws(
    () => checkShape(tensor([2, 3]), [2, 4], 'w'),
    (e: Error) => e instanceof ShapeError && /w: expected shape \[2, 4\], got \[2, 3\]/.test(e.message),
  );
  assert.deepEqual(checkShape(tensor([5, 3]), [null, 3], 'x'), [5, 3]);
});
