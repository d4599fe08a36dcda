/**
 * WGSL time-step kernels for the three cells: the recurrent product and the gate
 * nonlinearities fused into ONE dispatch per step and direction, because on a GPU a
 * recurrent loop is bound by dispatches, not by arithmetic (DESIGN.md, decision 5).
 *
 * Dimension key: B = batch, H = hidden, G = gates (RNN 1, LSTM 4, GRU 3). One thread owns
 * one (b, j): it computes all G gates of hidden unit j for sequence b, so the cell update
 * needs no second pass. Dispatch: (ceil(H/64), B).
 *
 * Forward at step t reads h_{t-1} and WT = W_hh^T [H, G*H] (transposed once per training
 * step, so that threads j, j+1 read neighbouring addresses):
 *   RNN:  pre = XP_t + h W^T;  h_t = act(pre)                          (XP_t <- h_t)
 *   LSTM: gates = XP_t + h W^T; i,f,o = s(.), g = tanh(.); c = f c_{t-1} + i g; h = o tanh c
 *   GRU:  hp = h W^T + b_hh (kept in HP_t); r = s(xr + hr), z = s(xz + hz),
 *         n = tanh(xn + r hn), h = (1 - z) n + z h_{t-1}               (XP_t <- r, z, n)
 * Backward at step t first assembles dh_t = dy_t + dL/dh_t through step t+1, reading the
 * untransposed W_hh [G*H, H] (thread j reads column j: again neighbouring addresses):
 *   RNN/LSTM: dh_t = dy_t + dXP_{t+1} W_hh;   GRU: dh_t = dy_t + dHP_{t+1} W_hh + z_{t+1} dh_{t+1}
 * then applies the cell's backward exactly as src/backend/ts.ts does; dh_t is kept in DH.
 */

/** Numerically safe activations shared by every kernel (tanh via exp(-2|x|): no overflow). */
export const MATH_WGSL = /* wgsl */ `
fn sig(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn th(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); let t = (1.0 - e) / (1.0 + e); return select(-t, t, x >= 0.0); }
`;

/** RNN activation ids, as the uniform `act` carries them. */
/** The kernels' activation codes: the same as the CPU kernels' (backend.ts ACT). */
export { ACT as ACT_ID } from '../backend.js';

const STEP_HEAD = `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x; let b = gid.y; let H = p.H;
  if (j >= H || b >= p.B) { return; }`;

export const RNN_FWD = /* wgsl */ `${MATH_WGSL}
struct P { B: u32, H: u32, xpOff: u32, hOff: u32, hOutOff: u32, act: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> WT: array<f32>;        // [H, H] W_hh^T
@group(0) @binding(2) var<storage, read_write> XP: array<f32>;  // [T,B,H] pre-activations -> h_t
@group(0) @binding(3) var<storage, read_write> HS: array<f32>;  // [T+1,B,H]
${STEP_HEAD}
  var a = XP[p.xpOff + b * H + j];
  for (var k = 0u; k < H; k++) { a += HS[p.hOff + b * H + k] * WT[k * H + j]; }
  var h = a;
  switch p.act {
    case 0u: { h = th(a); }
    case 1u: { h = max(a, 0.0); }
    case 2u: { h = sig(a); }
    default: {}
  }
  XP[p.xpOff + b * H + j] = h;
  HS[p.hOutOff + b * H + j] = h;
}`;

export const RNN_BWD = /* wgsl */ `
struct P { B: u32, H: u32, wOff: u32, hOff: u32, dxOff: u32, dxNextOff: u32, hasNext: u32, dyOff: u32, dhOff: u32, act: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> W: array<f32>;          // params; W_hh [H, H] at wOff
@group(0) @binding(2) var<storage, read> HS: array<f32>;         // [T+1,B,H]; h_t at hOff
@group(0) @binding(3) var<storage, read_write> dXP: array<f32>;  // [T,B,H] dL/dpre
@group(0) @binding(4) var<storage, read> dY: array<f32>;         // [T,B,H] dL/dy from above
@group(0) @binding(5) var<storage, read_write> DH: array<f32>;   // [T,B,H] dL/dh_t
${STEP_HEAD}
  var dh = dY[p.dyOff + b * H + j];
  if (p.hasNext != 0u) {
    for (var g = 0u; g < H; g++) { dh += dXP[p.dxNextOff + b * H + g] * W[p.wOff + g * H + j]; } // dh_{t} += dpre_{t+1} W_hh
  }
  DH[p.dhOff + b * H + j] = dh;
  let y = HS[p.hOff + b * H + j];
  var d = dh;                                  // identity
  switch p.act {
    case 0u: { d = dh * (1.0 - y * y); }        // tanh' = 1 - h^2
    case 1u: { d = select(0.0, dh, y > 0.0); }  // relu' = [h > 0]
    case 2u: { d = dh * y * (1.0 - y); }        // s' = s (1 - s)
    default: {}
  }
  dXP[p.dxOff + b * H + j] = d;
}`;

