/**
 * WGSL time-step kernels for every cell of the registry (rnn, lstm, gru, indrnn): the recurrent
 * product and the gate nonlinearities fused into ONE dispatch per step and direction, because
 * on a GPU a recurrent loop is bound by dispatches, not by arithmetic (DESIGN.md, decision 5).
 *
 * Dimension key: B = batch, H = hidden, G = gates (RNN and IndRNN 1, LSTM 4, GRU 3). One thread
 * owns one (b, j): it computes all G gates of hidden unit j for sequence b, so the cell update
 * needs no second pass. Dispatch: (ceil(H/64), B). `t` is the step (in the core's own time: the
 * reverse direction runs on its reversed input), LEN [B] the sequence lengths (T when all full).
 *
 * Forward at step t reads h_{t-1} and WT = W_hh^T [H, G*H] (transposed once per training
 * step, so that threads j, j+1 read neighbouring addresses):
 *   RNN:    pre = XP_t + h W^T;  h_t = act(pre)                        (XP_t <- h_t)
 *   LSTM:   gates = XP_t + h W^T; i,f,o = s(.), g = tanh(.); c = f c_{t-1} + i g; h = o tanh c
 *   GRU:    hp = h W^T + b_hh (kept in HP_t); r = s(xr + hr), z = s(xz + hz),
 *           n = tanh(xn + r hn), h = (1 - z) n + z h_{t-1}             (XP_t <- r, z, n)
 *   IndRNN: h_t = act(XP_t + u * h_{t-1}), u [H] elementwise          (XP_t <- h_t)
 * Rows with t >= LEN[b] keep their state (h_t = h_{t-1}, c_t = c_{t-1}), as core.ts does.
 * Backward at step t first assembles dh_t = dy_t + dL/dh_t through step t+1, reading the
 * untransposed W_hh [G*H, H] (thread j reads column j: again neighbouring addresses):
 *   RNN/LSTM: dh_t = dy_t + dXP_{t+1} W_hh;   GRU: dh_t = dy_t + dHP_{t+1} W_hh + z_{t+1} dh_{t+1};
 *   IndRNN:   dh_t = dy_t + dXP_{t+1} * u;    a row that had ended by t+1: dh_t = dy_t + dh_{t+1};
 * then applies the cell's backward exactly as src/backend/ts.ts does; dh_t is kept in DH. A row
 * that had ended by t ignores dy_t, gets zero gate gradients and passes dh (and dc) straight on.
 * Buffers that belong together share one binding (XP and HP; dXP and dHP; CS and tanh c) so that
 * no kernel binds more than 8 storage buffers (WebGPU's default limit).
 */

/** Numerically safe activations shared by every kernel (tanh via exp(-2|x|): no overflow). */
export const MATH_WGSL = /* wgsl */ `
fn sig(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn th(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); let t = (1.0 - e) / (1.0 + e); return select(-t, t, x >= 0.0); }
// act codes as backend.ts ACT: 0 tanh, 1 relu, 2 sigmoid, 3 identity
fn act(code: u32, a: f32) -> f32 {
  switch code {
    case 0u: { return th(a); }
    case 1u: { return max(a, 0.0); }
    case 2u: { return sig(a); }
    default: { return a; }
  }
}
// the derivative written through the output y = act(a)
fn dact(code: u32, y: f32) -> f32 {
  switch code {
    case 0u: { return 1.0 - y * y; }
    case 1u: { return select(0.0, 1.0, y > 0.0); }
    case 2u: { return y * (1.0 - y); }
    default: { return 1.0; }
  }
}
`;

/** The kernels' activation codes: the same as the CPU kernels' (backend.ts ACT). */
export { ACT as ACT_ID } from '../backend.js';

const STEP_HEAD = `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x; let b = gid.y; let H = p.H;
  if (j >= H || b >= p.B) { return; }
  let e = b * H + j;
  let fin = p.t >= LEN[b];`;

export const RNN_FWD = /* wgsl */ `${MATH_WGSL}
struct P { B: u32, H: u32, t: u32, xpOff: u32, hOff: u32, hOutOff: u32, act: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> WT: array<f32>;        // [H, H] W_hh^T
@group(0) @binding(2) var<storage, read_write> XP: array<f32>;  // [T,B,H] pre-activations -> h_t
@group(0) @binding(3) var<storage, read_write> HS: array<f32>;  // [T+1,B,H]
@group(0) @binding(4) var<storage, read> LEN: array<u32>;       // [B]
${STEP_HEAD}
  var a = XP[p.xpOff + e];
  for (var k = 0u; k < H; k++) { a += HS[p.hOff + b * H + k] * WT[k * H + j]; }
  let h = act(p.act, a);
  XP[p.xpOff + e] = h;
  HS[p.hOutOff + e] = select(h, HS[p.hOff + e], fin);   // an ended row keeps its state
}`;

