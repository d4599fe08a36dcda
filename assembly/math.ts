// Vector and scalar exp / sigmoid / tanh for the gate kernels (float32).
// exp: Cephes expf (range reduction x = n ln2 + r, degree-6 polynomial in r, 2^n built in
// the exponent bits), about 1 ulp on the clamped range. The scalar versions repeat the same
// operations so a value gives the same result in a SIMD lane and in a tail.
// tanh(x) = sign(x) (1 - 2 / (exp(2|x|) + 1)): absolute error ~1e-7, no overflow.

// @ts-nocheck (AssemblyScript)
const LOG2E: f32 = 1.44269504088896341;
const C1: f32 = 0.693359375;
const C2: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
const HI: f32 = 88.0;   // keeps n + 127 <= 254 (finite)
const LO: f32 = -87.0;  // keeps n + 127 >= 1 (normal)
const MAGIC: f32 = 12582912.0; // 1.5 * 2^23
const MAGIC_BITS: i32 = 0x4b400000; // its bits: adding n to them adds n to the float

@inline export function exp4(x: v128): v128 {
  // pmin/pmax: one instruction each (min/max add NaN handling; a NaN still propagates here).
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(LO)), f32x4.splat(HI));
  // nearest(x log2 e) by the magic-number add (|x log2 e| < 2^22): t's low mantissa bits hold n.
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(MAGIC));
  const fx = f32x4.sub(t, f32x4.splat(MAGIC));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(C1)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(C2)));
  let y = f32x4.splat(P0);
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P1));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P2));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P4));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P5));
  y = f32x4.add(f32x4.add(f32x4.mul(y, f32x4.mul(x, x)), x), f32x4.splat(1));
  const pow2 = i32x4.shl(i32x4.add(t, i32x4.splat(127 - MAGIC_BITS)), 23);
  return f32x4.mul(y, pow2);
}

@inline export function exp1(x: f32): f32 {
  x = min(max(x, LO), HI);
  const t = x * LOG2E + MAGIC; // as in exp4
  const fx = t - MAGIC;
  x = x - fx * C1;
  x = x - fx * C2;
  let y = P0;
  y = y * x + P1;
  y = y * x + P2;
  y = y * x + P3;
  y = y * x + P4;
  y = y * x + P5;
  y = y * (x * x) + x + 1;
  return y * reinterpret<f32>((reinterpret<i32>(t) + (127 - MAGIC_BITS)) << 23);
}

@inline export function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

@inline export function sigmoid1(x: f32): f32 {
  return 1 / (1 + exp1(-x));
}

@inline export function tanh4(x: v128): v128 {
  const one = f32x4.splat(1);
  const ax = f32x4.abs(x);
  const e = exp4(f32x4.add(ax, ax));
  const t = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(e, one)));
  // copy the sign bit of x onto t (t >= 0)
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
}

@inline export function tanh1(x: f32): f32 {
  const ax = abs<f32>(x);
  const t: f32 = 1 - 2 / (exp1(ax + ax) + 1);
  return x < 0 ? -t : t;
}

/**
 * a * b + c. Built with relaxed SIMD (recur_*relaxed.wasm) this is f32x4.relaxed_madd, a fused
 * multiply-add where the processor has one (one instruction, one rounding); otherwise a multiply
 * and an add. Only the float32 training and inference kernels use it: the reservoir kernels,
 * whose results are bit-identical across builds and threads, keep plain SIMD.
 */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
