/**
 * The step Jacobian J_t = d s_t / d s_{t-1} of one recurrent core, linearised around what its
 * last forward pass cached, for one batch row b, as a pair of matrix-free products
 * (J v and J^T u). Products of these over a window tell how a gradient changes as it
 * travels back that many steps: ||dL/ds_{t-w}|| <= sigma_max(J_t ... J_{t-w+1}) ||dL/ds_t||.
 *
 * Dimension key: H = hidden, n = state size (H; 2H for the LSTM's joint state (h, c)).
 * W_k is the [H, H] block of W_hh for gate k; d(.) below is a diagonal (elementwise) factor.
 *
 *   RNN:  s = h.      J = diag(act'(a_t)) W_hh        (act' read off h_t: tanh 1-h^2, relu [h>0], ...)
 *   GRU:  s = h.      J v = z v + (1-z) dn + (h_{t-1} - n) dz, with
 *                     dz = z(1-z) W_z v,  dr = r(1-r) W_r v,  dn = (1-n^2)(r W_n v + hp_n dr),
 *                     hp_n = W_n h_{t-1} + b_hn recomputed from the cached state.
 *   LSTM: s = (h, c). J [vh; vc] = [dh; dc], with
 *                     di = i(1-i) W_i vh, df = f(1-f) W_f vh, dg = (1-g^2) W_g vh, do = o(1-o) W_o vh,
 *                     dc = f vc + c_{t-1} df + g di + i dg,  dh = tanh(c_t) do + o (1-tanh^2 c_t) dc.
 *     The LSTM's h alone is not a state (c carries memory past h), so its Jacobian is the
 *     joint one, 2H x 2H; its forget-gate path diag(f) is what keeps gradients alive.
 *
 * Padded rows (t >= length) are not special-cased: use a row whose sequence is full length.
 */
import type { FArray } from '../tensor.js';
import type { RecurrentCore } from '../layers/core.js';
import { RNNCore } from '../layers/rnn.js';
import { LSTMCore } from '../layers/lstm.js';
import { GRUCore } from '../layers/gru.js';
import { largestSingularValueOp, spectralRadiusOp } from '../linalg.js';

export interface StepJacobian {
  /** State size n. */
  n: number;
  /** out = J v (out and v of length n). */
  apply(v: Float64Array, out: Float64Array): void;
  /** out = J^T u. */
  applyT(u: Float64Array, out: Float64Array): void;
}

/** y[H] = W_k x for block k of a [G*H, H] row-major W_hh. */
function blockMv(W: FArray, k: number, H: number, x: ArrayLike<number>, xOff: number, y: Float64Array): void {
  const base = k * H * H;
  for (let i = 0; i < H; i++) {
    let s = 0;
    const row = base + i * H;
    for (let j = 0; j < H; j++) s += W[row + j]! * x[xOff + j]!;
    y[i] = s;
  }
}

/** y[H] (+)= W_k^T x for block k. */
function blockMtv(W: FArray, k: number, H: number, x: Float64Array, y: Float64Array, yOff: number, acc: boolean): void {
  if (!acc) y.fill(0, yOff, yOff + H);
  const base = k * H * H;
  for (let i = 0; i < H; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = base + i * H;
    for (let j = 0; j < H; j++) y[yOff + j] += W[row + j]! * xi;
  }
}

/**
 * The step Jacobian at time t (0-based, t < T) for batch row b, using `W` as W_hh (default
 * the core's current weights; pass the weights the forward ran with when they have changed since).
 */
