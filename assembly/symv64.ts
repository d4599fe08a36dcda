// y = A x for a symmetric float64 matrix of which only the upper triangle (j >= i) is read:
// the Householder tridiagonalisation's one matrix-vector product per column (src/preprocess/
// tridiagonal.ts), the half of its work that cannot be blocked. Each row is read once and used
// twice: y[i] += A[i, i..n) . x[i..n) and y[i+1..n) += x[i] A[i, i+1..n), so the memory traffic
// (what bounds it) is half a full product's. A row-major [n, n] at a with row stride lda
// (doubles); byte pointers; f64x2 lanes with a scalar head/tail.

// @ts-nocheck (AssemblyScript)
export function symv_upper64(n: i32, a: usize, lda: i32, x: usize, y: usize): void {
  memory.fill(y, 0, <usize>n << 3);
  for (let i = 0; i < n; i++) {
    const row = a + <usize>(i * lda) * 8, xi = load<f64>(x + (<usize>i << 3));
    let s = load<f64>(row + (<usize>i << 3)) * xi;
    let j = i + 1;
    if ((n - j) & 1) { // one scalar step so that the pairs below end at n
      const aij = load<f64>(row + (<usize>j << 3));
      s += aij * load<f64>(x + (<usize>j << 3));
      store<f64>(y + (<usize>j << 3), load<f64>(y + (<usize>j << 3)) + xi * aij);
      j++;
    }
    const xv = f64x2.splat(xi);
    let acc = f64x2.splat(0);
    let pa = row + (<usize>j << 3), px = x + (<usize>j << 3), py = y + (<usize>j << 3);
    const end = row + (<usize>n << 3);
    while (pa < end) {
      const av = v128.load(pa);
      acc = f64x2.add(acc, f64x2.mul(av, v128.load(px)));
      v128.store(py, f64x2.add(v128.load(py), f64x2.mul(xv, av)));
      pa += 16; px += 16; py += 16;
    }
    s += f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    store<f64>(y + (<usize>i << 3), load<f64>(y + (<usize>i << 3)) + s);
  }
}
