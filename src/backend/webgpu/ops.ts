/**
 * Typed recorders for every WGSL kernel: each adds one dispatch to a Plan, with buffers and
 * element offsets named as in src/backend/backend.ts. The GPU model and the one-shot kernel
 * API (kernels.ts) both go through these, so the parity tests check what training runs.
 *
 * Dimension key: T = time, B = batch, H = hidden, G = gates, M/N/K = matrix product sizes.
 */
/// <reference types="@webgpu/types" preserve="true" />
import type { Activation } from '../backend.js';
import { type Plan, f32bits, groups1d } from './device.js';
import { GEMM_TILE, gemmWgsl } from './wgsl_gemm.js';
import {
  ACT_ID,
  GRU_BWD,
  GRU_FWD,
  INDRNN_BWD,
  INDRNN_FWD,
  LSTM_BWD,
  LSTM_FWD,
  RNN_BWD,
  RNN_FWD,
} from './wgsl_cells.js';
import { ADAM, CLAMP, NORM_FINAL, NORM_GROUPS, NORM_PARTIAL, RESTORE, RMSPROP, SGD } from './wgsl_optim.js';
import { CARRY_OUT, INIT_GRAD, INIT_STATE, LAST_GATHER, LAST_SCATTER, SEQCOPY } from './wgsl_seq.js';
import { COLSUM, COLSUM_PROD, EMBED, EMBED_BWD, FILL, MSE, REDUCE_LOSS, TRANSPOSE, XENT } from './wgsl_util.js';

type Buf = GPUBuffer;
const GEMM_CODE = new Map<string, string>();

/** C[M,N] (+)= op(A) op(B), as Backend.gemm. */
export function gemm(
  pl: Plan,
  tA: boolean,
  tB: boolean,
  acc: boolean,
  M: number,
  N: number,
  K: number,
  A: Buf,
  aOff: number,
  B: Buf,
  bOff: number,
  C: Buf,
  cOff: number,
): void {
  const key = `gemm_${tA ? 't' : 'n'}${tB ? 't' : 'n'}`;
  if (!GEMM_CODE.has(key)) GEMM_CODE.set(key, gemmWgsl(tA, tB));
  pl.add(
    key,
    GEMM_CODE.get(key)!,
    [M, N, K, aOff, bOff, cOff, acc ? 1 : 0, 0],
    [A, B, C],
    [Math.ceil(N / GEMM_TILE), Math.ceil(M / GEMM_TILE)],
  );
}

/** out[off + r*cols + j] = S[b1 + j] (+ S[b2 + j]); with no bias offsets, zeros. */
export function fill(
  pl: Plan,
  out: Buf,
  off: number,
  rows: number,
  cols: number,
  S: Buf,
  b1?: number,
  b2?: number,
): void {
  const nb = b1 === undefined ? 0 : b2 === undefined ? 1 : 2;
  pl.add('fill', FILL, [rows, cols, off, b1 ?? 0, b2 ?? 0, nb, 0, 0], [S, out], [groups1d(rows * cols)]);
}

/** D[d1 + j] += sum_r X[xOff + r*cols + j] (and into D[d2 + j] when d2 is given). */
export function colSumAcc(
  pl: Plan,
  D: Buf,
  d1: number,
  X: Buf,
  xOff: number,
  rows: number,
  cols: number,
  d2?: number,
): void {
  pl.add('colsum', COLSUM, [rows, cols, xOff, d1, d2 ?? 0, d2 === undefined ? 0 : 1, 0, 0], [X, D], [groups1d(cols)]);
}

/** D[dOff + j] += sum_r X[xOff + r*cols + j] * Y[yOff + r*cols + j]. */
export function colSumProd(
  pl: Plan,
  D: Buf,
  dOff: number,
  X: Buf,
  xOff: number,
  Y: Buf,
  yOff: number,
  rows: number,
  cols: number,
): void {
  pl.add('colsum_prod', COLSUM_PROD, [rows, cols, xOff, yOff, dOff, 0, 0, 0], [X, Y, D], [groups1d(cols)]);
}