export function stepJacobian(core: RecurrentCore, t: number, b: number, W: FArray = core.wHh.data): StepJacobian {
  const c = core.cache();
  const { T, B, H } = c;
  if (!(t >= 0 && t < T)) throw new RangeError(`stepJacobian: t must be in [0, ${T}), got ${t}`);
  if (!(b >= 0 && b < B)) throw new RangeError(`stepJacobian: batch row must be in [0, ${B}), got ${b}`);
  const hPrev = (t * B + b) * H; // offset of h_{t-1} (HS[t]) and c_{t-1} (CS[t])
  const hCur = ((t + 1) * B + b) * H; // offset of h_t / c_t
  const gOff = (t * B + b) * c.G * H; // offset of this row's gates in XP
  const tmp = new Float64Array(H);
  if (core instanceof RNNCore) {
    const d = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const y = c.HS[hCur + j]!;
      d[j] =
        core.act === 'tanh'
          ? 1 - y * y
          : core.act === 'relu'
            ? y > 0
              ? 1
              : 0
            : core.act === 'sigmoid'
              ? y * (1 - y)
              : 1;
    }
    return {
      n: H,
      apply(v, out) {
        blockMv(W, 0, H, v, 0, out);
        for (let j = 0; j < H; j++) out[j] *= d[j]!;
      },
      applyT(u, out) {
        for (let j = 0; j < H; j++) tmp[j] = u[j]! * d[j]!;
        blockMtv(W, 0, H, tmp, out, 0, false);
      },
    };
  }
  if (core instanceof GRUCore) {
    const r = c.XP.subarray(gOff, gOff + H),
      z = c.XP.subarray(gOff + H, gOff + 2 * H),
      nn = c.XP.subarray(gOff + 2 * H, gOff + 3 * H);
    const hpn = new Float64Array(H);
    blockMv(W, 2, H, c.HS, hPrev, hpn);
    if (core.bHh) for (let j = 0; j < H; j++) hpn[j] += core.bHh.data[2 * H + j]!;
    const dr = new Float64Array(H),
      dz = new Float64Array(H),
      an = new Float64Array(H);
    return {
      n: H,
      apply(v, out) {
        blockMv(W, 0, H, v, 0, dr);
        blockMv(W, 1, H, v, 0, dz);
        blockMv(W, 2, H, v, 0, tmp);
        for (let j = 0; j < H; j++) {
          const rj = r[j]!,
            zj = z[j]!,
            nj = nn[j]!;
          const drj = rj * (1 - rj) * dr[j]!,
            dzj = zj * (1 - zj) * dz[j]!;
          const dn = (1 - nj * nj) * (rj * tmp[j]! + hpn[j]! * drj);
          out[j] = zj * v[j]! + (1 - zj) * dn + (c.HS[hPrev + j]! - nj) * dzj;
        }
      },
      applyT(u, out) {
        for (let j = 0; j < H; j++) {
          const rj = r[j]!,
            zj = z[j]!,
            nj = nn[j]!;
          an[j] = (1 - zj) * u[j]! * (1 - nj * nj); // dL/d(n's pre-activation)
          dz[j] = (c.HS[hPrev + j]! - nj) * u[j]! * zj * (1 - zj); // dL/d(z's pre-activation)
          dr[j] = an[j]! * hpn[j]! * rj * (1 - rj); // dL/d(r's pre-activation)
          tmp[j] = rj * an[j]!; // dL/d(W_n h)
        }
        for (let j = 0; j < H; j++) out[j] = z[j]! * u[j]!;
        blockMtv(W, 0, H, dr, out, 0, true);
        blockMtv(W, 1, H, dz, out, 0, true);
        blockMtv(W, 2, H, tmp, out, 0, true);
      },
    };
  }
  if (core instanceof LSTMCore) {
    const CS = c.CS!;
    const ig = c.XP.subarray(gOff, gOff + H),
      fg = c.XP.subarray(gOff + H, gOff + 2 * H);
    const gg = c.XP.subarray(gOff + 2 * H, gOff + 3 * H),
      og = c.XP.subarray(gOff + 3 * H, gOff + 4 * H);
    const tc = new Float64Array(H);
    for (let j = 0; j < H; j++) tc[j] = Math.tanh(CS[hCur + j]!);
    const a = [new Float64Array(H), new Float64Array(H), new Float64Array(H), new Float64Array(H)] as const;
    return {
      n: 2 * H,
      apply(v, out) {
        for (let k = 0; k < 4; k++) blockMv(W, k, H, v, 0, a[k]);
        for (let j = 0; j < H; j++) {
          const i = ig[j]!,
            f = fg[j]!,
            g = gg[j]!,
            o = og[j]!;
          const dc =
            f * v[H + j]! +
            CS[hPrev + j]! * f * (1 - f) * a[1][j]! +
            g * i * (1 - i) * a[0][j]! +
            i * (1 - g * g) * a[2][j]!;
          out[j] = tc[j]! * o * (1 - o) * a[3][j]! + o * (1 - tc[j]! * tc[j]!) * dc;
          out[H + j] = dc;
        }
      },
      applyT(u, out) {
        for (let j = 0; j < H; j++) {
          const i = ig[j]!,
            f = fg[j]!,
            g = gg[j]!,
            o = og[j]!;
          const gc = u[H + j]! + u[j]! * o * (1 - tc[j]! * tc[j]!); // dL/dc_t through both outputs
          a[0][j] = gc * g * i * (1 - i);
          a[1][j] = gc * CS[hPrev + j]! * f * (1 - f);
          a[2][j] = gc * i * (1 - g * g);
          a[3][j] = u[j]! * tc[j]! * o * (1 - o);
          out[H + j] = gc * f;
        }
        for (let k = 0; k < 4; k++) blockMtv(W, k, H, a[k], out, 0, k > 0);
      },
    };
  }
  throw new TypeError('stepJacobian: unknown recurrent core');
}

