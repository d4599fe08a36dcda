// BT.601 RGB <-> YUV: hand-computed primaries, exact round trip, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rgbToYuv, yuvToRgb } from 'recur-rnn/preprocess';
import { ShapeError, NonFiniteError, tensor } from 'recur-rnn';
import { randn } from '../helpers.js';

const close = (a: ArrayLike<number>, b: number[], tol: number) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `index ${i}: ${a[i]} vs ${b[i]}`);
};

test('primaries, white and black map to the BT.601 values', () => {
  // Pixels: red, green, blue, white, black; [1, 1, 5, 3].
  const rgb = tensor([1, 1, 5, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
  const yuv = rgbToYuv(rgb);
  // Y = 0.299 R + 0.587 G + 0.114 B; U = 0.436 (B - Y) / 0.886; V = 0.615 (R - Y) / 0.701.
  const u = (r: number, g: number, b: number) => (0.436 * (b - (0.299 * r + 0.587 * g + 0.114 * b))) / 0.886;
  const v = (r: number, g: number, b: number) => (0.615 * (r - (0.299 * r + 0.587 * g + 0.114 * b))) / 0.701;
  close(
    yuv.data,
    [0.299, u(1, 0, 0), 0.615, 0.587, u(0, 1, 0), v(0, 1, 0), 0.114, 0.436, v(0, 0, 1), 1, 0, 0, 0, 0, 0],
    1e-7,
  );
  // The textbook matrix rows (rounded to 5 digits) agree.
  close([yuv.data[1]!, yuv.data[4]!, yuv.data[5]!, yuv.data[8]!], [-0.14713, -0.28886, -0.51499, -0.10001], 1e-5);
  assert.deepEqual(yuv.shape, [1, 1, 5, 3]);
});

test('round trip RGB -> YUV -> RGB is exact within float32 rounding, also in place', () => {
  const N = 3,
    H = 4,
    W = 5;
  const x = tensor([N, H, W, 3], randn(N * H * W * 3, 7));
  const back = yuvToRgb(rgbToYuv(x));
  let err = 0;
  for (let i = 0; i < x.data.length; i++) err = Math.max(err, Math.abs(back.data[i]! - x.data[i]!));
  assert.ok(err < 1e-6, `max round-trip error ${err}`);
  const y = tensor(x.shape, x.data);
  rgbToYuv(y, y);
  yuvToRgb(y, y);
  for (let i = 0; i < x.data.length; i++) assert.ok(Math.abs(y.data[i]! - x.data[i]!) < 1e-6);
});

test('wrong channel count, rank, non-finite values and a short out are clear errors', () => {
  assert.throws(
    () => rgbToYuv(tensor([1, 2, 2, 4])),
    (e: Error) => e instanceof ShapeError && /expected 3 channels \(R, G, B\).*got 4/.test(e.message),
  );
  assert.throws(
    () => yuvToRgb(tensor([1, 2, 2, 1])),
    (e: Error) => e instanceof ShapeError && /expected 3 channels \(Y, U, V\).*got 1/.test(e.message),
  );
  assert.throws(
    () => rgbToYuv(tensor([2, 2, 3])),
    (e: Error) => e instanceof ShapeError && /\[N, H, W, C\].*rank 3/.test(e.message),
  );
  const bad = tensor([1, 1, 2, 3]);
  bad.data[4] = NaN;
  assert.throws(
    () => rgbToYuv(bad),
    (e: Error) => e instanceof NonFiniteError && /flat index 4/.test(e.message),
  );
  assert.throws(() => rgbToYuv(tensor([1, 1, 2, 3]), tensor([1, 1, 1, 3])), /out must hold 6 values/);
});