export const RNN_BWD = /* wgsl */ `${MATH_WGSL}
struct P { B: u32, H: u32, t: u32, wOff: u32, hOff: u32, dxOff: u32, dxNextOff: u32, hasNext: u32,
  dyOff: u32, dhOff: u32, dhNextOff: u32, act: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> W: array<f32>;          // params; W_hh [H, H] at wOff
@group(0) @binding(2) var<storage, read> HS: array<f32>;         // [T+1,B,H]; h_t at hOff
@group(0) @binding(3) var<storage, read_write> dXP: array<f32>;  // [T,B,H] dL/dpre
@group(0) @binding(4) var<storage, read> dY: array<f32>;         // [T,B,H] dL/dy from above
@group(0) @binding(5) var<storage, read_write> DH: array<f32>;   // [T,B,H] dL/dh_t
@group(0) @binding(6) var<storage, read> LEN: array<u32>;
${STEP_HEAD}
  var dh = select(dY[p.dyOff + e], 0.0, fin);
  if (p.hasNext != 0u) {
    if (p.t + 1u >= LEN[b]) { dh += DH[p.dhNextOff + e]; }   // h_{t+1} = h_t: the gradient passes
    else { for (var g = 0u; g < H; g++) { dh += dXP[p.dxNextOff + b * H + g] * W[p.wOff + g * H + j]; } } // dpre W_hh
  }
  DH[p.dhOff + e] = dh;
  if (fin) { dXP[p.dxOff + e] = 0.0; return; }
  dXP[p.dxOff + e] = dh * dact(p.act, HS[p.hOff + e]);        // dpre = dh act'(h_t)
}`;

export const LSTM_FWD = /* wgsl */ `${MATH_WGSL}
struct P { B: u32, H: u32, t: u32, xpOff: u32, hOff: u32, hOutOff: u32, cOff: u32, cOutOff: u32, tcOff: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> WT: array<f32>;        // [H, 4H] W_hh^T
@group(0) @binding(2) var<storage, read_write> XP: array<f32>;  // [T,B,4H] pre-activations -> i,f,g,o
@group(0) @binding(3) var<storage, read_write> HS: array<f32>;  // [T+1,B,H]
@group(0) @binding(4) var<storage, read_write> CT: array<f32>;  // CS [T+1,B,H] then TC [T,B,H] = tanh(c_t)
@group(0) @binding(5) var<storage, read> LEN: array<u32>;
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
  let cPrev = CT[p.cOff + e];
  let c = f * cPrev + i * g;                     // c = f*c_prev + i*g
  let t = th(c);
  CT[p.tcOff + e] = t;
  CT[p.cOutOff + e] = select(c, cPrev, fin);
  HS[p.hOutOff + e] = select(o * t, HS[p.hOff + e], fin); // h = o*tanh(c)
}`;