export interface JacobianProductStats {
  /** Steps in the window [end - window, end). */
  window: number;
  end: number;
  /** sigma_max(J_{end-1} ... J_{end-window}): the most a gradient can grow over the window. */
  sigma: number;
  /** Spectral radius of the same product. */
  rho: number;
  /** sigma^(1/window): the average growth (>1) or decay (<1) per step. */
  perStep: number;
}

/**
 * Largest singular value and spectral radius of the product of the step Jacobians over the
 * last `window` steps of the cached forward pass (batch row b), by power iteration through
 * the product (no matrix is formed: each iteration costs 2 * window * G * H^2 multiply-adds).
 */
export function jacobianProduct(
  core: RecurrentCore,
  opts: { window?: number; end?: number; b?: number; iters?: number; W?: FArray } = {},
): JacobianProductStats {
  const T = core.cache().T;
  const end = opts.end ?? T;
  const window = Math.min(opts.window ?? 20, end);
  if (!(window >= 1))
    throw new RangeError(
      `jacobianProduct: need a window of at least 1 step inside [0, ${T}), got ${opts.window} ending at ${end}`,
    );
  const Js: StepJacobian[] = [];
  for (let t = end - window; t < end; t++) Js.push(stepJacobian(core, t, opts.b ?? 0, opts.W));
  const n = Js[0]!.n;
  const bufA = new Float64Array(n),
    bufB = new Float64Array(n);
  // P v = J_{end-1} (... (J_{end-window} v)); P^T u = J_{end-window}^T (... (J_{end-1}^T u)).
  const P = (v: Float64Array, out: Float64Array) => {
    let src: Float64Array = v,
      dst = bufA;
    for (let k = 0; k < Js.length; k++) {
      const target = k === Js.length - 1 ? out : dst;
      Js[k]!.apply(src, target);
      src = target;
      dst = dst === bufA ? bufB : bufA;
    }
  };
  const PT = (u: Float64Array, out: Float64Array) => {
    let src: Float64Array = u,
      dst = bufA;
    for (let k = Js.length - 1; k >= 0; k--) {
      const target = k === 0 ? out : dst;
      Js[k]!.applyT(src, target);
      src = target;
      dst = dst === bufA ? bufB : bufA;
    }
  };
  const iters = opts.iters ?? 60;
  const sigma = largestSingularValueOp(n, n, P, PT, { iters, tol: 1e-6 });
  const rho = spectralRadiusOp(n, P, { iters });
  return { window, end, sigma, rho, perStep: sigma > 0 ? sigma ** (1 / window) : 0 };
}
