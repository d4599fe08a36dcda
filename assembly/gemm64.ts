// Float64 matrix products, for the normal equations of ridge readouts (X^T X, Y^T X) and the
// ELM hidden layer, where float32 loses the digits small penalties (1e-5..1e-10) need.
//   C[M,N] (+)= alpha op(A) op(B), op(A) [M,K] (A stored [K,M] when tA), op(B) [K,N] (B stored [N,K] when tB),
//   all row-major float64 with row strides lda, ldb, ldc (sub-matrices of bigger ones: the
//   blocked Cholesky's trailing updates), pointers are byte addresses in linear memory.
//   upper: only the tiles of C on or above the diagonal are computed (A^T A, a symmetric
//   rank-k update: half the work); the 4x4 tiles on the diagonal are computed in full.
// Blocked as a GEMM should be (Goto): K in blocks of KC; each block of op(A) and op(B) is packed
// into `work` as panels of 4 rows / 4 columns laid out [k][4], so the micro-kernel reads two
// sequential streams whatever the transposes (and row strides of 16 KiB, which map every row to
// the same L1 set, never hurt). Panels past M or N are zero-padded; edge tiles are added back
// with scalar stores. With tA, !tB, a == b and M == N (A^T A) one packing serves both operands.
// Micro-kernel: a 4x4 tile of C in 8 f64x2 registers, C(i, j..j+2) += splat(A(i,k)) * B(k, j..j+2),
// one k per iteration: unrolled by two it ran at ~4 G multiply-adds/s here against ~7 (V8 spilled registers).

// @ts-nocheck (AssemblyScript)
const KC: i32 = 128; // best here among 64/128/256/512 when measured (K blocks of 128: the packed A panels stay in L1)
const NC: i32 = 128; // columns of packed op(B) swept per i-panel: KC x NC doubles = 128 KiB (L2)

@inline function panels(n: i32): i32 { return (n + 3) >> 2; }

/** Doubles of scratch `gemm64` needs. */
export function gemm64_work(tA: i32, tB: i32, M: i32, N: i32, K: i32, a: usize, b: usize): i32 {
  const kc = min(K, KC);
  const pa = panels(M) * 4 * kc;
  return sharesPacking(tA, tB, M, N, a, b) ? pa : pa + panels(N) * 4 * kc;
}

@inline function sharesPacking(tA: i32, tB: i32, M: i32, N: i32, a: usize, b: usize): bool {
  return tA != 0 && tB == 0 && a == b && M == N;
}

/**
 * Packs X(r, k) for r < R, k in [k0, k1) into panels [R/4][k1-k0][4], X(r, k) at x + 8*(r*rs + k*cs);
 * rows past R are zeros.
 */
function pack(R: i32, k0: i32, k1: i32, x: usize, rs: i32, cs: i32, dst: usize): void {
  const kc = k1 - k0;
  const np = panels(R);
  for (let p = 0; p < np; p++) {
    const r0 = p * 4, d0 = dst + <usize>(p * kc * 4) * 8;
    if (r0 + 4 <= R) {
      if (rs == 1) { // 4 contiguous values per k (A^T panels, B panels of NN): copy as two v128
        let s = x + <usize>(r0 + k0 * cs) * 8, d = d0;
        const sc = <usize>cs * 8;
        for (let k = 0; k < kc; k++) {
          v128.store(d, v128.load(s)); v128.store(d, v128.load(s, 16), 16);
          s += sc; d += 32;
        }
      } else {
        const s0 = x + <usize>(r0 * rs + k0 * cs) * 8, sr = <usize>rs * 8, sc = <usize>cs * 8;
        let d = d0, s = s0;
        for (let k = 0; k < kc; k++) {
          store<f64>(d, load<f64>(s)); store<f64>(d + 8, load<f64>(s + sr));
          store<f64>(d + 16, load<f64>(s + 2 * sr)); store<f64>(d + 24, load<f64>(s + 3 * sr));
          s += sc; d += 32;
        }
      }
    } else { // the last, partial panel: scalar, zero-padded
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < 4; r++) {
          const v: f64 = r0 + r < R ? load<f64>(x + <usize>((r0 + r) * rs + (k0 + k) * cs) * 8) : 0;
          store<f64>(d0 + <usize>(k * 4 + r) * 8, v);
        }
      }
    }
  }
}

