// Fused gate kernels of the cells, forward and backward, vectorised over the hidden
// units of one row (f32x4) with a scalar tail. Pointers are byte addresses; the math is the
// reference backend's (src/backend/ts.ts), which documents each line.
// B = batch, H = hidden. Gate blocks inside a row are H floats apart.

// @ts-nocheck (AssemblyScript)
import { sigmoid1, sigmoid4, tanh1, tanh4 } from './math';

/** gates [B,4H] pre-activations -> i,f,g,o; c = f*cPrev + i*g; tc = tanh(c); h = o*tc. */
export function lstm_cell(B: i32, H: i32, gates: usize, cPrev: usize, c: usize, tc: usize, h: usize): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const g0 = gates + <usize>(b * 4 * H) * 4, r = <usize>(b * H) * 4;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = g0 + (<usize>j << 2), s = r + (<usize>j << 2);
      const iv = sigmoid4(v128.load(q)), fv = sigmoid4(v128.load(q + hb));
      const gv = tanh4(v128.load(q + 2 * hb)), ov = sigmoid4(v128.load(q + 3 * hb));
      v128.store(q, iv); v128.store(q + hb, fv); v128.store(q + 2 * hb, gv); v128.store(q + 3 * hb, ov);
      const cv = f32x4.add(f32x4.mul(fv, v128.load(cPrev + s)), f32x4.mul(iv, gv));
      const t = tanh4(cv);
      v128.store(c + s, cv); v128.store(tc + s, t); v128.store(h + s, f32x4.mul(ov, t));
    }
    for (; j < H; j++) {
      const q = g0 + (<usize>j << 2), s = r + (<usize>j << 2);
      const iv = sigmoid1(load<f32>(q)), fv = sigmoid1(load<f32>(q + hb));
      const gv = tanh1(load<f32>(q + 2 * hb)), ov = sigmoid1(load<f32>(q + 3 * hb));
      store<f32>(q, iv); store<f32>(q + hb, fv); store<f32>(q + 2 * hb, gv); store<f32>(q + 3 * hb, ov);
      const cv = fv * load<f32>(cPrev + s) + iv * gv;
      const t = tanh1(cv);
      store<f32>(c + s, cv); store<f32>(tc + s, t); store<f32>(h + s, ov * t);
    }
  }
}

/** dc [B,H] in: dL/dc_t, out: dL/dc_{t-1}; dgates [B,4H] written. */
export function lstm_cell_backward(
  B: i32, H: i32, gates: usize, cPrev: usize, tc: usize, dh: usize, dc: usize, dgates: usize,
): void {
  const hb = <usize>H << 2;
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const g0 = gates + <usize>(b * 4 * H) * 4, d0 = dgates + <usize>(b * 4 * H) * 4, r = <usize>(b * H) * 4;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = g0 + (<usize>j << 2), e = d0 + (<usize>j << 2), s = r + (<usize>j << 2);
      const iv = v128.load(q), fv = v128.load(q + hb), gv = v128.load(q + 2 * hb), ov = v128.load(q + 3 * hb);
      const t = v128.load(tc + s), dhv = v128.load(dh + s);
      const dcv = f32x4.add(v128.load(dc + s), f32x4.mul(f32x4.mul(dhv, ov), f32x4.sub(one, f32x4.mul(t, t))));
      v128.store(e, f32x4.mul(f32x4.mul(dcv, gv), f32x4.mul(iv, f32x4.sub(one, iv))));
      v128.store(e + hb, f32x4.mul(f32x4.mul(dcv, v128.load(cPrev + s)), f32x4.mul(fv, f32x4.sub(one, fv))));
      v128.store(e + 2 * hb, f32x4.mul(f32x4.mul(dcv, iv), f32x4.sub(one, f32x4.mul(gv, gv))));
      v128.store(e + 3 * hb, f32x4.mul(f32x4.mul(dhv, t), f32x4.mul(ov, f32x4.sub(one, ov))));
      v128.store(dc + s, f32x4.mul(dcv, fv));
    }
    for (; j < H; j++) {
      const q = g0 + (<usize>j << 2), e = d0 + (<usize>j << 2), s = r + (<usize>j << 2);
      const iv = load<f32>(q), fv = load<f32>(q + hb), gv = load<f32>(q + 2 * hb), ov = load<f32>(q + 3 * hb);
      const t = load<f32>(tc + s), dhv = load<f32>(dh + s);
      const dcv = load<f32>(dc + s) + (dhv * ov) * (1 - t * t);
      store<f32>(e, (dcv * gv) * (iv * (1 - iv)));
      store<f32>(e + hb, (dcv * load<f32>(cPrev + s)) * (fv * (1 - fv)));
      store<f32>(e + 2 * hb, (dcv * iv) * (1 - gv * gv));
      store<f32>(e + 3 * hb, (dhv * t) * (ov * (1 - ov)));
      store<f32>(dc + s, dcv * fv);
    }
  }
}

