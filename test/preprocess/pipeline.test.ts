// The pipeline: YUV -> LCN -> ZCA in one object, fitted from batches, saved and loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline, rgbToYuv, localContrastNormalize } from 'recur-rnn/preprocess';
import { ShapeError, tensor } from 'recur-rnn';
import { randn } from '../helpers.js';

const N = 40,
  H = 4,
  W = 4,
  C = 3;
const images = tensor(
  [N, H, W, C],
  Array.from(randn(N * H * W * C, 17), (v) => 0.5 + 0.2 * v),
);
function* batches(size: number) {
  const per = H * W * C;
  for (let i = 0; i < N; i += size)
    yield { shape: [Math.min(size, N - i), H, W, C], data: images.data.subarray(i * per, Math.min(N, i + size) * per) };
}

test('stateless steps equal calling the functions in order; the input is not modified', () => {
  const copy = Float32Array.from(images.data);
  const p = new Pipeline({ yuv: true, lcn: { size: 3, sigma: 1 } });
  const want = localContrastNormalize(rgbToYuv(images), { size: 3, sigma: 1 });
  assert.deepEqual(Array.from(p.apply(images).data), Array.from(want.data));
  assert.deepEqual(Array.from(images.data), Array.from(copy));
});

test('fit on batches, save, load: the same outputs, and whitened outputs have identity covariance', () => {
  const spec = { yuv: true, lcn: { size: 3, sigma: 1, acrossChannels: false }, zca: { epsilon: 1e-6 } };
  const p = Pipeline.fit(spec, batches(7));
  const q = Pipeline.fromBytes(p.toBytes());
  assert.deepEqual(q.spec, p.spec);
  const a = p.apply(images),
    b = q.apply(images);
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
  // D = 48 values per image from 40 images: rank <= 39, so the whitened covariance is a projection.
  // Its trace counts the directions kept: 39 (up to eps / lambda).
  const D = H * W * C;
  let trace = 0;
  for (let d = 0; d < D; d++) {
    let m = 0,
      s = 0;
    for (let i = 0; i < N; i++) m += a.data[i * D + d]! / N;
    for (let i = 0; i < N; i++) s += (a.data[i * D + d]! - m) ** 2;
    trace += s / (N - 1);
  }
  assert.ok(Math.abs(trace - (N - 1)) < 0.05, `trace of whitened covariance ${trace}`);
  assert.throws(
    () => p.apply(tensor([1, 5, 5, 3])),
    (e: Error) => e instanceof ShapeError && /\[B, 4, 4, 3\]/.test(e.message),
  );
});

test('stateless pipelines save too; bad files and specs are refused', () => {
  const p = Pipeline.fromBytes(new Pipeline({ lcn: { size: 5 } }).toBytes());
  assert.equal(p.zca, null);
  assert.equal(p.spec.lcn!.size, 5);
  assert.equal(p.spec.yuv, false);
  assert.throws(() => new Pipeline({ zca: {} }), /no fitted Zca was given/);
  assert.throws(() => Pipeline.fromBytes(new TextEncoder().encode('not a pipeline')), /magic bytes 'RCPP'/);
  assert.throws(() => new Pipeline({ yuv: true }).apply(tensor([1, 2, 2, 1])), /expected 3 channels/);
});
