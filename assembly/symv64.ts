// y = A x for a symmetric float64 matrix of which only the upper triangle (j >= i) is read:
// the Householder tridiagonalisation's one matrix-vector product per column (src/preprocess/
// tridiagonal.ts), the half of its work that cannot be blocked. Each row is read once and used
// twice: y[i] += A[i, i..n) . x[i..n) and y[i+1..n) += x[i] A[i, i+1..n), so the memory traffic
// is half a full product's. Four rows at a time share the loads of x and the loads and stores
// of y, as four independent sums (two rows at a time: 57 ms at D = 1024 on one thread, four: 51;
// the reads of A bound it either way, hence the split over threads below).
// A row-major [n, n] at a with row stride lda (doubles); byte pointers; f64x2 lanes with scalar
// heads.
//
// symv_upper64_rows does rows [i0, i1) only and writes y[i0 .. n) (zeroed first; y[0 .. i0) is
// not touched), so two threads can take a row range each into a y of their own, summed after
// (src/backend/wasm.ts). Any range works; its last rows (fewer than four) go one at a time.

// @ts-nocheck (AssemblyScript)
@inline function ld(p: usize, j: i32): f64 { return load<f64>(p + (<usize>j << 3)); }
@inline function st(p: usize, j: i32, v: f64): void { store<f64>(p + (<usize>j << 3), v); }

export function symv_upper64(n: i32, a: usize, lda: i32, x: usize, y: usize): void {
  symv_upper64_rows(n, a, lda, x, y, 0, n);
}

export function symv_upper64_rows(n: i32, a: usize, lda: i32, x: usize, y: usize, i0: i32, i1: i32): void {
  if (i0 >= n) return;
  memory.fill(y + (<usize>i0 << 3), 0, <usize>(n - i0) << 3);
  const rs = <usize>lda << 3;
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const r0 = a + <usize>i * rs, r1 = r0 + rs, r2 = r1 + rs, r3 = r2 + rs;
    const x0 = ld(x, i), x1 = ld(x, i + 1), x2 = ld(x, i + 2), x3 = ld(x, i + 3);
    // The 4x4 diagonal block: each entry above the diagonal counts for its row and its column.
    const a01 = ld(r0, i + 1), a02 = ld(r0, i + 2), a03 = ld(r0, i + 3);
    const a12 = ld(r1, i + 2), a13 = ld(r1, i + 3), a23 = ld(r2, i + 3);
    let s0 = ld(r0, i) * x0 + a01 * x1 + a02 * x2 + a03 * x3;
    let s1 = a01 * x0 + ld(r1, i + 1) * x1 + a12 * x2 + a13 * x3;
    let s2 = a02 * x0 + a12 * x1 + ld(r2, i + 2) * x2 + a23 * x3;
    let s3 = a03 * x0 + a13 * x1 + a23 * x2 + ld(r3, i + 3) * x3;
    let j = i + 4;
    if ((n - j) & 1) { // one scalar step so that the pairs below end at n
      const b0 = ld(r0, j), b1 = ld(r1, j), b2 = ld(r2, j), b3 = ld(r3, j), xj = ld(x, j);
      s0 += b0 * xj; s1 += b1 * xj; s2 += b2 * xj; s3 += b3 * xj;
      st(y, j, ld(y, j) + ((x0 * b0 + x1 * b1) + (x2 * b2 + x3 * b3)));
      j++;
    }
    const v0 = f64x2.splat(x0), v1 = f64x2.splat(x1), v2 = f64x2.splat(x2), v3 = f64x2.splat(x3);
    let acc0 = f64x2.splat(0), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    const o = <usize>j << 3;
    let p0 = r0 + o, p1 = r1 + o, p2 = r2 + o, p3 = r3 + o, px = x + o, py = y + o;
    const end = r0 + (<usize>n << 3);
    while (p0 < end) {
      const b0 = v128.load(p0), b1 = v128.load(p1), b2 = v128.load(p2), b3 = v128.load(p3), xv = v128.load(px);
      acc0 = f64x2.add(acc0, f64x2.mul(b0, xv));
      acc1 = f64x2.add(acc1, f64x2.mul(b1, xv));
      acc2 = f64x2.add(acc2, f64x2.mul(b2, xv));
      acc3 = f64x2.add(acc3, f64x2.mul(b3, xv));
      const u = f64x2.add(
        f64x2.add(f64x2.mul(v0, b0), f64x2.mul(v1, b1)),
        f64x2.add(f64x2.mul(v2, b2), f64x2.mul(v3, b3)),
      );
      v128.store(py, f64x2.add(v128.load(py), u));
      p0 += 16; p1 += 16; p2 += 16; p3 += 16; px += 16; py += 16;
    }
    s0 += f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1);
    s1 += f64x2.extract_lane(acc1, 0) + f64x2.extract_lane(acc1, 1);
    s2 += f64x2.extract_lane(acc2, 0) + f64x2.extract_lane(acc2, 1);
    s3 += f64x2.extract_lane(acc3, 0) + f64x2.extract_lane(acc3, 1);
    st(y, i, ld(y, i) + s0);
    st(y, i + 1, ld(y, i + 1) + s1);
    st(y, i + 2, ld(y, i + 2) + s2);
    st(y, i + 3, ld(y, i + 3) + s3);
  }
  // The last rows of the range (fewer than four), one at a time.
  for (; i < i1; i++) {
    const r0 = a + <usize>i * rs, x0 = ld(x, i);
    let s0 = ld(r0, i) * x0;
    for (let j = i + 1; j < n; j++) {
      const b0 = ld(r0, j);
      s0 += b0 * ld(x, j);
      st(y, j, ld(y, j) + x0 * b0);
    }
    st(y, i, ld(y, i) + s0);
  }
}
