// Local contrast normalisation: a hand-computed case, a naive 2-D oracle, and its properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localContrastNormalize, localMean, gaussianWindow, type LcnOptions } from 'recur-rnn/preprocess';
import { ShapeError, NonFiniteError, tensor, type Tensor } from 'recur-rnn';
import { randn } from '../helpers.js';

/** Direct 2-D definition: window g(p) g(q) cut at the border and renormalised; pooled over channels when across. */
function naiveLcn(
  x: Tensor,
  o: Required<Pick<LcnOptions, 'size' | 'sigma' | 'acrossChannels' | 'divisive' | 'eps'>>,
): Float64Array {
  const [N, H, W, C] = x.shape as [number, number, number, number],
    r = (o.size - 1) / 2;
  const g = (p: number) => Math.exp(-(p * p) / (2 * o.sigma * o.sigma));
  const at = (a: ArrayLike<number>, n: number, y: number, xx: number, c: number) => a[((n * H + y) * W + xx) * C + c]!;
  const smooth = (a: ArrayLike<number>, n: number, y: number, xx: number, c: number) => {
    let s = 0,
      w = 0;
    for (let p = -r; p <= r; p++)
      for (let q = -r; q <= r; q++) {
        if (y + p < 0 || y + p >= H || xx + q < 0 || xx + q >= W) continue;
        const cs = o.acrossChannels ? [...Array(C).keys()] : [c];
        for (const cc of cs) {
          s += g(p) * g(q) * at(a, n, y + p, xx + q, cc);
          w += g(p) * g(q);
        }
      }
    return s / w;
  };
  const v = new Float64Array(x.data.length);
  for (let n = 0; n < N; n++)
    for (let y = 0; y < H; y++)
      for (let xx = 0; xx < W; xx++)
        for (let c = 0; c < C; c++) {
          v[((n * H + y) * W + xx) * C + c] = at(x.data, n, y, xx, c) - smooth(x.data, n, y, xx, c);
        }
  if (!o.divisive) return v;
  const v2 = v.map((a) => a * a),
    out = new Float64Array(v.length);
  for (let n = 0; n < N; n++) {
    const planes = o.acrossChannels ? [0] : [...Array(C).keys()];
    for (const c of planes) {
      const sd: number[] = [];
      for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) sd.push(Math.sqrt(smooth(v2, n, y, xx, c)));
      const floor = Math.max(sd.reduce((a, b) => a + b, 0) / sd.length, o.eps);
      for (let y = 0; y < H; y++)
        for (let xx = 0; xx < W; xx++) {
          const d = Math.max(sd[y * W + xx]!, floor);
          for (const cc of o.acrossChannels ? [...Array(C).keys()] : [c]) {
            const i = ((n * H + y) * W + xx) * C + cc;
            out[i] = v[i]! / d;
          }
        }
    }
  }
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

test('Gaussian window: hand values for size 3, sigma 1', () => {
  const a = Math.exp(-0.5),
    s = 1 + 2 * a;
  const g = gaussianWindow(3, 1);
  assert.ok(maxAbsDiff(g, [a / s, 1 / s, a / s]) < 1e-15);
  assert.throws(
    () => gaussianWindow(4, 1),
    (e: Error) => e instanceof RangeError && /odd integer/.test(e.message),
  );
  assert.throws(
    () => gaussianWindow(3, 0),
    (e: Error) => e instanceof RangeError && /sigma must be/.test(e.message),
  );
});

test('subtractive LCN of a 1x3 row, by hand (window cut and renormalised at the border)', () => {
  // Row [0, 3, 0], size 3, sigma 1: taps (a, 1, a), a = e^-1/2. Ends see (1, a), the middle (a, 1, a).
  const a = Math.exp(-0.5);
  const out = localContrastNormalize(tensor([1, 1, 3, 1], [0, 3, 0]), { size: 3, sigma: 1, divisive: false });
  const end = 0 - (3 * a) / (1 + a),
    mid = 3 - 3 / (1 + 2 * a);
  assert.ok(maxAbsDiff(out.data, [end, mid, end]) < 1e-6, `${Array.from(out.data)}`);
});

