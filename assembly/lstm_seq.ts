// The LSTM's whole forward time loop in one call, for small batches (streaming inference, C4:
// batch 1, where one step is a matrix-vector product and two calls per step from JavaScript
// would cost as much as the arithmetic). Per step t, for the hidden units [u0, u1) of this thread:
//   xp[t, b, g*H + j] += W_hh[g*H + j, :] . h_{t-1}[b, :]      g = i, f, g, o;  j in [u0, u1)
//   then the cell (gates.ts lstm_cell, same math): activations into xp, c_t, tanh(c_t), h_t.
// W_hh is stored row-major [4H, H] (PyTorch's layout: nothing to re-pack when the weights change,
// so a single step costs no more than a step of a long sequence; long ones pack a copy per call,
// below). Four rows at a time, two f32x4 chunks of K per iteration, one accumulator per row (see
// rows4), each row a pointer with constant offsets (one load per four multiply-adds; h's chunks are
// loaded once for the four rows), the lanes summed at the end. With several threads (the
// shared-memory build) each takes a range of hidden units, i.e. its own rows of every gate: its
// slice of W_hh (1/threads of it) stays in its core's L2 (W_hh is 1 MiB at H = 256, a core's
// whole L2 here), and a barrier on an i32 counter in memory ends each step (spin, then wait when
// another thread is slow to arrive).
// For long sequences (the caller passes a work buffer wp) each thread first copies its rows of
// W_hh into a packed layout: per group of four rows, per 8 floats of K, the four rows' first four
// floats then their next four (128 bytes). The product then reads W as one contiguous stream (one
// pointer, constant offsets) instead of four streams H floats apart; the multiply-adds are the same
// and in the same order, so the results are bit-identical to the row-major path (tested).
// B = batch, H = hidden. xp [T,B,4H], hs/cs [T+1,B,H] (row 0 = the initial state), tc [T,B,H].

// @ts-nocheck (AssemblyScript)
import { madd, sigmoid1, sigmoid4, tanh1, tanh4 } from './math';

/** Lanes 0..3 of the result = the horizontal sums of a, b, c, d. */
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  // a0+a2 b0+b2 a1+a3 b1+b3
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/**
 * x[0..4) += W[r..r+4, :] . h (K = H floats, rows rs bytes apart). Per row one accumulator, and
 * per iteration it gains (w[k..k+4) * h[k..k+4) + w[k+4..k+8) * h[k+4..k+8)): a single add on the
 * accumulator's chain, and four accumulators plus the loads fit V8's x64 registers (with eight,
 * one per row and chunk, TurboFan spilled two to the stack: ~20% slower, seen in its disassembly).
 */
@inline function rows4(H: i32, w: usize, rs: usize, h: usize, x: usize): void {
  let w0 = w, w1 = w + rs, w2 = w + 2 * rs, w3 = w + 3 * rs, q = h;
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const end = h + (<usize>(H & ~7) << 2);
  while (q < end) {
    const h0 = v128.load(q), h1 = v128.load(q, 16);
    a0 = f32x4.add(a0, madd(v128.load(w0, 16), h1, f32x4.mul(v128.load(w0), h0)));
    a1 = f32x4.add(a1, madd(v128.load(w1, 16), h1, f32x4.mul(v128.load(w1), h0)));
    a2 = f32x4.add(a2, madd(v128.load(w2, 16), h1, f32x4.mul(v128.load(w2), h0)));
    a3 = f32x4.add(a3, madd(v128.load(w3, 16), h1, f32x4.mul(v128.load(w3), h0)));
    w0 += 32; w1 += 32; w2 += 32; w3 += 32; q += 32;
  }
  if (H & 4) { // one more chunk of four
    const h0 = v128.load(q);
    a0 = madd(v128.load(w0), h0, a0); a1 = madd(v128.load(w1), h0, a1);
    a2 = madd(v128.load(w2), h0, a2); a3 = madd(v128.load(w3), h0, a3);
    w0 += 16; w1 += 16; w2 += 16; w3 += 16; q += 16;
  }
  let s = hsum4(a0, a1, a2, a3);
  for (let k = H & ~3; k < H; k++) { // the scalar tail of K
    const hk = f32x4.splat(load<f32>(q));
    s = f32x4.add(s, f32x4.mul(hk, f32x4(load<f32>(w0), load<f32>(w1), load<f32>(w2), load<f32>(w3))));
    w0 += 4; w1 += 4; w2 += 4; w3 += 4; q += 4;
  }
  v128.store(x, f32x4.add(v128.load(x), s));
}

