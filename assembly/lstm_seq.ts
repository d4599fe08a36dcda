// The LSTM's whole forward time loop in one call, for small batches (streaming inference, C4:
// batch 1, where one step is a matrix-vector product and two calls per step from JavaScript
// would cost as much as the arithmetic). Per step t, for the hidden units [u0, u1) of this thread:
//   xp[t, b, g*H + j] += W_hh[g*H + j, :] . h_{t-1}[b, :]      g = i, f, g, o;  j in [u0, u1)
//   then the cell (gates.ts lstm_cell, same math): activations into xp, c_t, tanh(c_t), h_t.
// W_hh [4H, H] is first packed (by each thread, its own rows) into blocks of 8 rows of one gate,
// laid out [gate][block of 8 units][K/4][8 rows][4]: the product then reads one sequential
// stream with constant offsets (one load per 4 multiply-adds, nothing spilled), against h copied
// into a zero-padded row so that no K tail is left. Eight rows at a time against one h chunk,
// K in the f32x4 lanes, eight accumulators summed across lanes at the end.
// With several threads (the shared-memory build) each takes a range of hidden units, i.e. its
// own rows of every gate: its slice of W_hh (1/threads of it) stays in its core's L2 (W_hh is
// 1 MiB at H = 256, a core's whole L2 here), and a barrier on an i32 counter in memory ends
// each step (spin, then wait when another thread is slow to arrive).
// B = batch, H = hidden, Kp = H rounded up to 4, nb = ceil(H/8) blocks per gate.
// xp [T,B,4H], hs/cs [T+1,B,H] (row 0 = the initial state), tc [T,B,H], wp [4, nb, Kp/4, 8, 4],
// hpad [B, Kp] scratch of this thread.

// @ts-nocheck (AssemblyScript)
import { madd, sigmoid1, sigmoid4, tanh1, tanh4 } from './math';

/** Lanes 0..3 of the result = the horizontal sums of a, b, c, d. */
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7)); // a0+a2 b0+b2 a1+a3 b1+b3
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

@inline function kp(H: i32): i32 { return (H + 3) & ~3; }
@inline function blocks(H: i32): i32 { return (H + 7) >> 3; }

/** Floats of the packed W_hh for hidden size H. */
export function lstm_packed_size(H: i32): i32 { return 4 * blocks(H) * 8 * kp(H); }

/** Packs the blocks [ub0, ub1) of every gate of W [4H, H] into wp (layout above; zeros past H). */
function pack(H: i32, w: usize, wp: usize, ub0: i32, ub1: i32): void {
  const nb = blocks(H), KC = kp(H) >> 2;
  for (let g = 0; g < 4; g++) {
    for (let ub = ub0; ub < ub1; ub++) {
      const dst = wp + <usize>((g * nb + ub) * KC) * 128;
      for (let i = 0; i < 8; i++) {
        const u = ub * 8 + i;
        const src = w + <usize>((g * H + u) * H) * 4;
        for (let kc = 0; kc < KC; kc++) {
          const d = dst + <usize>kc * 128 + (<usize>i << 4);
          if (u < H && kc * 4 + 4 <= H) v128.store(d, v128.load(src + (<usize>kc << 4)));
          else for (let l = 0; l < 4; l++) store<f32>(d + (<usize>l << 2), u < H && kc * 4 + l < H ? load<f32>(src + <usize>(kc * 4 + l) * 4) : 0);
        }
      }
    }
  }
}

