// Matrix products for the shapes recurrent layers use. All pointers are byte addresses of
// row-major float32 matrices in linear memory; sizes are element counts.
//   C[M,N] (+)= op(A) op(B), op(A) [M,K] (A stored [K,M] when tA), op(B) [K,N] (B stored [N,K] when tB).
// Two register-tiled micro-kernels do the work:
//   nn: C(i, j..j+8) += splat(A(i,k)) * B(k, j..j+8), a 4x8 tile of C in 8 v128 registers,
//       A read through strides (rsA, csA) so that NN and TN share it; K blocked by KC, rows
//       by MC, and every row tile of a block passes over one 8-column strip of B at a time.
//   nt: C(i,j) = dot(A(i,:), B(j,:)) with K in the lanes, a 4x2 tile of dot products, B's
//       rows in blocks that stay in L2 while every row tile of A passes over them.
// Awkward shapes are turned into good ones through a scratch buffer `work` (gemm_work tells
// the loader how many floats it needs): NN with a thin N runs as NT on B transposed, NT with a
// short K runs as NN on B transposed, TN with a thin N computes C^T and adds it back, and
// other TN products copy each block of A row-major into `work` first (see nn).
// Every f32x4 loop is followed by a scalar tail.

// @ts-nocheck (AssemblyScript)
import { madd } from './math';
const KC: i32 = 256;

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// Blocking (Goto's order without packing): K in panels of KC, rows in blocks of MC, then for
// each 8-column strip of B (KC x 8 floats = 8 KiB, stays in L1) every 4-row tile of the
// block passes over it (the MC x KC block of A, 128 KiB, stays in L2). Rows outside the
// strip loop would stream the whole KC x N panel of B once per row tile instead.
const MC: i32 = 128;

/** C[i..i+4, j..j+8] += A[i..i+4, k0..k1) B[k0..k1, j..j+8]: 8 accumulators in registers. */
@inline function tile4x8(p: usize, rowC: usize, pa: usize, ra: usize, sa: usize, pb: usize, sb: usize, kn: i32): void {
  let c00 = v128.load(p), c01 = v128.load(p, 16);
  let c10 = v128.load(p + rowC), c11 = v128.load(p + rowC, 16);
  let c20 = v128.load(p + 2 * rowC), c21 = v128.load(p + 2 * rowC, 16);
  let c30 = v128.load(p + 3 * rowC), c31 = v128.load(p + 3 * rowC, 16);
  for (let k = 0; k < kn; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let av = v128.load32_splat(pa);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(pa + ra);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(pa + 2 * ra);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(pa + 3 * ra);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    pa += sa; pb += sb;
  }
  v128.store(p, c00); v128.store(p, c01, 16);
  v128.store(p + rowC, c10); v128.store(p + rowC, c11, 16);
  v128.store(p + 2 * rowC, c20); v128.store(p + 2 * rowC, c21, 16);
  v128.store(p + 3 * rowC, c30); v128.store(p + 3 * rowC, c31, 16);
}

@inline function tile1x8(p: usize, pa: usize, sa: usize, pb: usize, sb: usize, kn: i32): void {
  let c0 = v128.load(p), c1 = v128.load(p, 16);
  for (let k = 0; k < kn; k++) {
    const av = v128.load32_splat(pa);
    c0 = madd(av, v128.load(pb), c0);
    c1 = madd(av, v128.load(pb, 16), c1);
    pa += sa; pb += sb;
  }
  v128.store(p, c0); v128.store(p, c1, 16);
}

@inline function tile4x4(p: usize, rowC: usize, pa: usize, ra: usize, sa: usize, pb: usize, sb: usize, kn: i32): void {
  let c0 = v128.load(p), c1 = v128.load(p + rowC), c2 = v128.load(p + 2 * rowC), c3 = v128.load(p + 3 * rowC);
  for (let k = 0; k < kn; k++) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load32_splat(pa), b0, c0);
    c1 = madd(v128.load32_splat(pa + ra), b0, c1);
    c2 = madd(v128.load32_splat(pa + 2 * ra), b0, c2);
    c3 = madd(v128.load32_splat(pa + 3 * ra), b0, c3);
    pa += sa; pb += sb;
  }
  v128.store(p, c0); v128.store(p + rowC, c1); v128.store(p + 2 * rowC, c2); v128.store(p + 3 * rowC, c3);
}