export const LSTM_FWD = /* wgsl */ `${MATH_WGSL}
struct P { B: u32, H: u32, xpOff: u32, hOff: u32, hOutOff: u32, cOff: u32, cOutOff: u32, tcOff: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> WT: array<f32>;        // [H, 4H] W_hh^T
@group(0) @binding(2) var<storage, read_write> XP: array<f32>;  // [T,B,4H] pre-activations -> i,f,g,o
@group(0) @binding(3) var<storage, read_write> HS: array<f32>;  // [T+1,B,H]
@group(0) @binding(4) var<storage, read_write> CS: array<f32>;  // [T+1,B,H]
@group(0) @binding(5) var<storage, read_write> TC: array<f32>;  // [T,B,H] tanh(c_t)
${STEP_HEAD}
  let G = 4u * H; let x0 = p.xpOff + b * G;
  var ai = XP[x0 + j]; var af = XP[x0 + H + j]; var ag = XP[x0 + 2u * H + j]; var ao = XP[x0 + 3u * H + j];
  for (var k = 0u; k < H; k++) {
    let h = HS[p.hOff + b * H + k];
    let w = k * G + j;
    ai += h * WT[w]; af += h * WT[w + H]; ag += h * WT[w + 2u * H]; ao += h * WT[w + 3u * H];
  }
  let i = sig(ai); let f = sig(af); let g = th(ag); let o = sig(ao);
  XP[x0 + j] = i; XP[x0 + H + j] = f; XP[x0 + 2u * H + j] = g; XP[x0 + 3u * H + j] = o;
  let c = f * CS[p.cOff + b * H + j] + i * g;  // c = f*c_prev + i*g
  let t = th(c);
  CS[p.cOutOff + b * H + j] = c;
  TC[p.tcOff + b * H + j] = t;
  HS[p.hOutOff + b * H + j] = o * t;           // h = o*tanh(c)
}`;

export const LSTM_BWD = /* wgsl */ `
struct P { B: u32, H: u32, wOff: u32, xpOff: u32, cpOff: u32, tcOff: u32, dxOff: u32, dxNextOff: u32, hasNext: u32, dyOff: u32, dhOff: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> W: array<f32>;          // params; W_hh [4H, H] at wOff
@group(0) @binding(2) var<storage, read> XP: array<f32>;         // [T,B,4H] i,f,g,o
@group(0) @binding(3) var<storage, read> CS: array<f32>;         // [T+1,B,H]; c_{t-1} at cpOff
@group(0) @binding(4) var<storage, read> TC: array<f32>;         // [T,B,H]
@group(0) @binding(5) var<storage, read_write> dXP: array<f32>;  // [T,B,4H] dL/d(pre-activations)
@group(0) @binding(6) var<storage, read> dY: array<f32>;         // [T,B,H]
@group(0) @binding(7) var<storage, read_write> DH: array<f32>;   // [T,B,H] dL/dh_t
@group(0) @binding(8) var<storage, read_write> DC: array<f32>;   // [B,H] dL/dc carried backwards
${STEP_HEAD}
  let G = 4u * H; let x0 = p.xpOff + b * G; let e = b * H + j;
  var dh = dY[p.dyOff + e];
  var dcIn = 0.0;
  if (p.hasNext != 0u) {
    for (var q = 0u; q < G; q++) { dh += dXP[p.dxNextOff + b * G + q] * W[p.wOff + q * H + j]; } // dgates_{t+1} W_hh
    dcIn = DC[e];
  }
  DH[p.dhOff + e] = dh;
  let i = XP[x0 + j]; let f = XP[x0 + H + j]; let g = XP[x0 + 2u * H + j]; let o = XP[x0 + 3u * H + j];
  let t = TC[p.tcOff + e];
  let dc = dcIn + dh * o * (1.0 - t * t);           // through h = o*tanh(c)
  let d0 = p.dxOff + b * G;
  dXP[d0 + j] = dc * g * i * (1.0 - i);             // di * s'
  dXP[d0 + H + j] = dc * CS[p.cpOff + e] * f * (1.0 - f); // df * s'
  dXP[d0 + 2u * H + j] = dc * i * (1.0 - g * g);    // dg * tanh'
  dXP[d0 + 3u * H + j] = dh * t * o * (1.0 - o);    // do * s'
  DC[e] = dc * f;                                   // dc_prev = dc * f
}`;

