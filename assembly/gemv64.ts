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
    for (let i = 0; i < M; i++) {
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
  // Two rows at a time: y is read and written once per pair.
  let i = 0;
  for (; i + 2 <= M; i += 2) {
    const r0 = a + <usize>i * rs, r1 = r0 + rs;
    const x0 = alpha * load<f64>(x + (<usize>i << 3)), x1 = alpha * load<f64>(x + (<usize>(i + 1) << 3));
    const v0 = f64x2.splat(x0), v1 = f64x2.splat(x1);
    let j = 0;
    for (; j + 2 <= N; j += 2) {
      const o = <usize>j << 3;
      v128.store(
        y + o,
        f64x2.add(v128.load(y + o), f64x2.add(f64x2.mul(v0, v128.load(r0 + o)), f64x2.mul(v1, v128.load(r1 + o)))),
      );
    }
    for (; j < N; j++) {
      const o = <usize>j << 3;
      store<f64>(y + o, load<f64>(y + o) + (x0 * load<f64>(r0 + o) + x1 * load<f64>(r1 + o)));
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
