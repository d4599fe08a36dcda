// y = A x for a symmetric float64 matrix of which only the upper triangle (j >= i) is read:
// the Householder tridiagonalisation's one matrix-vector product per column (src/preprocess/
// tridiagonal.ts), the half of its work that cannot be blocked. Each row is read once and used
// twice: y[i] += A[i, i..n) . x[i..n) and y[i+1..n) += x[i] A[i, i+1..n), so the memory traffic
// (what bounds it) is half a full product's. Two rows at a time share the loads of x and the
// loads and stores of y. A row-major [n, n] at a with row stride lda (doubles); byte pointers;
// f64x2 lanes with scalar heads.

// @ts-nocheck (AssemblyScript)
@inline function ld(p: usize, j: i32): f64 { return load<f64>(p + (<usize>j << 3)); }
@inline function st(p: usize, j: i32, v: f64): void { store<f64>(p + (<usize>j << 3), v); }

export function symv_upper64(n: i32, a: usize, lda: i32, x: usize, y: usize): void {
  memory.fill(y, 0, <usize>n << 3);
  const rs = <usize>lda << 3;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const r0 = a + <usize>i * rs, r1 = r0 + rs, x0 = ld(x, i), x1 = ld(x, i + 1), a01 = ld(r0, i + 1);
    let s0 = ld(r0, i) * x0 + a01 * x1, s1 = a01 * x0 + ld(r1, i + 1) * x1;
    let j = i + 2;
    if ((n - j) & 1) { // one scalar step so that the pairs below end at n
      const b0 = ld(r0, j), b1 = ld(r1, j), xj = ld(x, j);
      s0 += b0 * xj; s1 += b1 * xj;
      st(y, j, ld(y, j) + (x0 * b0 + x1 * b1));
      j++;
    }
    const v0 = f64x2.splat(x0), v1 = f64x2.splat(x1);
    let acc0 = f64x2.splat(0), acc1 = acc0;
    let p0 = r0 + (<usize>j << 3), p1 = r1 + (<usize>j << 3), px = x + (<usize>j << 3), py = y + (<usize>j << 3);
    const end = r0 + (<usize>n << 3);
    while (p0 < end) {
      const b0 = v128.load(p0), b1 = v128.load(p1), xv = v128.load(px);
      acc0 = f64x2.add(acc0, f64x2.mul(b0, xv));
      acc1 = f64x2.add(acc1, f64x2.mul(b1, xv));
      v128.store(py, f64x2.add(v128.load(py), f64x2.add(f64x2.mul(v0, b0), f64x2.mul(v1, b1))));
      p0 += 16; p1 += 16; px += 16; py += 16;
    }
    s0 += f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1);
    s1 += f64x2.extract_lane(acc1, 0) + f64x2.extract_lane(acc1, 1);
    st(y, i, ld(y, i) + s0);
    st(y, i + 1, ld(y, i + 1) + s1);
  }
  if (i < n) st(y, i, ld(y, i) + ld(a + <usize>i * rs, i) * ld(x, i)); // the last row: its diagonal alone
}
