// Step Jacobians against central differences of the cell itself, J^T against J, products
// against the dense product, and the spectra of known matrices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecurrentStack, Rng, getBackend, init, largestSingularValue, tsBackend } from 'recur-rnn';
import { jsProducts, recurrentProducts } from '../../src/layers/cells/products.js';
import { jacobianProduct, stepJacobian, weightSpectrum } from 'recur-rnn/diagnostics';
import { randn } from '../helpers.js';

const I = 3,
  H = 5,
  T = 4,
  B = 2;

function make(cell: string, seed: number): RecurrentStack {
  const o = { inputSize: I, hiddenSize: H, dtype: 'float64' as const, seed };
  // Larger weights than the default so that the nonlinearities are well away from linear.
  const s =
    cell === 'tanh' || cell === 'relu'
      ? new RecurrentStack('rnn', { ...o, nonlinearity: cell })
      : new RecurrentStack(cell === 'indrnn-tanh' ? 'indrnn' : (cell as 'lstm' | 'gru' | 'indrnn'), {
          ...o,
          nonlinearity: cell === 'indrnn-tanh' ? 'tanh' : undefined,
        });
  const p = s.params.data,
    r = randn(p.length, seed + 100, 0.8);
  for (let i = 0; i < p.length; i++) p[i] = r[i]!;
  return s;
}

for (const cell of ['tanh', 'relu', 'gru', 'lstm', 'indrnn', 'indrnn-tanh']) {
  test(`${cell}: step Jacobian matches central differences of one step; J^T is its transpose`, () => {
    const a = make(cell, 7),
      b = make(cell, 7);
    const x = { shape: [T, B, I], data: randn(T * B * I, 3) as Float64Array };
    a.forward(x);
    const core = a.cores[0]!,
      c = core.cache();
    const lstm = cell === 'lstm',
      n = lstm ? 2 * H : H;
    for (const [t, row] of [
      [0, 0],
      [2, 1],
      [3, 0],
    ] as const) {
      const J = stepJacobian(core, t, row);
      assert.equal(J.n, n);
      // s_t as a function of s_{t-1}, through a second copy of the layer run for one step.
      const s0 = new Float64Array(n);
      for (let j = 0; j < H; j++) {
        s0[j] = c.HS[(t * B + row) * H + j]!;
        if (lstm) s0[H + j] = c.CS![(t * B + row) * H + j]!;
      }
      const xt = { shape: [1, 1, I], data: Float64Array.from({ length: I }, (_, k) => x.data[(t * B + row) * I + k]!) };
      const step = (s: Float64Array) => {
        const out = b.forward(xt, {
          h0: { shape: [1, 1, H], data: s.slice(0, H) },
          c0: lstm ? { shape: [1, 1, H], data: s.slice(H) } : undefined,
        });
        return Float64Array.from([...out.hN.data, ...(lstm ? out.cN!.data : [])]);
      };
      const v = randn(n, 11 + t) as Float64Array,
        u = randn(n, 23 + t) as Float64Array,
        eps = 1e-6;
      const plus = step(s0.map((s, j) => s + eps * v[j]!)),
        minus = step(s0.map((s, j) => s - eps * v[j]!));
      const Jv = new Float64Array(n),
        JTu = new Float64Array(n);
      J.apply(v, Jv);
      J.applyT(u, JTu);
      for (let j = 0; j < n; j++) {
        const fd = (plus[j]! - minus[j]!) / (2 * eps);
        assert.ok(
          Math.abs(fd - Jv[j]!) < 1e-6 * Math.max(1, Math.abs(fd)),
          `${cell} t=${t} j=${j}: fd ${fd} vs J v ${Jv[j]}`,
        );
      }
      const uJv = u.reduce((s, ui, j) => s + ui * Jv[j]!, 0),
        JTuv = v.reduce((s, vi, j) => s + vi * JTu[j]!, 0);
      assert.ok(
        Math.abs(uJv - JTuv) < 1e-10 * Math.max(1, Math.abs(uJv)),
        `${cell}: u.(Jv) ${uJv} vs (J^T u).v ${JTuv}`,
      );
    }
  });
}

