/**
 * WGSL kernels that move sequences and states around the recurrent loop, as stack.ts and
 * model.ts do on the CPU: reversing each sequence within its length (the reverse direction of a
 * bidirectional layer), interleaving directions and zeroing steps past a sequence's end, the
 * head's last valid step, the initial state (zero, learned, or carried from the previous window),
 * the carried state written back, and the gradient of a learned initial state.
 *
 * Dimension key: T = time, B = batch, H = hidden, F = features per row, G = gates,
 * LD = layers x directions, k = one core (layer, direction). LEN [B] holds each sequence's
 * length (T for a full one). STEP is the per-step record the host writes before each
 * submission (wgsl_optim.ts): useCarry says whether the carried state exists for this batch,
 * keepCarry whether this call keeps its final state (truncated BPTT).
 */
import { LOOP, STEP_STRUCT } from './wgsl_util.js';

/**
 * O[oOff + (t*B+b)*oStride + f] (=, or += when acc) S[sOff + (t'*B+b)*sStride + f] for f < F, with
 * t' = len-1-t for t < len when `rev` (reverseInto in stack.ts), else t; zero for t >= len when `zeroPast`.
 */
export const SEQCOPY = /* wgsl */ `
struct P { T: u32, B: u32, F: u32, sOff: u32, sStride: u32, oOff: u32, oStride: u32, rev: u32, acc: u32, zeroPast: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@group(0) @binding(3) var<storage, read> LEN: array<u32>;
${LOOP}
  for (var e = gid.x; e < p.T * p.B * p.F; e += stride) {
    let f = e % p.F; let row = e / p.F; let b = row % p.B; let t = row / p.B;
    let L = LEN[b];
    var ts = t;
    if (p.rev != 0u && t < L) { ts = L - 1u - t; }
    var v = S[p.sOff + (ts * p.B + b) * p.sStride + f];
    if (p.zeroPast != 0u && t >= L) { v = 0.0; }
    let o = p.oOff + (t * p.B + b) * p.oStride + f;
    if (p.acc != 0u) { O[o] += v; } else { O[o] = v; }
  }
}`;

/** O[b, f] = S[sOff + ((LEN[b]-1)*B + b)*F + f]: each sequence's last valid step (loss.ts lastStep). */
export const LAST_GATHER = /* wgsl */ `
struct P { B: u32, F: u32, sOff: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@group(0) @binding(3) var<storage, read> LEN: array<u32>;
${LOOP}
  for (var e = gid.x; e < p.B * p.F; e += stride) {
    let b = e / p.F; let f = e % p.F;
    O[e] = S[p.sOff + ((LEN[b] - 1u) * p.B + b) * p.F + f];
  }
}`;

/** O [T,B,F] = S [B,F] at each sequence's last valid step, zeros elsewhere (loss.ts lastStepBackward). */
export const LAST_SCATTER = /* wgsl */ `
struct P { T: u32, B: u32, F: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@group(0) @binding(3) var<storage, read> LEN: array<u32>;
${LOOP}
  for (var e = gid.x; e < p.T * p.B * p.F; e += stride) {
    let f = e % p.F; let row = e / p.F; let b = row % p.B; let t = row / p.B;
    O[e] = select(0.0, S[b * p.F + f], t + 1u == LEN[b]);
  }
}`;

/**
 * The initial state of core k: HS[0], CS[0] [B,H] = the carried state (when STEP.useCarry), else
 * the learned initial_h / initial_c rows broadcast over B, else zero (stack.ts forward).
 * CARRY holds h [LD,B,H] then c [LD,B,H].
 */
