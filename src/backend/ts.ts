/**
 * The reference backend: plain loops over typed arrays, written to be read. It accepts
 * Float32Array and Float64Array alike (gradient checks run it in double precision) and is
 * the oracle every fast kernel is tested against.
 */
import type { Activation, Backend, LinalgKernels } from './backend.js';
import type { FArray } from '../tensor.js';
import { rowSum4, sigmoid64, tanh64 } from './math64.js';
import { secularEigenRef } from './secular.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** act'(pre) written through the output y = act(pre): tanh' = 1 - y^2, relu' = [y > 0], sigmoid' = y (1 - y). */
function actDeriv(act: number, y: number): number {
  return act === 0 ? 1 - y * y : act === 1 ? (y > 0 ? 1 : 0) : act === 2 ? y * (1 - y) : 1;
}

export const tsBackend: Backend = {
  name: 'ts',

  gemm(tA, tB, acc, M, N, K, A, aOff, B, bOff, C, cOff) {
    if (!acc) C.fill(0, cOff, cOff + M * N);
    if (!tA && !tB) {
      // C[i,j] += A[i,k] B[k,j]: i-k-j order walks B and C rows contiguously.
      for (let i = 0; i < M; i++) {
        const ci = cOff + i * N;
        for (let k = 0; k < K; k++) {
          const a = A[aOff + i * K + k]!;
          if (a === 0) continue;
          const bk = bOff + k * N;
          for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j]!;
        }
      }
    } else if (!tA && tB) {
      // C[i,j] += dot(A[i,:], B[j,:])
      for (let i = 0; i < M; i++) {
        const ai = aOff + i * K;
        for (let j = 0; j < N; j++) {
          const bj = bOff + j * K;
          let s = 0;
          for (let k = 0; k < K; k++) s += A[ai + k]! * B[bj + k]!;
          C[cOff + i * N + j] += s;
        }
      }
    } else if (tA && !tB) {
      // C[i,j] += A[k,i] B[k,j]: k-i-j order.
      for (let k = 0; k < K; k++) {
        const ak = aOff + k * M,
          bk = bOff + k * N;
        for (let i = 0; i < M; i++) {
          const a = A[ak + i]!;
          if (a === 0) continue;
          const ci = cOff + i * N;
          for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j]!;
        }
      }
    } else {
      // C[i,j] += A[k,i] B[j,k]
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += A[aOff + k * M + i]! * B[bOff + j * K + k]!;
          C[cOff + i * N + j] += s;
        }
      }
    }
  },

  fillRows(rows, cols, out, off, bias, bOff) {
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) out[off + r * cols + j] = bias[bOff + j]!;
    }
  },

  colSumAcc(rows, cols, dst, dOff, X, xOff) {
    for (let r = 0; r < rows; r++) {
      const xr = xOff + r * cols;
      for (let j = 0; j < cols; j++) dst[dOff + j] += X[xr + j]!;
    }
  },

  actForward(act, n, x, off) {
    switch (act) {
      case 0: // tanh
        for (let i = off; i < off + n; i++) x[i] = Math.tanh(x[i]!);
        break;
      case 1: // relu
        for (let i = off; i < off + n; i++) if (!(x[i]! > 0)) x[i] = 0;
        break;
      case 2: // sigmoid
        for (let i = off; i < off + n; i++) x[i] = sigmoid(x[i]!);
        break;
      case 3: // identity
        break;
      default:
        throw new RangeError(`unknown activation code ${act as number}`);
    }
  },

  actBackward(act, n, y, yOff, dy, dyOff, dx, dxOff) {
    for (let i = 0; i < n; i++) dx[dxOff + i] = dy[dyOff + i]! * actDeriv(act, y[yOff + i]!);
  },

  lstmCell(B, H, gates, gOff, cPrev, cpOff, c, cOff, tc, tcOff, h, hOff) {
    for (let b = 0; b < B; b++) {
      const g0 = gOff + b * 4 * H;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gates[g0 + j]!);
        const f = sigmoid(gates[g0 + H + j]!);
        const g = Math.tanh(gates[g0 + 2 * H + j]!);
        const o = sigmoid(gates[g0 + 3 * H + j]!);
        gates[g0 + j] = i;
        gates[g0 + H + j] = f;
        gates[g0 + 2 * H + j] = g;
        gates[g0 + 3 * H + j] = o;
        const cv = f * cPrev[cpOff + b * H + j]! + i * g; // c = f*c_prev + i*g
        const t = Math.tanh(cv);
        c[cOff + b * H + j] = cv;
        tc[tcOff + b * H + j] = t;
        h[hOff + b * H + j] = o * t; // h = o*tanh(c)
      }
    }
  },

  lstmSequence(T, B, H, xp, xpOff, w, wOff, hs, hsOff, cs, csOff, tc, tcOff) {
    lstmSequenceSteps(tsBackend, T, B, H, xp, xpOff, w, wOff, hs, hsOff, cs, csOff, tc, tcOff);
  },

  lstmCellBackward(B, H, gates, gOff, cPrev, cpOff, tc, tcOff, dh, dhOff, dc, dcOff, dgates, dgOff) {
    for (let b = 0; b < B; b++) {
      const g0 = gOff + b * 4 * H,
        d0 = dgOff + b * 4 * H;
      for (let j = 0; j < H; j++) {
        const i = gates[g0 + j]!,
          f = gates[g0 + H + j]!,
          g = gates[g0 + 2 * H + j]!,
          o = gates[g0 + 3 * H + j]!;
        const t = tc[tcOff + b * H + j]!;
        const dhv = dh[dhOff + b * H + j]!;
        const dcv = dc[dcOff + b * H + j]! + dhv * o * (1 - t * t); // through h = o*tanh(c)
        dgates[d0 + j] = dcv * g * i * (1 - i); // di * s'
        dgates[d0 + H + j] = dcv * cPrev[cpOff + b * H + j]! * f * (1 - f); // df * s'
        dgates[d0 + 2 * H + j] = dcv * i * (1 - g * g); // dg * tanh'
        dgates[d0 + 3 * H + j] = dhv * t * o * (1 - o); // do * s'
        dc[dcOff + b * H + j] = dcv * f; // dc_prev = dc * f
      }
    }
  },

  gruCell(B, H, xp, xpOff, hp, hpOff, hPrev, hPrevOff, h, hOff) {
    for (let b = 0; b < B; b++) {
      const x0 = xpOff + b * 3 * H,
        h0 = hpOff + b * 3 * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(xp[x0 + j]! + hp[h0 + j]!);
        const z = sigmoid(xp[x0 + H + j]! + hp[h0 + H + j]!);
        const n = Math.tanh(xp[x0 + 2 * H + j]! + r * hp[h0 + 2 * H + j]!);
        xp[x0 + j] = r;
        xp[x0 + H + j] = z;
        xp[x0 + 2 * H + j] = n;
        h[hOff + b * H + j] = (1 - z) * n + z * hPrev[hPrevOff + b * H + j]!;
      }
    }
  },

  gruCellBackward(
    B,
    H,
    gates,
    gOff,
    hp,
    hpOff,
    hPrev,
    hPrevOff,
    dh,
    dhOff,
    dxp,
    dxpOff,
    dhp,
    dhpOff,
    dhPrev,
    dhPrevOff,
  ) {
    for (let b = 0; b < B; b++) {
      const g0 = gOff + b * 3 * H,
        p0 = hpOff + b * 3 * H,
        dx0 = dxpOff + b * 3 * H,
        dp0 = dhpOff + b * 3 * H;
      for (let j = 0; j < H; j++) {
        const r = gates[g0 + j]!,
          z = gates[g0 + H + j]!,
          n = gates[g0 + 2 * H + j]!;
        const d = dh[dhOff + b * H + j]!;
        const hprev = hPrev[hPrevOff + b * H + j]!;
        const dan = d * (1 - z) * (1 - n * n); // through n, then tanh'
        const daz = d * (hprev - n) * z * (1 - z); // dh/dz = hPrev - n, then s'
        const dar = dan * hp[p0 + 2 * H + j]! * r * (1 - r); // n's pre-act has r*hp_n
        dxp[dx0 + j] = dar;
        dxp[dx0 + H + j] = daz;
        dxp[dx0 + 2 * H + j] = dan;
        dhp[dp0 + j] = dar;
        dhp[dp0 + H + j] = daz;
        dhp[dp0 + 2 * H + j] = dan * r;
        dhPrev[dhPrevOff + b * H + j] = d * z; // direct path h = ... + z*hPrev
      }
    }
  },

  indrnnCell(act, B, H, xp, xpOff, u, uOff, hPrev, hPrevOff, h, hOff) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const pre = xp[xpOff + b * H + j]! + u[uOff + j]! * hPrev[hPrevOff + b * H + j]!; // W x + b + u * h
        const v = act === 0 ? Math.tanh(pre) : act === 1 ? (pre > 0 ? pre : 0) : act === 2 ? sigmoid(pre) : pre;
        xp[xpOff + b * H + j] = v;
        h[hOff + b * H + j] = v;
      }
    }
  },

  indrnnCellBackward(act, B, H, h, hOff, u, uOff, dh, dhOff, dpre, dpreOff, dhPrev, dhPrevOff) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const d = dh[dhOff + b * H + j]! * actDeriv(act, h[hOff + b * H + j]!); // dpre = dh act'(h)
        dpre[dpreOff + b * H + j] = d;
        dhPrev[dhPrevOff + b * H + j] = d * u[uOff + j]!; // the recurrence is elementwise
      }
    }
  },

  sumSq(n, a, off) {
    let s = 0;
    for (let i = off; i < off + n; i++) s += a[i]! * a[i]!;
    return s;
  },
};

