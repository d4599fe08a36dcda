/**
 * WGSL kernels for the end of a training step on the device, as the Trainer does it on the CPU
 * (train/trainer.ts, clip.ts, optim.ts, guard.ts): the gradient's global norm, clipping by norm
 * and by value, the non-finite guard's check, the optimiser update (SGD with momentum/Nesterov,
 * RMSProp, Adam, AdamW; the same formulas as torch.optim), the after-update guard (an update that
 * leaves a non-finite parameter or state value behind is undone) and IndRNN's bound on |u|.
 *
 * The guard: every update kernel first reads the step's Stats and returns without touching
 * anything when the loss or the norm is not finite (the Trainer then counts a skipped step, or
 * throws in strict mode). Finiteness is tested on the bits (WGSL may assume no NaN/Inf in
 * arithmetic), and the norm kernels flag a non-finite entry instead of summing it. Each update
 * thread keeps the old values in BAK and raises stats.undone (atomically) when a new value is not
 * finite; RESTORE then puts every value back, so the step is skipped as a whole.
 *
 * The norm is the scaled sum of squares of LAPACK's nrm2 (scale = max|g| so far, ssq = sum (g/scale)^2):
 * one pass, no overflow for any finite gradient (the CPU sums in double precision; a float32 sum of
 * squares would overflow from |g| ~ 1e19). Pass 1: each workgroup reduces a strided share to
 * (scale, ssq, bad); pass 2: one workgroup combines them into stats.norm and stats.maxAbs.
 */
import { LOOP, STATS_STRUCT, STEP_STRUCT, statsStruct } from './wgsl_util.js';

/** Workgroups of the norm's first pass (each thread strides; the second pass reads them all). */
export const NORM_GROUPS = 256;

const NRM2 = /* wgsl */ `
// (scale, ssq) of two parts combined: both rescaled to the larger scale
fn combine(a: vec2f, b: vec2f) -> vec2f {
  let s = max(a.x, b.x);
  if (s == 0.0) { return vec2f(0.0, 0.0); }
  let ra = a.x / s; let rb = b.x / s;
  return vec2f(s, a.y * ra * ra + b.y * rb * rb);
}
var<workgroup> part: array<vec2f, 64>;
var<workgroup> badw: array<u32, 64>;
fn tree(l: u32) {
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (l < w) { part[l] = combine(part[l], part[l + w]); badw[l] |= badw[l + w]; }
    workgroupBarrier();
  }
}`;

/** NP[wg] = (scale, ssq, bad) of G[i] for i = wg*64 + l, strided by all threads (pass 1). */
export const NORM_PARTIAL = /* wgsl */ `${NRM2}
struct P { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> NP: array<f32>;   // [groups, 3]
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  var s = 0.0; var q = 0.0; var bad = 0u;
  for (var i = gid.x; i < p.n; i += nw.x * 64u) {
    let x = G[i];
    if ((bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u) { bad = 1u; continue; } // Inf or NaN
    let a = abs(x);
    if (a > s) { let r = s / a; q = 1.0 + q * r * r; s = a; }
    else if (a > 0.0) { let r = a / s; q += r * r; }
  }
  part[lid.x] = vec2f(s, q); badw[lid.x] = bad;
  workgroupBarrier();
  tree(lid.x);
  if (lid.x == 0u) { NP[3u * wid.x] = part[0].x; NP[3u * wid.x + 1u] = part[0].y; NP[3u * wid.x + 2u] = f32(badw[0]); }
}`;

/** stats.norm = scale * sqrt(ssq), stats.maxAbs = scale, stats.badGrad, from the k partials (pass 2). */
export const NORM_FINAL = /* wgsl */ `${NRM2}
${STATS_STRUCT}
struct P { k: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> NP: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: Stats;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var a = vec2f(0.0, 0.0); var bad = 0u;
  for (var i = lid.x; i < p.k; i += 64u) {
    a = combine(a, vec2f(NP[3u * i], NP[3u * i + 1u]));
    if (NP[3u * i + 2u] != 0.0) { bad = 1u; }
  }
  part[lid.x] = a; badw[lid.x] = bad;
  workgroupBarrier();
  tree(lid.x);
  if (lid.x == 0u) {
    stats.norm = part[0].x * sqrt(part[0].y);
    stats.maxAbs = part[0].x;
    stats.badGrad = f32(badw[0]);
  }
}`;

/**
 * What every update kernel starts with: the guard (return when the loss or the gradient is not
 * finite), then g = clamp(g * coef, -clipValue, clipValue) with coef = clipNorm / (norm + 1e-6)
 * when that is < 1 (clip_grad_norm_), and L2 decay where MASK says (SGD, RMSProp, Adam). `ns`
 * state arrays are in use (S1, S2); their old values and W's go to BAK [W | S1 | S2].
 */