export const INIT_STATE = /* wgsl */ `
${STEP_STRUCT}
struct P { B: u32, H: u32, k: u32, cBase: u32, learned: u32, hasC: u32, ihOff: u32, icOff: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> PR: array<f32>;       // params (initial_h, initial_c)
@group(0) @binding(2) var<storage, read> CARRY: array<f32>;
@group(0) @binding(3) var<storage, read> st: Step;
@group(0) @binding(4) var<storage, read_write> HS: array<f32>;  // HS[0] at 0
@group(0) @binding(5) var<storage, read_write> CS: array<f32>;  // CS[0] at 0 (LSTM)
${LOOP}
  for (var e = gid.x; e < p.B * p.H; e += stride) {
    let j = e % p.H; let c0 = (p.k * p.B) * p.H + e;
    var h = 0.0; var c = 0.0;
    if (st.useCarry > 0.5) { h = CARRY[c0]; c = CARRY[p.cBase + c0]; }
    else if (p.learned != 0u) {
      h = PR[p.ihOff + p.k * p.H + j];
      if (p.hasC != 0u) { c = PR[p.icOff + p.k * p.H + j]; }
    }
    HS[e] = h;
    if (p.hasC != 0u) { CS[e] = c; }
  }
}`;

/** CARRY[k] = HS[T] (and CS[T]) of core k when STEP.keepCarry: the state the next window starts from. */
export const CARRY_OUT = /* wgsl */ `
${STEP_STRUCT}
struct P { B: u32, H: u32, k: u32, cBase: u32, hOff: u32, cOff: u32, hasC: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> HS: array<f32>;
@group(0) @binding(2) var<storage, read> CS: array<f32>;
@group(0) @binding(3) var<storage, read> st: Step;
@group(0) @binding(4) var<storage, read_write> CARRY: array<f32>;
${LOOP}
  if (st.keepCarry < 0.5) { return; }
  for (var e = gid.x; e < p.B * p.H; e += stride) {
    let c0 = (p.k * p.B) * p.H + e;
    CARRY[c0] = HS[p.hOff + e];
    if (p.hasC != 0u) { CARRY[p.cBase + c0] = CS[p.cOff + e]; }
  }
}`;

/**
 * The gradient of a learned initial state (only when it was used: not STEP.useCarry):
 * dinitial_h[k, j] += sum_b dh_{-1}[b, j] with dh_{-1} = dR_0 W_hh (dense; GRU adds z_0 * dh_0,
 * R = dHP) or dXP_0 * u (diagonal), and dinitial_c[k, j] += sum_b DC[b, j] (LSTM: DC holds dc_{-1}
 * after step 0). One thread per hidden unit j. `cell`: 0 rnn/lstm, 1 gru, 2 diagonal (IndRNN).
 */
export const INIT_GRAD = /* wgsl */ `
${STEP_STRUCT}
struct P { B: u32, H: u32, G: u32, cell: u32, wOff: u32, dOff: u32, zOff: u32, hasC: u32, ghOff: u32, gcOff: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> PR: array<f32>;       // params: W_hh [G*H, H] (or u [H]) at wOff
@group(0) @binding(2) var<storage, read> XP: array<f32>;       // GRU: z_0 at zOff
@group(0) @binding(3) var<storage, read> dXP: array<f32>;      // dR_0 [B, G*H] at dOff
@group(0) @binding(4) var<storage, read> DH: array<f32>;       // DH[0] [B,H] at 0
@group(0) @binding(5) var<storage, read> DC: array<f32>;       // [B,H] (LSTM)
@group(0) @binding(6) var<storage, read> st: Step;
@group(0) @binding(7) var<storage, read_write> GR: array<f32>; // gradients
${LOOP}
  if (st.useCarry > 0.5) { return; }                           // a carried state is detached
  let H = p.H; let GH = p.G * H;
  for (var j = gid.x; j < H; j += stride) {
    var s = 0.0; var sc = 0.0;
    for (var b = 0u; b < p.B; b++) {
      if (p.cell == 2u) { s += dXP[p.dOff + b * H + j] * PR[p.wOff + j]; }
      else {
        for (var q = 0u; q < GH; q++) { s += dXP[p.dOff + b * GH + q] * PR[p.wOff + q * H + j]; }
        if (p.cell == 1u) { s += XP[p.zOff + b * GH + j] * DH[b * H + j]; }
      }
      if (p.hasC != 0u) { sc += DC[b * H + j]; }
    }
    GR[p.ghOff + j] += s;
    if (p.hasC != 0u) { GR[p.gcOff + j] += sc; }
  }
}`;
