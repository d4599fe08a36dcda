/**
 * The secular equation of divide and conquer's merges (src/preprocess/tridiag_eigen.ts), the
 * reference the wasm kernel (assembly/secular64.ts) is held to: the eigenvalues and unit
 * eigenvectors of D + rho w w^T, D = diag(dl) ascending, rho > 0, no w_i zero (deflated before).
 *
 * The eigenvalues are the roots of f(l) = 1 + sum_i rw2_i / (dl_i - l) (rw2_i = rho w_i^2), one in
 * each gap (dl_j, dl_j+1), the last in (dl_k-1, dl_k-1 + rho |w|^2). Each is found as an offset
 * tau from the nearer pole (so that dl_i - lambda keeps its digits) by a two-pole rational model
 * of f (the "middle way" of Li 1993 / LAPACK's dlaed4, simplified) safeguarded by bisection.
 * The eigenvectors use w recomputed from the roots (Loewner's formula, Gu & Eisenstat 1995),
 * which makes them orthogonal to working precision however close the roots are:
 *   zhat_i^2 = -delta_ii prod_{j != i} delta_ij / (dl_i - dl_j),  delta_ij = dl_i - lambda_j,
 *   u_j = (zhat_i / delta_ij)_i / norm,  zhat_i with w_i's sign.
 * Three passes, each over roots j independently (what the wasm kernel splits over threads): the
 * roots (row j of U holds delta_.j), Loewner's products, the vectors (row j of U becomes u_j,
 * its entries in the order grp gives).
 */

import type { LinalgKernels } from './backend.js';

const EPS = 2 ** -52;

/**
 * lam[0..k) = the eigenvalues, ascending; U [k, k] row j = eigenvector j with U[j k + g] =
 * u_j[grp[g]] (grp a permutation of 0..k-1).
 */
export const secularEigenRef: LinalgKernels['secularEigen'] = (k, dl, w, rho, lam, U, grp) => {
  const rw2 = new Float64Array(k),
    zh = new Float64Array(k),
    u = new Float64Array(k);
  for (let i = 0; i < k; i++) rw2[i] = rho * w[i]! * w[i]!;
  for (let j = 0; j < k; j++) lam[j] = secular(k, dl, rw2, j, U, j * k);
  for (let i = 0; i < k; i++) zh[i] = U[i * k + i]!;
  for (let j = 0; j < k; j++) {
    const row = j * k,
      dj = dl[j]!;
    for (let i = 0; i < j; i++) zh[i]! *= U[row + i]! / (dl[i]! - dj);
    for (let i = j + 1; i < k; i++) zh[i]! *= U[row + i]! / (dl[i]! - dj);
  }
  for (let i = 0; i < k; i++) zh[i] = Math.sign(w[i]!) * Math.sqrt(Math.max(0, -zh[i]!));
  for (let j = 0; j < k; j++) {
    const row = j * k;
    let nrm = 0;
    for (let i = 0; i < k; i++) {
      const v = zh[i]! / U[row + i]!;
      u[i] = v;
      nrm += v * v;
    }
    nrm = 1 / Math.sqrt(nrm);
    for (let g = 0; g < k; g++) U[row + g] = u[grp[g]!]! * nrm;
  }
};

/**
 * Root j (0-based, ascending) of 1 + sum_i rw2_i / (dl_i - lambda) = 0 (rw2_i = rho w_i^2 > 0),
 * dl ascending; writes delta_i = dl_i - lambda to U[at + i] and returns lambda.
 */