const UPDATE_HEAD = /* wgsl */ `
${STEP_STRUCT}
${statsStruct('atomic<u32>')}
struct P { n: u32, ns: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> st: Step;
@group(0) @binding(2) var<storage, read_write> stats: Stats;
@group(0) @binding(3) var<storage, read> MASK: array<f32>;        // 1 where weight decay applies
@group(0) @binding(4) var<storage, read> GR: array<f32>;          // gradients
@group(0) @binding(5) var<storage, read_write> W: array<f32>;     // parameters
@group(0) @binding(6) var<storage, read_write> S1: array<f32>;    // optimiser state
@group(0) @binding(7) var<storage, read_write> S2: array<f32>;
@group(0) @binding(8) var<storage, read_write> BAK: array<f32>;   // [W | S1 | S2] before the update
${LOOP}
  if (!(finite(stats.loss) && finite(stats.norm)) || stats.badLoss != 0.0 || stats.badGrad != 0.0) { return; }
  var coef = 1.0;
  if (st.clipNorm > 0.0) { coef = st.clipNorm / (stats.norm + 1e-6); }
  for (var i = gid.x; i < p.n; i += stride) {
    BAK[i] = W[i];
    if (p.ns > 0u) { BAK[p.n + i] = S1[i]; }
    if (p.ns > 1u) { BAK[2u * p.n + i] = S2[i]; }
    var g = GR[i];
    if (coef < 1.0) { g = g * coef; }
    if (st.clipValue > 0.0) { g = clamp(g, -st.clipValue, st.clipValue); }
    let decay = st.wd > 0.0 && MASK[i] != 0.0;`;

/** The end of every update kernel: a new value that is not finite marks the whole update undone. */
const UPDATE_TAIL = /* wgsl */ `
    if (!finite(W[i]) || (p.ns > 0u && !finite(S1[i])) || (p.ns > 1u && !finite(S2[i]))) {
      atomicStore(&stats.undone, 1u);
    }
  }
}`;

/** SGD (PyTorch's): v = mu v + g (v = g on the first step); g = g + mu v (Nesterov) or v; p -= lr g. */
export const SGD = /* wgsl */ `${UPDATE_HEAD}
    if (decay) { g += st.wd * W[i]; }
    if (st.momentum > 0.0) {
      var v = g;
      if (st.first == 0.0) { v = st.momentum * S1[i] + g; }
      S1[i] = v;
      if (st.nesterov != 0.0) { g = g + st.momentum * v; } else { g = v; }
    }
    W[i] -= st.lr * g;${UPDATE_TAIL}`;

/** RMSProp (PyTorch's): s = a s + (1-a) g^2; p -= lr g / (sqrt(s) + eps). */
export const RMSPROP = /* wgsl */ `${UPDATE_HEAD}
    if (decay) { g += st.wd * W[i]; }
    let s = st.alpha * S1[i] + st.oneMinusAlpha * g * g;
    S1[i] = s;
    W[i] -= st.lr * g / (sqrt(s) + st.eps);${UPDATE_TAIL}`;

/**
 * Adam with bias correction (bc1 = 1 - beta1^t, bc2 = 1 - beta2^t from the host); AdamW decays the
 * weights outside the moments (decoupled): p -= lr wd p first.
 */
export const ADAM = /* wgsl */ `${UPDATE_HEAD}
    if (decay) { if (st.decoupled != 0.0) { W[i] -= st.lr * st.wd * W[i]; } else { g += st.wd * W[i]; } }
    let m = st.beta1 * S1[i] + st.oneMinusBeta1 * g;
    let v = st.beta2 * S2[i] + st.oneMinusBeta2 * g * g;
    S1[i] = m;
    S2[i] = v;
    W[i] -= st.lr * (m / st.bc1) / (sqrt(v / st.bc2) + st.eps);${UPDATE_TAIL}`;

/** When the update was undone: W, S1, S2 = what BAK kept (the after-update guard, guard.ts). */
export const RESTORE = /* wgsl */ `
${statsStruct('atomic<u32>')}
struct P { n: u32, ns: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> stats: Stats;
@group(0) @binding(2) var<storage, read> BAK: array<f32>;
@group(0) @binding(3) var<storage, read_write> W: array<f32>;
@group(0) @binding(4) var<storage, read_write> S1: array<f32>;
@group(0) @binding(5) var<storage, read_write> S2: array<f32>;
${LOOP}
  if (atomicLoad(&stats.undone) == 0u) { return; }
  for (var i = gid.x; i < p.n; i += stride) {
    W[i] = BAK[i];
    if (p.ns > 0u) { S1[i] = BAK[p.n + i]; }
    if (p.ns > 1u) { S2[i] = BAK[2u * p.n + i]; }
  }
}`;

/** W[off + j] = clamp(W[off + j], -m, m) for j < n, after a kept update (IndRNN's |u| <= recurrentMaxAbs). */
export const CLAMP = /* wgsl */ `
${STATS_STRUCT}
struct P { n: u32, off: u32, m: f32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> stats: Stats;
@group(0) @binding(2) var<storage, read_write> W: array<f32>;
${LOOP}
  if (!(finite(stats.loss) && finite(stats.norm)) || stats.badLoss != 0.0 || stats.badGrad != 0.0) { return; }
  if (stats.undone != 0u) { return; }                   // the update was undone: nothing to constrain
  for (var j = gid.x; j < p.n; j += stride) { W[p.off + j] = clamp(W[p.off + j], -p.m, p.m); }
}`;
