// The float64 products (assembly/gemm64.ts through the wasm backend) against the ts reference:
// gemm on Float64Arrays for every transpose/accumulate flag, and the upper-triangular
// symmetric rank-k update syrkUpper, on odd sizes (1, 3, 17, 129: register-tile edges and
// zero-padded panels), K past one packed block (256), non-zero offsets, operands inside the
// kernels' memory (alloc64) and outside it (staged copies); the strided gemmNT64 of the blocked
// Cholesky; the CSR mat-vec of the reservoir step (bit-identical). Tolerance: 1e-12 relative.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Backend,
  gemmNT64Ref,
  linalgOf,
  getBackend,
  listBackends,
  setBackend,
  syrkUpperRef,
  tsBackend,
} from 'recur-rnn/backend';
import { csrMatVecBatch } from 'recur-rnn/esn';
import { randn, relErr } from '../helpers.js';

const TOL = 1e-12;
const SIZES = [1, 3, 17, 129];
/** A backend's float64 kernels (every backend but ts has its own). */
const L = (be: Backend) => be.linalg!;
const others = listBackends()
  .filter((n) => n !== 'ts')
  .map((n) => getBackend(n));

/** n random doubles after `off` leading junk values, in the backend's memory when `inside`. */
function arr(be: Backend, n: number, seed: number, off: number, inside: boolean): Float64Array {
  const a = inside && be.linalg ? be.linalg.alloc64(n + off) : new Float64Array(n + off);
  a.set(randn(n + off, seed));
  return a;
}

function close(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  const e = relErr(a, b);
  assert.ok(e <= TOL, `${what}: relative error ${e.toExponential(2)} > ${TOL}`);
}

test('ts syrkUpperRef matches the upper triangle of A^T A from gemm', () => {
  const M = 7,
    K = 5,
    A = randn(M * K, 1) as Float64Array;
  const C = new Float64Array(M * M),
    R = new Float64Array(M * M);
  syrkUpperRef(false, M, K, A, 0, C, 0);
  tsBackend.gemm(true, false, false, M, M, K, A, 0, A, 0, R, 0);
  for (let i = 0; i < M; i++) for (let j = i; j < M; j++) assert.ok(Math.abs(C[i * M + j]! - R[i * M + j]!) < 1e-12);
});

for (const be of others) {
  test(`[${be.name}] float64 gemm: every transpose/accumulate flag, sizes 1, 3, 17, 129 and K past one block`, () => {
    let seed = 1;
    const cases: [number, number, number][] = [];
    for (const M of SIZES) for (const N of SIZES) for (const K of SIZES) cases.push([M, N, K]);
    cases.push([5, 9, 300], [64, 2, 300], [129, 520, 2], [6, 130, 513], [2, 7, 600]);
    for (const [M, N, K] of cases) {
      for (const tA of [false, true])
        for (const tB of [false, true])
          for (const acc of [false, true]) {
            const inside = seed % 3 !== 0,
              off = seed % 5;
            const A = arr(be, M * K, seed++, off, inside),
              B = arr(be, K * N, seed++, off + 1, !inside);
            const C = arr(be, M * N, seed++, 2, seed % 2 === 0),
              R = Float64Array.from(C);
            be.gemm(tA, tB, acc, M, N, K, A, off, B, off + 1, C, 2);
            tsBackend.gemm(tA, tB, acc, M, N, K, A, off, B, off + 1, R, 2);
            close(`gemm64 tA=${tA} tB=${tB} acc=${acc} M=${M} N=${N} K=${K}`, C, R);
          }
    }
  });

  test(`[${be.name}] syrkUpper (A^T A, upper triangle): odd sizes, K past one block, inside and outside memory`, () => {
    assert.ok(be.linalg, 'the backend has its own float64 kernels');
    let seed = 500;
    for (const M of [...SIZES, 4, 8, 130, 257])
      for (const K of [1, 3, 17, 256, 300])
        for (const acc of [false, true]) {
          const inside = seed % 2 === 0,
            off = seed % 3;
          const A = arr(be, K * M, seed++, off, inside);
          const C = arr(be, M * M, seed++, 1, !inside),
            R = Float64Array.from(C);
          L(be).syrkUpper(acc, M, K, A, off, C, 1);
          syrkUpperRef(acc, M, K, A, off, R, 1);
          const up = (X: Float64Array) => {
            const u: number[] = [];
            for (let i = 0; i < M; i++) for (let j = i; j < M; j++) u.push(X[1 + i * M + j]!);
            return u;
          };
          close(`syrkUpper M=${M} K=${K} acc=${acc} inside=${inside}`, up(C), up(R));
          assert.equal(C[0], R[0], 'the value before the offset is untouched');
        }
  });

  test(`[${be.name}] alloc64 gives zeroed doubles in the kernels' memory; free gives them back`, () => {
    const a = L(be).alloc64(33);
    assert.ok(a instanceof Float64Array);
    assert.equal(a.length, 33);
    assert.ok(a.every((v) => v === 0));
    a.fill(1.5);
    be.free?.(a);
    const b = L(be).alloc64(33);
    assert.ok(
      b.every((v) => v === 0),
      'a reused block is zeroed',
    );
  });
}

