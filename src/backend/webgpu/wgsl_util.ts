/**
 * WGSL kernels around the recurrent loop: bias broadcast, column sums (bias gradients, IndRNN's
 * du), transpose, embedding gather/scatter, the two losses and their single-workgroup sum.
 * Element-wise kernels run 64 threads per workgroup and stride over their range
 * (`num_workgroups`), so any size fits one dispatch of at most 4096 workgroups.
 */
export const LOOP = `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let stride = nw.x * 64u;`;

/**
 * The per-step record the host writes before each submission: the optimiser's learning rate and
 * hyper-parameters, clipping (0 = off), and the carried-state flags (0/1). 1 - beta etc. are
 * computed on the host in double precision, as optim.ts does (float32 1 - 0.999 is 1.3e-5 off).
 * The WGSL struct below is generated from this list, so the two cannot disagree.
 */
export const STEP_FIELDS = [
  'lr',
  'wd',
  'momentum',
  'nesterov',
  'first',
  'alpha',
  'eps',
  'beta1',
  'beta2',
  'oneMinusAlpha',
  'oneMinusBeta1',
  'oneMinusBeta2',
  'bc1',
  'bc2',
  'decoupled',
  'clipNorm',
  'clipValue',
  'useCarry',
  'keepCarry',
] as const;

/** The step record as f32 values in STEP_FIELDS order (absent fields 0). */
export function stepRecord(r: Partial<Record<(typeof STEP_FIELDS)[number], number>>): Float32Array {
  return Float32Array.from(STEP_FIELDS, (k) => r[k] ?? 0);
}

export const STEP_STRUCT = `struct Step { ${STEP_FIELDS.map((k) => `${k}: f32`).join(', ')} }`;

/** Where the step's scalars sit in the Stats buffer (read back after each training step). */
export const STATS_FIELDS = { loss: 0, correct: 1, norm: 2, maxAbs: 3, badLoss: 4, badGrad: 5, undone: 6 } as const;

/**
 * What a training step reads back: the loss, correct rows (xent), the gradient's global norm and
 * largest |entry|, whether a non-finite value was met in the losses or the gradient (then the
 * sums above mean nothing and the update is skipped), and whether the update itself left a
 * non-finite value behind and was undone (`undone`, a u32 the update kernels set atomically).
 */
export const STATS_STRUCT = statsStruct('u32');

/** The Stats struct with `undone` as a plain u32 (readers) or an atomic (the update kernels that set it). */
export function statsStruct(undone: 'u32' | 'atomic<u32>'): string {
  return /* wgsl */ `struct Stats { loss: f32, correct: f32, norm: f32, maxAbs: f32,
  badLoss: f32, badGrad: f32, undone: ${undone}, pad0: f32 }
fn finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`;
}

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

/** D[dOff + j] += sum_r X[xOff + r*cols + j] * Y[yOff + r*cols + j]: IndRNN's du = sum_{t,b} dpre_t h_{t-1}. */
export const COLSUM_PROD = /* wgsl */ `
struct P { rows: u32, cols: u32, xOff: u32, yOff: u32, dOff: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> D: array<f32>;
${LOOP}
  for (var j = gid.x; j < p.cols; j += stride) {
    var s = 0.0;
    for (var r = 0u; r < p.rows; r++) { s += X[p.xOff + r * p.cols + j] * Y[p.yOff + r * p.cols + j]; }
    D[p.dOff + j] += s;
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

/** dW[wOff + v*E + e] += sum over n with ids[n] = v of dX[n, e]: scatter-add without atomics (a thread per (v,e)). */
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
 * MSE, per row r of pred [N, F] with weight RW[r] = mask_r / count (count = counted rows x F):
 * d = pred - y; dpred = 2 d RW[r]; rows[r] = (RW[r] sum_f d^2, 0).
 */
export const MSE = /* wgsl */ `
struct P { N: u32, F: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> RW: array<f32>;
@group(0) @binding(4) var<storage, read_write> dpred: array<f32>;
@group(0) @binding(5) var<storage, read_write> rows: array<f32>;
${LOOP}
  for (var r = gid.x; r < p.N; r += stride) {
    let w = RW[r];
    var s = 0.0;
    for (var f = 0u; f < p.F; f++) {
      let i = r * p.F + f; let d = pred[i] - Y[i];
      s += d * d;
      dpred[i] = 2.0 * d * w;                    // d/dpred of w (p - y)^2
    }
    rows[2u * r] = w * s;
    rows[2u * r + 1u] = 0.0;
  }
}`;

/**
 * Softmax cross-entropy, per row r of logits [N, V] with target Y[r] (-1 = ignored) and weight
 * RW[r] = mask_r / count (0 for ignored rows): rows[r] = (RW[r] (logsumexp - logit[y]), 1 when
 * counted and argmax = y); dlogits = RW[r] (softmax - onehot).
 */
export const XENT = /* wgsl */ `
struct P { N: u32, V: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> L: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<i32>;
@group(0) @binding(3) var<storage, read> RW: array<f32>;
@group(0) @binding(4) var<storage, read_write> dL: array<f32>;
@group(0) @binding(5) var<storage, read_write> rows: array<f32>;
${LOOP}
  for (var r = gid.x; r < p.N; r += stride) {
    let y = Y[r]; let o = r * p.V; let w = RW[r];
    var mx = L[o]; var arg = 0;
    for (var v = 1u; v < p.V; v++) { if (L[o + v] > mx) { mx = L[o + v]; arg = i32(v); } }
    var z = 0.0;
    for (var v = 0u; v < p.V; v++) { z += exp(L[o + v] - mx); }
    let lz = log(z) + mx;
    var loss = 0.0;
    if (y >= 0) { loss = w * (lz - L[o + u32(y)]); }
    rows[2u * r] = loss;
    rows[2u * r + 1u] = select(0.0, 1.0, w > 0.0 && arg == y);
    for (var v = 0u; v < p.V; v++) {
      var oh = 0.0;
      if (i32(v) == y) { oh = 1.0; }
      dL[o + v] = w * (exp(L[o + v] - lz) - oh);
    }
  }
}`;

/**
 * stats.loss, stats.correct = the sums of rows [N, 2]; stats.badLoss = 1 when a row's loss is not
 * finite. One workgroup: a strided sum per thread, then a tree in workgroup memory.
 */
export const REDUCE_LOSS = /* wgsl */ `
${STATS_STRUCT}
struct P { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: Stats;
var<workgroup> part: array<vec2f, 64>;
var<workgroup> badw: array<u32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) l: vec3u) {
  var s = vec2f(0.0, 0.0); var bad = 0u;
  for (var i = l.x; i < p.n; i += 64u) {
    let v = vec2f(X[2u * i], X[2u * i + 1u]);
    if (!finite(v.x)) { bad = 1u; } else { s += v; }
  }
  part[l.x] = s; badw[l.x] = bad;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (l.x < w) { part[l.x] += part[l.x + w]; badw[l.x] |= badw[l.x + w]; }
    workgroupBarrier();
  }
  if (l.x == 0u) { stats.loss = part[0].x; stats.correct = part[0].y; stats.badLoss = f32(badw[0]); }
}`;
