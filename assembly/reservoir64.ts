// The reservoir step in float64 (the reference is tsBackend.reservoirRun in src/backend/ts.ts, same sums in the same
// order, so both backends give the same bits):
//   pre[b] = W x[b] + Win u[t, b];   x[b] = (1 - lr) x[b] + lr f(pre[b] + bias)
// for T steps and B sequences, optionally copying each new state into a row of `out`.
//   W: rowPtr i32 [N+1], column indices u16 (idx16) or i32, values f32 (a reservoir's random weights
//      rounded to float32 once: half the bytes of a float64 matrix, and the step is bound by
//      reading W); products and sums are float64.
//   Win: rowPtr i32 [N+1], i32 indices, f64 values (N x D, tiny).
// The W row sum keeps four partial sums (entry p of a row goes to sum (p - rowPtr[i]) mod 4,
// then (s0 + s1) + (s2 + s3)), here as two f64x2 lanes pairs: sums 0,1 and 2,3.
// f = tanh / relu / sigmoid / identity (codes 0..3 as in src/backend/wasm.ts), built from + - * /
// and floor like src/backend/math64.ts, line by line.

// @ts-nocheck (AssemblyScript)
import { csrRow64 } from './sparse64';
const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.4426950408889634;

@inline function expm1Reduced(r: f64): f64 {
  let q: f64 = 1.6059043836821613e-10;
  q = 2.08767569878681e-09 + r * q;
  q = 2.505210838544172e-08 + r * q;
  q = 2.755731922398589e-07 + r * q;
  q = 2.7557319223985893e-06 + r * q;
  q = 2.48015873015873e-05 + r * q;
  q = 0.0001984126984126984 + r * q;
  q = 0.001388888888888889 + r * q;
  q = 0.008333333333333333 + r * q;
  q = 0.041666666666666664 + r * q;
  q = 0.16666666666666666 + r * q;
  q = 0.5 + r * q;
  return r + r * (r * q);
}

@inline function pow2(k: f64): f64 { return reinterpret<f64>((<i64>(<i32>k + 1023)) << 52); }

@inline function expm1_64(v: f64): f64 {
  const k = floor<f64>(v * INV_LN2 + 0.5);
  const r = (v - k * LN2_HI) - k * LN2_LO;
  const p = expm1Reduced(r);
  const s = pow2(k);
  return s * p + (s - 1);
}

@inline function exp64(v: f64): f64 {
  const k = floor<f64>(v * INV_LN2 + 0.5);
  const r = (v - k * LN2_HI) - k * LN2_LO;
  return pow2(k) * (1 + expm1Reduced(r));
}

@inline function tanh64(x: f64): f64 {
  const a = x < 0 ? -x : x;
  if (!(a < 20)) return a > 0 ? (x < 0 ? -1.0 : 1.0) : x;
  const e = expm1_64(2 * a);
  const t = e / (e + 2);
  return x < 0 ? -t : t;
}

@inline function sigmoid64(x: f64): f64 {
  if (x >= 0) return x > 708 ? 1.0 : 1 / (1 + exp64(-x));
  if (!(x >= -708)) return x < -708 ? 0.0 : x;
  const e = exp64(x);
  return e / (1 + e);
}

// The same tanh on two lanes: every lane does the scalar function's operations (IEEE per
// lane), and the branches become selects, so the bits match tanh64's.
@inline function expm1Reduced2(r: v128): v128 {
  let q = f64x2.splat(1.6059043836821613e-10);
  q = f64x2.add(f64x2.splat(2.08767569878681e-09), f64x2.mul(r, q));
  q = f64x2.add(f64x2.splat(2.505210838544172e-08), f64x2.mul(r, q));
  q = f64x2.add(f64x2.splat(2.755731922398589e-07), f64x2.mul(r, q));
  q = f64x2.add(f64x2.splat(2.7557319223985893e-06), f64x2.mul(r, q));
  q = f64x2.add(f64x2.splat(2.48015873015873e-05), f64x2.mul(r, q));
  q = f64x2.add(f64x2.splat(0.0001984126984126984), f64x2.mul(r, q));
  q = f64x2.add(f64x2.splat(0.001388888888888889), f64x2.mul(r, q));
  q = f64x2.add(f64x2.splat(0.008333333333333333), f64x2.mul(r, q));
  q = f64x2.add(f64x2.splat(0.041666666666666664), f64x2.mul(r, q));
  q = f64x2.add(f64x2.splat(0.16666666666666666), f64x2.mul(r, q));
  q = f64x2.add(f64x2.splat(0.5), f64x2.mul(r, q));
  return f64x2.add(r, f64x2.mul(r, f64x2.mul(r, q)));
}

