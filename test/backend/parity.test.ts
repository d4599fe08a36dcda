// Every kernel of every available backend against the ts reference (DESIGN.md, decision 5):
// odd sizes (1, 3, 17, 129) so that SIMD tails and register-tile edges are hit, non-zero
// offsets, operands both inside the backend's memory (alloc) and outside it (staged copies),
// extreme pre-activations for the exp clamp. Tolerance: 1e-5 relative (max-abs normalised).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACT, type Activation, type Backend, getBackend, listBackends, tsBackend } from 'recur-rnn';
import { createWasmBackend, relaxedSimdAvailable, type WasmBackend } from 'recur-rnn/backend';
import { allowRelaxedSimd } from '../../src/node/relaxed_simd.js';
import { KERNEL_ARGS } from '../../src/backend/backend.js';
import { randn, relErr } from '../helpers.js';

const TOL = 1e-5;
const SIZES = [1, 3, 17, 129];
// The registered backends, and both builds of the wasm kernels (plain SIMD and, where the engine
// runs it, relaxed SIMD with fused multiply-adds) as separate instances.
allowRelaxedSimd();
const others: Backend[] = listBackends()
  .filter((n) => n !== 'ts')
  .map((n) => getBackend(n));
if (listBackends().includes('wasm')) {
  others.push(createWasmBackend({ relaxed: false }).backend);
  if (relaxedSimdAvailable()) others.push(createWasmBackend({ relaxed: true }).backend);
}
const label = (be: Backend) => `${be.name}${(be as WasmBackend).build ? `/${(be as WasmBackend).build}` : ''}`;

/** n random floats after `off` leading junk values, in the backend's memory when `inside`. */
function arr(be: Backend, n: number, seed: number, off: number, inside: boolean, scale = 1): Float32Array {
  const a = inside && be.alloc ? be.alloc(n + off) : new Float32Array(n + off);
  a.set(randn(n + off, seed, scale, false));
  return a;
}

function close(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  const e = relErr(a, b);
  assert.ok(e <= TOL, `${what}: relative error ${e.toExponential(2)} > ${TOL}`);
}

test('every kernel of the argument table has a reference and a method on each wasm build', () => {
  const names = Object.keys(KERNEL_ARGS) as (keyof typeof KERNEL_ARGS)[];
  assert.ok(names.length >= 11);
  for (const name of names) {
    assert.equal(typeof tsBackend[name], 'function', `tsBackend.${name}`);
    for (const be of others) assert.equal(typeof be[name], 'function', `${label(be)}.${name}`);
  }
});

test('at least the ts backend is registered, and wasm where WebAssembly SIMD exists', () => {
  assert.ok(listBackends().includes('ts'));
  if (typeof WebAssembly === 'object') assert.ok(listBackends().includes('wasm'), `backends: ${listBackends()}`);
});

