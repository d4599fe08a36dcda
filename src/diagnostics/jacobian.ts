/**
 * The step Jacobian J_t = d s_t / d s_{t-1} of one recurrent core, linearised around what its
 * last forward pass cached, for one batch row b, as a pair of matrix-free products
 * (J v and J^T u). Each cell states its own (its file in layers/cells/ holds the maths: RNN
 * diag(act') W_hh, IndRNN diag(act' u), GRU, and the LSTM's joint (h, c) Jacobian).
 * Products of these over a window tell how a gradient changes as it travels back that many
 * steps: ||dL/ds_{t-w}|| <= sigma_max(J_t ... J_{t-w+1}) ||dL/ds_t||.
 *
 * Padded rows (t >= length) are not special-cased: use a row whose sequence is full length.
 */
import type { FArray } from '../tensor.js';
import type { RecurrentCore } from '../layers/core.js';
import { type StepJacobian, cellSpec } from '../layers/cells/index.js';
import { largestSingularValueOp, spectralRadiusOp } from '../linalg.js';
import { type RecurrentProducts, recurrentProducts } from '../layers/cells/products.js';

export type { StepJacobian };

/**
 * The step Jacobian at time t (0-based, t < T) for batch row b, using `W` as W_hh (default
 * the core's current weights; pass the weights the forward ran with when they have changed since).
 */
export function stepJacobian(
  core: RecurrentCore,
  t: number,
  b: number,
  W: FArray = core.wHh.data,
  products?: RecurrentProducts,
): StepJacobian {
  const { T, B } = core.cache();
  if (!(t >= 0 && t < T)) throw new RangeError(`stepJacobian: t must be in [0, ${T}), got ${t}`);
  if (!(b >= 0 && b < B)) throw new RangeError(`stepJacobian: batch row must be in [0, ${B}), got ${b}`);
  return cellSpec(core.cell).jacobian(core, t, b, W, products);
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
  // One copy of W_hh's products for the whole window (on the core's backend where it has float64 kernels).
  const W = opts.W ?? core.wHh.data,
    spec = cellSpec(core.cell);
  const products =
    spec.recurrence === 'dense' ? recurrentProducts(core.backend, W, spec.gates.length, core.H) : undefined;
  try {
    const Js: StepJacobian[] = [];
    for (let t = end - window; t < end; t++) Js.push(stepJacobian(core, t, opts.b ?? 0, W, products));
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
  } finally {
    products?.release();
  }
}