export const LSTM_BWD = /* wgsl */ `
struct P { B: u32, H: u32, t: u32, wOff: u32, xpOff: u32, cpOff: u32, tcOff: u32, dxOff: u32,
  dxNextOff: u32, hasNext: u32, dyOff: u32, dhOff: u32, dhNextOff: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> W: array<f32>;          // params; W_hh [4H, H] at wOff
@group(0) @binding(2) var<storage, read> XP: array<f32>;         // [T,B,4H] i,f,g,o
@group(0) @binding(3) var<storage, read> CT: array<f32>;         // c_{t-1} at cpOff, tanh c_t at tcOff
@group(0) @binding(4) var<storage, read_write> dXP: array<f32>;  // [T,B,4H] dL/d(pre-activations)
@group(0) @binding(5) var<storage, read> dY: array<f32>;         // [T,B,H]
@group(0) @binding(6) var<storage, read_write> DH: array<f32>;   // [T,B,H] dL/dh_t
@group(0) @binding(7) var<storage, read_write> DC: array<f32>;   // [B,H] dL/dc carried backwards
@group(0) @binding(8) var<storage, read> LEN: array<u32>;
${STEP_HEAD}
  let G = 4u * H; let x0 = p.xpOff + b * G; let d0 = p.dxOff + b * G;
  var dh = select(dY[p.dyOff + e], 0.0, fin);
  var dcIn = 0.0;
  if (p.hasNext != 0u) {
    if (p.t + 1u >= LEN[b]) { dh += DH[p.dhNextOff + e]; }
    else { for (var q = 0u; q < G; q++) { dh += dXP[p.dxNextOff + b * G + q] * W[p.wOff + q * H + j]; } } // dgates W_hh
    dcIn = DC[e];
  }
  DH[p.dhOff + e] = dh;
  if (fin) {
    dXP[d0 + j] = 0.0; dXP[d0 + H + j] = 0.0; dXP[d0 + 2u * H + j] = 0.0; dXP[d0 + 3u * H + j] = 0.0;
    DC[e] = dcIn;                                   // c_t = c_{t-1}: dc passes
    return;
  }
  let i = XP[x0 + j]; let f = XP[x0 + H + j]; let g = XP[x0 + 2u * H + j]; let o = XP[x0 + 3u * H + j];
  let t = CT[p.tcOff + e];
  let dc = dcIn + dh * o * (1.0 - t * t);           // through h = o*tanh(c)
  dXP[d0 + j] = dc * g * i * (1.0 - i);             // di * s'
  dXP[d0 + H + j] = dc * CT[p.cpOff + e] * f * (1.0 - f); // df * s'
  dXP[d0 + 2u * H + j] = dc * i * (1.0 - g * g);    // dg * tanh'
  dXP[d0 + 3u * H + j] = dh * t * o * (1.0 - o);    // do * s'
  DC[e] = dc * f;                                   // dc_prev = dc * f
}`;

export const GRU_FWD = /* wgsl */ `${MATH_WGSL}
struct P { B: u32, H: u32, t: u32, xpOff: u32, hpOff: u32, hOff: u32, hOutOff: u32, bhOff: u32, hasBias: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> WT: array<f32>;        // [H, 3H] W_hh^T
@group(0) @binding(2) var<storage, read> PR: array<f32>;        // params; b_hh [3H] at bhOff
@group(0) @binding(3) var<storage, read_write> XP: array<f32>;  // XP [T,B,3H] W_ih x + b_ih -> r,z,n; HP at hpOff
@group(0) @binding(4) var<storage, read_write> HS: array<f32>;  // [T+1,B,H]
@group(0) @binding(5) var<storage, read> LEN: array<u32>;
${STEP_HEAD}
  let G = 3u * H; let x0 = p.xpOff + b * G; let h0 = p.hpOff + b * G;
  var ar = 0.0; var az = 0.0; var an = 0.0;
  if (p.hasBias != 0u) { ar = PR[p.bhOff + j]; az = PR[p.bhOff + H + j]; an = PR[p.bhOff + 2u * H + j]; }
  for (var k = 0u; k < H; k++) {
    let h = HS[p.hOff + b * H + k];
    let w = k * G + j;
    ar += h * WT[w]; az += h * WT[w + H]; an += h * WT[w + 2u * H];
  }
  XP[h0 + j] = ar; XP[h0 + H + j] = az; XP[h0 + 2u * H + j] = an;   // hp = W_hh h + b_hh
  let r = sig(XP[x0 + j] + ar);
  let z = sig(XP[x0 + H + j] + az);
  let n = th(XP[x0 + 2u * H + j] + r * an);
  XP[x0 + j] = r; XP[x0 + H + j] = z; XP[x0 + 2u * H + j] = n;
  let hPrev = HS[p.hOff + e];
  HS[p.hOutOff + e] = select((1.0 - z) * n + z * hPrev, hPrev, fin);
}`;