@inline function tanh2(x: v128): v128 {
  const a = f64x2.abs(x), one = f64x2.splat(1);
  const v = f64x2.mul(f64x2.splat(2), a);
  const k = f64x2.floor(f64x2.add(f64x2.mul(v, f64x2.splat(INV_LN2)), f64x2.splat(0.5)));
  const r = f64x2.sub(f64x2.sub(v, f64x2.mul(k, f64x2.splat(LN2_HI))), f64x2.mul(k, f64x2.splat(LN2_LO)));
  const p = expm1Reduced2(r);
  // 2^k from its bits; lanes with a >= 20 saturate here, but their result is replaced below.
  const s = i64x2.shl(i64x2.add(i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(k)), i64x2.splat(1023)), 52);
  const e = f64x2.add(f64x2.mul(s, p), f64x2.sub(s, one));
  let t = f64x2.div(e, f64x2.add(e, f64x2.splat(2)));
  t = v128.bitselect(t, one, f64x2.lt(a, f64x2.splat(20)));
  t = v128.bitselect(f64x2.neg(t), t, f64x2.lt(x, f64x2.splat(0)));
  return v128.bitselect(x, t, f64x2.ne(x, x));
}

/**
 * Y[i] = sum_p W[i, p] X[idx[p]] with f32 values and I (u16 or i32) indices, sums as the header
 * says: lanes (s0, s1) and (s2, s3) of two f64x2 accumulators, then the tail like rowSum4.
 */
function wRows<I>(N: i32, row: usize, idx: usize, val: usize, x: usize, y: usize): void {
  const w = <usize>sizeof<I>();
  let p = load<i32>(row);
  for (let i = 0; i < N; i++) {
    const end = load<i32>(row + <usize>(i + 1) * 4);
    let a01 = f64x2.splat(0), a23 = a01;
    for (; p + 4 <= end; p += 4) {
      const v = v128.load(val + (<usize>p << 2)), c = idx + <usize>p * w;
      let x01 = v128.load64_splat(x + (<usize>load<I>(c) << 3));
      x01 = v128.load64_lane(x + (<usize>load<I>(c + w) << 3), x01, 1);
      let x23 = v128.load64_splat(x + (<usize>load<I>(c + 2 * w) << 3));
      x23 = v128.load64_lane(x + (<usize>load<I>(c + 3 * w) << 3), x23, 1);
      a01 = f64x2.add(a01, f64x2.mul(f64x2.promote_low_f32x4(v), x01));
      a23 = f64x2.add(a23, f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 2, 3)), x23));
    }
    let s0 = f64x2.extract_lane(a01, 0), s1 = f64x2.extract_lane(a01, 1);
    let s2 = f64x2.extract_lane(a23, 0);
    const s3 = f64x2.extract_lane(a23, 1);
    if (p < end) {
      s0 += <f64>load<f32>(val + (<usize>p << 2)) * load<f64>(x + (<usize>load<I>(idx + <usize>p * w) << 3));
      p++;
    }
    if (p < end) {
      s1 += <f64>load<f32>(val + (<usize>p << 2)) * load<f64>(x + (<usize>load<I>(idx + <usize>p * w) << 3));
      p++;
    }
    if (p < end) {
      s2 += <f64>load<f32>(val + (<usize>p << 2)) * load<f64>(x + (<usize>load<I>(idx + <usize>p * w) << 3));
      p++;
    }
    store<f64>(y + (<usize>i << 3), (s0 + s1) + (s2 + s3));
  }
}

export function reservoir_run64(N: i32, D: i32, B: i32, T: i32,
  wRow: usize, wIdx: usize, idx16: i32, wVal: usize, inRow: usize, inIdx: usize, inVal: usize,
  bias: usize, lr: f64, act: i32, x: usize, pre: usize, u: usize, out: usize, outStride: i32): void {
  const keep = 1 - lr;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const xb = x + (<usize>(b * N) << 3), pb = pre + (<usize>(b * N) << 3);
      if (idx16) wRows<u16>(N, wRow, wIdx, wVal, xb, pb);
      else wRows<i32>(N, wRow, wIdx, wVal, xb, pb);
      const ub = u + (<usize>((t * B + b) * D) << 3);
      for (let i = 0; i < N; i++) {
        const q = pb + (<usize>i << 3);
        store<f64>(
          q,
          load<f64>(q) +
            csrRow64(load<i32>(inRow + (<usize>i << 2)), load<i32>(inRow + (<usize>(i + 1) << 2)), inIdx, inVal, ub),
        );
      }
    }
    const kv = f64x2.splat(keep), lv = f64x2.splat(lr);
    for (let b = 0; b < B; b++) {
      const xb = x + (<usize>(b * N) << 3), pb = pre + (<usize>(b * N) << 3);
      let i = 0;
      if (act == 0) {
        for (; i + 2 <= N; i += 2) {
          const o = <usize>i << 3;
          const f = tanh2(f64x2.add(v128.load(pb + o), v128.load(bias + o)));
          v128.store(xb + o, f64x2.add(f64x2.mul(kv, v128.load(xb + o)), f64x2.mul(lv, f)));
        }
      }
      for (; i < N; i++) {
        const o = <usize>i << 3;
        const v = load<f64>(pb + o) + load<f64>(bias + o);
        const f = act == 0 ? tanh64(v) : act == 1 ? (v < 0 ? 0.0 : v) : act == 2 ? sigmoid64(v) : v;
        store<f64>(xb + o, keep * load<f64>(xb + o) + lr * f);
      }
    }
    if (out) {
      for (let b = 0; b < B; b++) {
        memory.copy(out + (<usize>((t * B + b) * outStride) << 3), x + (<usize>(b * N) << 3), <usize>N << 3);
      }
    }
  }
}