/** O[oOff..] = S[sOff..]^T for S [rows, cols]. */
export function transpose(pl: Plan, O: Buf, oOff: number, S: Buf, sOff: number, rows: number, cols: number): void {
  pl.add('transpose', TRANSPOSE, [rows, cols, sOff, oOff], [S, O], [groups1d(rows * cols)]);
}

export function embed(pl: Plan, X: Buf, W: Buf, wOff: number, ids: Buf, N: number, E: number): void {
  pl.add('embed', EMBED, [N, E, wOff, 0], [W, ids, X], [groups1d(N * E)]);
}

export function embedBackward(
  pl: Plan,
  dW: Buf,
  wOff: number,
  dX: Buf,
  ids: Buf,
  N: number,
  E: number,
  V: number,
): void {
  pl.add('embed_bwd', EMBED_BWD, [N, E, V, wOff], [dX, ids, dW], [groups1d(V * E)]);
}

/** Per-row weighted loss ([N, 2]: loss, correct) and gradient of pred [N, F]; RW [N] = row weights. */
export function lossRows(
  pl: Plan,
  kind: 'mse' | 'xent',
  N: number,
  F: number,
  pred: Buf,
  Y: Buf,
  RW: Buf,
  dpred: Buf,
  rows: Buf,
): void {
  pl.add(kind, kind === 'mse' ? MSE : XENT, [N, F, 0, 0], [pred, Y, RW, dpred, rows], [groups1d(N)]);
}

/** stats.loss, stats.correct = sums over rows [N, 2]; stats.badLoss when a loss is not finite. */
export function reduceLoss(pl: Plan, stats: Buf, rows: Buf, N: number): void {
  pl.add('reduce_loss', REDUCE_LOSS, [N, 0, 0, 0], [rows, stats], [1]);
}

/** stats.norm, stats.maxAbs, stats.badGrad of G [n] (two passes; NP holds NORM_GROUPS x 3 floats). */
export function gradNorm(pl: Plan, stats: Buf, G: Buf, n: number, NP: Buf): void {
  const k = Math.min(NORM_GROUPS, Math.max(1, Math.ceil(n / 256)));
  pl.add('norm_partial', NORM_PARTIAL, [n, 0, 0, 0], [G, NP], [k]);
  pl.add('norm_final', NORM_FINAL, [k, 0, 0, 0], [NP, stats], [1]);
}

const UPDATE = { sgd: SGD, rmsprop: RMSPROP, adam: ADAM } as const;
export type UpdateKind = keyof typeof UPDATE;

/** The optimiser state arrays an update of `kind` uses (SGD without momentum none, RMSProp one, Adam two). */
export interface UpdateBuffers {
  step: Buf;
  stats: Buf;
  mask: Buf;
  GR: Buf;
  W: Buf;
  S1: Buf;
  S2: Buf;
  /** [(1 + ns) n]: W and the ns state arrays as they were before the update. */
  BAK: Buf;
}

/**
 * The guarded, clipped optimiser update of W [n] from GR (hyper-parameters in the step record
 * `step`), then the after-update guard: everything put back when the update left a non-finite value.
 * `ns` = state arrays in use.
 */
export function update(pl: Plan, kind: UpdateKind, n: number, ns: number, b: UpdateBuffers): void {
  pl.add(
    `update_${kind}`,
    UPDATE[kind],
    [n, ns, 0, 0],
    [b.step, b.stats, b.mask, b.GR, b.W, b.S1, b.S2, b.BAK],
    [groups1d(n)],
  );
  pl.add('restore', RESTORE, [n, ns, 0, 0], [b.stats, b.BAK, b.W, b.S1, b.S2], [groups1d(n)]);
}