function secular(k: number, dl: Float64Array, rw2: Float64Array, j: number, U: Float64Array, at: number): number {
  if (k === 1) {
    U[at] = -rw2[0]!;
    return dl[0]! + rw2[0]!;
  }
  // The pole the root is nearer to is the origin; tau = lambda - dl[org], bracketed in (lo, hi).
  // For an inner root f is evaluated at the middle of the gap (its sign picks the side) with the
  // sums the rational step needs, so the first step starts from there.
  let org: number, lo: number, hi: number, tau: number;
  if (j < k - 1) {
    const gap = dl[j + 1]! - dl[j]!,
      mid = dl[j]! + gap / 2;
    sums(dl, rw2, j, k, 0, mid);
    if (1 + SUMS[0]! + SUMS[2]! >= 0) [org, lo, hi, tau] = [j, 0, gap / 2, gap / 2];
    else [org, lo, hi, tau] = [j + 1, -gap / 2, 0, -gap / 2];
  } else {
    let s = 0;
    for (let i = 0; i < k; i++) s += rw2[i]!;
    [org, lo, hi] = [k - 1, 0, s];
    tau = s / 2;
    sums(dl, rw2, j, k, dl[org]!, tau);
  }
  const base = dl[org]!;
  const a = dl[j]! - base,
    b = j < k - 1 ? dl[j + 1]! - base : Infinity;
  for (let it = 0; it < 200; it++) {
    if (it > 0) sums(dl, rw2, j, k, base, tau);
    const psi = SUMS[0]!,
      dpsi = SUMS[1]!,
      phi = SUMS[2]!,
      dphi = SUMS[3]!;
    const f = 1 + psi + phi;
    if (Math.abs(f) <= 8 * EPS * k * (1 + Math.abs(psi) + Math.abs(phi))) break;
    if (f < 0) lo = Math.max(lo, tau);
    else hi = Math.min(hi, tau);
    // Two-pole model: psi ~ p + q/(a - t), phi ~ r + s/(b - t), matching values and slopes at tau.
    const da = a - tau,
      q = dpsi * da * da;
    let next: number;
    if (j < k - 1) {
      const db = b - tau,
        sq = dphi * db * db,
        c = 1 + psi - dpsi * da + phi - dphi * db;
      // c (a - t)(b - t) + q (b - t) + sq (a - t) = 0, the root between the poles a and b
      const B = c * (a + b) + q + sq,
        C0 = c * a * b + q * b + sq * a;
      if (c === 0) next = C0 / B;
      else {
        const disc = Math.sqrt(Math.max(0, B * B - 4 * c * C0));
        const r1 = B >= 0 ? (B + disc) / (2 * c) : (B - disc) / (2 * c),
          r2 = C0 / (c * r1);
        next = r1 > Math.min(a, b) && r1 < Math.max(a, b) ? r1 : r2;
      }
    } else {
      const c = 1 + psi - dpsi * da;
      next = a + q / c;
    }
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - tau) <= 2 * EPS * Math.abs(next) || hi - lo <= 4 * EPS * Math.max(Math.abs(lo), Math.abs(hi))) {
      tau = next;
      break;
    }
    tau = next;
  }
  for (let i = 0; i < k; i++) U[at + i] = dl[i]! - base - tau;
  return base + tau;
}

/** The secular sums at one point: psi, psi', phi, phi' (see `sums`). */
const SUMS = new Float64Array(4);

/**
 * psi, phi (the terms i <= j and i > j of sum_i rw2_i / delta_i) and their derivatives into
 * SUMS, with delta_i = (dl_i - base) - t (base 0 for a plain lambda = t; with the origin pole as
 * base, the digits of delta near it are kept). One division per term.
 */
function sums(dl: Float64Array, rw2: Float64Array, j: number, k: number, base: number, t: number): void {
  let p = 0,
    dp = 0,
    f = 0,
    df = 0;
  for (let i = 0; i <= j; i++) {
    const r = 1 / (dl[i]! - base - t),
      x = rw2[i]! * r;
    p += x;
    dp += x * r;
  }
  for (let i = j + 1; i < k; i++) {
    const r = 1 / (dl[i]! - base - t),
      x = rw2[i]! * r;
    f += x;
    df += x * r;
  }
  SUMS[0] = p;
  SUMS[1] = dp;
  SUMS[2] = f;
  SUMS[3] = df;
}
