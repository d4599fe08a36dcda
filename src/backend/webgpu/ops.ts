/**
 * Typed recorders for every WGSL kernel: each adds one dispatch to a Plan, with buffers and
 * element offsets named as in src/backend/backend.ts. The trainer and the one-shot kernel
 * API (kernels.ts) both go through these, so the parity tests check what training runs.
 *
 * Dimension key: B = batch, H = hidden, G = gates, M/N/K = matrix product sizes.
 */
/// <reference types="@webgpu/types" preserve="true" />
import type { Activation } from '../backend.js';
import { type Plan, f32bits, groups1d } from './device.js';
import { GEMM_TILE, gemmWgsl } from './wgsl_gemm.js';
import { ACT_ID, GRU_BWD, GRU_FWD, LSTM_BWD, LSTM_FWD, RNN_BWD, RNN_FWD } from './wgsl_cells.js';
import { COLSUM, EMBED, EMBED_BWD, FILL, MSE, REDUCE, SGD, TRANSPOSE, XENT } from './wgsl_util.js';

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

/** Per-row loss and gradient of pred [N, F]; S[0] holds 1/count. */
export function lossRows(
  pl: Plan,
  kind: 'mse' | 'xent',
  N: number,
  F: number,
  pred: Buf,
  Y: Buf,
  S: Buf,
  dpred: Buf,
  rowLoss: Buf,
): void {
  pl.add(kind, kind === 'mse' ? MSE : XENT, [N, F, 0, 0], [pred, Y, S, dpred, rowLoss], [groups1d(N)]);
}

/** out[0] = S[0] * sum X[0..n). */
export function reduceSum(pl: Plan, out: Buf, X: Buf, n: number, S: Buf): void {
  pl.add('reduce', REDUCE, [n, 0, 0, 0], [X, S, out], [1]);
}

/** W -= lr * G over n values; returns the slot whose param 1 is lr (Plan.setParam). */
export function sgd(pl: Plan, W: Buf, G: Buf, n: number, lr: number): number {
  return pl.add('sgd', SGD, [n, f32bits(lr), 0, 0], [G, W], [groups1d(n)]);
}

const stepGrid = (B: number, H: number): [number, number] => [Math.ceil(H / 64), B];

/** RNN step t: XP[xpOff] += h W_hh^T (WT = W_hh^T), then act; h_t to XP and HS[hOutOff]. */
export function rnnStep(
  pl: Plan,
  act: Activation,
  B: number,
  H: number,
  WT: Buf,
  XP: Buf,
  xpOff: number,
  HS: Buf,
  hOff: number,
  hOutOff: number,
): void {
  pl.add('rnn_fwd', RNN_FWD, [B, H, xpOff, hOff, hOutOff, ACT_ID[act], 0, 0], [WT, XP, HS], stepGrid(B, H));
}

/** RNN step t backward: dh = dY + dXP[t+1] W_hh (when hasNext); dXP[t] = dh act'(h_t); DH[t] = dh. */
export function rnnStepBackward(
  pl: Plan,
  act: Activation,
  B: number,
  H: number,
  W: Buf,
  wOff: number,
  HS: Buf,
  hOff: number,
  dXP: Buf,
  dxOff: number,
  dxNextOff: number | null,
  dY: Buf,
  dyOff: number,
  DH: Buf,
  dhOff: number,
): void {
  pl.add(
    'rnn_bwd',
    RNN_BWD,
    [B, H, wOff, hOff, dxOff, dxNextOff ?? 0, dxNextOff === null ? 0 : 1, dyOff, dhOff, ACT_ID[act], 0, 0],
    [W, HS, dXP, dY, DH],
    stepGrid(B, H),
  );
}

export function lstmStep(
  pl: Plan,
  B: number,
  H: number,
  WT: Buf,
  XP: Buf,
  xpOff: number,
  HS: Buf,
  hOff: number,
  hOutOff: number,
  CS: Buf,
  cOff: number,
  cOutOff: number,
  TC: Buf,
  tcOff: number,
): void {
  pl.add(
    'lstm_fwd',
    LSTM_FWD,
    [B, H, xpOff, hOff, hOutOff, cOff, cOutOff, tcOff],
    [WT, XP, HS, CS, TC],
    stepGrid(B, H),
  );
}

/** LSTM step t backward; DC carries dL/dc (read only when hasNext, i.e. dxNextOff !== null). */
export function lstmStepBackward(
  pl: Plan,
  B: number,
  H: number,
  W: Buf,
  wOff: number,
  XP: Buf,
  xpOff: number,
  CS: Buf,
  cpOff: number,
  TC: Buf,
  tcOff: number,
  dXP: Buf,
  dxOff: number,
  dxNextOff: number | null,
  dY: Buf,
  dyOff: number,
  DH: Buf,
  dhOff: number,
  DC: Buf,
): void {
  pl.add(
    'lstm_bwd',
    LSTM_BWD,
    [B, H, wOff, xpOff, cpOff, tcOff, dxOff, dxNextOff ?? 0, dxNextOff === null ? 0 : 1, dyOff, dhOff, 0],
    [W, XP, CS, TC, dXP, dY, DH, DC],
    stepGrid(B, H),
  );
}

/** GRU step t; HP[xpOff] receives W_hh h + b_hh (b_hh read from PR at bhOff, or none). */
export function gruStep(
  pl: Plan,
  B: number,
  H: number,
  WT: Buf,
  PR: Buf,
  bhOff: number | null,
  XP: Buf,
  HP: Buf,
  xpOff: number,
  HS: Buf,
  hOff: number,
  hOutOff: number,
): void {
  pl.add(
    'gru_fwd',
    GRU_FWD,
    [B, H, xpOff, hOff, hOutOff, bhOff ?? 0, bhOff === null ? 0 : 1, 0],
    [WT, PR, XP, HP, HS],
    stepGrid(B, H),
  );
}

/** GRU step t backward; `next` gives step t+1's offsets (null at the last step). */
export function gruStepBackward(
  pl: Plan,
  B: number,
  H: number,
  W: Buf,
  wOff: number,
  XP: Buf,
  HP: Buf,
  xpOff: number,
  HS: Buf,
  hOff: number,
  dXP: Buf,
  dHP: Buf,
  dxOff: number,
  dY: Buf,
  dyOff: number,
  DH: Buf,
  dhOff: number,
  next: { xpOff: number; dxOff: number; dhOff: number } | null,
): void {
  pl.add(
    'gru_bwd',
    GRU_BWD,
    [B, H, wOff, xpOff, next?.xpOff ?? 0, hOff, dxOff, next?.dxOff ?? 0, next ? 1 : 0, dyOff, dhOff, next?.dhOff ?? 0],
    [W, XP, HP, HS, dXP, dHP, dY, DH],
    stepGrid(B, H),
  );
}
