/**
 * WGSL kernels around the recurrent loop: bias broadcast, column sums (bias gradients),
 * transpose, embedding gather/scatter, the two losses, a single-workgroup sum and SGD.
 * Element-wise kernels run 64 threads per workgroup and stride over their range
 * (`num_workgroups`), so any size fits one dispatch of at most 4096 workgroups.
 */
const LOOP = `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let stride = nw.x * 64u;`;

/** out[off + r*cols + j] = (nb >= 1 ? S[b1 + j] : 0) + (nb >= 2 ? S[b2 + j] : 0): bias rows, or zeros (nb = 0). */
export const FILL = /* wgsl */ `
struct P { rows: u32, cols: u32, off: u32, b1: u32, b2: u32, nb: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
${LOOP}
  for (var e = gid.x; e < p.rows * p.cols; e += stride) {
    let j = e % p.cols;
    var v = 0.0;
    if (p.nb >= 1u) { v = S[p.b1 + j]; }
    if (p.nb >= 2u) { v += S[p.b2 + j]; }
    O[p.off + e] = v;
  }
}`;

/** D[d1 + j] += sum_r X[xOff + r*cols + j] (and the same into D[d2 + j] when two: b_ih and b_hh share it). */
export const COLSUM = /* wgsl */ `
struct P { rows: u32, cols: u32, xOff: u32, d1: u32, d2: u32, two: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> D: array<f32>;
${LOOP}
  for (var j = gid.x; j < p.cols; j += stride) {
    var s = 0.0;
    for (var r = 0u; r < p.rows; r++) { s += X[p.xOff + r * p.cols + j]; }
    D[p.d1 + j] += s;
    if (p.two != 0u) { D[p.d2 + j] += s; }
  }
}`;

/** O[oOff + c*rows + r] = S[sOff + r*cols + c]. */
export const TRANSPOSE = /* wgsl */ `
struct P { rows: u32, cols: u32, sOff: u32, oOff: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
${LOOP}
  for (var e = gid.x; e < p.rows * p.cols; e += stride) {
    let r = e / p.cols; let c = e % p.cols;
    O[p.oOff + c * p.rows + r] = S[p.sOff + e];
  }
}`;

/** X[n, e] = W[wOff + ids[n]*E + e]: the embedding lookup for N = T*B ids. */
export const EMBED = /* wgsl */ `
struct P { N: u32, E: u32, wOff: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> X: array<f32>;
${LOOP}
  for (var e = gid.x; e < p.N * p.E; e += stride) {
    X[e] = W[p.wOff + ids[e / p.E] * p.E + e % p.E];
  }
}`;

/** dW[wOff + v*E + e] += sum over n with ids[n] = v of dX[n, e]: scatter-add without atomics (one thread per (v, e)). */
export const EMBED_BWD = /* wgsl */ `
struct P { N: u32, E: u32, V: u32, wOff: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> dX: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> dW: array<f32>;
${LOOP}
  for (var q = gid.x; q < p.V * p.E; q += stride) {
    let v = q / p.E; let e = q % p.E;
    var s = 0.0;
    for (var n = 0u; n < p.N; n++) { if (ids[n] == v) { s += dX[n * p.E + e]; } }
    dW[p.wOff + q] += s;
  }
}`;

/**
 * MSE, per row r of pred [N, F]: d = pred - y; dpred = 2 d / count; rowLoss[r] = sum_f d^2.
 * S[0] = 1/count (written per step).
 */
export const MSE = /* wgsl */ `
struct P { N: u32, F: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> S: array<f32>;
@group(0) @binding(4) var<storage, read_write> dpred: array<f32>;
@group(0) @binding(5) var<storage, read_write> rowLoss: array<f32>;
${LOOP}
  for (var r = gid.x; r < p.N; r += stride) {
    var s = 0.0;
    for (var f = 0u; f < p.F; f++) {
      let i = r * p.F + f; let d = pred[i] - Y[i];
      s += d * d;
      dpred[i] = 2.0 * d * S[0];                 // d/dpred mean((p - y)^2)
    }
    rowLoss[r] = s;
  }
}`;

/**
 * Softmax cross-entropy, per row r of logits [N, V] with target Y[r] (-1 = ignored):
 * rowLoss[r] = logsumexp - logit[y]; dlogits = (softmax - onehot) / count, S[0] = 1/count.
 */
export const XENT = /* wgsl */ `
struct P { N: u32, V: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> L: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<i32>;
@group(0) @binding(3) var<storage, read> S: array<f32>;
@group(0) @binding(4) var<storage, read_write> dL: array<f32>;
@group(0) @binding(5) var<storage, read_write> rowLoss: array<f32>;
${LOOP}
  for (var r = gid.x; r < p.N; r += stride) {
    let y = Y[r]; let o = r * p.V;
    var mx = L[o];
    for (var v = 1u; v < p.V; v++) { mx = max(mx, L[o + v]); }
    var z = 0.0;
    for (var v = 0u; v < p.V; v++) { z += exp(L[o + v] - mx); }
    let lz = log(z) + mx;
    var scale = S[0];
    if (y < 0) { scale = 0.0; rowLoss[r] = 0.0; } else { rowLoss[r] = lz - L[o + u32(y)]; }
    for (var v = 0u; v < p.V; v++) {
      var oh = 0.0;
      if (i32(v) == y) { oh = 1.0; }
      dL[o + v] = scale * (exp(L[o + v] - lz) - oh);
    }
  }
}`;

/** out[0] = S[0] * sum of X[0..n): one workgroup, a strided sum per thread then a tree in workgroup memory. */
export const REDUCE = /* wgsl */ `
struct P { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
var<workgroup> part: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) l: vec3u) {
  var s = 0.0;
  for (var i = l.x; i < p.n; i += 64u) { s += X[i]; }
  part[l.x] = s;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (l.x < w) { part[l.x] += part[l.x + w]; }
    workgroupBarrier();
  }
  if (l.x == 0u) { out[0] = part[0] * S[0]; }
}`;

/** Plain SGD over the flat parameter array: p -= lr * g (lr carried as f32 bits). */
export const SGD = /* wgsl */ `
struct P { n: u32, lr: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> W: array<f32>;
${LOOP}
  for (var i = gid.x; i < p.n; i += stride) { W[i] -= p.lr * G[i]; }
}`;
