// Sparse (CSR) matrix times a batch of vectors in float64, for the reservoir step:
//   Y[b, i] (+)= sum over p in [rowPtr[i], rowPtr[i+1]) of values[p] * X[b, colIdx[p]],
//   A [rows, cols] CSR (rowPtr i32 [rows+1], colIdx i32 [nnz], values f64 [nnz]), X [B, cols], Y [B, rows].
// Four partial sums (entry p of a row goes to sum (p - rowPtr[i]) mod 4, then (s0 + s1) + (s2 + s3)):
// a row of 200 entries is a chain of dependent adds, so one sum would wait on the add latency.
// rowSum4 (src/backend/math64.ts, the ts reference's loop) sums in exactly this order, so a reservoir gives
// bit-identical states on either backend (closed-loop forecasts amplify any difference).

// @ts-nocheck (AssemblyScript)
/**
 * sum over p in [p0, end) of values[p] * x[idx[p]] (f64 values, i32 indices) in the four-sum
 * order above; also the input term of the reservoir step (reservoir64.ts).
 */
@inline export function csrRow64(p0: i32, end: i32, idx: usize, values: usize, x: usize): f64 {
  let p = p0;
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
  for (; p + 4 <= end; p += 4) {
    const v = values + (<usize>p << 3), c = idx + (<usize>p << 2);
    s0 += load<f64>(v) * load<f64>(x + (<usize>load<i32>(c) << 3));
    s1 += load<f64>(v, 8) * load<f64>(x + (<usize>load<i32>(c, 4) << 3));
    s2 += load<f64>(v, 16) * load<f64>(x + (<usize>load<i32>(c, 8) << 3));
    s3 += load<f64>(v, 24) * load<f64>(x + (<usize>load<i32>(c, 12) << 3));
  }
  if (p < end) {
    s0 += load<f64>(values + (<usize>p << 3)) * load<f64>(x + (<usize>load<i32>(idx + (<usize>p << 2)) << 3));
    p++;
  }
  if (p < end) {
    s1 += load<f64>(values + (<usize>p << 3)) * load<f64>(x + (<usize>load<i32>(idx + (<usize>p << 2)) << 3));
    p++;
  }
  if (p < end) {
    s2 += load<f64>(values + (<usize>p << 3)) * load<f64>(x + (<usize>load<i32>(idx + (<usize>p << 2)) << 3));
    p++;
  }
  return (s0 + s1) + (s2 + s3);
}

export function csr_matvec64(
  rows: i32, cols: i32, B: i32, rowPtr: usize, colIdx: usize, values: usize, x: usize, y: usize, acc: i32,
): void {
  for (let b = 0; b < B; b++) {
    const xo = x + <usize>(b * cols) * 8, yo = y + <usize>(b * rows) * 8;
    for (let i = 0; i < rows; i++) {
      const s = csrRow64(
        load<i32>(rowPtr + (<usize>i << 2)), load<i32>(rowPtr + (<usize>(i + 1) << 2)), colIdx, values, xo,
      );
      const q = yo + <usize>i * 8;
      store<f64>(q, acc ? load<f64>(q) + s : s);
    }
  }
}
