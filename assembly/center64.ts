// A batch's rows centred in float64, for the streaming covariance (src/preprocess/zca.ts):
//   mean[p] = (sum_i x[i, p]) / B,   R[i, p] = x[i, p] - mean[p]   (x [B, D] float32, row-major)
// The sums run over the rows in order, column by column in the lanes, so the bits are the
// reference's (each float32 becomes a float64 exactly). Returns the sum of the column sums: finite
// exactly when every value is (a NaN or an infinity makes its column's sum non-finite; a finite
// batch whose sum overflows is told apart by the caller). Byte pointers.

// @ts-nocheck (AssemblyScript)
export function center_rows64(B: i32, D: i32, x: usize, mean: usize, R: usize): f64 {
  memory.fill(mean, 0, <usize>D << 3);
  for (let i = 0; i < B; i++) {
    const xr = x + (<usize>(i * D) << 2);
    let p = 0;
    for (; p + 4 <= D; p += 4) {
      const v = v128.load(xr + (<usize>p << 2)), m = mean + (<usize>p << 3);
      v128.store(m, f64x2.add(v128.load(m), f64x2.promote_low_f32x4(v)));
      v128.store(m, f64x2.add(v128.load(m, 16), f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 2, 3))), 16);
    }
    for (; p < D; p++) {
      const m = mean + (<usize>p << 3);
      store<f64>(m, load<f64>(m) + <f64>load<f32>(xr + (<usize>p << 2)));
    }
  }
  let total: f64 = 0;
  for (let p = 0; p < D; p++) total += load<f64>(mean + (<usize>p << 3));
  const b = <f64>B;
  for (let p = 0; p < D; p++) {
    const m = mean + (<usize>p << 3);
    store<f64>(m, load<f64>(m) / b);
  }
  for (let i = 0; i < B; i++) {
    const xr = x + (<usize>(i * D) << 2), rr = R + (<usize>(i * D) << 3);
    let p = 0;
    for (; p + 4 <= D; p += 4) {
      const v = v128.load(xr + (<usize>p << 2)), m = mean + (<usize>p << 3), o = rr + (<usize>p << 3);
      v128.store(o, f64x2.sub(f64x2.promote_low_f32x4(v), v128.load(m)));
      v128.store(o, f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 2, 3)), v128.load(m, 16)), 16);
    }
    for (; p < D; p++) {
      store<f64>(rr + (<usize>p << 3), <f64>load<f32>(xr + (<usize>p << 2)) - load<f64>(mean + (<usize>p << 3)));
    }
  }
  return total;
}
