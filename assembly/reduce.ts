// Row broadcasts and reductions: bias rows before an accumulating gemm, bias gradients,
// sums of squares (gradient norms).
// Pointers are byte addresses; every f32x4 loop has a scalar tail.

// @ts-nocheck (AssemblyScript)

/** out[r,:] = bias[:] for r < rows. */
export function fill_rows(rows: i32, cols: i32, out: usize, bias: usize): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) memory.copy(out + <usize>r * rb, bias, rb);
}

/**
 * dst[j] += sum_r X[r,j]. Row by row (X streams contiguously; dst, one row long, stays in L1):
 * a column walk touches a new cache line per row. Each column still sums in row order.
 */
export function col_sum_acc(rows: i32, cols: i32, dst: usize, X: usize): void {
  const rb = <usize>cols << 2;
  let p = X;
  for (let r = 0; r < rows; r++) {
    let j = 0;
    for (; j + 8 <= cols; j += 8) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(p + o)));
      v128.store(dst + o, f32x4.add(v128.load(dst + o, 16), v128.load(p + o, 16)), 16);
    }
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(p + o)));
    }
    for (; j < cols; j++) { const o = <usize>j << 2; store<f32>(dst + o, load<f32>(dst + o) + load<f32>(p + o)); }
    p += rb;
  }
}

/** sum of squares of n floats (float32 lanes, summed in float64 at the end). */
export function sum_sq(n: i32, a: usize): f64 {
  let s0 = f32x4.splat(0), s1 = s0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = a + (<usize>i << 2), v0 = v128.load(p), v1 = v128.load(p, 16);
    s0 = f32x4.add(s0, f32x4.mul(v0, v0)); s1 = f32x4.add(s1, f32x4.mul(v1, v1));
  }
  const s = f32x4.add(s0, s1);
  let t: f64 =
    <f64>f32x4.extract_lane(s, 0) + <f64>f32x4.extract_lane(s, 1) +
    <f64>f32x4.extract_lane(s, 2) + <f64>f32x4.extract_lane(s, 3);
  for (; i < n; i++) { const v = <f64>load<f32>(a + (<usize>i << 2)); t += v * v; }
  return t;
}