/** xp [B,3H] -> r,z,n; hp [B,3H] = W_hh h + b_hh; h = (1-z)*n + z*hPrev. */
export function gru_cell(B: i32, H: i32, xp: usize, hp: usize, hPrev: usize, h: usize): void {
  const hb = <usize>H << 2;
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const x0 = xp + <usize>(b * 3 * H) * 4, p0 = hp + <usize>(b * 3 * H) * 4, r0 = <usize>(b * H) * 4;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = x0 + (<usize>j << 2), p = p0 + (<usize>j << 2), s = r0 + (<usize>j << 2);
      const r = sigmoid4(f32x4.add(v128.load(q), v128.load(p)));
      const z = sigmoid4(f32x4.add(v128.load(q + hb), v128.load(p + hb)));
      const n = tanh4(f32x4.add(v128.load(q + 2 * hb), f32x4.mul(r, v128.load(p + 2 * hb))));
      v128.store(q, r); v128.store(q + hb, z); v128.store(q + 2 * hb, n);
      v128.store(h + s, f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, v128.load(hPrev + s))));
    }
    for (; j < H; j++) {
      const q = x0 + (<usize>j << 2), p = p0 + (<usize>j << 2), s = r0 + (<usize>j << 2);
      const r = sigmoid1(load<f32>(q) + load<f32>(p));
      const z = sigmoid1(load<f32>(q + hb) + load<f32>(p + hb));
      const n = tanh1(load<f32>(q + 2 * hb) + r * load<f32>(p + 2 * hb));
      store<f32>(q, r); store<f32>(q + hb, z); store<f32>(q + 2 * hb, n);
      store<f32>(h + s, (1 - z) * n + z * load<f32>(hPrev + s));
    }
  }
}

/** Writes dxp, dhp [B,3H] and dhPrev = z*dh [B,H]. */
export function gru_cell_backward(
  B: i32, H: i32, gates: usize, hp: usize, hPrev: usize, dh: usize, dxp: usize, dhp: usize, dhPrev: usize,
): void {
  const hb = <usize>H << 2;
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const off3 = <usize>(b * 3 * H) * 4, r0 = <usize>(b * H) * 4;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = off3 + (<usize>j << 2), s = r0 + (<usize>j << 2);
      const r = v128.load(gates + o), z = v128.load(gates + o + hb), n = v128.load(gates + o + 2 * hb);
      const d = v128.load(dh + s), hv = v128.load(hPrev + s);
      const dan = f32x4.mul(f32x4.mul(d, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
      const daz = f32x4.mul(f32x4.mul(d, f32x4.sub(hv, n)), f32x4.mul(z, f32x4.sub(one, z)));
      const dar = f32x4.mul(f32x4.mul(dan, v128.load(hp + o + 2 * hb)), f32x4.mul(r, f32x4.sub(one, r)));
      v128.store(dxp + o, dar); v128.store(dxp + o + hb, daz); v128.store(dxp + o + 2 * hb, dan);
      v128.store(dhp + o, dar); v128.store(dhp + o + hb, daz); v128.store(dhp + o + 2 * hb, f32x4.mul(dan, r));
      v128.store(dhPrev + s, f32x4.mul(d, z));
    }
    for (; j < H; j++) {
      const o = off3 + (<usize>j << 2), s = r0 + (<usize>j << 2);
      const r = load<f32>(gates + o), z = load<f32>(gates + o + hb), n = load<f32>(gates + o + 2 * hb);
      const d = load<f32>(dh + s), hv = load<f32>(hPrev + s);
      const dan = (d * (1 - z)) * (1 - n * n);
      const daz = (d * (hv - n)) * (z * (1 - z));
      const dar = (dan * load<f32>(hp + o + 2 * hb)) * (r * (1 - r));
      store<f32>(dxp + o, dar); store<f32>(dxp + o + hb, daz); store<f32>(dxp + o + 2 * hb, dan);
      store<f32>(dhp + o, dar); store<f32>(dhp + o + hb, daz); store<f32>(dhp + o + 2 * hb, dan * r);
      store<f32>(dhPrev + s, d * z);
    }
  }
}

