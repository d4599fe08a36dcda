/**
 * Eigenvalues and eigenvectors of a symmetric tridiagonal matrix by divide and conquer
 * (Cuppen 1981; Gu & Eisenstat 1995; LAPACK's dstedc/dlaed0-4, simplified): the matrix is torn
 * into two halves by a rank-one change, each half solved recursively, and the two merged by
 * solving the secular equation of D + rho z z^T. The O(n^3) work is one float64 matrix product
 * per merge (gemm64), so it runs at matrix-product speed, where QL's plane rotations touch the
 * eigenvectors one pair of rows at a time; deflation (tiny z, close eigenvalues) makes most merges
 * cheaper still.
 *
 *   T = [T1 0; 0 T2] + rho v v^T,  v = (e_last; s e_first),  rho = |beta|, s = sign(beta),
 *   T1's last and T2's first diagonal entries reduced by rho (beta = the coupling entry).
 *   With T_i = Q_i D_i Q_i^T:  T = Q (D + rho z z^T) Q^T,  z = Q^T v (Q's boundary rows).
 *   Eigenvalues lambda_j of D + rho z z^T: the roots of f(l) = 1 + rho sum_i z_i^2 / (d_i - l),
 *   one in each gap (d_j, d_j+1), the last in (d_k, d_k + rho |z|^2). Each root is found as an
 *   offset tau from the nearer pole (so that d_i - lambda keeps its digits) by a two-pole
 *   rational model of f (the "middle way" of Li 1993 / LAPACK's dlaed4, simplified) safeguarded
 *   by bisection. The eigenvectors use z recomputed from the roots (Loewner's formula, Gu &
 *   Eisenstat), which makes them orthogonal to working precision however close the roots are:
 *   u_j = (zhat_i / (d_i - lambda_j))_i / norm. Then Q_new = Q U.
 * Leaves (at most LEAF rows) are solved by implicit QL (eigen.ts's tql2).
 *
 * Storage: Z [n, n] row-major, column j = eigenvector j (rows = coordinates); d, e as in
 * tridiagonal.ts (e[i] couples i and i+1). Eigenvalues come back ascending in d.
 */
import type { LinalgKernels } from '../backend/backend.js';

const LEAF = 32;
const EPS = 2 ** -52;