test('jacobianProduct: sigma of the product equals that of the dense product', () => {
  for (const cell of ['tanh', 'gru', 'lstm', 'indrnn-tanh']) {
    const a = make(cell, 5);
    a.forward({ shape: [T, B, I], data: randn(T * B * I, 9) as Float64Array });
    const core = a.cores[0]!,
      w = 3;
    const Js = [1, 2, 3].map((t) => stepJacobian(core, t, 1)),
      n = Js[0]!.n;
    const P = new Float64Array(n * n); // dense J_3 J_2 J_1, column by column
    for (let j = 0; j < n; j++) {
      let v = new Float64Array(n);
      v[j] = 1;
      for (const J of Js) {
        const o = new Float64Array(n);
        J.apply(v, o);
        v = o;
      }
      for (let i = 0; i < n; i++) P[i * n + j] = v[i]!;
    }
    const r = jacobianProduct(core, { window: w, b: 1, iters: 500 });
    const dense = largestSingularValue(P, n, n);
    assert.equal(r.window, 3);
    assert.ok(Math.abs(r.sigma - dense) < 1e-6 * dense, `${cell}: ${r.sigma} vs dense ${dense}`);
    assert.ok(Math.abs(r.perStep - dense ** (1 / 3)) < 1e-6);
    assert.ok(r.rho <= r.sigma * (1 + 1e-3), `${cell}: rho ${r.rho} <= sigma ${r.sigma}`);
  }
  const a = make('tanh', 1);
  a.forward({ shape: [T, B, I], data: randn(T * B * I, 9) as Float64Array });
  assert.throws(() => stepJacobian(a.cores[0]!, T, 0), /t must be in \[0, 4\), got 4/);
  assert.throws(() => stepJacobian(a.cores[0]!, 0, B), /batch row must be in \[0, 2\), got 2/);
});

test('weightSpectrum: orthogonal blocks have rho = sigma = 1; scaling scales both; shape is checked', () => {
  const Hh = 16,
    rng = new Rng(3),
    W = new Float32Array(4 * Hh * Hh);
  for (let g = 0; g < 4; g++) init.orthogonal(W.subarray(g * Hh * Hh, (g + 1) * Hh * Hh), Hh, Hh, rng);
  for (let i = 2 * Hh * Hh; i < 3 * Hh * Hh; i++) W[i]! *= 0.5; // gate g at half
  const s = weightSpectrum(W, 4, Hh, { iters: 400, gates: ['i', 'f', 'g', 'o'] });
  assert.deepEqual(
    s.gates.map((g) => g.gate),
    ['i', 'f', 'g', 'o'],
  );
  for (const g of s.gates) {
    const want = g.gate === 'g' ? 0.5 : 1;
    assert.ok(Math.abs(g.sigma - want) < 1e-4, `${g.gate} sigma ${g.sigma}`);
    assert.ok(Math.abs(g.rho - want) < 0.02, `${g.gate} rho ${g.rho}`);
  }
  // Stacked orthogonal blocks: W^T W = sum of 3 identities and a quarter one.
  assert.ok(Math.abs(s.sigma - Math.sqrt(3.25)) < 1e-4, `whole sigma ${s.sigma}`);
  assert.throws(() => weightSpectrum(W, 3, Hh), /must hold G\*H\*H = 768 values, got 1024/);
});

test("W_hh's products on the wasm backend's float64 kernels equal the JavaScript loops (G = 1, 3, 4)", () => {
  const be = getBackend('wasm');
  assert.ok(be.linalg, 'the wasm backend has float64 kernels');
  for (const G of [1, 3, 4])
    for (const H of [1, 5, 17, 33]) {
      const W = Float32Array.from(randn(G * H * H, 10 * G + H, 0.5));
      const fast = recurrentProducts(be, W, G, H),
        ref = jsProducts(W, G, H);
      const x = new Float64Array(randn(H, H, 1)),
        u = new Float64Array(randn(G * H, H + 1, 1));
      const y1 = new Float64Array(G * H),
        y2 = new Float64Array(G * H);
      fast.mv(x, y1);
      ref.mv(x, y2);
      for (let i = 0; i < G * H; i++)
        assert.ok(Math.abs(y1[i]! - y2[i]!) <= 1e-12 * (1 + Math.abs(y2[i]!)), `mv G=${G} H=${H}`);
      for (const acc of [false, true]) {
        const z1 = new Float64Array(randn(H, 99, 1)),
          z2 = Float64Array.from(z1);
        fast.mtv(u, z1, acc);
        ref.mtv(u, z2, acc);
        for (let j = 0; j < H; j++)
          assert.ok(Math.abs(z1[j]! - z2[j]!) <= 1e-12 * (1 + Math.abs(z2[j]!)), `mtv acc=${acc} G=${G} H=${H}`);
        assert.notDeepEqual(z1, new Float64Array(H));
      }
      fast.release();
    }
  // Where the backend has no float64 kernels (ts), the loops themselves.
  const W = Float32Array.from(randn(16, 1));
  const y = new Float64Array(4);
  recurrentProducts(tsBackend, W, 1, 4).mv(Float64Array.of(1, 0, 0, 0), y);
  assert.deepEqual(Array.from(y), [W[0], W[4], W[8], W[12]]);
});