/** x[0] += W[r, :] . h: one row (the last rows of a range that is not a multiple of 4). */
@inline function row1(H: i32, w: usize, h: usize, x: usize): void {
  let a = f32x4.splat(0);
  let k = 0, o: usize = 0;
  for (; k + 4 <= H; k += 4) { a = madd(v128.load(w + o), v128.load(h + o), a); o += 16; }
  let s = f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3);
  for (; k < H; k++) { s += load<f32>(w + o) * load<f32>(h + o); o += 4; }
  store<f32>(x, load<f32>(x) + s);
}

/** x[b, g*H + u] += W_hh[g*H + u, :] . h[b, :] for the units [u0, u1), every gate and batch row. */
function matvecUnits(B: i32, H: i32, w: usize, h: usize, x: usize, u0: i32, u1: i32): void {
  const rs = <usize>H << 2, xs = <usize>(4 * H) << 2;
  for (let g = 0; g < 4; g++) {
    let u = u0;
    for (; u + 4 <= u1; u += 4) {
      const wr = w + <usize>(g * H + u) * rs; // four rows (4 KiB at H = 256) stay in L1 across the batch rows
      for (let b = 0; b < B; b++) rows4(H, wr, rs, h + <usize>b * rs, x + <usize>b * xs + (<usize>(g * H + u) << 2));
    }
    for (; u < u1; u++) {
      const wr = w + <usize>(g * H + u) * rs;
      for (let b = 0; b < B; b++) row1(H, wr, h + <usize>b * rs, x + <usize>b * xs + (<usize>(g * H + u) << 2));
    }
  }
}

/**
 * Copies W_hh's rows of the units [u0, u1), every gate, into wp in the packed layout (H % 8 == 0 and
 * (u1 - u0) % 4 == 0: the caller checks). This thread's rows start at float u0 * 4H of wp.
 */
function packUnits(H: i32, w: usize, wp: usize, u0: i32, u1: i32): void {
  const rs = <usize>H << 2;
  let p = wp + (<usize>(u0 * 4 * H) << 2);
  for (let g = 0; g < 4; g++) {
    for (let u = u0; u < u1; u += 4) {
      const w0 = w + <usize>(g * H + u) * rs;
      for (let o: usize = 0; o < rs; o += 32) {
        const q = w0 + o;
        v128.store(p, v128.load(q)); v128.store(p, v128.load(q + rs), 16);
        v128.store(p, v128.load(q + 2 * rs), 32); v128.store(p, v128.load(q + 3 * rs), 48);
        v128.store(p, v128.load(q, 16), 64); v128.store(p, v128.load(q + rs, 16), 80);
        v128.store(p, v128.load(q + 2 * rs, 16), 96); v128.store(p, v128.load(q + 3 * rs, 16), 112);
        p += 128;
      }
    }
  }
}

/** x[0..4) += the four packed rows at p . h: rows4's arithmetic, in its order, on the packed layout. */
@inline function rows4Packed(H: i32, p: usize, h: usize, x: usize): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const end = h + (<usize>H << 2);
  for (let q = h; q < end; q += 32) {
    const h0 = v128.load(q), h1 = v128.load(q, 16);
    a0 = f32x4.add(a0, madd(v128.load(p, 64), h1, f32x4.mul(v128.load(p), h0)));
    a1 = f32x4.add(a1, madd(v128.load(p, 80), h1, f32x4.mul(v128.load(p, 16), h0)));
    a2 = f32x4.add(a2, madd(v128.load(p, 96), h1, f32x4.mul(v128.load(p, 32), h0)));
    a3 = f32x4.add(a3, madd(v128.load(p, 112), h1, f32x4.mul(v128.load(p, 48), h0)));
    p += 128;
  }
  v128.store(x, f32x4.add(v128.load(x), hsum4(a0, a1, a2, a3)));
}

/** matvecUnits on the rows packUnits wrote (the same sums, bit for bit). */
function matvecPacked(B: i32, H: i32, wp: usize, h: usize, x: usize, u0: i32, u1: i32): void {
  const rs = <usize>H << 2, xs = <usize>(4 * H) << 2;
  let p = wp + (<usize>(u0 * 4 * H) << 2);
  for (let g = 0; g < 4; g++) {
    for (let u = u0; u < u1; u += 4) {
      for (let b = 0; b < B; b++) rows4Packed(H, p, h + <usize>b * rs, x + <usize>b * xs + (<usize>(g * H + u) << 2));
      p += 4 * rs;
    }
  }
}