/** Overwrites d with the eigenvalues (ascending) and returns Z (in the kernels' memory). */
export function tridiagonalEigen(
  d: Float64Array,
  e: Float64Array,
  n: number,
  lin: LinalgKernels,
  leaf: (d: Float64Array, e: Float64Array, m: number, Vt: Float64Array[]) => void,
): Float64Array {
  const Z = lin.alloc64(n * n);
  const ws = new Workspace(n, lin);
  solve(0, n);
  ws.free();
  return Z;

  function solve(lo: number, hi: number): void {
    const m = hi - lo;
    if (m <= LEAF) return leafBlock(lo, hi);
    const mid = lo + (m >> 1),
      beta = e[mid - 1]!,
      rho = Math.abs(beta);
    d[mid - 1]! -= rho;
    d[mid]! -= rho;
    solve(lo, mid);
    solve(mid, hi);
    merge(lo, mid, hi, beta);
  }

  /** QL on a leaf block: its eigenvectors into Z's diagonal block, values ascending. */
  function leafBlock(lo: number, hi: number): void {
    const m = hi - lo,
      dd = d.slice(lo, hi),
      ee = new Float64Array(m);
    for (let i = 0; i < m - 1; i++) ee[i] = e[lo + i]!;
    const Vt: Float64Array[] = [];
    for (let i = 0; i < m; i++) {
      const r = new Float64Array(m);
      r[i] = 1;
      Vt.push(r);
    }
    leaf(dd, ee, m, Vt); // ascending values, Vt[k] = eigenvector k
    d.set(dd, lo);
    for (let r = 0; r < m; r++) {
      const zr = (lo + r) * n + lo;
      for (let k = 0; k < m; k++) Z[zr + k] = Vt[k]![r]!;
    }
  }

  function merge(lo: number, mid: number, hi: number, beta: number): void {
    const m = hi - lo,
      n1 = mid - lo,
      { z, dd, perm, ztype, cols, dl, w, defl } = ws;
    // z = (last row of Q1, s * first row of Q2), normalised (rho takes the norm).
    const s = beta < 0 ? -1 : 1;
    for (let i = 0; i < n1; i++) z[i] = Z[(mid - 1) * n + lo + i]!;
    for (let i = n1; i < m; i++) z[i] = s * Z[mid * n + lo + i]!;
    let zn = 0;
    for (let i = 0; i < m; i++) zn += z[i]! * z[i]!;
    zn = Math.sqrt(zn);
    const rho = Math.abs(beta) * zn * zn;
    for (let i = 0; i < m; i++) {
      z[i]! /= zn;
      dd[i] = d[lo + i]!;
      ztype[i] = i < n1 ? 1 : 3; // 1: rows of Q1 only, 3: rows of Q2 only, 2: both, 4: deflated
    }
    // The two halves' values are ascending: merge them into perm (positions -> block columns).
    for (let a = 0, b = n1, p = 0; p < m; p++) perm[p] = b >= m || (a < n1 && dd[a]! <= dd[b]!) ? a++ : b++;
    // Deflation (dlaed2): tiny z components, then pairs of close values rotated so that one z is 0.
    let dmax = 0,
      zmax = 0;
    for (let i = 0; i < m; i++) {
      dmax = Math.max(dmax, Math.abs(dd[i]!));
      zmax = Math.max(zmax, Math.abs(z[i]!));
    }
    const tol = 8 * EPS * Math.max(dmax, zmax);
    let k = 0,
      nd = 0,
      pj = -1;
    for (let p = 0; p < m; p++) {
      const nj = perm[p]!;
      if (rho * Math.abs(z[nj]!) <= tol) {
        ztype[nj] = 4;
        defl[nd++] = nj;
        continue;
      }
      if (pj >= 0) {
        const sp = z[pj]!,
          cn = z[nj]!,
          t = Math.hypot(cn, sp),
          dt = dd[nj]! - dd[pj]!,
          c = cn / t,
          sn = -sp / t;
        if (Math.abs(dt * c * sn) <= tol) {
          z[nj] = t;
          z[pj] = 0;
          if (ztype[nj] !== ztype[pj]) ztype[nj] = 2;
          ztype[pj] = 4;
          rotateColumns(lo, m, pj, nj, c, sn);
          const dp = dd[pj]!,
            dn = dd[nj]!;
          dd[pj] = dp * c * c + dn * sn * sn;
          dd[nj] = dp * sn * sn + dn * c * c;
          defl[nd++] = pj;
          pj = nj;
          continue;
        }
        cols[k] = pj;
        dl[k] = dd[pj]!;
        w[k++] = z[pj]!;
      }
      pj = nj;
    }
    if (pj >= 0) {
      cols[k] = pj;
      dl[k] = dd[pj]!;
      w[k++] = z[pj]!;
    }
    // Rotations can leave dl slightly out of order: the secular solver needs it ascending.
    sortBy(dl, [w, cols], k);
    const { U, Qc, C, rw2 } = ws;
    // Roots; delta_ij = dl_i - lambda_j in U's row j (one row per root: every pass below runs
    // along rows), then Loewner's zhat: zhat_i^2 = -delta_ii prod_{j != i} delta_ij / (dl_i - dl_j).
    const lam = ws.lam,
      zh = ws.zh;
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
    // Q's non-deflated columns grouped by type (1, 2, 3) so that Q1's rows multiply only the
    // columns that have entries there, and Q2's likewise; eigenvector j of D + rho z z^T,
    // (zhat_i / delta_ij)_i normalised, goes to row j of Ug with its entries in the same order
    // (Ug is U^T grouped: the product reads it transposed).
    const grp = ws.grp;
    let g = 0;
    for (const t of [1, 2, 3]) for (let i = 0; i < k; i++) if (ztype[cols[i]!] === t) grp[g++] = i;
    let k1 = 0,
      k3 = 0;
    for (let i = 0; i < k; i++) {
      if (ztype[cols[i]!] === 1) k1++;
      if (ztype[cols[i]!] === 3) k3++;
    }
    // (U's rows become Ug's in place, through one row of scratch.)
    const Ug = U,
      u = ws.u;
    for (let j = 0; j < k; j++) {
      const row = j * k;
      let nrm = 0;
      for (let i = 0; i < k; i++) {
        const v = zh[i]! / U[row + i]!;
        u[i] = v;
        nrm += v * v;
      }
      nrm = 1 / Math.sqrt(nrm);
      for (let gi = 0; gi < k; gi++) Ug[row + gi] = u[grp[gi]!]! * nrm;
    }
    // Q's columns: the non-deflated ones grouped (Qc [m, k]), the deflated ones after them in the
    // same buffer (Dq [m, nd]).
    const Dq = Qc.subarray(m * k),
      colg = ws.colg;
    for (let gi = 0; gi < k; gi++) colg[gi] = cols[grp[gi]!]!;
    for (let r = 0; r < m; r++) {
      const zr = (lo + r) * n + lo,
        qr = r * k,
        dr = r * nd;
      for (let gi = 0; gi < k; gi++) Qc[qr + gi] = Z[zr + colg[gi]!]!;
      for (let q = 0; q < nd; q++) Dq[dr + q] = Z[zr + defl[q]!]!;
    }
    if (k > 0) {
      const top = k - k3, // columns with entries in Q1's rows: types 1 and 2
        bot = k - k1; // in Q2's rows: types 2 and 3
      if (top > 0) lin.gemm64(false, true, false, false, n1, k, top, 1, Qc, 0, k, Ug, 0, k, C, 0, k);
      else C.fill(0, 0, n1 * k);
      if (bot > 0)
        lin.gemm64(false, true, false, false, m - n1, k, bot, 1, Qc, n1 * k + k1, k, Ug, k1, k, C, n1 * k, k);
      else C.fill(0, n1 * k, m * k);
    }
    // Values ascending: the roots (ascending) merged with the deflated values; posR[a] and
    // posD[q] are the columns of Z's block that root a and deflated column q go to, then the
    // block is written a row at a time.
    const dv = ws.dv,
      order = ws.order,
      posR = ws.posR,
      posD = ws.posD;
    for (let q = 0; q < nd; q++) dv[q] = dd[defl[q]!]!;
    for (let q = 0; q < nd; q++) order[q] = q;
    sortBy(dv, [order], nd);
    for (let a = 0, b = 0, p = 0; p < m; p++) {
      if (b >= nd || (a < k && lam[a]! <= dv[b]!)) {
        d[lo + p] = lam[a]!;
        posR[a++] = p;
      } else {
        d[lo + p] = dv[b]!;
        posD[order[b++]!] = p;
      }
    }
    for (let r = 0; r < m; r++) {
      const zr = (lo + r) * n + lo,
        cr = r * k,
        dr = r * nd;
      for (let a = 0; a < k; a++) Z[zr + posR[a]!] = C[cr + a]!;
      for (let q = 0; q < nd; q++) Z[zr + posD[q]!] = Dq[dr + q]!;
    }
  }

  /** Columns i, j of the block (x, y) <- (c x + s y, c y - s x) (LAPACK's drot). */
  function rotateColumns(lo: number, m: number, i: number, j: number, c: number, s: number): void {
    for (let r = 0; r < m; r++) {
      const base = (lo + r) * n + lo,
        x = Z[base + i]!,
        y = Z[base + j]!;
      Z[base + i] = c * x + s * y;
      Z[base + j] = c * y - s * x;
    }
  }
}