export const GRU_FWD = /* wgsl */ `${MATH_WGSL}
struct P { B: u32, H: u32, xpOff: u32, hOff: u32, hOutOff: u32, bhOff: u32, hasBias: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> WT: array<f32>;        // [H, 3H] W_hh^T
@group(0) @binding(2) var<storage, read> PR: array<f32>;        // params; b_hh [3H] at bhOff
@group(0) @binding(3) var<storage, read_write> XP: array<f32>;  // [T,B,3H] W_ih x + b_ih -> r,z,n
@group(0) @binding(4) var<storage, read_write> HP: array<f32>;  // [T,B,3H] W_hh h + b_hh
@group(0) @binding(5) var<storage, read_write> HS: array<f32>;  // [T+1,B,H]
${STEP_HEAD}
  let G = 3u * H; let x0 = p.xpOff + b * G;
  var ar = 0.0; var az = 0.0; var an = 0.0;
  if (p.hasBias != 0u) { ar = PR[p.bhOff + j]; az = PR[p.bhOff + H + j]; an = PR[p.bhOff + 2u * H + j]; }
  for (var k = 0u; k < H; k++) {
    let h = HS[p.hOff + b * H + k];
    let w = k * G + j;
    ar += h * WT[w]; az += h * WT[w + H]; an += h * WT[w + 2u * H];
  }
  HP[x0 + j] = ar; HP[x0 + H + j] = az; HP[x0 + 2u * H + j] = an;
  let r = sig(XP[x0 + j] + ar);
  let z = sig(XP[x0 + H + j] + az);
  let n = th(XP[x0 + 2u * H + j] + r * an);
  XP[x0 + j] = r; XP[x0 + H + j] = z; XP[x0 + 2u * H + j] = n;
  HS[p.hOutOff + b * H + j] = (1.0 - z) * n + z * HS[p.hOff + b * H + j];
}`;

export const GRU_BWD = /* wgsl */ `
struct P { B: u32, H: u32, wOff: u32, xpOff: u32, xpNextOff: u32, hOff: u32, dxOff: u32, dxNextOff: u32, hasNext: u32, dyOff: u32, dhOff: u32, dhNextOff: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> W: array<f32>;          // params; W_hh [3H, H] at wOff
@group(0) @binding(2) var<storage, read> XP: array<f32>;         // [T,B,3H] r,z,n
@group(0) @binding(3) var<storage, read> HP: array<f32>;         // [T,B,3H] W_hh h + b_hh
@group(0) @binding(4) var<storage, read> HS: array<f32>;         // [T+1,B,H]; h_{t-1} at hOff
@group(0) @binding(5) var<storage, read_write> dXP: array<f32>;  // [T,B,3H] grad of W_ih x + b_ih
@group(0) @binding(6) var<storage, read_write> dHP: array<f32>;  // [T,B,3H] grad of W_hh h + b_hh
@group(0) @binding(7) var<storage, read> dY: array<f32>;         // [T,B,H]
@group(0) @binding(8) var<storage, read_write> DH: array<f32>;   // [T,B,H] dL/dh_t
${STEP_HEAD}
  let G = 3u * H; let x0 = p.xpOff + b * G; let e = b * H + j;
  var dh = dY[p.dyOff + e];
  if (p.hasNext != 0u) {
    for (var q = 0u; q < G; q++) { dh += dHP[p.dxNextOff + b * G + q] * W[p.wOff + q * H + j]; } // dhp_{t+1} W_hh
    dh += XP[p.xpNextOff + b * G + H + j] * DH[p.dhNextOff + e];                              // z_{t+1} dh_{t+1}
  }
  DH[p.dhOff + e] = dh;
  let r = XP[x0 + j]; let z = XP[x0 + H + j]; let n = XP[x0 + 2u * H + j];
  let hprev = HS[p.hOff + e];
  let dan = dh * (1.0 - z) * (1.0 - n * n);      // through n, then tanh'
  let daz = dh * (hprev - n) * z * (1.0 - z);     // dh/dz = h_prev - n, then s'
  let dar = dan * HP[x0 + 2u * H + j] * r * (1.0 - r); // n's pre-activation holds r*hp_n
  let d0 = p.dxOff + b * G;
  dXP[d0 + j] = dar; dXP[d0 + H + j] = daz; dXP[d0 + 2u * H + j] = dan;
  dHP[d0 + j] = dar; dHP[d0 + H + j] = daz; dHP[d0 + 2u * H + j] = dan * r;
}`;