/** The reference float64 kernels (`Backend.linalg`'s fallback). */
export const tsLinalg: LinalgKernels = {
  alloc64: (n) => new Float64Array(n),
  allocI32: (n) => new Int32Array(n),

  syrkUpper(acc, M, K, A, aOff, C, cOff) {
    syrkUpperRef(acc, M, K, A, aOff, C, cOff);
  },

  gemmNT64(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, C, cOff, ldc) {
    gemmNT64Ref(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, C, cOff, ldc);
  },

  gemm64(tA, tB, acc, upper, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, C, cOff, ldc) {
    for (let i = 0; i < M; i++) {
      for (let j = upper ? i : 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++)
          s += A[aOff + (tA ? k * lda + i : i * lda + k)]! * B[bOff + (tB ? j * ldb + k : k * ldb + j)]!;
        const c = cOff + i * ldc + j;
        C[c] = (acc ? C[c]! : 0) + alpha * s;
      }
    }
  },

  gemv64(trans, acc, M, N, alpha, A, aOff, lda, x, xOff, y, yOff) {
    const ny = trans ? N : M;
    if (!acc) y.fill(0, yOff, yOff + ny);
    if (!trans) {
      for (let i = 0; i < M; i++) {
        let s = 0;
        for (let j = 0; j < N; j++) s += A[aOff + i * lda + j]! * x[xOff + j]!;
        y[yOff + i]! += alpha * s;
      }
    } else {
      for (let i = 0; i < M; i++) {
        const xi = alpha * x[xOff + i]!;
        for (let j = 0; j < N; j++) y[yOff + j]! += xi * A[aOff + i * lda + j]!;
      }
    }
  },

  symvUpper64(n, A, aOff, lda, x, xOff, y, yOff) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[aOff + (j >= i ? i * lda + j : j * lda + i)]! * x[xOff + j]!;
      y[yOff + i] = s;
    }
  },

  secularEigen(k, dl, w, rho, lam, U, grp) {
    secularEigenRef(k, dl, w, rho, lam, U, grp);
  },

  centerRows(B, D, x, mean, R) {
    mean.fill(0, 0, D);
    for (let i = 0; i < B; i++) for (let p = 0, o = i * D; p < D; p++) mean[p]! += x[o + p]!;
    let total = 0;
    for (let p = 0; p < D; p++) total += mean[p]!;
    for (let p = 0; p < D; p++) mean[p]! /= B;
    for (let i = 0; i < B; i++) for (let p = 0, o = i * D; p < D; p++) R[o + p] = x[o + p]! - mean[p]!;
    return total;
  },

  gatherColumns64(rows, k, src, srcOff, lds, idx, out, outOff, ldo) {
    for (let r = 0; r < rows; r++) {
      const s = srcOff + r * lds,
        o = outOff + r * ldo;
      for (let c = 0; c < k; c++) out[o + c] = src[s + idx[c]!]!;
    }
  },

  csrMatVec(rows, cols, B, rowPtr, colIdx, values, X, xOff, Y, yOff, acc) {
    for (let b = 0; b < B; b++) {
      const xo = xOff + b * cols,
        yo = yOff + b * rows;
      for (let i = 0; i < rows; i++) {
        const s = rowSum4(values, colIdx, X, xo, rowPtr[i]!, rowPtr[i + 1]!);
        Y[yo + i] = acc ? Y[yo + i]! + s : s;
      }
    }
  },

  reservoirRun(a) {
    // pre[b] = W x[b] + Win u[t, b];  x[b] = (1 - lr) x[b] + lr f(pre[b] + bias);  out row (t B + b) = x[b]
    const { N, D, B, T, wRow, wVal, inRow, inIdx, inVal, bias, lr, act, x, pre, u, out, outStride } = a;
    const wIdx: Uint16Array | Int32Array = a.idx16
      ? new Uint16Array(a.wIdx.buffer, a.wIdx.byteOffset, a.wIdx.length * 2)
      : a.wIdx;
    const keep = 1 - lr;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const xo = b * N,
          uo = a.uOff + (t * B + b) * D;
        // W's row then Win's, each in rowSum4's order (the kernel's two f64x2 lane pairs for W).
        for (let i = 0; i < N; i++)
          pre[xo + i] =
            rowSum4(wVal, wIdx, x, xo, wRow[i]!, wRow[i + 1]!) + rowSum4(inVal, inIdx, u, uo, inRow[i]!, inRow[i + 1]!);
      }
      for (let b = 0; b < B; b++) {
        for (let i = 0, j = b * N; i < N; i++, j++) {
          const v = pre[j]! + bias[i]!;
          const f = act === 0 ? tanh64(v) : act === 1 ? (v < 0 ? 0 : v) : act === 2 ? sigmoid64(v) : v;
          x[j] = keep * x[j]! + lr * f;
        }
      }
      if (out) for (let b = 0; b < B; b++) out.set(x.subarray(b * N, b * N + N), a.outOff + (t * B + b) * outStride);
    }
  },
};