/** lstm_cell (gates.ts) on the hidden units [u0, u1) of every batch row. */
function cellRange(B: i32, H: i32, gates: usize, cPrev: usize, c: usize, tc: usize, h: usize, u0: i32, u1: i32): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const g0 = gates + <usize>(b * 4 * H) * 4, r = <usize>(b * H) * 4;
    let j = u0;
    for (; j + 4 <= u1; j += 4) {
      const q = g0 + (<usize>j << 2), s = r + (<usize>j << 2);
      const iv = sigmoid4(v128.load(q)), fv = sigmoid4(v128.load(q + hb));
      const gv = tanh4(v128.load(q + 2 * hb)), ov = sigmoid4(v128.load(q + 3 * hb));
      v128.store(q, iv); v128.store(q + hb, fv); v128.store(q + 2 * hb, gv); v128.store(q + 3 * hb, ov);
      const cv = f32x4.add(f32x4.mul(fv, v128.load(cPrev + s)), f32x4.mul(iv, gv));
      const t = tanh4(cv);
      v128.store(c + s, cv); v128.store(tc + s, t); v128.store(h + s, f32x4.mul(ov, t));
    }
    for (; j < u1; j++) {
      const q = g0 + (<usize>j << 2), s = r + (<usize>j << 2);
      const iv = sigmoid1(load<f32>(q)), fv = sigmoid1(load<f32>(q + hb));
      const gv = tanh1(load<f32>(q + 2 * hb)), ov = sigmoid1(load<f32>(q + 3 * hb));
      store<f32>(q, iv); store<f32>(q + hb, fv); store<f32>(q + 2 * hb, gv); store<f32>(q + 3 * hb, ov);
      const cv = fv * load<f32>(cPrev + s) + iv * gv;
      const t = tanh1(cv);
      store<f32>(c + s, cv); store<f32>(tc + s, t); store<f32>(h + s, ov * t);
    }
  }
}

// Barrier words at `bar`: [0] arrivals (the caller zeroes it before a call), [1] threads asleep.
const SPINS: i32 = 1 << 16; // ~100 us of spinning before a thread sleeps (a busy machine deschedules threads)

/** Waits until `target` arrivals have been counted at bar (this thread's included). */
@inline function barrier(bar: usize, target: i32, threads: i32, canWait: i32): void {
  if (ASC_FEATURE_THREADS) {
    atomic.add<i32>(bar, 1);
    let spins = 0;
    while (atomic.load<i32>(bar) < target) {
      if (canWait && ++spins > SPINS) {
        // Dekker-style: count ourselves asleep, then re-read; an arriver that saw no sleeper
        // arrived before our count, so we read its arrival here and do not sleep.
        atomic.add<i32>(bar + 4, 1);
        const seen = atomic.load<i32>(bar);
        if (seen < target) atomic.wait<i32>(bar, seen, 1000000); // 1 ms at most
        atomic.sub<i32>(bar + 4, 1);
        spins = 0;
      }
    }
    if (atomic.load<i32>(bar + 4) > 0) atomic.notify(bar, threads);
  }
}

/**
 * T forward steps of one LSTM layer for the hidden units [u0, u1) (all of them: 0, H). With
 * threads > 1 every thread runs this on its own unit range (the ranges partition [0, H)) and
 * the barrier at `bar` (two i32, zeroed by the caller) separates the steps; canWait = 0 where
 * this thread may not block (a browser's main thread): it then only spins. wp != 0: a work buffer
 * of 4H * H floats for the packed copy of W_hh (H % 8 == 0 and every unit range a multiple of 4).
 */
export function lstm_seq(
  T: i32, B: i32, H: i32, xp: usize, w: usize, hs: usize, cs: usize, tc: usize,
  u0: i32, u1: i32, bar: usize, threads: i32, canWait: i32, wp: usize,
): void {
  const BH = <usize>(B * H) << 2, G = <usize>(B * 4 * H) << 2;
  if (wp) packUnits(H, w, wp, u0, u1); // this thread's rows only: no barrier needed before step 0
  for (let t = 0; t < T; t++) {
    const x = xp + <usize>t * G;
    if (wp) matvecPacked(B, H, wp, hs + <usize>t * BH, x, u0, u1);
    else matvecUnits(B, H, w, hs + <usize>t * BH, x, u0, u1);
    cellRange(
      B, H, x, cs + <usize>t * BH, cs + <usize>(t + 1) * BH, tc + <usize>t * BH, hs + <usize>(t + 1) * BH, u0, u1,
    );
    if (threads > 1 && t + 1 < T) barrier(bar, threads * (t + 1), threads, canWait);
  }
}