@inline function tile1x4(p: usize, pa: usize, sa: usize, pb: usize, sb: usize, kn: i32): void {
  let c0 = v128.load(p);
  for (let k = 0; k < kn; k++) { c0 = madd(v128.load32_splat(pa), v128.load(pb), c0); pa += sa; pb += sb; }
  v128.store(p, c0);
}

/** One column of C, scalar (the tail past the last 4-wide strip). */
@inline function tile1x1(p: usize, pa: usize, sa: usize, pb: usize, sb: usize, kn: i32): void {
  let s = load<f32>(p);
  for (let k = 0; k < kn; k++) { s += load<f32>(pa) * load<f32>(pb); pa += sa; pb += sb; }
  store<f32>(p, s);
}

/**
 * C[0..rows, j0..j1) += A(i,k) B[k, j0..j1) over kn values of k; A(i,k) at pa0 + i*ra + k*sa (bytes), B and C rows
 * N apart.
 */
function nnBlock(
  rows: i32, N: i32, kn: i32, pa0: usize, ra: usize, sa: usize, pb0: usize, pc0: usize, j0: i32, j1: i32,
): void {
  const rowC = <usize>N << 2, sb = <usize>N << 2;
  let j = j0;
  for (; j + 8 <= j1; j += 8) {
    const pb = pb0 + (<usize>j << 2), pc = pc0 + (<usize>j << 2);
    let i = 0;
    for (; i + 4 <= rows; i += 4) tile4x8(pc + <usize>i * rowC, rowC, pa0 + <usize>i * ra, ra, sa, pb, sb, kn);
    for (; i < rows; i++) tile1x8(pc + <usize>i * rowC, pa0 + <usize>i * ra, sa, pb, sb, kn);
  }
  for (; j + 4 <= j1; j += 4) {
    const pb = pb0 + (<usize>j << 2), pc = pc0 + (<usize>j << 2);
    let i = 0;
    for (; i + 4 <= rows; i += 4) tile4x4(pc + <usize>i * rowC, rowC, pa0 + <usize>i * ra, ra, sa, pb, sb, kn);
    for (; i < rows; i++) tile1x4(pc + <usize>i * rowC, pa0 + <usize>i * ra, sa, pb, sb, kn);
  }
  for (; j < j1; j++) {
    const pb = pb0 + (<usize>j << 2), pc = pc0 + (<usize>j << 2);
    for (let i = 0; i < rows; i++) tile1x1(pc + <usize>i * rowC, pa0 + <usize>i * ra, sa, pb, sb, kn);
  }
}

/**
 * C[M, j0..j1) += A(i,k) B[K, j0..j1), A(i,k) at a + 4*(i*rsA + k*csA), B and C rows N apart. With
 * `pack` (TN: A stored [K,M], rows of a block M floats apart, a power-of-two stride that maps a
 * tile's reads to a few cache sets), each MC x KC block of A is first copied row-major into
 * `pack` (MC*KC floats).
 */
function nn(
  M: i32, N: i32, K: i32, a: usize, rsA: i32, csA: i32, b: usize, c: usize, pack: usize, j0: i32, j1: i32,
): void {
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kn = min(K, k0 + KC) - k0, pb = b + <usize>(k0 * N) * 4;
    for (let i0 = 0; i0 < M; i0 += MC) {
      const rows = min(M, i0 + MC) - i0, pc = c + <usize>(i0 * N) * 4, pa = a + <usize>(i0 * rsA + k0 * csA) * 4;
      if (pack) {
        for (let k = 0; k < kn; k++) {
          const src = pa + <usize>(k * csA) * 4;
          for (let i = 0; i < rows; i++) {
            store<f32>(pack + <usize>(i * kn + k) * 4, load<f32>(src + <usize>(i * rsA) * 4));
          }
        }
        nnBlock(rows, N, kn, pack, <usize>kn << 2, 4, pb, pc, j0, j1);
      } else nnBlock(rows, N, kn, pa, <usize>rsA << 2, <usize>csA << 2, pb, pc, j0, j1);
    }
  }
}