test('separable implementation equals the direct 2-D definition (both modes, both stages)', () => {
  const x = tensor([2, 7, 6, 3], randn(2 * 7 * 6 * 3, 3));
  for (const acrossChannels of [true, false])
    for (const divisive of [false, true]) {
      const o = { size: 5, sigma: 1.5, acrossChannels, divisive, eps: 1e-4 };
      const got = localContrastNormalize(x, o),
        want = naiveLcn(x, o);
      assert.ok(
        maxAbsDiff(got.data, want) < 1e-5,
        `across=${acrossChannels} divisive=${divisive}: ${maxAbsDiff(got.data, want)}`,
      );
    }
  // Window wider than the image is fine too.
  const o = { size: 15, sigma: 4, acrossChannels: true, divisive: true, eps: 1e-4 };
  assert.ok(maxAbsDiff(localContrastNormalize(x, o).data, naiveLcn(x, o)) < 1e-5);
});

test('output has zero local mean: constants and ramps vanish, offsets are removed', () => {
  const H = 16,
    W = 16,
    C = 3;
  // A constant image maps to 0 up to rounding, divisive stage included (the eps floor keeps 0/0 away).
  const flat = tensor([1, H, W, C], new Array(H * W * C).fill(0.7));
  assert.ok(maxAbs(localContrastNormalize(flat).data) < 1e-9);
  // An affine ramp is its own local mean wherever the symmetric window fits.
  const ramp = tensor(
    [1, H, W, C],
    Array.from({ length: H * W * C }, (_, i) => {
      const j = Math.floor(i / C);
      return 2 + 0.3 * Math.floor(j / W) - 0.1 * (j % W);
    }),
  );
  const out = localContrastNormalize(ramp, { size: 5, sigma: 1, divisive: false });
  for (let y = 2; y < H - 2; y++)
    for (let x = 2; x < W - 2; x++)
      for (let c = 0; c < C; c++) {
        assert.ok(Math.abs(out.data[(y * W + x) * C + c]!) < 1e-5, `(${y},${x}) = ${out.data[(y * W + x) * C + c]}`);
      }
  // Offset + ramp + texture: the local mean of the output is near 0 although the input's is ~10.
  const noise = randn(H * W * C, 5, 0.5);
  const img = tensor(
    [1, H, W, C],
    Array.from({ length: H * W * C }, (_, i) => 10 + 0.2 * Math.floor(i / C / W) + noise[i]!),
  );
  for (const acrossChannels of [true, false]) {
    const o = { size: 7, sigma: 1.5, acrossChannels };
    const before = localMean(img, o),
      after = localMean(localContrastNormalize(img, { ...o, divisive: false }), o);
    assert.ok(Math.min(...before.data) > 9);
    let ms = 0;
    for (const v of after.data) ms += v * v;
    assert.ok(Math.sqrt(ms / after.data.length) < 0.2, `rms local mean after LCN ${Math.sqrt(ms / after.data.length)}`);
  }
});

test('divisive LCN: invariant to offset and gain; the mean-sigma floor keeps flat regions quiet', () => {
  const H = 12,
    W = 12,
    C = 3,
    x = tensor([1, H, W, C], randn(H * W * C, 9));
  const base = localContrastNormalize(x);
  const moved = localContrastNormalize(
    tensor(
      x.shape,
      x.data.map((v) => 5 * v + 3),
    ),
  );
  assert.ok(maxAbsDiff(base.data, moved.data) < 1e-4);
  // Left half nearly flat (noise 1e-3), right half textured (noise 1): without the floor the left
  // half would be scaled up to unit contrast; with it, it stays ~1e-3 / mean sigma.
  const n = randn(H * W, 4);
  const half = tensor(
    [1, H, W, 1],
    Array.from({ length: H * W }, (_, j) => (j % W < W / 2 ? 1e-3 : 1) * n[j]!),
  );
  const out = localContrastNormalize(half, { size: 3, sigma: 1 });
  let left = 0;
  for (let y = 0; y < H; y++) for (let xx = 0; xx < 4; xx++) left = Math.max(left, Math.abs(out.data[y * W + xx]!));
  assert.ok(left < 0.02, `flat region amplified to ${left}`);
});

test('bad input: rank, non-finite values, options', () => {
  assert.throws(
    () => localContrastNormalize(tensor([4, 4, 1])),
    (e: Error) => e instanceof ShapeError && /\[N, H, W, C\]/.test(e.message),
  );
  const bad = tensor([1, 2, 2, 1]);
  bad.data[3] = Infinity;
  assert.throws(() => localContrastNormalize(bad), NonFiniteError);
  assert.throws(
    () => localContrastNormalize(tensor([1, 2, 2, 1]), { size: 2 }),
    /size must be an odd integer >= 1, got 2/,
  );
  assert.throws(() => localContrastNormalize(tensor([1, 2, 2, 1]), { eps: -1 }), /eps must be/);
  assert.throws(() => localContrastNormalize({ shape: [1, 2, 2, 1], data: new Float32Array(3) }), /needs 4 values/);
});