for (const be of others) {
  test(`[${be.name}] gemmNT64 on strided sub-blocks of one matrix, alpha = -1 and 0.5`, () => {
    let seed = 900;
    for (const [M, N, K] of [
      [1, 1, 1],
      [3, 17, 5],
      [17, 3, 129],
      [129, 64, 300],
      [130, 7, 257],
    ] as const) {
      for (const alpha of [-1, 0.5]) {
        const ld = M + N + K + 3,
          rows = Math.max(M, N) + 2;
        const X = arr(be, rows * ld, seed++, 0, true),
          R = Float64Array.from(X);
        // A = X[0.., 0..K) (rows M), B = X[1.., 0..K) (rows N), C = X[0.., K+1..) (disjoint columns)
        L(be).gemmNT64(M, N, K, alpha, X, 0, ld, X, ld, ld, X, K + 1, ld);
        gemmNT64Ref(M, N, K, alpha, R, 0, ld, R, ld, ld, R, K + 1, ld);
        close(`gemmNT64 M=${M} N=${N} K=${K} alpha=${alpha}`, X, R);
      }
    }
  });

  test(`[${be.name}] csrMatVec gives the same bits as the ts loop (odd row lengths, batch 3, acc)`, () => {
    const rows = 37,
      cols = 29,
      B = 3;
    const rowPtr = new Int32Array(rows + 1),
      idx: number[] = [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) if ((i * 7 + j * 3) % (1 + (i % 5)) === 0) idx.push(j);
      rowPtr[i + 1] = idx.length;
    }
    const colIdx = Int32Array.from(idx),
      values = randn(idx.length, 3) as Float64Array;
    const X = randn(B * cols + 2, 4) as Float64Array;
    for (const acc of [false, true]) {
      const Y = randn(B * rows + 1, 5) as Float64Array,
        R = Float64Array.from(Y);
      L(be).csrMatVec(rows, cols, B, rowPtr, colIdx, values, X, 2, Y, 1, acc);
      setBackend('ts');
      try {
        csrMatVecBatch({ rows, cols, rowPtr, colIdx, values }, B, X, 2, R, 1, acc);
      } finally {
        setBackend(be.name);
      }
      assert.deepEqual(Y, R);
    }
  });
}

