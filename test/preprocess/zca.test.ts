// ZCA whitening: hand-computed 2-D cases, the eigensolver, whitened covariance ~ I, streaming,
// saving, and clear errors for degenerate data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Zca, CovarianceAccumulator, symmetricEigen } from 'recur-rnn/preprocess';
import { ShapeError, NonFiniteError, tensor, type Tensor } from 'recur-rnn';
import { randn } from '../helpers.js';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** Two-pass covariance in float64, the oracle. */
function cov(x: Tensor): { mean: Float64Array; C: Float64Array } {
  const N = x.shape[0]!,
    D = x.data.length / N,
    mean = new Float64Array(D),
    C = new Float64Array(D * D);
  for (let i = 0; i < N; i++) for (let p = 0; p < D; p++) mean[p]! += x.data[i * D + p]! / N;
  for (let i = 0; i < N; i++)
    for (let p = 0; p < D; p++)
      for (let q = 0; q < D; q++) {
        C[p * D + q]! += ((x.data[i * D + p]! - mean[p]!) * (x.data[i * D + q]! - mean[q]!)) / (N - 1);
      }
  return { mean, C };
}

/** N samples of D correlated values (a random mixing of independent normals with spread-out scales) plus an offset. */
function correlated(N: number, D: number, seed: number, offset = 0.5): Tensor {
  const z = randn(N * D, seed),
    A = randn(D * D, seed + 1),
    x = new Float32Array(N * D);
  for (let i = 0; i < N; i++)
    for (let p = 0; p < D; p++) {
      let s = offset;
      for (let q = 0; q < D; q++) s += (A[p * D + q]! * z[i * D + q]! * (q + 1)) / D;
      x[i * D + p] = s;
    }
  return { shape: [N, D], data: x };
}

test('symmetric eigensolver: 2x2 by hand, then A V = V diag(lambda) and V orthonormal on 40x40', () => {
  // [[2, 1], [1, 2]] has eigenvalues 1 and 3, eigenvectors (1, -1)/sqrt 2 and (1, 1)/sqrt 2.
  const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
  assert.ok(maxAbsDiff(values, [1, 3]) < 1e-14);
  const s = Math.SQRT1_2;
  assert.ok(Math.abs(Math.abs(vectors[0]! * s - vectors[1]! * s) - 1) < 1e-14);
  assert.ok(Math.abs(Math.abs(vectors[2]! * s + vectors[3]! * s) - 1) < 1e-14);
  const n = 40,
    r = randn(n * n, 2),
    A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] = r[i * n + j]! + r[j * n + i]!;
  const e = symmetricEigen(A, n);
  let res = 0,
    orth = 0;
  for (let k = 0; k < n; k++) {
    if (k > 0) assert.ok(e.values[k]! >= e.values[k - 1]!, 'ascending');
    for (let i = 0; i < n; i++) {
      let t = 0;
      for (let j = 0; j < n; j++) t += A[i * n + j]! * e.vectors[k * n + j]!;
      res = Math.max(res, Math.abs(t - e.values[k]! * e.vectors[k * n + i]!));
    }
    for (let l = 0; l < n; l++) {
      let t = 0;
      for (let i = 0; i < n; i++) t += e.vectors[k * n + i]! * e.vectors[l * n + i]!;
      orth = Math.max(orth, Math.abs(t - (k === l ? 1 : 0)));
    }
  }
  assert.ok(res < 1e-12 && orth < 1e-12, `residual ${res}, orthogonality ${orth}`);
  assert.throws(() => symmetricEigen([1, 2, 3], 2), ShapeError);
});