/** Adds the 4x4 product of two packed panels of length kc into C at (i0, j0), clipped to [M, N]. */
function micro(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, alpha: f64, i0: i32, j0: i32, M: i32, N: i32): void {
  let c00 = f64x2.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let av = v128.load64_splat(pa);
    c00 = f64x2.add(c00, f64x2.mul(av, b0)); c01 = f64x2.add(c01, f64x2.mul(av, b1));
    av = v128.load64_splat(pa, 8);
    c10 = f64x2.add(c10, f64x2.mul(av, b0)); c11 = f64x2.add(c11, f64x2.mul(av, b1));
    av = v128.load64_splat(pa, 16);
    c20 = f64x2.add(c20, f64x2.mul(av, b0)); c21 = f64x2.add(c21, f64x2.mul(av, b1));
    av = v128.load64_splat(pa, 24);
    c30 = f64x2.add(c30, f64x2.mul(av, b0)); c31 = f64x2.add(c31, f64x2.mul(av, b1));
    pa += 32; pb += 32;
  }
  if (alpha != 1) {
    const al = f64x2.splat(alpha);
    c00 = f64x2.mul(c00, al); c01 = f64x2.mul(c01, al); c10 = f64x2.mul(c10, al); c11 = f64x2.mul(c11, al);
    c20 = f64x2.mul(c20, al); c21 = f64x2.mul(c21, al); c30 = f64x2.mul(c30, al); c31 = f64x2.mul(c31, al);
  }
  const rowC = <usize>ldc * 8;
  const p = c + <usize>(i0 * ldc + j0) * 8;
  if (i0 + 4 <= M && j0 + 4 <= N) {
    v128.store(p, f64x2.add(v128.load(p), c00)); v128.store(p, f64x2.add(v128.load(p, 16), c01), 16);
    const p1 = p + rowC, p2 = p1 + rowC, p3 = p2 + rowC;
    v128.store(p1, f64x2.add(v128.load(p1), c10)); v128.store(p1, f64x2.add(v128.load(p1, 16), c11), 16);
    v128.store(p2, f64x2.add(v128.load(p2), c20)); v128.store(p2, f64x2.add(v128.load(p2, 16), c21), 16);
    v128.store(p3, f64x2.add(v128.load(p3), c30)); v128.store(p3, f64x2.add(v128.load(p3, 16), c31), 16);
    return;
  }
  // Edge tile: scalar adds of the entries inside C.
  const mi = min(4, M - i0), nj = min(4, N - j0);
  for (let r = 0; r < mi; r++) {
    const lo = r == 0 ? c00 : r == 1 ? c10 : r == 2 ? c20 : c30;
    const hi = r == 0 ? c01 : r == 1 ? c11 : r == 2 ? c21 : c31;
    const q = p + <usize>r * rowC;
    store<f64>(q, load<f64>(q) + f64x2.extract_lane(lo, 0));
    if (nj > 1) store<f64>(q + 8, load<f64>(q + 8) + f64x2.extract_lane(lo, 1));
    if (nj > 2) store<f64>(q + 16, load<f64>(q + 16) + f64x2.extract_lane(hi, 0));
    if (nj > 3) store<f64>(q + 24, load<f64>(q + 24) + f64x2.extract_lane(hi, 1));
  }
}

export function gemm64(tA: i32, tB: i32, acc: i32, upper: i32, M: i32, N: i32, K: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, work: usize): void {
  gemm64_rows(tA, tB, acc, upper, M, N, K, alpha, a, lda, b, ldb, c, ldc, work, 0, panels(M));
}

/**
 * The row panels [ipFrom, ipTo) (rows 4 ipFrom .. 4 ipTo - 1) of gemm64's product: one thread's
 * share when a product is split over helper threads; each packs only its own rows of op(A).
 */
export function gemm64_rows(tA: i32, tB: i32, acc: i32, upper: i32, M: i32, N: i32, K: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, work: usize, ipFrom: i32, ipTo: i32): void {
  if (M <= 0 || N <= 0 || ipFrom >= ipTo) return;
  if (!acc) for (let i = ipFrom * 4; i < min(M, ipTo * 4); i++) memory.fill(c + <usize>(i * ldc) * 8, 0, <usize>N * 8);
  if (K <= 0) return;
  blocked(tA, tB, upper, M, N, K, alpha, a, lda, b, ldb, c, ldc, work, ipFrom, ipTo);
}

/**
 * C[P,P] += A^T A for A [K,P] (row stride P), only the 4x4 tiles on or above the diagonal whose
 * row panel (rows 4 ip .. 4 ip + 3) has ip in [ipFrom, ipTo): two threads split one Gram update
 * by row panels (the work of panel ip is proportional to panels(P) - ip) and write disjoint tiles.
 * `work`: gemm64_work(1, 0, P, P, K, a, a) doubles, one area per thread.
 */
export function syrk64(P: i32, K: i32, a: usize, c: usize, ipFrom: i32, ipTo: i32, work: usize): void {
  if (P <= 0 || K <= 0 || ipFrom >= ipTo) return;
  blocked(1, 0, 1, P, P, K, 1, a, P, a, P, c, P, work, ipFrom, ipTo);
}

function blocked(tA: i32, tB: i32, upper: i32, M: i32, N: i32, K: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, work: usize, ipFrom: i32, ipTo: i32): void {
  // op(A)(i, k) = a[i*rsA + k*csA], op(B)^T(j, k) = b[j*rsB + k*csB]
  const rsA = tA ? 1 : lda, csA = tA ? lda : 1;
  const rsB = tB ? ldb : 1, csB = tB ? 1 : ldb;
  const shared = sharesPacking(tA, tB, M, N, a, b) && lda == ldb;
  const npA = panels(M), npB = panels(N);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = min(K, k0 + KC), kc = k1 - k0;
    const wa = work, wb = shared ? work : work + <usize>(npA * 4 * kc) * 8;
    const step = <usize>(kc * 4) * 8; // bytes of one packed panel
    // A's panels: all of them when they also serve as B's (A^T A), else only this call's rows
    // (panel ip then sits at wa + (ip - ipFrom) step).
    const ip0 = shared ? 0 : ipFrom;
    if (shared) pack(M, k0, k1, a, rsA, csA, wa);
    else pack(min(M, ipTo * 4) - ipFrom * 4, k0, k1, a + <usize>(ipFrom * 4 * rsA) * 8, rsA, csA, wa);
    if (!shared) pack(N, k0, k1, b, rsB, csB, wb);
    for (let jc = 0; jc < npB; jc += NC >> 2) {
      const jcEnd = min(npB, jc + (NC >> 2));
      for (let ip = ipFrom; ip < ipTo; ip++) {
        if (upper != 0 && ip >= jcEnd) break;
        const pa = wa + <usize>(ip - ip0) * step;
        for (let jp = upper != 0 ? max(jc, ip) : jc; jp < jcEnd; jp++) {
          micro(kc, pa, wb + <usize>jp * step, c, ldc, alpha, ip * 4, jp * 4, M, N);
        }
      }
    }
  }
}
