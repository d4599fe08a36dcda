// Float64 matrix-vector products on strided blocks, for the Householder tridiagonalisation's
// rank-2 corrections inside a panel (src/preprocess/tridiagonal.ts): a few dozen rows against
// long vectors, where a matrix product would pack and pad more than it computes.
//   trans = 0: y[i] (+)= alpha sum_j A[i, j] x[j]   (i < M, j < N)   dot products along rows
//   trans = 1: y[j] (+)= alpha sum_i A[i, j] x[i]   (i < M, j < N)   rows combined (axpys)
// A row-major [M, N] at a with row stride lda (doubles); byte pointers; f64x2 with scalar tails.

// @ts-nocheck (AssemblyScript)
export function gemv64(trans: i32, acc: i32, M: i32, N: i32, alpha: f64, a: usize, lda: i32, x: usize, y: usize): void {
  const ny = trans ? N : M;
  if (!acc) memory.fill(y, 0, <usize>ny << 3);
  if (M <= 0 || N <= 0) return;
  const rs = <usize>lda << 3;
  if (!trans) {
    // Four rows at a time: one load of x serves four independent sums (one sum's add latency,
    // a chain through every iteration, bounded the one-row loop).
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      const r0 = a + <usize>i * rs, r1 = r0 + rs, r2 = r1 + rs, r3 = r2 + rs;
      let c0 = f64x2.splat(0), c1 = c0, c2 = c0, c3 = c0;
      let j = 0;
      for (; j + 2 <= N; j += 2) {
        const o = <usize>j << 3, xv = v128.load(x + o);
        c0 = f64x2.add(c0, f64x2.mul(v128.load(r0 + o), xv));
        c1 = f64x2.add(c1, f64x2.mul(v128.load(r1 + o), xv));
        c2 = f64x2.add(c2, f64x2.mul(v128.load(r2 + o), xv));
        c3 = f64x2.add(c3, f64x2.mul(v128.load(r3 + o), xv));
      }
      let s0 = f64x2.extract_lane(c0, 0) + f64x2.extract_lane(c0, 1),
        s1 = f64x2.extract_lane(c1, 0) + f64x2.extract_lane(c1, 1),
        s2 = f64x2.extract_lane(c2, 0) + f64x2.extract_lane(c2, 1),
        s3 = f64x2.extract_lane(c3, 0) + f64x2.extract_lane(c3, 1);
      for (; j < N; j++) {
        const o = <usize>j << 3, xj = load<f64>(x + o);
        s0 += load<f64>(r0 + o) * xj;
        s1 += load<f64>(r1 + o) * xj;
        s2 += load<f64>(r2 + o) * xj;
        s3 += load<f64>(r3 + o) * xj;
      }
      const py = y + (<usize>i << 3);
      store<f64>(py, load<f64>(py) + alpha * s0);
      store<f64>(py + 8, load<f64>(py + 8) + alpha * s1);
      store<f64>(py + 16, load<f64>(py + 16) + alpha * s2);
      store<f64>(py + 24, load<f64>(py + 24) + alpha * s3);
    }
    for (; i < M; i++) {
      const row = a + <usize>i * rs;
      let acc2 = f64x2.splat(0);
      let j = 0;
      for (; j + 2 <= N; j += 2) {
        acc2 = f64x2.add(acc2, f64x2.mul(v128.load(row + (<usize>j << 3)), v128.load(x + (<usize>j << 3))));
      }
      let s = f64x2.extract_lane(acc2, 0) + f64x2.extract_lane(acc2, 1);
      for (; j < N; j++) s += load<f64>(row + (<usize>j << 3)) * load<f64>(x + (<usize>j << 3));
      store<f64>(y + (<usize>i << 3), load<f64>(y + (<usize>i << 3)) + alpha * s);
    }
    return;
  }
  // Four rows at a time (y read and written once per four), the last few one at a time.
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const r0 = a + <usize>i * rs, r1 = r0 + rs, r2 = r1 + rs, r3 = r2 + rs;
    const px = x + (<usize>i << 3);
    const x0 = alpha * load<f64>(px), x1 = alpha * load<f64>(px + 8);
    const x2 = alpha * load<f64>(px + 16), x3 = alpha * load<f64>(px + 24);
    const v0 = f64x2.splat(x0), v1 = f64x2.splat(x1), v2 = f64x2.splat(x2), v3 = f64x2.splat(x3);
    let j = 0;
    for (; j + 2 <= N; j += 2) {
      const o = <usize>j << 3;
      const u = f64x2.add(
        f64x2.add(f64x2.mul(v0, v128.load(r0 + o)), f64x2.mul(v1, v128.load(r1 + o))),
        f64x2.add(f64x2.mul(v2, v128.load(r2 + o)), f64x2.mul(v3, v128.load(r3 + o))),
      );
      v128.store(y + o, f64x2.add(v128.load(y + o), u));
    }
    for (; j < N; j++) {
      const o = <usize>j << 3;
      const u = (x0 * load<f64>(r0 + o) + x1 * load<f64>(r1 + o)) + (x2 * load<f64>(r2 + o) + x3 * load<f64>(r3 + o));
      store<f64>(y + o, load<f64>(y + o) + u);
    }
  }
  for (; i < M; i++) {
    const r0 = a + <usize>i * rs, x0 = alpha * load<f64>(x + (<usize>i << 3)), v0 = f64x2.splat(x0);
    let j = 0;
    for (; j + 2 <= N; j += 2) {
      const o = <usize>j << 3;
      v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(v0, v128.load(r0 + o))));
    }
    for (; j < N; j++) {
      const o = <usize>j << 3;
      store<f64>(y + o, load<f64>(y + o) + x0 * load<f64>(r0 + o));
    }
  }
}