test('ZCA of a hand-made 2-D data set: mean, covariance and W by hand', () => {
  // Samples (1,0), (-1,0), (0,2), (0,-2) shifted by (3, -1): covariance diag(2/3, 8/3).
  const x = tensor([4, 2], [4, -1, 2, -1, 3, 1, 3, -3]);
  const z = Zca.fit(x, { epsilon: 0 });
  assert.ok(maxAbsDiff(z.mean, [3, -1]) < 1e-15);
  assert.ok(maxAbsDiff(z.values, [2 / 3, 8 / 3]) < 1e-14);
  assert.ok(maxAbsDiff(z.whiteningMatrix(), [Math.sqrt(1.5), 0, 0, Math.sqrt(3 / 8)]) < 1e-14);
  // (4, -1) -> ((4-3) sqrt(1.5), 0); the inverse brings it back.
  const y = z.transform(tensor([1, 2], [4, -1]));
  assert.ok(maxAbsDiff(y.data, [Math.sqrt(1.5), 0]) < 1e-6);
  assert.ok(maxAbsDiff(z.inverse(y).data, [4, -1]) < 1e-6);
  // With epsilon the gains shrink to 1/sqrt(lambda + eps).
  const ze = Zca.fit(x, { epsilon: 0.5 });
  assert.ok(maxAbsDiff(ze.whiteningMatrix(), [1 / Math.sqrt(2 / 3 + 0.5), 0, 0, 1 / Math.sqrt(8 / 3 + 0.5)]) < 1e-14);
  // A correlated pair: cov [[2,1],[1,2]] -> W = V diag(1, 1/sqrt 3) V^T = [[a, b], [b, a]].
  const c = tensor(
    [4, 2],
    [1, 1, -1, -1, 1, -1, -1, 1].map((v, i) => (i < 4 ? v * Math.sqrt(4.5) : v * Math.sqrt(1.5)) / Math.sqrt(2)),
  );
  // Those samples have covariance ((1,1)(1,1)^T 4.5 * 2 / 2 + (1,-1)(1,-1)^T 1.5 * 2 / 2) / 3 = [[2, 1], [1, 2]].
  const zc = Zca.fit(c, { epsilon: 0 });
  const a = (1 + 1 / Math.sqrt(3)) / 2,
    b = (1 / Math.sqrt(3) - 1) / 2;
  assert.ok(maxAbsDiff(zc.values, [1, 3]) < 1e-6);
  assert.ok(maxAbsDiff(zc.whiteningMatrix(), [a, b, b, a]) < 1e-6);
});

test('whitened covariance is the identity; inverse(transform(x)) = x; W is symmetric (ZCA, not PCA)', () => {
  const N = 600,
    D = 10,
    x = correlated(N, D, 11);
  const z = Zca.fit(x, { epsilon: 1e-9 });
  const y = z.transform(x);
  const { mean, C } = cov(y);
  for (let p = 0; p < D; p++) {
    assert.ok(Math.abs(mean[p]!) < 1e-5, `mean[${p}] = ${mean[p]}`);
    for (let q = 0; q < D; q++)
      assert.ok(Math.abs(C[p * D + q]! - (p === q ? 1 : 0)) < 1e-4, `cov[${p},${q}] = ${C[p * D + q]}`);
  }
  const back = z.inverse(y);
  assert.ok(maxAbsDiff(back.data, x.data) < 1e-4, `round trip ${maxAbsDiff(back.data, x.data)}`);
  const W = z.whiteningMatrix();
  for (let p = 0; p < D; p++) for (let q = 0; q < D; q++) assert.equal(W[p * D + q], W[q * D + p]);
  // Images [N, H, W, C] work the same way: the sample shape is kept.
  const img = { shape: [N, 2, 5, 1], data: x.data };
  const zi = Zca.fit(img, { epsilon: 1e-9 });
  assert.deepEqual(zi.sampleShape, [2, 5, 1]);
  assert.deepEqual(zi.transform(img).shape, [N, 2, 5, 1]);
  assert.throws(
    () => zi.transform(x),
    (e: Error) => e instanceof ShapeError && /expected \[B, 2, 5, 1\].*got \[600, 10\]/.test(e.message),
  );
});

test('above the QL size (D = 90, streamed): the blocked path gives the two-pass oracle W, and W C W = I', () => {
  // D > 64 takes the blocked solver on the covariance's upper triangle handed over in place
  // (symmetricEigenOwned); the oracle: the two-pass covariance through the QL path (40x40 above).
  const N = 700,
    D = 90,
    eps = 1e-9,
    x = correlated(N, D, 31),
    acc = new CovarianceAccumulator();
  for (let i = 0; i < N; i += 64)
    acc.add({ shape: [Math.min(64, N - i), D], data: x.data.subarray(i * D, Math.min(N, i + 64) * D) });
  const z = Zca.fromAccumulator(acc, { epsilon: eps });
  const { C } = cov(x),
    ref = symmetricEigen(C, D);
  for (let k = 0; k < D; k++)
    assert.ok(Math.abs(z.values[k]! - ref.values[k]!) <= 1e-9 * ref.values[D - 1]!, `eigenvalue ${k}`);
  const W = z.whiteningMatrix(),
    Wref = new Float64Array(D * D);
  for (let k = 0; k < D; k++) {
    const s = 1 / Math.sqrt(Math.max(0, ref.values[k]!) + eps);
    for (let p = 0; p < D; p++)
      for (let q = 0; q < D; q++) Wref[p * D + q]! += ref.vectors[k * D + p]! * ref.vectors[k * D + q]! * s;
  }
  const scale = maxAbsDiff(Wref, new Float64Array(D * D));
  assert.ok(maxAbsDiff(W, Wref) <= 1e-7 * scale, `W differs from the oracle's by ${maxAbsDiff(W, Wref)}`);
  // W C W = I in float64 (the transform's float32 output would add its own rounding).
  const WC = new Float64Array(D * D);
  for (let p = 0; p < D; p++)
    for (let r = 0; r < D; r++) for (let q = 0; q < D; q++) WC[p * D + q]! += W[p * D + r]! * C[r * D + q]!;
  for (let p = 0; p < D; p++)
    for (let q = 0; q < D; q++) {
      let s = 0;
      for (let r = 0; r < D; r++) s += WC[p * D + r]! * W[r * D + q]!;
      assert.ok(Math.abs(s - (p === q ? 1 : 0)) < 1e-4, `(W C W)[${p},${q}] = ${s}`);
    }
});