/** W[off..off+n) clamped to [-m, m] after an applied update. */
export function clampAfterUpdate(pl: Plan, W: Buf, off: number, n: number, m: number, stats: Buf): void {
  pl.add('clamp', CLAMP, [n, off, f32bits(m), 0], [stats, W], [groups1d(n)]);
}

/** O (=|+=) S with each sequence reversed within its length (`rev`) and zeros past it (`zeroPast`). */
export function seqCopy(
  pl: Plan,
  c: {
    T: number;
    B: number;
    F: number;
    S: Buf;
    sOff: number;
    sStride: number;
    O: Buf;
    oOff: number;
    oStride: number;
    LEN: Buf;
    rev?: boolean;
    acc?: boolean;
    zeroPast?: boolean;
  },
): void {
  pl.add(
    'seqcopy',
    SEQCOPY,
    [c.T, c.B, c.F, c.sOff, c.sStride, c.oOff, c.oStride, c.rev ? 1 : 0, c.acc ? 1 : 0, c.zeroPast ? 1 : 0],
    [c.S, c.O, c.LEN],
    [groups1d(c.T * c.B * c.F)],
  );
}

/** O [B,F] = S [T,B,F] at each sequence's last valid step. */
export function lastGather(pl: Plan, O: Buf, S: Buf, sOff: number, B: number, F: number, LEN: Buf): void {
  pl.add('last_gather', LAST_GATHER, [B, F, sOff, 0], [S, O, LEN], [groups1d(B * F)]);
}

/** O [T,B,F] = S [B,F] at each sequence's last valid step, zeros elsewhere. */
export function lastScatter(pl: Plan, O: Buf, S: Buf, T: number, B: number, F: number, LEN: Buf): void {
  pl.add('last_scatter', LAST_SCATTER, [T, B, F, 0], [S, O, LEN], [groups1d(T * B * F)]);
}

/** HS[0] (and CS[0]) of core k: carried (step.useCarry), learned (ih/ic offsets in PR) or zero. */
export function initState(
  pl: Plan,
  c: {
    B: number;
    H: number;
    k: number;
    LD: number;
    PR: Buf;
    CARRY: Buf;
    step: Buf;
    HS: Buf;
    /** CS, or any other writable buffer (unused) for cells without a cell state. */
    CS: Buf;
    hasC: boolean;
    learnedH: number | null;
    learnedC: number | null;
  },
): void {
  pl.add(
    'init_state',
    INIT_STATE,
    [c.B, c.H, c.k, c.LD * c.B * c.H, c.learnedH === null ? 0 : 1, c.hasC ? 1 : 0, c.learnedH ?? 0, c.learnedC ?? 0],
    [c.PR, c.CARRY, c.step, c.HS, c.CS],
    [groups1d(c.B * c.H)],
  );
}

/** CARRY[k] = HS[hOff..] (and CS[cOff..]) when step.keepCarry. */
export function carryOut(
  pl: Plan,
  c: {
    B: number;
    H: number;
    k: number;
    LD: number;
    HS: Buf;
    hOff: number;
    CS: Buf | null;
    cOff: number;
    step: Buf;
    CARRY: Buf;
  },
): void {
  pl.add(
    'carry_out',
    CARRY_OUT,
    [c.B, c.H, c.k, c.LD * c.B * c.H, c.hOff, c.cOff, c.CS ? 1 : 0, 0],
    [c.HS, c.CS ?? c.HS, c.step, c.CARRY],
    [groups1d(c.B * c.H)],
  );
}

/** The learned initial state's gradient of one core (skipped on the device when the state was carried). */
export function initGrad(
  pl: Plan,
  c: {
    B: number;
    H: number;
    G: number;
    cell: 'dense' | 'gru' | 'diagonal';
    PR: Buf;
    wOff: number;
    XP: Buf;
    dXP: Buf;
    dOff: number;
    DH: Buf;
    DC: Buf | null;
    step: Buf;
    GR: Buf;
    ghOff: number;
    gcOff: number | null;
  },
): void {
  const cell = c.cell === 'dense' ? 0 : c.cell === 'gru' ? 1 : 2;
  pl.add(
    'init_grad',
    INIT_GRAD,
    [c.B, c.H, c.G, cell, c.wOff, c.dOff, c.H, c.gcOff === null ? 0 : 1, c.ghOff, c.gcOff ?? 0],
    [c.PR, c.XP, c.dXP, c.DH, c.DC ?? c.DH, c.step, c.GR],
    [groups1d(c.H)],
  );
}

