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
 *   one in each gap (d_j, d_j+1), the last in (d_k, d_k + rho |z|^2); the eigenvectors from z
 *   recomputed from the roots (Loewner's formula, Gu & Eisenstat), orthogonal to working
 *   precision however close the roots are: u_j = (zhat_i / (d_i - lambda_j))_i / norm. Both come
 *   from the backend's secularEigen kernel (src/backend/secular.ts has the mathematics and the
 *   reference; the wasm kernel splits the roots over the helper threads). Then Q_new = Q U.
 * Leaves (at most LEAF rows) are solved by implicit QL (eigen.ts's tql2).
 *
 * Storage: Z [n, n] row-major, a column per eigenvector (rows = coordinates), in the order the
 * merges left them (see tridiagonalEigen's `order`); d, e as in tridiagonal.ts (e[i] couples i
 * and i+1). Eigenvalues come back ascending in d.
 */
import type { LinalgKernels } from '../backend/backend.js';

const LEAF = 32;
const EPS = 2 ** -52;

/**
 * Overwrites d with the eigenvalues (ascending) and returns Z (in the kernels' memory) with the
 * eigenvector of d[k] in column order[k]. Z's columns are left in the order the merges wrote them
 * (each block's roots, then its deflated vectors): sorting them at every merge cost a pass over
 * the block, the caller's transpose puts them in order for free.
 */
export function tridiagonalEigen(
  d: Float64Array,
  e: Float64Array,
  n: number,
  lin: LinalgKernels,
  leaf: (d: Float64Array, e: Float64Array, m: number, Vt: Float64Array[]) => void,
): { Z: Float64Array; order: Int32Array } {
  const Z = lin.alloc64(n * n);
  const ws = new Workspace(n, lin);
  // ord[lo + p]: the column (from lo) of block [lo, hi)'s p-th smallest value; d[lo + c] is the
  // value of the block's column c.
  const ord = new Int32Array(n);
  solve(0, n);
  ws.free();
  const sorted = Float64Array.from(ord, (c) => d[c]!);
  d.set(sorted);
  return { Z, order: ord };

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
    for (let p = 0; p < m; p++) ord[lo + p] = p;
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
    // The two halves' values in ascending order (their ord) merged into perm (positions -> block
    // columns).
    for (let a = 0, b = 0, p = 0; p < m; p++) {
      const ca = a < n1 ? ord[lo + a]! : -1,
        cb = b < m - n1 ? n1 + ord[mid + b]! : -1;
      if (cb < 0 || (ca >= 0 && dd[ca]! <= dd[cb]!)) {
        perm[p] = ca;
        a++;
      } else {
        perm[p] = cb;
        b++;
      }
    }
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
    // Q's non-deflated columns grouped by type (1, 2, 3) so that Q1's rows multiply only the
    // columns that have entries there, and Q2's likewise.
    const { U, Qc, lam, grp } = ws;
    let g = 0;
    for (const t of [1, 2, 3]) for (let i = 0; i < k; i++) if (ztype[cols[i]!] === t) grp[g++] = i;
    let k1 = 0,
      k3 = 0;
    for (let i = 0; i < k; i++) {
      if (ztype[cols[i]!] === 1) k1++;
      if (ztype[cols[i]!] === 3) k3++;
    }
    // The roots of the secular equation and the eigenvectors of D + rho z z^T (backend kernel):
    // vector j in row j of Ug, its entries in grp's order (Ug is U^T grouped: the product reads
    // it transposed).
    const Ug = U;
    if (k > 0) lin.secularEigen(k, dl, w, rho, lam, Ug, grp);
    // Q's columns: the non-deflated ones grouped (Qc [m, k]), the deflated ones after them in the
    // same buffer (Dq [m, nd]).
    const Dq = Qc.subarray(m * k),
      colg = ws.colg;
    for (let gi = 0; gi < k; gi++) colg[gi] = cols[grp[gi]!]!;
    lin.gatherColumns64(m, k, Z, lo * n + lo, n, colg, Qc, 0, k);
    lin.gatherColumns64(m, nd, Z, lo * n + lo, n, defl, Qc, m * k, nd);
    // Z's block = [Q U, the deflated columns]: the products write the roots' columns into Z
    // (its old columns are in Qc and Dq now), the deflated ones are copied after them.
    const zb = lo * n + lo;
    if (k > 0) {
      const top = k - k3, // columns with entries in Q1's rows: types 1 and 2
        bot = k - k1; // in Q2's rows: types 2 and 3
      if (top > 0) lin.gemm64(false, true, false, false, n1, k, top, 1, Qc, 0, k, Ug, 0, k, Z, zb, n);
      else for (let r = 0; r < n1; r++) Z.fill(0, zb + r * n, zb + r * n + k);
      if (bot > 0)
        lin.gemm64(false, true, false, false, m - n1, k, bot, 1, Qc, n1 * k + k1, k, Ug, k1, k, Z, zb + n1 * n, n);
      else for (let r = n1; r < m; r++) Z.fill(0, zb + r * n, zb + r * n + k);
    }
    for (let r = 0; r < m; r++) Z.set(Dq.subarray(r * nd, r * nd + nd), zb + r * n + k);
    // The block's values by column (roots, then deflated) and their ascending order: the roots
    // (ascending) merged with the deflated values (sorted through `order`).
    const dv = ws.dv,
      order = ws.order;
    for (let q = 0; q < nd; q++) dv[q] = dd[defl[q]!]!;
    for (let q = 0; q < nd; q++) order[q] = q;
    sortBy(dv, [order], nd);
    for (let c = 0; c < k; c++) d[lo + c] = lam[c]!;
    for (let b = 0; b < nd; b++) d[lo + k + order[b]!] = dv[b]!;
    for (let a = 0, b = 0, p = 0; p < m; p++)
      ord[lo + p] = b >= nd || (a < k && lam[a]! <= dv[b]!) ? a++ : k + order[b++]!;
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

/** Buffers of the merges, sized for the largest (the top one) and reused. */
class Workspace {
  // Per merge: z and the values; the secular kernel's inputs and outputs (dl, w, lam, grp) and
  // the gathers' column lists (defl, colg), in the kernels' memory; index maps (sorting,
  // deflation, grouping).
  readonly z: Float64Array;
  readonly dd: Float64Array;
  readonly dv: Float64Array;
  readonly dl: Float64Array;
  readonly w: Float64Array;
  readonly lam: Float64Array;
  readonly grp: Int32Array;
  readonly perm: Int32Array;
  readonly ztype: Int32Array;
  readonly cols: Int32Array;
  readonly defl: Int32Array;
  readonly order: Int32Array;
  readonly colg: Int32Array;
  /** [k, k]: the eigenvectors of D + rho z z^T by rows (grouped); in the kernels' memory. */
  readonly U: Float64Array;
  readonly Qc: Float64Array;
  constructor(
    n: number,
    private readonly lin: LinalgKernels,
  ) {
    const f = () => new Float64Array(n),
      i = () => new Int32Array(n);
    [this.z, this.dd, this.dv] = [f(), f(), f()];
    [this.dl, this.w, this.lam, this.grp] = [lin.alloc64(n), lin.alloc64(n), lin.alloc64(n), lin.allocI32(n)];
    [this.perm, this.ztype, this.cols, this.order] = [i(), i(), i(), i()];
    [this.defl, this.colg] = [lin.allocI32(n), lin.allocI32(n)];
    [this.U, this.Qc] = [lin.alloc64(n * n), lin.alloc64(n * n)];
  }
  free(): void {
    for (const b of [this.U, this.Qc, this.dl, this.w, this.lam, this.grp, this.defl, this.colg]) this.lin.free64?.(b);
  }
}