test('streaming: uneven batches give the statistics of the whole set, even with a large offset', () => {
  const N = 200,
    D = 6,
    x = correlated(N, D, 21, 1e4);
  const acc = new CovarianceAccumulator();
  for (const [a, b] of [
    [0, 1],
    [1, 8],
    [8, 8],
    [8, 131],
    [131, 200],
  ] as const) {
    acc.add({ shape: [b - a, D], data: x.data.subarray(a * D, b * D) });
  }
  assert.equal(acc.count, N);
  const { mean, C } = cov(x),
    got = acc.covariance();
  assert.ok(maxAbsDiff(acc.mean, mean) < 1e-9);
  let scale = 0;
  for (const v of C) scale = Math.max(scale, Math.abs(v));
  assert.ok(maxAbsDiff(got, C) / scale < 1e-10, `relative covariance error ${maxAbsDiff(got, C) / scale}`);
  // Fitting from an iterable of batches equals fitting on the whole tensor.
  function* batches() {
    for (let i = 0; i < N; i += 64)
      yield { shape: [Math.min(64, N - i), D], data: x.data.subarray(i * D, Math.min(N, i + 64) * D) };
  }
  const zs = Zca.fit(batches(), { epsilon: 1e-6 }),
    zw = Zca.fit(x, { epsilon: 1e-6 });
  assert.ok(maxAbsDiff(zs.transform(x).data, zw.transform(x).data) < 1e-3);
});

test('toBytes / fromBytes round trip gives the same transform; corrupt bytes are refused', () => {
  const x = correlated(50, 5, 31);
  const z = Zca.fit(x, { epsilon: 1e-3 });
  const bytes = z.toBytes();
  const z2 = Zca.fromBytes(bytes);
  assert.equal(z2.epsilon, 1e-3);
  assert.equal(z2.count, 50);
  assert.deepEqual(Array.from(z2.transform(x).data), Array.from(z.transform(x).data));
  assert.throws(() => Zca.fromBytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /magic bytes/);
  assert.throws(() => Zca.fromBytes(bytes.subarray(0, bytes.length - 8)), /does not fit.*truncated/);
});

test('bad input: zero-variance data, too few samples, singular without epsilon, NaN, shapes', () => {
  const same = tensor([5, 3], [0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1, 0.2, 0.3]);
  assert.throws(
    () => Zca.fit(same),
    (e: Error) => e instanceof RangeError && /zero variance \(all 5 samples are identical\)/.test(e.message),
  );
  assert.throws(() => Zca.fit(tensor([5, 2])), /zero variance/);
  assert.throws(() => Zca.fit(tensor([1, 3], [1, 2, 3])), /need at least 2 samples to estimate a covariance, got 1/);
  // 3 samples of 5 values: rank 2 covariance.
  const few = tensor([3, 5], randn(15, 3));
  assert.throws(
    () => Zca.fit(few, { epsilon: 0 }),
    (e: Error) => e instanceof RangeError && /singular.*pass epsilon > 0/.test(e.message),
  );
  assert.ok(Zca.fit(few, { epsilon: 1e-2 }) instanceof Zca);
  assert.throws(() => Zca.fit(few, { epsilon: -1 }), /epsilon must be a finite number >= 0/);
  const nan = tensor([3, 2], [1, 2, 3, NaN, 5, 6]);
  assert.throws(() => Zca.fit(nan), NonFiniteError);
  const acc = new CovarianceAccumulator([2]);
  assert.throws(
    () => acc.add(tensor([2, 3])),
    (e: Error) => e instanceof ShapeError && /samples of shape \[2\], got \[3\]/.test(e.message),
  );
  const z = Zca.fit(correlated(20, 2, 1));
  const inf = tensor([1, 2], [Infinity, 0]);
  assert.throws(() => z.transform(inf), NonFiniteError);
});