/** dot of n floats at pa and pb: f32x4 lanes, then a scalar tail. */
@inline function dot(pa: usize, pb: usize, K: i32): f32 {
  let acc = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    acc = madd(v128.load(pa), v128.load(pb), acc);
    pa += 16; pb += 16;
  }
  let s = hsum(acc);
  for (; k < K; k++) { s += load<f32>(pa) * load<f32>(pb); pa += 4; pb += 4; }
  return s;
}

/** C[:, j0..j1) += A[M,K] B[j0..j1, K]^T. */
function ntBlock(M: i32, N: i32, j0: i32, j1: i32, K: i32, a: usize, b: usize, c: usize): void {
  const rowA = <usize>K << 2;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = a + <usize>i * rowA;
    let j = j0;
    for (; j + 2 <= j1; j += 2) {
      const b0 = b + <usize>j * rowA;
      let s00 = f32x4.splat(0), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
      let k = 0, o: usize = 0;
      for (; k + 4 <= K; k += 4) {
        const v0 = v128.load(b0 + o), v1 = v128.load(b0 + rowA + o);
        let av = v128.load(a0 + o);
        s00 = madd(av, v0, s00); s01 = madd(av, v1, s01);
        av = v128.load(a0 + rowA + o);
        s10 = madd(av, v0, s10); s11 = madd(av, v1, s11);
        av = v128.load(a0 + 2 * rowA + o);
        s20 = madd(av, v0, s20); s21 = madd(av, v1, s21);
        av = v128.load(a0 + 3 * rowA + o);
        s30 = madd(av, v0, s30); s31 = madd(av, v1, s31);
        o += 16;
      }
      let t00 = hsum(s00), t01 = hsum(s01), t10 = hsum(s10), t11 = hsum(s11);
      let t20 = hsum(s20), t21 = hsum(s21), t30 = hsum(s30), t31 = hsum(s31);
      for (; k < K; k++) {
        const v0 = load<f32>(b0 + o), v1 = load<f32>(b0 + rowA + o);
        let av = load<f32>(a0 + o); t00 += av * v0; t01 += av * v1;
        av = load<f32>(a0 + rowA + o); t10 += av * v0; t11 += av * v1;
        av = load<f32>(a0 + 2 * rowA + o); t20 += av * v0; t21 += av * v1;
        av = load<f32>(a0 + 3 * rowA + o); t30 += av * v0; t31 += av * v1;
        o += 4;
      }
      const p = c + <usize>(i * N + j) * 4, rowC = <usize>N << 2;
      store<f32>(p, load<f32>(p) + t00); store<f32>(p + 4, load<f32>(p + 4) + t01);
      store<f32>(p + rowC, load<f32>(p + rowC) + t10); store<f32>(p + rowC + 4, load<f32>(p + rowC + 4) + t11);
      store<f32>(p + 2 * rowC, load<f32>(p + 2 * rowC) + t20);
      store<f32>(p + 2 * rowC + 4, load<f32>(p + 2 * rowC + 4) + t21);
      store<f32>(p + 3 * rowC, load<f32>(p + 3 * rowC) + t30);
      store<f32>(p + 3 * rowC + 4, load<f32>(p + 3 * rowC + 4) + t31);
    }
    for (; j < j1; j++) {
      const bj = b + <usize>j * rowA;
      for (let r = 0; r < 4; r++) {
        const p = c + <usize>((i + r) * N + j) * 4;
        store<f32>(p, load<f32>(p) + dot(a0 + <usize>r * rowA, bj, K));
      }
    }
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * rowA;
    for (let j = j0; j < j1; j++) {
      const p = c + <usize>(i * N + j) * 4;
      store<f32>(p, load<f32>(p) + dot(ai, b + <usize>j * rowA, K));
    }
  }
}

/**
 * C[M, j0..j1) += A[M,K] B[j0..j1, K]^T (C rows N apart), B in blocks of rows that fit in L2
 * (64 KiB): each block is reused by every row tile of A instead of the whole of B streaming
 * once per tile.
 */