const stepGrid = (B: number, H: number): [number, number] => [Math.ceil(H / 64), B];

/** Offsets shared by every step kernel: step t, h_{t-1} (forward) or h_t (backward) at hOff. */
interface StepBase {
  B: number;
  H: number;
  t: number;
  LEN: Buf;
}

/** RNN step t: XP[xpOff] += h W_hh^T (WT = W_hh^T), then act; h_t to XP and HS[hOutOff]. */
export function rnnStep(
  pl: Plan,
  c: StepBase & { act: Activation; WT: Buf; XP: Buf; xpOff: number; HS: Buf; hOff: number; hOutOff: number },
): void {
  pl.add(
    'rnn_fwd',
    RNN_FWD,
    [c.B, c.H, c.t, c.xpOff, c.hOff, c.hOutOff, ACT_ID[c.act], 0],
    [c.WT, c.XP, c.HS, c.LEN],
    stepGrid(c.B, c.H),
  );
}

/** Backward offsets: dXP at dxOff, step t+1's at dxNextOff (null at the last step), dY, DH[t], DH[t+1]. */
interface BackBase extends StepBase {
  dXP: Buf;
  dxOff: number;
  dxNextOff: number | null;
  dY: Buf;
  dyOff: number;
  DH: Buf;
  dhOff: number;
  dhNextOff: number;
}

/** RNN step t backward: dh = dY + dXP[t+1] W_hh (or dh_{t+1} past the end); dXP[t] = dh act'(h_t). */
export function rnnStepBackward(
  pl: Plan,
  c: BackBase & { act: Activation; W: Buf; wOff: number; HS: Buf; hOff: number },
): void {
  pl.add(
    'rnn_bwd',
    RNN_BWD,
    [
      c.B,
      c.H,
      c.t,
      c.wOff,
      c.hOff,
      c.dxOff,
      c.dxNextOff ?? 0,
      c.dxNextOff === null ? 0 : 1,
      c.dyOff,
      c.dhOff,
      c.dhNextOff,
      ACT_ID[c.act],
    ],
    [c.W, c.HS, c.dXP, c.dY, c.DH, c.LEN],
    stepGrid(c.B, c.H),
  );
}

/** LSTM step t; CT holds CS [T+1,B,H] (c_{t-1} at cOff, c_t at cOutOff) and tanh c_t (at tcOff). */
export function lstmStep(
  pl: Plan,
  c: StepBase & {
    WT: Buf;
    XP: Buf;
    xpOff: number;
    HS: Buf;
    hOff: number;
    hOutOff: number;
    CT: Buf;
    cOff: number;
    cOutOff: number;
    tcOff: number;
  },
): void {
  pl.add(
    'lstm_fwd',
    LSTM_FWD,
    [c.B, c.H, c.t, c.xpOff, c.hOff, c.hOutOff, c.cOff, c.cOutOff, c.tcOff],
    [c.WT, c.XP, c.HS, c.CT, c.LEN],
    stepGrid(c.B, c.H),
  );
}

/** LSTM step t backward; DC carries dL/dc (read only when there is a step t+1). */
export function lstmStepBackward(
  pl: Plan,
  c: BackBase & { W: Buf; wOff: number; XP: Buf; xpOff: number; CT: Buf; cpOff: number; tcOff: number; DC: Buf },
): void {
  pl.add(
    'lstm_bwd',
    LSTM_BWD,
    [
      c.B,
      c.H,
      c.t,
      c.wOff,
      c.xpOff,
      c.cpOff,
      c.tcOff,
      c.dxOff,
      c.dxNextOff ?? 0,
      c.dxNextOff === null ? 0 : 1,
      c.dyOff,
      c.dhOff,
      c.dhNextOff,
    ],
    [c.W, c.XP, c.CT, c.dXP, c.dY, c.DH, c.DC, c.LEN],
    stepGrid(c.B, c.H),
  );
}