/** x[0..n) += (packed block of 8 rows) . h, n <= 8 (the last block of a gate may be short). */
@inline function block8(KC: i32, p: usize, q: usize, x: usize, n: i32): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (let kc = 0; kc < KC; kc++) {
    const hv = v128.load(q);
    a0 = madd(v128.load(p), hv, a0);
    a1 = madd(v128.load(p, 16), hv, a1);
    a2 = madd(v128.load(p, 32), hv, a2);
    a3 = madd(v128.load(p, 48), hv, a3);
    a4 = madd(v128.load(p, 64), hv, a4);
    a5 = madd(v128.load(p, 80), hv, a5);
    a6 = madd(v128.load(p, 96), hv, a6);
    a7 = madd(v128.load(p, 112), hv, a7);
    p += 128; q += 16;
  }
  const s0 = hsum4(a0, a1, a2, a3), s1 = hsum4(a4, a5, a6, a7);
  if (n == 8) {
    v128.store(x, f32x4.add(v128.load(x), s0));
    v128.store(x, f32x4.add(v128.load(x, 16), s1), 16);
  } else {
    for (let i = 0; i < n; i++) {
      store<f32>(x + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) + laneOf(s0, s1, i));
    }
  }
}

@inline function laneOf(s0: v128, s1: v128, i: i32): f32 {
  switch (i) {
    case 0: return f32x4.extract_lane(s0, 0);
    case 1: return f32x4.extract_lane(s0, 1);
    case 2: return f32x4.extract_lane(s0, 2);
    case 3: return f32x4.extract_lane(s0, 3);
    case 4: return f32x4.extract_lane(s1, 0);
    case 5: return f32x4.extract_lane(s1, 1);
    case 6: return f32x4.extract_lane(s1, 2);
    default: return f32x4.extract_lane(s1, 3);
  }
}

/** x[b, g*H + u] += W_hh[g*H + u, :] . h[b, :] for the units of blocks [ub0, ub1), every gate and batch row. */
function matvecBlocks(B: i32, H: i32, wp: usize, h: usize, hpad: usize, x: usize, ub0: i32, ub1: i32): void {
  const K = kp(H), KC = K >> 2, nb = blocks(H);
  for (let b = 0; b < B; b++) { // h into the zero-padded rows
    const src = h + <usize>(b * H) * 4, dst = hpad + <usize>(b * K) * 4;
    memory.copy(dst, src, <usize>H << 2);
    for (let k = H; k < K; k++) store<f32>(dst + (<usize>k << 2), 0);
  }
  for (let g = 0; g < 4; g++) {
    for (let ub = ub0; ub < ub1; ub++) {
      const p = wp + <usize>((g * nb + ub) * KC) * 128, n = min(8, H - ub * 8);
      for (let b = 0; b < B; b++) // the block (8 KiB at H = 256) stays in L1 across the batch rows
        block8(KC, p, hpad + <usize>(b * K) * 4, x + <usize>(b * 4 * H + g * H + ub * 8) * 4, n);
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
 * T forward steps of one LSTM layer for the hidden units of the blocks [ub0, ub1) (units
 * [8 ub0, min(H, 8 ub1)); all of them: 0, ceil(H/8)). W_hh (w, [4H, H]) is packed into wp first
 * when `packIt` (each thread packs the blocks it reads). With threads > 1 every thread runs this
 * on its own blocks (the ranges partition the blocks) and the barrier at `bar` (two i32, zeroed
 * by the caller) separates the steps; canWait = 0 where this thread may not block (a browser's
 * main thread): it then only spins.
 */
export function lstm_seq(
  T: i32, B: i32, H: i32, xp: usize, w: usize, wp: usize, packIt: i32, hs: usize, cs: usize, tc: usize,
  hpad: usize, ub0: i32, ub1: i32, bar: usize, threads: i32, canWait: i32,
): void {
  if (packIt) pack(H, w, wp, ub0, ub1);
  const BH = <usize>(B * H) << 2, G = <usize>(B * 4 * H) << 2, u0 = ub0 * 8, u1 = min(H, ub1 * 8);
  for (let t = 0; t < T; t++) {
    const x = xp + <usize>t * G, hp = hs + <usize>t * BH;
    matvecBlocks(B, H, wp, hp, hpad, x, ub0, ub1);
    cellRange(B, H, x, cs + <usize>t * BH, cs + <usize>(t + 1) * BH, tc + <usize>t * BH, hs + <usize>(t + 1) * BH, u0, u1);
    if (threads > 1 && t + 1 < T) barrier(bar, threads * (t + 1), threads, canWait);
  }
}