for (const be of others) {
  test(`[${be.name}] gemm64 (strided, upper, alpha), gemv64 and symvUpper64 against the reference`, () => {
    let seed = 1200;
    const ref = tsBackend.linalg ?? null;
    assert.equal(ref, null); // the reference kernels are tsLinalg (linalgOf(ts))
    const R = linalgOf(tsBackend);
    for (const [M, N, K] of [
      [1, 1, 1],
      [5, 9, 3],
      [37, 37, 33],
      [130, 129, 70],
    ] as const) {
      for (const tA of [false, true])
        for (const tB of [false, true])
          for (const upper of [false, true]) {
            if (upper && M !== N) continue;
            const lda = (tA ? M : K) + 3,
              ldb = (tB ? K : N) + 2,
              ldc = N + 5;
            const A = arr(be, (tA ? K : M) * lda, seed++, 0, true),
              B = arr(be, (tB ? N : K) * ldb, seed++, 0, true);
            for (const acc of [false, true]) {
              const C = arr(be, M * ldc + 1, seed++, 0, true),
                Cr = Float64Array.from(C);
              L(be).gemm64(tA, tB, acc, upper, M, N, K, -0.5, A, 0, lda, B, 0, ldb, C, 1, ldc);
              R.gemm64(tA, tB, acc, upper, M, N, K, -0.5, A, 0, lda, B, 0, ldb, Cr, 1, ldc);
              const got: number[] = [],
                want: number[] = [];
              for (let i = 0; i < M; i++)
                for (let j = upper ? i : 0; j < N; j++) {
                  got.push(C[1 + i * ldc + j]!);
                  want.push(Cr[1 + i * ldc + j]!);
                }
              close(`gemm64 tA=${tA} tB=${tB} acc=${acc} upper=${upper} ${M}x${N}x${K}`, got, want);
            }
          }
      for (const trans of [false, true])
        for (const acc of [false, true]) {
          const lda = N + 3,
            A = arr(be, M * lda, seed++, 0, true),
            x = arr(be, trans ? M : N, seed++, 1, true),
            y = arr(be, trans ? N : M, seed++, 2, true),
            yr = Float64Array.from(y);
          L(be).gemv64(trans, acc, M, N, 1.5, A, 0, lda, x, 1, y, 2);
          R.gemv64(trans, acc, M, N, 1.5, A, 0, lda, x, 1, yr, 2);
          close(`gemv64 trans=${trans} acc=${acc} ${M}x${N}`, y, yr);
        }
      const n = M,
        lda = n + 4,
        S = arr(be, n * lda, seed++, 0, true);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) S[i * lda + j] = NaN; // the lower triangle is never read
      const x = arr(be, n, seed++, 0, true),
        y = arr(be, n, seed++, 0, true),
        yr = new Float64Array(n);
      L(be).symvUpper64(n, S, 0, lda, x, 0, y, 0);
      R.symvUpper64(n, S, 0, lda, x, 0, yr, 0);
      close(`symvUpper64 n=${n}`, y, yr);
    }
  });
}

for (const be of others) {
  test(`[${be.name}] secularEigen against the reference, and D + rho w w^T = U^T diag(lam) U`, () => {
    const R = linalgOf(tsBackend);
    let seed = 3300;
    for (const k of [1, 2, 5, 37, 130]) {
      // dl ascending with some close pairs (a merge after deflation still has them), w without zeros.
      const r = randn(2 * k, seed++);
      const dl = L(be).alloc64(k),
        w = L(be).alloc64(k),
        grp = L(be).allocI32(k);
      for (let i = 0, v = -1; i < k; i++) {
        v += i % 7 === 3 ? 1e-7 : 0.05 + Math.abs(r[i]!);
        dl[i] = v;
        w[i] = (r[k + i]! >= 0 ? 1 : -1) * (0.01 + Math.abs(r[k + i]!));
      }
      let nw = 0;
      for (let i = 0; i < k; i++) nw += w[i]! * w[i]!;
      for (let i = 0; i < k; i++) w[i]! /= Math.sqrt(nw);
      for (let g = 0; g < k; g++) grp[g] = (g * 7) % k; // a permutation: 7 is prime to every k here
      const rho = 0.7,
        lam = L(be).alloc64(k),
        U = L(be).alloc64(k * k),
        lr = new Float64Array(k),
        Ur = new Float64Array(k * k);
      L(be).secularEigen(k, dl, w, rho, lam, U, grp);
      R.secularEigen(k, Float64Array.from(dl), Float64Array.from(w), rho, lr, Ur, Int32Array.from(grp));
      close(`secularEigen k=${k} eigenvalues`, lam, lr);
      close(`secularEigen k=${k} eigenvectors`, U, Ur);
      for (let j = 1; j < k; j++) assert.ok(lam[j]! > lam[j - 1]!, `k=${k}: eigenvalues ascending`);
      // Residual and norm of each vector (entries back in natural order through grp).
      let worst = 0;
      for (let j = 0; j < k; j++) {
        const u = new Float64Array(k);
        for (let g = 0; g < k; g++) u[grp[g]!] = U[j * k + g]!;
        let wu = 0,
          nu = 0;
        for (let i = 0; i < k; i++) {
          wu += w[i]! * u[i]!;
          nu += u[i]! * u[i]!;
        }
        for (let i = 0; i < k; i++)
          worst = Math.max(worst, Math.abs(dl[i]! * u[i]! + rho * w[i]! * wu - lam[j]! * u[i]!));
        assert.ok(Math.abs(nu - 1) <= 1e-12, `k=${k} vector ${j}: norm^2 ${nu}`);
      }
      assert.ok(worst <= 1e-12 * (Math.abs(dl[k - 1]!) + rho + 1), `k=${k}: residual ${worst.toExponential(2)}`);
    }
  });
}