/**
 * C[M,M] (+)= A^T A, upper triangle only (j >= i), for A [K,M] row-major: the reference of
 * `Backend.syrkUpper`. k-i-j order walks A's rows and C's rows contiguously.
 */
export function syrkUpperRef(
  acc: boolean,
  M: number,
  K: number,
  A: FArray,
  aOff: number,
  C: FArray,
  cOff: number,
): void {
  if (!acc) C.fill(0, cOff, cOff + M * M);
  for (let k = 0; k < K; k++) {
    const ak = aOff + k * M;
    for (let i = 0; i < M; i++) {
      const a = A[ak + i]!;
      if (a === 0) continue;
      const ci = cOff + i * M;
      for (let j = i; j < M; j++) C[ci + j] += a * A[ak + j]!;
    }
  }
}

/** C (+)= alpha A B^T with row strides: the reference of `Backend.gemmNT64`. */
export function gemmNT64Ref(
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float64Array,
  aOff: number,
  lda: number,
  B: Float64Array,
  bOff: number,
  ldb: number,
  C: Float64Array,
  cOff: number,
  ldc: number,
): void {
  for (let i = 0; i < M; i++) {
    const ai = aOff + i * lda;
    for (let j = 0; j < N; j++) {
      const bj = bOff + j * ldb;
      let s = 0;
      for (let k = 0; k < K; k++) s += A[ai + k]! * B[bj + k]!;
      C[cOff + i * ldc + j] += alpha * s;
    }
  }
}

export type { Activation, Backend, FArray };

/**
 * lstmSequence as a loop of a backend's own kernels: per step one product h_{t-1} W_hh^T added to
 * the gates, then the cell. The reference, and what a backend runs where it has no fused loop.
 */
export function lstmSequenceSteps(
  be: Backend,
  T: number,
  B: number,
  H: number,
  xp: FArray,
  xpOff: number,
  w: FArray,
  wOff: number,
  hs: FArray,
  hsOff: number,
  cs: FArray,
  csOff: number,
  tc: FArray,
  tcOff: number,
): void {
  const BH = B * H;
  for (let t = 0; t < T; t++) {
    const g = xpOff + t * 4 * BH;
    be.gemm(false, true, true, B, 4 * H, H, hs, hsOff + t * BH, w, wOff, xp, g); // gates += h_{t-1} W_hh^T
    be.lstmCell(
      B,
      H,
      xp,
      g,
      cs,
      csOff + t * BH,
      cs,
      csOff + (t + 1) * BH,
      tc,
      tcOff + t * BH,
      hs,
      hsOff + (t + 1) * BH,
    );
  }
}
