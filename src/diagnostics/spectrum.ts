/**
 * Spectra of the recurrent weights: the spectral radius rho(W) = max |lambda_i| and the largest
 * singular value sigma_max(W) = ||W||_2, by iteration (no full eigen- or SVD), for each
 * recurrent matrix of a stack. For a linear RNN, rho < 1 makes gradients vanish and
 * sigma_max < 1 is sufficient for it (Pascanu et al. 2013); with a tanh the bounds tighten by
 * max tanh' = 1 (sigma_max < 1 sufficient for vanishing, rho > 1 necessary for exploding).
 *
 * Shapes: W_hh is [G*H, H] with one [H, H] block per gate (LSTM i,f,g,o; GRU r,z,n; RNN one).
 * rho is defined for the square blocks only; sigma for the blocks and the whole [G*H, H].
 */
import type { FArray } from '../tensor.js';
import type { RecurrentCore } from '../layers/core.js';
import { cellSpec } from '../layers/cells/index.js';
import { largestSingularValue, spectralRadius } from '../linalg.js';

export interface GateSpectrum {
  gate: string;
  rho: number;
  sigma: number;
}

export interface WeightSpectrum {
  /** rho of the [H, H] block for the RNN; the largest block rho for gated cells. */
  rho: number;
  /** sigma_max of the whole [G*H, H] matrix. */
  sigma: number;
  /** Per gate block (one entry, 'h', for the RNN). */
  gates: GateSpectrum[];
}

/** rho and sigma of each gate block and sigma of the whole W_hh ([G*H, H], row-major). */
export function weightSpectrum(
  W: FArray,
  G: number,
  H: number,
  opts: { iters?: number; gates?: readonly string[] } = {},
): WeightSpectrum {
  if (W.length !== G * H * H)
    throw new RangeError(`weightSpectrum: W_hh must hold G*H*H = ${G * H * H} values, got ${W.length}`);
  const iters = opts.iters ?? 200;
  const names = opts.gates ?? Array.from({ length: G }, (_, g) => String(g));
  const gates = names.map((gate, g) => {
    const block = W.subarray(g * H * H, (g + 1) * H * H);
    return {
      gate,
      rho: spectralRadius(block, H, { iters }),
      sigma: largestSingularValue(block, H, H, { iters, tol: 1e-8 }),
    };
  });
  const sigma = G === 1 ? gates[0]!.sigma : largestSingularValue(W, G * H, H, { iters, tol: 1e-8 });
  return { rho: Math.max(...gates.map((g) => g.rho)), sigma, gates };
}

/**
 * weightSpectrum of a core's recurrent matrix (or of `W`, weights it ran with). A diagonal
 * recurrence (IndRNN's u) has rho = sigma = max |u_j|.
 */
export function coreSpectrum(core: RecurrentCore, opts: { iters?: number; W?: FArray } = {}): WeightSpectrum {
  const spec = cellSpec(core.cell),
    W = opts.W ?? core.wHh.data;
  if (spec.recurrence === 'diagonal') {
    let m = 0;
    for (let j = 0; j < W.length; j++) m = Math.max(m, Math.abs(W[j]!));
    return { rho: m, sigma: m, gates: [{ gate: spec.gates[0]!, rho: m, sigma: m }] };
  }
  return weightSpectrum(W, core.G, core.H, { ...opts, gates: spec.gates });
}