/** Sorts a[0..k) ascending and applies the same permutation to each of `with`. */
function sortBy(a: Float64Array, withArrays: (Float64Array | Int32Array)[], k: number): void {
  const idx = Array.from({ length: k }, (_, i) => i).sort((x, y) => a[x]! - a[y]!);
  for (const arr of [a, ...withArrays]) {
    const copy = arr.slice(0, k);
    for (let i = 0; i < k; i++) arr[i] = copy[idx[i]!]!;
  }
}

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

/** Buffers of the merges, sized for the largest (the top one) and reused. */
class Workspace {
  // Per merge: z and the values, the secular equation's inputs, roots and Loewner's zhat; index
  // maps (sorting, deflation, grouping, where Z's columns go).
  readonly z: Float64Array;
  readonly dd: Float64Array;
  readonly dl: Float64Array;
  readonly w: Float64Array;
  readonly lam: Float64Array;
  readonly zh: Float64Array;
  readonly rw2: Float64Array;
  readonly u: Float64Array;
  readonly dv: Float64Array;
  readonly perm: Int32Array;
  readonly ztype: Int32Array;
  readonly cols: Int32Array;
  readonly defl: Int32Array;
  readonly grp: Int32Array;
  readonly order: Int32Array;
  readonly colg: Int32Array;
  readonly posR: Int32Array;
  readonly posD: Int32Array;
  /** [k, k]: root j's deltas in row j, then its eigenvector (grouped); in the kernels' memory. */
  U: Float64Array;
  Qc: Float64Array;
  C: Float64Array;
  constructor(
    n: number,
    private readonly lin: LinalgKernels,
  ) {
    const f = () => new Float64Array(n),
      i = () => new Int32Array(n);
    [this.z, this.dd, this.dl, this.w, this.lam] = [f(), f(), f(), f(), f()];
    [this.zh, this.rw2, this.u, this.dv] = [f(), f(), f(), f()];
    [this.perm, this.ztype, this.cols, this.defl, this.grp, this.order] = [i(), i(), i(), i(), i(), i()];
    [this.colg, this.posR, this.posD] = [i(), i(), i()];
    this.U = lin.alloc64(n * n);
    this.Qc = lin.alloc64(n * n);
    this.C = lin.alloc64(n * n);
  }
  free(): void {
    for (const b of [this.U, this.Qc, this.C]) this.lin.free64?.(b);
  }
}
