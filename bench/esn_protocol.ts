/**
 * The ESN benchmark protocol of ../shared/anchors/esn.md, shared by `bench esn` and
 * `bench/esn_search.ts`, on the exact series ReservoirPy generated (esn_series.json).
 *
 *   one-step:    train u[0..4000) -> u[1..4001), warm-up 200; test continues the state over
 *                u[4000..5999) -> u[4001..6000)
 *   closed loop: 50 trials in the test part, each: reset, 300 teacher-forced steps, 84
 *                generated; NRMSE84 = sqrt(mean over trials of err(step 84)^2) / std(series)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ESNEnsemble,
  Reservoir,
  Ridge,
  pipe,
  nrmse,
  rsquare,
  type ESN,
  type ReservoirOptions,
  type GramAccumulator,
} from '../src/reservoir/index.js';

export const ANCHOR_DIR = join(process.cwd(), '..', 'shared', 'anchors');

export function loadMackeyGlass(seed: number): Float64Array {
  const d = JSON.parse(readFileSync(join(ANCHOR_DIR, 'esn_series.json'), 'utf8')) as {
    mackey_glass: { series: Record<string, number[] | number[][]> };
  };
  const s = d.mackey_glass.series[String(seed)];
  if (!s) throw new Error(`esn_series.json has no Mackey-Glass series for seed ${seed}`);
  return Float64Array.from((s as unknown[]).flat() as number[]);
}

export interface Hyper {
  units: number;
  sr: number;
  lr: number;
  inputScaling: number;
  connectivity: number;
  inputConnectivity: number;
  bias: number;
  ridge: number;
  order?: number;
  inputToReadout?: boolean;
  readoutFeatures?: string;
  /** Ensemble size K (default 1): K reservoirs of units / K each, seeds seed + 1000 k, outputs averaged. */
  members?: number;
}

export const QUICKSTART: Omit<Hyper, 'units'> = {
  sr: 1.25,
  lr: 0.3,
  inputScaling: 1,
  connectivity: 0.1,
  inputConnectivity: 0.1,
  bias: 0,
  ridge: 1e-5,
};

export const TRAIN = 4000,
  WARMUP = 200,
  TRIALS = 50,
  PRIME = 300,
  HORIZON = 84;

export function makeEsn(h: Hyper, seed: number, gram?: GramAccumulator): ESN {
  const o: ReservoirOptions = {
    units: h.units,
    sr: h.sr,
    lr: h.lr,
    inputScaling: h.inputScaling,
    connectivity: h.connectivity,
    inputConnectivity: h.inputConnectivity,
    bias: h.bias,
    inputDim: 1,
    seed,
  };
  const esn = pipe(new Reservoir(o), new Ridge({ ridge: h.ridge, order: h.order ?? 1, warmup: WARMUP, gram }));
  esn.standardize = false; // ReservoirPy's protocol runs on the raw series (and the tuned hyperparameters assume it)
  esn.inputToReadout = h.inputToReadout ?? false;
  if (h.readoutFeatures) esn.readoutFeatures = h.readoutFeatures;
  return esn;
}

/** One ESN, or an ensemble of `h.members` ESNs of units / members units each (seeds seed + 1000 k). */
export function makeModel(h: Hyper, seed: number): ESN | ESNEnsemble {
  const K = h.members ?? 1;
  if (K === 1) return makeEsn(h, seed);
  return new ESNEnsemble(
    Array.from({ length: K }, (_, k) => makeEsn({ ...h, units: Math.floor(h.units / K) }, seed + 1000 * k)),
  );
}

/** Solves every ridge readout of the model with this penalty and iterated-Tikhonov order. */
export function solveWith(m: ESN | ESNEnsemble, ridge: number, order: number): void {
  for (const e of m instanceof ESNEnsemble ? m.members : [m]) (e.readouts[0] as Ridge).solve(ridge, order);
}

const view = (X: Float64Array, a: number, b: number) => ({ shape: [b - a, 1], data: X.subarray(a, b) });

/**
 * Wall and CPU seconds of `f`. The machine is shared: CPU time (user + system of this
 * single-threaded process) is what the work costs when other jobs take turns on the cores.
 */
export function timed<T>(f: () => T): { value: T; wall: number; cpu: number } {
  const c0 = process.cpuUsage(),
    t0 = performance.now();
  const value = f();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1e3, cpu: (c.user + c.system) / 1e6 };
}

/** Teacher-forced accumulation on the training part (no solve). Returns wall seconds. */
export function accumulate(esn: ESN | ESNEnsemble, X: Float64Array, end = TRAIN): number {
  return timed(() => esn.partialFit(view(X, 0, end), view(X, 1, end + 1))).wall;
}

/** One-step test after training (state continues from the end of training). */
export function oneStep(
  esn: ESN,
  X: Float64Array,
): { nrmse_std: number; nrmse_minmax: number; r2: number; seconds: number } {
  const t0 = performance.now();
  const p = esn.run(view(X, TRAIN, X.length - 1), { reset: false });
  const seconds = (performance.now() - t0) / 1e3;
  const y = X.subarray(TRAIN + 1);
  return { nrmse_std: nrmse(y, p.data), nrmse_minmax: nrmse(y, p.data, 'minmax'), r2: rsquare(y, p.data), seconds };
}

/**
 * Closed-loop NRMSE at step 84 over `TRIALS` windows starting in [from, to - PRIME - HORIZON],
 * all trials generated as one batch.
 */
export function closedLoop(
  esn: ESN | ESNEnsemble,
  X: Float64Array,
  from = TRAIN,
  to = X.length,
): { nrmse84: number; nrmseAll: number; usPerStep: number } {
  const span = to - from - PRIME - HORIZON;
  const starts = Array.from({ length: TRIALS }, (_, i) => from + Math.round((i * span) / (TRIALS - 1)));
  const B = starts.length,
    prime = new Float64Array(PRIME * B);
  for (let t = 0; t < PRIME; t++) for (let b = 0; b < B; b++) prime[t * B + b] = X[starts[b]! + t]!;
  const t0 = performance.now();
  const g = esn.generate(HORIZON, { prime: { shape: [PRIME, B, 1], data: prime } });
  const us = ((performance.now() - t0) / 1e3 / (HORIZON + PRIME) / B) * 1e6;
  let m = 0;
  for (const v of X) m += v;
  m /= X.length;
  let v2 = 0;
  for (const v of X) v2 += (v - m) ** 2;
  const std = Math.sqrt(v2 / X.length);
  let e84 = 0,
    eAll = 0;
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < HORIZON; k++) {
      const e = g.data[k * B + b]! - X[starts[b]! + PRIME + k]!;
      eAll += e * e;
      if (k === HORIZON - 1) e84 += e * e;
    }
  }
  return { nrmse84: Math.sqrt(e84 / B) / std, nrmseAll: Math.sqrt(eAll / (B * HORIZON)) / std, usPerStep: us };
}