for (const be of others) {
  test(`[${be.name}] gatherColumns64 against the reference (offsets, strides, repeated and reversed columns)`, () => {
    const R = linalgOf(tsBackend);
    for (const [rows, k, lds] of [
      [1, 1, 1],
      [7, 5, 9],
      [300, 250, 301], // large enough to be split over helper threads where they run
    ] as const) {
      const src = arr(be, rows * lds + 3, 4400 + k, 0, true),
        idx = L(be).allocI32(k);
      for (let c = 0; c < k; c++) idx[c] = lds - 1 - ((c * 3) % lds); // reversed, strided, repeats where 3 divides lds
      const ldo = k + 2,
        out = arr(be, rows * ldo + 1, 4500 + k, 0, true),
        ref = Float64Array.from(out);
      L(be).gatherColumns64(rows, k, src, 3, lds, idx, out, 1, ldo);
      R.gatherColumns64(rows, k, src, 3, lds, Int32Array.from(idx), ref, 1, ldo);
      assert.deepEqual(out, ref, `gatherColumns64 ${rows}x${k}`);
    }
  });
}

for (const be of others) {
  test(`[${be.name}] centerRows: the reference's bits (float32 batches inside and outside the memory, odd D)`, () => {
    const R = linalgOf(tsBackend);
    for (const [B, D] of [
      [1, 1],
      [3, 7],
      [64, 130],
    ] as const) {
      for (const inside of [false, true]) {
        const x = inside && be.alloc ? be.alloc(B * D) : new Float32Array(B * D);
        x.set(randn(B * D, 5500 + D, 3, false));
        const mean = L(be).alloc64(D),
          rows = L(be).alloc64(B * D),
          mr = new Float64Array(D),
          rr = new Float64Array(B * D);
        const t = L(be).centerRows(B, D, x, mean, rows),
          tr = R.centerRows(B, D, Float32Array.from(x), mr, rr);
        assert.equal(t, tr, `centerRows ${B}x${D}: the total`);
        assert.deepEqual(mean, Float64Array.from(mr), `centerRows ${B}x${D}: the mean`);
        assert.deepEqual(rows, Float64Array.from(rr), `centerRows ${B}x${D}: the rows`);
      }
    }
    // A non-finite value makes the total non-finite.
    const x = new Float32Array(12).fill(1);
    x[7] = Number.NaN;
    assert.ok(Number.isNaN(L(be).centerRows(3, 4, x, L(be).alloc64(4), L(be).alloc64(12))));
    x[7] = Number.POSITIVE_INFINITY;
    assert.equal(L(be).centerRows(3, 4, x, L(be).alloc64(4), L(be).alloc64(12)), Number.POSITIVE_INFINITY);
  });
}
