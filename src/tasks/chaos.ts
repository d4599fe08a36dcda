/**
 * Seeded time-series generators for reservoir computing benchmarks.
 *
 * Mackey-Glass (Mackey & Glass 1977; Jaeger 2001's tau = 17 benchmark), as ReservoirPy
 * discretises it: one RK4 step of size h per sample, with x(t - tau) read from a history
 * buffer of floor(tau / h) samples (held constant over the step):
 *
 *   dx/dt = a x(t - tau) / (1 + x(t - tau)^n) - b x(t)
 *   history[k] = x0 + 0.2 (U[0,1) - 0.5) unless given; x[0] = x0
 *
 * NARMA-10 (Atiya & Parlos 2000), ReservoirPy's indexing, u ~ U[0, 0.5):
 *   y[t+1] = a1 y[t] + a2 y[t] sum_{i=1..order} y[t-i] + b u[t-order] u[t] + c
 *
 * Lorenz (1963): dx = sigma (y - x), dy = x (rho - z) - y, dz = x y - beta z, RK4 with step h.
 *
 * Memory capacity (Jaeger 2001): u ~ U(-1, 1) i.i.d., targets y_k[t] = u[t - k], k = 1..K.
 */
import { Rng } from '../random.js';

export interface MackeyGlassOptions {
  tau?: number;
  a?: number;
  b?: number;
  /** The exponent n of the equation. */
  n?: number;
  x0?: number;
  h?: number;
  seed?: number;
  /** Past values used as x(t - tau) for the first steps (at least floor(tau / h); the last ones are used). */
  history?: ArrayLike<number>;
}

/** Mackey-Glass series of `steps` samples (see the file header for the discretisation). */
export function mackeyGlass(steps: number, opts: MackeyGlassOptions = {}): Float64Array {
  const tau = opts.tau ?? 17,
    a = opts.a ?? 0.2,
    b = opts.b ?? 0.1,
    n = opts.n ?? 10,
    x0 = opts.x0 ?? 1.2,
    h = opts.h ?? 1;
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`mackeyGlass: steps must be a positive integer, got ${steps}`);
  if (!(tau >= 0) || !(h > 0)) throw new RangeError(`mackeyGlass: need tau >= 0 and h > 0, got tau=${tau}, h=${h}`);
  const L = Math.floor(tau / h);
  let hist: Float64Array;
  if (opts.history) {
    if (opts.history.length < L)
      throw new RangeError(
        `mackeyGlass: history has ${opts.history.length} values, needs at least floor(tau/h) = ${L}`,
      );
    hist = Float64Array.from(Array.prototype.slice.call(opts.history, opts.history.length - L) as number[]);
  } else {
    const rng = new Rng(opts.seed ?? 0);
    hist = new Float64Array(L);
    for (let i = 0; i < L; i++) hist[i] = x0 + 0.2 * (rng.uniform() - 0.5);
  }
  const f = (xt: number, xd: number): number => -b * xt + (a * xd) / (1 + xd ** n);
  const X = new Float64Array(steps);
  let xt = x0,
    head = 0; // hist is a ring buffer; hist[head] is the oldest value
  for (let i = 0; i < steps; i++) {
    X[i] = xt;
    let xd = 0;
    if (L > 0) {
      xd = hist[head]!;
      hist[head] = xt;
      head = (head + 1) % L;
    }
    const k1 = h * f(xt, xd),
      k2 = h * f(xt + 0.5 * k1, xd),
      k3 = h * f(xt + 0.5 * k2, xd),
      k4 = h * f(xt + k3, xd);
    xt = xt + k1 / 6 + k2 / 3 + k3 / 3 + k4 / 6;
  }
  return X;
}

export interface NarmaOptions {
  order?: number;
  a1?: number;
  a2?: number;
  b?: number;
  c?: number;
  seed?: number;
  /** The driving input, `steps + order` values (ReservoirPy's u); drawn U[0, 0.5) when omitted. */
  u?: ArrayLike<number>;
}

/**
 * NARMA series: returns the input `u` aligned with `y` (both `steps` long; u[t] drives
 * y[t+1]) and `uFull` (`steps + order` values, ReservoirPy's return value).
 */