for (const be of others) {
  test(`[${label(be)}] gemm: every transpose/accumulate flag, sizes 1, 3, 17, 129 and K past one block`, () => {
    let seed = 1;
    const cases: [number, number, number][] = [];
    for (const M of SIZES) for (const N of SIZES) for (const K of SIZES) cases.push([M, N, K]);
    cases.push([5, 9, 300], [64, 2, 300], [129, 520, 2], [32, 512, 128], [2, 7, 600]);
    for (const [M, N, K] of cases) {
      for (const tA of [false, true])
        for (const tB of [false, true])
          for (const acc of [false, true]) {
            const inside = seed % 3 !== 0,
              off = seed % 5;
            const A = arr(be, M * K, seed++, off, inside),
              B = arr(be, K * N, seed++, off + 1, inside);
            const C = arr(be, M * N, seed++, 2, seed % 2 === 0),
              R = Float32Array.from(C);
            be.gemm(tA, tB, acc, M, N, K, A, off, B, off + 1, C, 2);
            tsBackend.gemm(tA, tB, acc, M, N, K, A, off, B, off + 1, R, 2);
            close(`gemm tA=${tA} tB=${tB} acc=${acc} M=${M} N=${N} K=${K}`, C, R);
          }
    }
  });

  test(`[${label(be)}] fillRows, colSumAcc, sumSq`, () => {
    let seed = 100;
    for (const rows of SIZES)
      for (const cols of SIZES) {
        const inside = seed % 2 === 0;
        const bias = arr(be, cols, seed++, 1, inside);
        const out = arr(be, rows * cols, seed++, 3, !inside),
          ref = Float32Array.from(out);
        be.fillRows(rows, cols, out, 3, bias, 1);
        tsBackend.fillRows(rows, cols, ref, 3, bias, 1);
        close(`fillRows ${rows}x${cols}`, out, ref);
        const X = arr(be, rows * cols, seed++, 2, inside);
        const d = arr(be, cols, seed++, 1, !inside),
          dr = Float32Array.from(d);
        be.colSumAcc(rows, cols, d, 1, X, 2);
        tsBackend.colSumAcc(rows, cols, dr, 1, X, 2);
        close(`colSumAcc ${rows}x${cols}`, d, dr);
        const n = rows * cols;
        const s = be.sumSq(n, X, 2),
          sr = tsBackend.sumSq(n, X, 2);
        assert.ok(Math.abs(s - sr) <= TOL * sr, `sumSq n=${n}: ${s} vs ${sr}`);
      }
  });

  test(`[${label(be)}] actForward / actBackward for every activation, including saturated inputs`, () => {
    let seed = 200;
    for (const act of ['tanh', 'relu', 'sigmoid', 'identity'] as Activation[]) {
      for (const n of [...SIZES, 1000]) {
        const x = arr(be, n, seed++, 1, seed % 2 === 0, 4);
        if (n === 1000) for (let i = 0; i < 20; i++) x[1 + i * 7] = (i % 2 ? 1 : -1) * (30 + i * 10); // clamp range
        const r = Float32Array.from(x);
        be.actForward(ACT[act], n, x, 1);
        tsBackend.actForward(ACT[act], n, r, 1);
        close(`actForward ${act} n=${n}`, x, r);
        const dy = arr(be, n, seed++, 0, true),
          dx = arr(be, n, seed++, 2, false),
          dxr = Float32Array.from(dx);
        be.actBackward(ACT[act], n, r, 1, dy, 0, dx, 2);
        tsBackend.actBackward(ACT[act], n, r, 1, dy, 0, dxr, 2);
        close(`actBackward ${act} n=${n}`, dx, dxr);
      }
    }
  });

  test(`[${label(be)}] lstmCell and lstmCellBackward`, () => {
    let seed = 300;
    for (const B of [1, 3])
      for (const H of SIZES) {
        const inside = seed % 2 === 0,
          BH = B * H;
        const gates = arr(be, 4 * BH, seed++, 1, inside, 3),
          gr = Float32Array.from(gates);
        gates[1] = gr[1] = 60;
        if (4 * BH > 2) gates[2] = gr[2] = -60;
        const cs = arr(be, 2 * BH, seed++, 0, inside),
          csr = Float32Array.from(cs); // CS[t], CS[t+1] in one array
        const tc = arr(be, BH, seed++, 0, !inside),
          tcr = Float32Array.from(tc);
        const h = arr(be, BH, seed++, 1, inside),
          hr = Float32Array.from(h);
        be.lstmCell(B, H, gates, 1, cs, 0, cs, BH, tc, 0, h, 1);
        tsBackend.lstmCell(B, H, gr, 1, csr, 0, csr, BH, tcr, 0, hr, 1);
        close(`lstmCell B=${B} H=${H} gates`, gates, gr);
        close('c', cs, csr);
        close('tanh c', tc, tcr);
        close('h', h, hr);
        const dh = arr(be, BH, seed++, 0, inside),
          dc = arr(be, BH, seed++, 2, !inside),
          dcr = Float32Array.from(dc);
        const dg = arr(be, 4 * BH, seed++, 1, inside),
          dgr = Float32Array.from(dg);
        be.lstmCellBackward(B, H, gates, 1, cs, 0, tc, 0, dh, 0, dc, 2, dg, 1);
        tsBackend.lstmCellBackward(B, H, gr, 1, csr, 0, tcr, 0, dh, 0, dcr, 2, dgr, 1);
        close(`lstmCellBackward B=${B} H=${H} dgates`, dg, dgr);
        close('dc', dc, dcr);
      }
  });

  test(`[${label(be)}] lstmCell: a SIMD lane and the scalar tail give the same bits`, () => {
    // H = 5: units 0-3 run in f32x4 lanes, unit 4 in the scalar tail. Each batch row gives unit 4
    // the pre-activations and cell state of one of units 0-3, swept over the exp clamp and beyond,
    // so the vector exp (math.ts exp4) and the scalar one (exp1) must agree bit for bit.
    const B = 512,
      H = 5,
      BH = B * H;
    const gates = be.alloc ? be.alloc(4 * BH) : new Float32Array(4 * BH),
      cs = be.alloc ? be.alloc(2 * BH) : new Float32Array(2 * BH);
    const tc = new Float32Array(BH),
      h = new Float32Array(BH);
    for (let b = 0; b < B; b++) {
      const lane = b % 4;
      for (let g = 0; g < 4; g++)
        for (let u = 0; u < 4; u++) gates[b * 4 * H + g * H + u] = ((b * 7 + g * 3 + u) % 200) - 100 + b / B;
      for (let u = 0; u < 4; u++) cs[b * H + u] = Math.sin(b + u) * 5;
      for (let g = 0; g < 4; g++) gates[b * 4 * H + g * H + 4] = gates[b * 4 * H + g * H + lane];
      cs[b * H + 4] = cs[b * H + lane];
    }
    be.lstmCell(B, H, gates, 0, cs, 0, cs, BH, tc, 0, h, 0);
    for (let b = 0; b < B; b++) {
      const lane = b % 4;
      for (let g = 0; g < 4; g++)
        assert.equal(gates[b * 4 * H + g * H + 4], gates[b * 4 * H + g * H + lane], `row ${b} gate ${g}`);
      assert.equal(h[b * H + 4], h[b * H + lane], `row ${b} h`);
      assert.equal(tc[b * H + 4], tc[b * H + lane], `row ${b} tanh c`);
    }
  });

  test(`[${label(be)}] lstmSequence: the fused time loop against T gemm + lstmCell steps`, () => {
    let seed = 350;
    for (const [T, B, H] of [
      [1, 1, 1],
      [3, 1, 17],
      [5, 2, 3],
      [4, 3, 129],
      [2, 4, 64],
      [3, 5, 9], // past the fused kernel's batch limit: the per-step products
      [7, 1, 256],
      // from 8 steps with H % 8 == 0 the kernel packs W_hh first (lstm_seq.ts)
      [9, 1, 256],
      [12, 3, 64],
      [8, 4, 24],
      [10, 2, 8],
    ] as const) {
      const inside = seed % 2 === 0,
        BH = B * H;
      const xp = arr(be, 4 * T * BH, seed++, 1, inside, 2),
        xr = Float32Array.from(xp);
      const w = arr(be, 4 * H * H, seed++, 2, !inside, 1 / Math.sqrt(H));
      const hs = arr(be, (T + 1) * BH, seed++, 0, inside),
        hr = Float32Array.from(hs);
      const cs = arr(be, (T + 1) * BH, seed++, 3, inside),
        cr = Float32Array.from(cs);
      const tc = arr(be, T * BH, seed++, 1, !inside),
        tr = Float32Array.from(tc);
      be.lstmSequence(T, B, H, xp, 1, w, 2, hs, 0, cs, 3, tc, 1);
      tsBackend.lstmSequence(T, B, H, xr, 1, w, 2, hr, 0, cr, 3, tr, 1);
      close(`lstmSequence T=${T} B=${B} H=${H} gates`, xp, xr);
      close('h', hs, hr);
      close('c', cs, cr);
      close('tanh c', tc, tr);
    }
  });

  test(`[${label(be)}] lstmSequence: the packed W_hh (T >= 8) gives the same bits as row-major steps`, () => {
    // 12 steps in one call (packed) against 6 + 6 (each too short to pack), the state handed on.
    for (const [B, H] of [
      [1, 256],
      [3, 40],
    ] as const) {
      const T = 12,
        BH = B * H,
        half = 6;
      const xp = arr(be, 4 * T * BH, 600 + H, 0, true, 2),
        w = arr(be, 4 * H * H, 601 + H, 0, true, 1 / Math.sqrt(H));
      const hs = arr(be, (T + 1) * BH, 602 + H, 0, true),
        cs = arr(be, (T + 1) * BH, 603 + H, 0, true),
        tc = arr(be, T * BH, 604 + H, 0, true);
      const [xp2, hs2, cs2, tc2] = [xp, hs, cs, tc].map((a) => Float32Array.from(a));
      be.lstmSequence(T, B, H, xp, 0, w, 0, hs, 0, cs, 0, tc, 0);
      be.lstmSequence(half, B, H, xp2!, 0, w, 0, hs2!, 0, cs2!, 0, tc2!, 0);
      be.lstmSequence(half, B, H, xp2!, half * 4 * BH, w, 0, hs2!, half * BH, cs2!, half * BH, tc2!, half * BH);
      assert.deepEqual(hs, hs2, `h, B=${B} H=${H}`);
      assert.deepEqual(cs, cs2, `c, B=${B} H=${H}`);
      assert.deepEqual(xp, xp2, `gates, B=${B} H=${H}`);
    }
  });

  test(`[${label(be)}] gruCell and gruCellBackward`, () => {
    let seed = 400;
    for (const B of [1, 3])
      for (const H of SIZES) {
        const inside = seed % 2 === 1,
          BH = B * H;
        const xp = arr(be, 3 * BH, seed++, 2, inside, 3),
          xr = Float32Array.from(xp);
        const hp = arr(be, 3 * BH, seed++, 0, !inside, 2);
        const hs = arr(be, 2 * BH, seed++, 0, inside),
          hsr = Float32Array.from(hs);
        be.gruCell(B, H, xp, 2, hp, 0, hs, 0, hs, BH);
        tsBackend.gruCell(B, H, xr, 2, hp, 0, hsr, 0, hsr, BH);
        close(`gruCell B=${B} H=${H} gates`, xp, xr);
        close('h', hs, hsr);
        const dh = arr(be, BH, seed++, 1, inside);
        const dxp = arr(be, 3 * BH, seed++, 0, !inside),
          dxr = Float32Array.from(dxp);
        const dhp = arr(be, 3 * BH, seed++, 1, inside),
          dhr = Float32Array.from(dhp);
        const dprev = arr(be, BH, seed++, 0, inside),
          dpr = Float32Array.from(dprev);
        be.gruCellBackward(B, H, xp, 2, hp, 0, hs, 0, dh, 1, dxp, 0, dhp, 1, dprev, 0);
        tsBackend.gruCellBackward(B, H, xr, 2, hp, 0, hsr, 0, dh, 1, dxr, 0, dhr, 1, dpr, 0);
        close(`gruCellBackward B=${B} H=${H} dxp`, dxp, dxr);
        close('dhp', dhp, dhr);
        close('dhPrev', dprev, dpr);
      }
  });

  test(`[${label(be)}] indrnnCell and indrnnCellBackward, every activation`, () => {
    let seed = 500;
    for (const act of ['relu', 'tanh', 'sigmoid', 'identity'] as Activation[])
      for (const B of [1, 3])
        for (const H of SIZES) {
          const inside = seed % 2 === 0,
            BH = B * H;
          const xp = arr(be, BH, seed++, 2, inside, 3),
            xr = Float32Array.from(xp);
          const u = arr(be, H, seed++, 1, !inside),
            hs = arr(be, 2 * BH, seed++, 0, inside), // HS[t], HS[t+1] in one array
            hsr = Float32Array.from(hs);
          be.indrnnCell(ACT[act], B, H, xp, 2, u, 1, hs, 0, hs, BH);
          tsBackend.indrnnCell(ACT[act], B, H, xr, 2, u, 1, hsr, 0, hsr, BH);
          close(`indrnnCell ${act} B=${B} H=${H} xp`, xp, xr);
          close('h', hs, hsr);
          hs.set(hsr); // backward from the same h, so that only the backward kernel is compared
          const dh = arr(be, BH, seed++, 0, inside),
            dp = arr(be, BH, seed++, 1, !inside),
            dpr = Float32Array.from(dp),
            dprev = arr(be, BH, seed++, 0, inside),
            dprevr = Float32Array.from(dprev);
          be.indrnnCellBackward(ACT[act], B, H, hs, BH, u, 1, dh, 0, dp, 1, dprev, 0);
          tsBackend.indrnnCellBackward(ACT[act], B, H, hsr, BH, u, 1, dh, 0, dpr, 1, dprevr, 0);
          // Absolute error against max(|ref|, 1e-3): a saturated tanh's 1 - h^2 cancels in float32.
          for (const [what, got, want] of [
            ['dpre', dp, dpr],
            ['dhPrev', dprev, dprevr],
          ] as const) {
            const e = relErr(got, want, 1e-3);
            assert.ok(e <= TOL, `indrnnCellBackward ${act} B=${B} H=${H} ${what}: ${e.toExponential(2)}`);
          }
        }
  });

  test(`[${label(be)}] float64 operands run on the reference kernels`, () => {
    const A = Float64Array.from(randn(12, 1)),
      B = Float64Array.from(randn(12, 2));
    const C = new Float64Array(9),
      R = new Float64Array(9);
    be.gemm(false, false, false, 3, 3, 4, A, 0, B, 0, C, 0);
    tsBackend.gemm(false, false, false, 3, 3, 4, A, 0, B, 0, R, 0);
    assert.deepEqual(C, R);
  });
}