// Activation codes shared with the loader: 0 tanh, 1 relu, 2 sigmoid, 3 identity.

/** x = act(x) in place over n floats. */
export function act_forward(act: i32, n: i32, x: usize): void {
  if (act == 3) return;
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = x + (<usize>i << 2), v = v128.load(p);
    v128.store(p, act == 0 ? tanh4(v) : act == 1 ? f32x4.max(v, zero) : sigmoid4(v));
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 2), v = load<f32>(p);
    store<f32>(p, act == 0 ? tanh1(v) : act == 1 ? (v > 0 ? v : 0) : sigmoid1(v));
  }
}

/** dx = dy * act'(.) read off y = act(pre). */
export function act_backward(act: i32, n: i32, y: usize, dy: usize, dx: usize): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, v = v128.load(y + o), g = v128.load(dy + o);
    v128.store(dx + o, act == 0 ? f32x4.mul(g, f32x4.sub(one, f32x4.mul(v, v)))
      : act == 1 ? v128.and(g, f32x4.gt(v, zero))
      : act == 2 ? f32x4.mul(f32x4.mul(g, v), f32x4.sub(one, v)) : g);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2, v = load<f32>(y + o), g = load<f32>(dy + o);
    store<f32>(dx + o, act == 0 ? g * (1 - v * v) : act == 1 ? (v > 0 ? g : 0) : act == 2 ? (g * v) * (1 - v) : g);
  }
}

/** IndRNN: h = act(xp + u * hPrev), u [H] broadcast over the rows; xp [B,H] is overwritten with h. */
export function indrnn_cell(act: i32, B: i32, H: i32, xp: usize, u: usize, hPrev: usize, h: usize): void {
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const r = <usize>(b * H) * 4;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = r + (<usize>j << 2);
      const v = f32x4.add(v128.load(xp + o), f32x4.mul(v128.load(u + (<usize>j << 2)), v128.load(hPrev + o)));
      const y = act == 0 ? tanh4(v) : act == 1 ? f32x4.max(v, zero) : act == 2 ? sigmoid4(v) : v;
      v128.store(xp + o, y); v128.store(h + o, y);
    }
    for (; j < H; j++) {
      const o = r + (<usize>j << 2);
      const v = load<f32>(xp + o) + load<f32>(u + (<usize>j << 2)) * load<f32>(hPrev + o);
      const y: f32 = act == 0 ? tanh1(v) : act == 1 ? (v > 0 ? v : 0) : act == 2 ? sigmoid1(v) : v;
      store<f32>(xp + o, y); store<f32>(h + o, y);
    }
  }
}

/** IndRNN backward: dpre = dh * act'(h) read off h; dhPrev = dpre * u. */
export function indrnn_cell_backward(act: i32, B: i32, H: i32, h: usize, u: usize, dh: usize, dpre: usize,
  dhPrev: usize): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const r = <usize>(b * H) * 4;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = r + (<usize>j << 2), y = v128.load(h + o), g = v128.load(dh + o);
      const d = act == 0 ? f32x4.mul(g, f32x4.sub(one, f32x4.mul(y, y)))
        : act == 1 ? v128.and(g, f32x4.gt(y, zero))
        : act == 2 ? f32x4.mul(f32x4.mul(g, y), f32x4.sub(one, y)) : g;
      v128.store(dpre + o, d); v128.store(dhPrev + o, f32x4.mul(d, v128.load(u + (<usize>j << 2))));
    }
    for (; j < H; j++) {
      const o = r + (<usize>j << 2), y = load<f32>(h + o), g = load<f32>(dh + o);
      const d: f32 = act == 0 ? g * (1 - y * y) : act == 1 ? (y > 0 ? g : 0) : act == 2 ? (g * y) * (1 - y) : g;
      store<f32>(dpre + o, d); store<f32>(dhPrev + o, d * load<f32>(u + (<usize>j << 2)));
    }
  }
}