export function narma(
  steps: number,
  opts: NarmaOptions = {},
): { u: Float64Array; y: Float64Array; uFull: Float64Array } {
  const o = opts.order ?? 10,
    a1 = opts.a1 ?? 0.3,
    a2 = opts.a2 ?? 0.05,
    b = opts.b ?? 1.5,
    c = opts.c ?? 0.1;
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`narma: steps must be a positive integer, got ${steps}`);
  let uFull: Float64Array;
  if (opts.u) {
    if (opts.u.length !== steps + o)
      throw new RangeError(`narma: u must have steps + order = ${steps + o} values, got ${opts.u.length}`);
    uFull = Float64Array.from(opts.u);
  } else {
    const rng = new Rng(opts.seed ?? 0);
    uFull = new Float64Array(steps + o);
    for (let i = 0; i < uFull.length; i++) uFull[i] = rng.range(0, 0.5);
  }
  const yf = new Float64Array(steps + o); // the first `order` values are the zero initial condition
  for (let t = o; t < steps + o - 1; t++) {
    let s = 0;
    for (let i = t - o; i < t; i++) s += yf[i]!;
    yf[t + 1] = a1 * yf[t]! + a2 * yf[t]! * s + b * uFull[t - o]! * uFull[t]! + c;
  }
  return { u: uFull.slice(o), y: yf.slice(o), uFull };
}

export interface LorenzOptions {
  sigma?: number;
  rho?: number;
  beta?: number;
  h?: number;
  x0?: [number, number, number];
  substeps?: number;
}

/** Lorenz attractor, [steps, 3] row-major (x, y, z), sampled every h; RK4 with `substeps` per sample (default 10). */
export function lorenz(steps: number, opts: LorenzOptions = {}): Float64Array {
  const s = opts.sigma ?? 10,
    r = opts.rho ?? 28,
    be = opts.beta ?? 8 / 3,
    h = opts.h ?? 0.03,
    m = opts.substeps ?? 10;
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`lorenz: steps must be a positive integer, got ${steps}`);
  let [x, y, z] = opts.x0 ?? [1, 1, 1];
  const out = new Float64Array(steps * 3);
  const d = (x: number, y: number, z: number): [number, number, number] => [
    s * (y - x),
    x * (r - z) - y,
    x * y - be * z,
  ];
  const dt = h / m;
  for (let t = 0; t < steps; t++) {
    out[t * 3] = x;
    out[t * 3 + 1] = y;
    out[t * 3 + 2] = z;
    for (let k = 0; k < m; k++) {
      const k1 = d(x, y, z);
      const k2 = d(x + 0.5 * dt * k1[0], y + 0.5 * dt * k1[1], z + 0.5 * dt * k1[2]);
      const k3 = d(x + 0.5 * dt * k2[0], y + 0.5 * dt * k2[1], z + 0.5 * dt * k2[2]);
      const k4 = d(x + dt * k3[0], y + dt * k3[1], z + dt * k3[2]);
      x += (dt / 6) * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]);
      y += (dt / 6) * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]);
      z += (dt / 6) * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2]);
    }
  }
  return out;
}

/**
 * Memory-capacity task: u [steps] ~ U(-1, 1) and targets [steps, maxDelay] with
 * targets[t, k-1] = u[t - k] (0 before the start; skip the first maxDelay steps when scoring).
 */
export function memoryTask(
  steps: number,
  opts: { maxDelay?: number; seed?: number } = {},
): { u: Float64Array; targets: Float64Array; maxDelay: number } {
  const K = opts.maxDelay ?? 40;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`memoryTask: maxDelay must be a positive integer, got ${K}`);
  const rng = new Rng(opts.seed ?? 0);
  const u = new Float64Array(steps);
  for (let t = 0; t < steps; t++) u[t] = rng.range(-1, 1);
  const targets = new Float64Array(steps * K);
  for (let t = 0; t < steps; t++) for (let k = 1; k <= K; k++) if (t - k >= 0) targets[t * K + k - 1] = u[t - k]!;
  return { u, targets, maxDelay: K };
}