export const GRU_BWD = /* wgsl */ `
struct P { B: u32, H: u32, t: u32, wOff: u32, xpOff: u32, hpOff: u32, xpNextOff: u32, hOff: u32,
  dxOff: u32, dhpOff: u32, dhpNextOff: u32, hasNext: u32, dyOff: u32, dhOff: u32, dhNextOff: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> W: array<f32>;          // params; W_hh [3H, H] at wOff
@group(0) @binding(2) var<storage, read> XP: array<f32>;         // r,z,n at xpOff; W_hh h + b_hh at hpOff
@group(0) @binding(3) var<storage, read> HS: array<f32>;         // [T+1,B,H]; h_{t-1} at hOff
@group(0) @binding(4) var<storage, read_write> dXP: array<f32>;  // d(W_ih x + b_ih) at dxOff, d(W_hh h + b) at dhpOff
@group(0) @binding(5) var<storage, read> dY: array<f32>;         // [T,B,H]
@group(0) @binding(6) var<storage, read_write> DH: array<f32>;   // [T,B,H] dL/dh_t
@group(0) @binding(7) var<storage, read> LEN: array<u32>;
${STEP_HEAD}
  let G = 3u * H; let x0 = p.xpOff + b * G; let d0 = p.dxOff + b * G; let dp0 = p.dhpOff + b * G;
  var dh = select(dY[p.dyOff + e], 0.0, fin);
  if (p.hasNext != 0u) {
    if (p.t + 1u >= LEN[b]) { dh += DH[p.dhNextOff + e]; }
    else {
      for (var q = 0u; q < G; q++) { dh += dXP[p.dhpNextOff + b * G + q] * W[p.wOff + q * H + j]; } // dhp_{t+1} W_hh
      dh += XP[p.xpNextOff + b * G + H + j] * DH[p.dhNextOff + e];                                // z_{t+1} dh_{t+1}
    }
  }
  DH[p.dhOff + e] = dh;
  if (fin) {
    dXP[d0 + j] = 0.0; dXP[d0 + H + j] = 0.0; dXP[d0 + 2u * H + j] = 0.0;
    dXP[dp0 + j] = 0.0; dXP[dp0 + H + j] = 0.0; dXP[dp0 + 2u * H + j] = 0.0;
    return;
  }
  let r = XP[x0 + j]; let z = XP[x0 + H + j]; let n = XP[x0 + 2u * H + j];
  let hprev = HS[p.hOff + e];
  let dan = dh * (1.0 - z) * (1.0 - n * n);      // through n, then tanh'
  let daz = dh * (hprev - n) * z * (1.0 - z);     // dh/dz = h_prev - n, then s'
  let dar = dan * XP[p.hpOff + b * G + 2u * H + j] * r * (1.0 - r); // n's pre-activation holds r*hp_n
  dXP[d0 + j] = dar; dXP[d0 + H + j] = daz; dXP[d0 + 2u * H + j] = dan;
  dXP[dp0 + j] = dar; dXP[dp0 + H + j] = daz; dXP[dp0 + 2u * H + j] = dan * r;
}`;

export const INDRNN_FWD = /* wgsl */ `${MATH_WGSL}
struct P { B: u32, H: u32, t: u32, xpOff: u32, hOff: u32, hOutOff: u32, uOff: u32, act: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> PR: array<f32>;        // params; u [H] at uOff
@group(0) @binding(2) var<storage, read_write> XP: array<f32>;  // [T,B,H] W_ih x + b -> h_t
@group(0) @binding(3) var<storage, read_write> HS: array<f32>;  // [T+1,B,H]
@group(0) @binding(4) var<storage, read> LEN: array<u32>;
${STEP_HEAD}
  let hPrev = HS[p.hOff + e];
  let h = act(p.act, XP[p.xpOff + e] + PR[p.uOff + j] * hPrev);  // act(W x + b + u * h)
  XP[p.xpOff + e] = h;
  HS[p.hOutOff + e] = select(h, hPrev, fin);
}`;

export const INDRNN_BWD = /* wgsl */ `${MATH_WGSL}
struct P { B: u32, H: u32, t: u32, uOff: u32, hOff: u32, dxOff: u32, dxNextOff: u32, hasNext: u32,
  dyOff: u32, dhOff: u32, dhNextOff: u32, act: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> PR: array<f32>;         // params; u [H] at uOff
@group(0) @binding(2) var<storage, read> HS: array<f32>;         // h_t at hOff
@group(0) @binding(3) var<storage, read_write> dXP: array<f32>;  // [T,B,H] dL/dpre
@group(0) @binding(4) var<storage, read> dY: array<f32>;
@group(0) @binding(5) var<storage, read_write> DH: array<f32>;
@group(0) @binding(6) var<storage, read> LEN: array<u32>;
${STEP_HEAD}
  var dh = select(dY[p.dyOff + e], 0.0, fin);
  if (p.hasNext != 0u) {
    if (p.t + 1u >= LEN[b]) { dh += DH[p.dhNextOff + e]; }
    else { dh += dXP[p.dxNextOff + e] * PR[p.uOff + j]; }    // the recurrence is elementwise
  }
  DH[p.dhOff + e] = dh;
  dXP[p.dxOff + e] = select(dh * dact(p.act, HS[p.hOff + e]), 0.0, fin);
}`;