function nt(M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, j0: i32, j1: i32): void {
  const nb = max(2, (16384 / max(K, 1)) & ~1);
  for (let j = j0; j < j1; j += nb) ntBlock(M, N, j, min(j1, j + nb), K, a, b, c);
}

/** dst[C,R] = src[R,C]^T. */
function transpose(R: i32, Cn: i32, src: usize, dst: usize): void {
  for (let r = 0; r < R; r++) {
    const s = src + <usize>(r * Cn) * 4;
    for (let c = 0; c < Cn; c++) store<f32>(dst + <usize>(c * R + r) * 4, load<f32>(s + (<usize>c << 2)));
  }
}

@inline function useNTforNN(N: i32, K: i32): bool { return N < 8 && K >= 8; }
@inline function useNNforNT(K: i32): bool { return K < 16; }
@inline function useTransposedTN(M: i32, N: i32): bool { return N < 8 && M >= 8; }

/** Floats of scratch `gemm` needs for these flags and sizes. */
export function gemm_work(tA: i32, tB: i32, M: i32, N: i32, K: i32): i32 {
  if (!tA && !tB && useNTforNN(N, K)) return K * N;
  if (!tA && tB && useNNforNT(K)) return K * N;
  if (tA && !tB) return useTransposedTN(M, N) ? M * N : min(M, MC) * min(K, KC);
  return 0;
}

export function gemm(
  tA: i32, tB: i32, acc: i32, M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, work: usize,
): void {
  gemm_part(tA, tB, acc, M, N, K, 0, M, 0, N, a, b, c, work);
}

/**
 * The block C[i0..i1, j0..j1) of the product `gemm` computes (the rest of C untouched): one
 * thread's share when a product is split over helper threads (src/backend/helpers.ts), each
 * with its own `work`. TN with a thin N (computed transposed) is never split: it takes the
 * whole of C only.
 */
export function gemm_part(
  tA: i32, tB: i32, acc: i32, M: i32, N: i32, K: i32, i0: i32, i1: i32, j0: i32, j1: i32,
  a: usize, b: usize, c: usize, work: usize,
): void {
  if (!acc) for (let i = i0; i < i1; i++) memory.fill(c + <usize>(i * N + j0) * 4, 0, <usize>(j1 - j0) * 4);
  if (i1 <= i0 || j1 <= j0 || K <= 0) return;
  const rows = i1 - i0, ci = c + <usize>(i0 * N) * 4;
  if (!tA && !tB) {
    const ai = a + <usize>(i0 * K) * 4;
    if (useNTforNN(N, K)) { transpose(K, N, b, work); nt(rows, N, K, ai, work, ci, j0, j1); }
    else nn(rows, N, K, ai, K, 1, b, ci, 0, j0, j1);
  } else if (!tA && tB) {
    const ai = a + <usize>(i0 * K) * 4;
    if (useNNforNT(K)) { transpose(N, K, b, work); nn(rows, N, K, ai, K, 1, work, ci, 0, j0, j1); }
    else nt(rows, N, K, ai, b, ci, j0, j1);
  } else if (tA && !tB) {
    if (useTransposedTN(M, N)) {
      // C^T[N,M] = B^T A: an NN-shaped product with a wide M, then added back transposed.
      memory.fill(work, 0, <usize>(M * N) * 4);
      nn(N, M, K, b, 1, N, a, work, 0, 0, M);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          const p = c + <usize>(i * N + j) * 4;
          store<f32>(p, load<f32>(p) + load<f32>(work + <usize>(j * M + i) * 4));
        }
      }
    } else nn(rows, N, K, a + (<usize>i0 << 2), 1, M, b, ci, work, j0, j1);
  } else {
    // TT: no layer uses it; plain loops keep it correct.
    for (let i = i0; i < i1; i++) {
      for (let j = j0; j < j1; j++) {
        let s: f32 = 0;
        for (let k = 0; k < K; k++) s += load<f32>(a + <usize>(k * M + i) * 4) * load<f32>(b + <usize>(j * K + k) * 4);
        const p = c + <usize>(i * N + j) * 4;
        store<f32>(p, load<f32>(p) + s);
      }
    }
  }
}