/** GRU step t; XP holds r,z,n at xpOff and receives W_hh h + b_hh at hpOff (b_hh read from PR at bhOff, or none). */
export function gruStep(
  pl: Plan,
  c: StepBase & {
    WT: Buf;
    PR: Buf;
    bhOff: number | null;
    XP: Buf;
    xpOff: number;
    hpOff: number;
    HS: Buf;
    hOff: number;
    hOutOff: number;
  },
): void {
  pl.add(
    'gru_fwd',
    GRU_FWD,
    [c.B, c.H, c.t, c.xpOff, c.hpOff, c.hOff, c.hOutOff, c.bhOff ?? 0, c.bhOff === null ? 0 : 1],
    [c.WT, c.PR, c.XP, c.HS, c.LEN],
    stepGrid(c.B, c.H),
  );
}

/**
 * GRU step t backward. dXP holds dXP (at dxOff) and dHP (at dhpOff); step t+1's z is read at
 * xpNextOff and its dHP at dxNextOff (the backward base's `dxNextOff` names dHP_{t+1} here).
 */
export function gruStepBackward(
  pl: Plan,
  c: BackBase & {
    W: Buf;
    wOff: number;
    XP: Buf;
    xpOff: number;
    hpOff: number;
    xpNextOff: number;
    HS: Buf;
    hOff: number;
    dhpOff: number;
  },
): void {
  pl.add(
    'gru_bwd',
    GRU_BWD,
    [
      c.B,
      c.H,
      c.t,
      c.wOff,
      c.xpOff,
      c.hpOff,
      c.xpNextOff,
      c.hOff,
      c.dxOff,
      c.dhpOff,
      c.dxNextOff ?? 0,
      c.dxNextOff === null ? 0 : 1,
      c.dyOff,
      c.dhOff,
      c.dhNextOff,
    ],
    [c.W, c.XP, c.HS, c.dXP, c.dY, c.DH, c.LEN],
    stepGrid(c.B, c.H),
  );
}

/** IndRNN step t: h_t = act(XP[xpOff] + u * h_{t-1}), u [H] read from PR at uOff. */
export function indrnnStep(
  pl: Plan,
  c: StepBase & {
    act: Activation;
    PR: Buf;
    uOff: number;
    XP: Buf;
    xpOff: number;
    HS: Buf;
    hOff: number;
    hOutOff: number;
  },
): void {
  pl.add(
    'indrnn_fwd',
    INDRNN_FWD,
    [c.B, c.H, c.t, c.xpOff, c.hOff, c.hOutOff, c.uOff, ACT_ID[c.act]],
    [c.PR, c.XP, c.HS, c.LEN],
    stepGrid(c.B, c.H),
  );
}

/** IndRNN step t backward: dh = dY + dXP[t+1] * u (or dh_{t+1} past the end); dXP[t] = dh act'(h_t). */
export function indrnnStepBackward(
  pl: Plan,
  c: BackBase & { act: Activation; PR: Buf; uOff: number; HS: Buf; hOff: number },
): void {
  pl.add(
    'indrnn_bwd',
    INDRNN_BWD,
    [
      c.B,
      c.H,
      c.t,
      c.uOff,
      c.hOff,
      c.dxOff,
      c.dxNextOff ?? 0,
      c.dxNextOff === null ? 0 : 1,
      c.dyOff,
      c.dhOff,
      c.dhNextOff,
      ACT_ID[c.act],
    ],
    [c.PR, c.HS, c.dXP, c.dY, c.DH, c.LEN],
    stepGrid(c.B, c.H),
  );
}
