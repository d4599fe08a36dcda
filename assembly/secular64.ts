// The secular equation of the divide and conquer's merges: the kernel for src/backend/secular.ts
// (the reference; read its header for the mathematics). Three passes, each over a range of
// roots [j0, j1), so that helper threads can take a range each (src/backend/wasm.ts):
//   dc_roots64    root j of 1 + sum_i rw2_i / (dl_i - l) into lam[j], delta_ij = dl_i - lam_j
//                 into row j of U [k, k]
//   dc_loewner64  Loewner's products over the range's roots into zh (k doubles of the caller's:
//                 the ranges' products are multiplied together after)
//   dc_vectors64  row j of U becomes u_j = (zhat_i / delta_ij)_i / norm, entries in grp's order
//                 (tmp: k doubles of the caller's)
// and dc_gather64, the merge's columns of Q gathered in the product's order (a range of rows).
// The sums over i are f64x2 (a division per term: two per instruction), where the JavaScript it
// replaces spent most of a merge's own time. Byte pointers; grp is i32.

// @ts-nocheck (AssemblyScript)
const EPS: f64 = 2.220446049250313e-16; // 2^-52

@inline function ld(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
@inline function st(p: usize, i: i32, v: f64): void { store<f64>(p + (<usize>i << 3), v); }

// The sums of `part`: sum of x_i = rw2_i / delta_i and of x_i / delta_i.
let S: f64 = 0;
let DS: f64 = 0;

/** Over i in [i0, i1): delta_i = (dl_i - base) - t, as the reference computes it. */
function part(dl: usize, rw2: usize, i0: i32, i1: i32, base: f64, t: f64): void {
  const vb = f64x2.splat(base), vt = f64x2.splat(t), one = f64x2.splat(1);
  let s = f64x2.splat(0), ds = s;
  let i = i0;
  for (; i + 2 <= i1; i += 2) {
    const o = <usize>i << 3;
    const r = f64x2.div(one, f64x2.sub(f64x2.sub(v128.load(dl + o), vb), vt));
    const x = f64x2.mul(v128.load(rw2 + o), r);
    s = f64x2.add(s, x);
    ds = f64x2.add(ds, f64x2.mul(x, r));
  }
  let a = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  let b = f64x2.extract_lane(ds, 0) + f64x2.extract_lane(ds, 1);
  for (; i < i1; i++) {
    const r = 1 / (ld(dl, i) - base - t), x = ld(rw2, i) * r;
    a += x;
    b += x * r;
  }
  S = a;
  DS = b;
}

/** Root j; writes delta_i = (dl_i - base) - tau to U + at (bytes). */
function root(k: i32, dl: usize, rw2: usize, j: i32, u: usize): f64 {
  if (k == 1) {
    st(u, 0, -ld(rw2, 0));
    return ld(dl, 0) + ld(rw2, 0);
  }
  // The pole the root is nearer to is the origin; tau = lambda - dl[org] in (lo, hi). An inner
  // root's f is first evaluated mid-gap: its sign picks the side, its sums make the first step.
  let org: i32, lo: f64, hi: f64, tau: f64;
  let psi: f64, dpsi: f64, phi: f64, dphi: f64;
  if (j < k - 1) {
    const gap = ld(dl, j + 1) - ld(dl, j), mid = ld(dl, j) + gap / 2;
    part(dl, rw2, 0, j + 1, 0, mid); psi = S; dpsi = DS;
    part(dl, rw2, j + 1, k, 0, mid); phi = S; dphi = DS;
    if (1 + psi + phi >= 0) { org = j; lo = 0; hi = gap / 2; tau = gap / 2; }
    else { org = j + 1; lo = -gap / 2; hi = 0; tau = -gap / 2; }
  } else {
    let s: f64 = 0;
    for (let i = 0; i < k; i++) s += ld(rw2, i);
    org = k - 1; lo = 0; hi = s; tau = s / 2;
    const base0 = ld(dl, org);
    part(dl, rw2, 0, j + 1, base0, tau); psi = S; dpsi = DS;
    phi = 0; dphi = 0;
  }
  const base = ld(dl, org);
  const a = ld(dl, j) - base, b = j < k - 1 ? ld(dl, j + 1) - base : Infinity;
  for (let it = 0; it < 200; it++) {
    if (it > 0) {
      part(dl, rw2, 0, j + 1, base, tau); psi = S; dpsi = DS;
      part(dl, rw2, j + 1, k, base, tau); phi = S; dphi = DS;
    }
    const f = 1 + psi + phi;
    if (abs(f) <= 8 * EPS * <f64>k * (1 + abs(psi) + abs(phi))) break;
    if (f < 0) lo = max(lo, tau);
    else hi = min(hi, tau);
    // Two-pole model: psi ~ p + q/(a - t), phi ~ r + s/(b - t), matching values and slopes at tau.
    const da = a - tau, q = dpsi * da * da;
    let next: f64;
    if (j < k - 1) {
      const db = b - tau, sq = dphi * db * db, c = 1 + psi - dpsi * da + phi - dphi * db;
      // c (a - t)(b - t) + q (b - t) + sq (a - t) = 0, the root between the poles a and b
      const B = c * (a + b) + q + sq, C0 = c * a * b + q * b + sq * a;
      if (c == 0) next = C0 / B;
      else {
        const disc = sqrt(max(0, B * B - 4 * c * C0));
        const r1 = B >= 0 ? (B + disc) / (2 * c) : (B - disc) / (2 * c), r2 = C0 / (c * r1);
        next = r1 > min(a, b) && r1 < max(a, b) ? r1 : r2;
      }
    } else {
      const c = 1 + psi - dpsi * da;
      next = a + q / c;
    }
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (abs(next - tau) <= 2 * EPS * abs(next) || hi - lo <= 4 * EPS * max(abs(lo), abs(hi))) {
      tau = next;
      break;
    }
    tau = next;
  }
  for (let i = 0; i < k; i++) st(u, i, ld(dl, i) - base - tau);
  return base + tau;
}

export function dc_roots64(k: i32, dl: usize, rw2: usize, U: usize, lam: usize, j0: i32, j1: i32): void {
  for (let j = j0; j < j1; j++) st(lam, j, root(k, dl, rw2, j, U + (<usize>j * <usize>k << 3)));
}

/** zh[i] = product over the range's roots j of delta_ij / (dl_i - dl_j) (j != i), times delta_ii. */
export function dc_loewner64(k: i32, dl: usize, U: usize, zh: usize, j0: i32, j1: i32): void {
  const one = f64x2.splat(1);
  let i = 0;
  for (; i + 2 <= k; i += 2) v128.store(zh + (<usize>i << 3), one);
  for (; i < k; i++) st(zh, i, 1);
  for (let j = j0; j < j1; j++) {
    const row = U + (<usize>j * <usize>k << 3), dj = ld(dl, j), vd = f64x2.splat(dj);
    ratios(row, dl, zh, 0, j, dj, vd);
    st(zh, j, ld(zh, j) * ld(row, j));
    ratios(row, dl, zh, j + 1, k, dj, vd);
  }
}

@inline function ratios(row: usize, dl: usize, zh: usize, i0: i32, i1: i32, dj: f64, vd: v128): void {
  let i = i0;
  for (; i + 2 <= i1; i += 2) {
    const o = <usize>i << 3;
    v128.store(zh + o, f64x2.mul(v128.load(zh + o), f64x2.div(v128.load(row + o), f64x2.sub(v128.load(dl + o), vd))));
  }
  for (; i < i1; i++) st(zh, i, ld(zh, i) * (ld(row, i) / (ld(dl, i) - dj)));
}

export function dc_vectors64(k: i32, zh: usize, U: usize, grp: usize, tmp: usize, j0: i32, j1: i32): void {
  for (let j = j0; j < j1; j++) {
    const row = U + (<usize>j * <usize>k << 3);
    let n2 = f64x2.splat(0);
    let i = 0;
    for (; i + 2 <= k; i += 2) {
      const o = <usize>i << 3, v = f64x2.div(v128.load(zh + o), v128.load(row + o));
      v128.store(tmp + o, v);
      n2 = f64x2.add(n2, f64x2.mul(v, v));
    }
    let nrm = f64x2.extract_lane(n2, 0) + f64x2.extract_lane(n2, 1);
    for (; i < k; i++) {
      const v = ld(zh, i) / ld(row, i);
      st(tmp, i, v);
      nrm += v * v;
    }
    nrm = 1 / sqrt(nrm);
    for (let g = 0; g < k; g++) st(row, g, ld(tmp, load<i32>(grp + (<usize>g << 2))) * nrm);
  }
}

/**
 * out[r, c] = src[r, idx[c]] for rows [r0, r1), c < k (row strides lds, ldo in doubles; idx i32):
 * a merge's columns of Q gathered in the order the product wants them.
 */
export function dc_gather64(k: i32, src: usize, lds: i32, idx: usize, out: usize, ldo: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const s = src + (<usize>r * <usize>lds << 3), o = out + (<usize>r * <usize>ldo << 3);
    for (let c = 0; c < k; c++) st(o, c, ld(s, load<i32>(idx + (<usize>c << 2))));
  }
}
