/**
 * The kernels the layers need, declared once (DESIGN.md, decision 5). Layers talk to this
 * interface only; `ts` is the readable reference, `wasm` and `webgpu` must agree with it.
 *
 * Every array argument comes with an element offset, so a kernel can work on one time step
 * of a `[T, B, F]` buffer without a copy. All matrices are row-major and contiguous.
 * Adding a kernel touches this file, ts.ts (the reference), assembly/ with one line in the
 * wasm table (wasm.ts), and the parity test.
 * Dimension key: B = batch, H = hidden, M/N/K = matrix product sizes.
 */
import { type DType, type FArray, alloc } from '../tensor.js';

/** Activations by name (the API) and by code (what kernels take, on every backend, WGSL included). */
export const ACT = { tanh: 0, relu: 1, sigmoid: 2, identity: 3 } as const;
export type Activation = keyof typeof ACT;
export type ActCode = (typeof ACT)[Activation];

/** The kernel code of an activation name; a clear error for anything else. */
export function actCode(a: Activation): ActCode {
  const c = ACT[a];
  if (c === undefined)
    throw new RangeError(`unknown activation '${String(a)}'; expected ${Object.keys(ACT).join(', ')}`);
  return c;
}

/**
 * The recurrent kernels. Convention: scalar arguments first, then each array with its element
 * offset; outputs are overwritten unless a flag or the name says accumulate.
 */
export interface Backend {
  readonly name: string;

  /**
   * C[M,N] = op(A) op(B), or C += op(A) op(B) when `acc`.
   * op(A) is [M,K]: A stored [M,K], or [K,M] when `tA`. op(B) is [K,N]: B stored [K,N], or [N,K] when `tB`.
   */
  gemm(
    tA: boolean,
    tB: boolean,
    acc: boolean,
    M: number,
    N: number,
    K: number,
    A: FArray,
    aOff: number,
    B: FArray,
    bOff: number,
    C: FArray,
    cOff: number,
  ): void;

  /** out[r, :] = bias[:] for r < rows (broadcast a bias row before an accumulating gemm). */
  fillRows(rows: number, cols: number, out: FArray, off: number, bias: FArray, bOff: number): void;

  /** dst[j] += sum over r of X[r, j]: bias gradients. */
  colSumAcc(rows: number, cols: number, dst: FArray, dOff: number, X: FArray, xOff: number): void;

  /** x = act(x) in place over n values. */
  actForward(act: ActCode, n: number, x: FArray, off: number): void;

  /** dx = dy * act'(.) expressed through the output y = act(pre); overwrites dx. */
  actBackward(
    act: ActCode,
    n: number,
    y: FArray,
    yOff: number,
    dy: FArray,
    dyOff: number,
    dx: FArray,
    dxOff: number,
  ): void;

  /**
   * LSTM step. gates [B,4H] holds pre-activations i,f,g,o on entry and activations on exit.
   * c = f*cPrev + i*g; tc = tanh(c); h = o*tc.
   */
  lstmCell(
    B: number,
    H: number,
    gates: FArray,
    gOff: number,
    cPrev: FArray,
    cpOff: number,
    c: FArray,
    cOff: number,
    tc: FArray,
    tcOff: number,
    h: FArray,
    hOff: number,
  ): void;

  /**
   * The LSTM's forward time loop over T steps (the recurrent half of a layer's forward; the input
   * projection is already in xp): for t = 0 .. T-1,
   *   xp[t] += h_{t-1} W_hh^T;  lstmCell(xp[t], c_{t-1}) -> xp[t] activations, c_t, tanh(c_t), h_t
   * with xp [T,B,4H], W_hh [4H,H], hs and cs [T+1,B,H] (row 0 = h_0, c_0; row t+1 = h_t, c_t),
   * tc [T,B,H]. Exactly T gemm + lstmCell calls (the reference does that); the wasm backend runs
   * the loop in one call for small batches (streaming inference), split over its helper threads.
   */
  lstmSequence(
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
  ): void;

  /**
   * LSTM step backward. dc [B,H] carries dL/dc_t in and leaves holding dL/dc_{t-1};
   * dgates [B,4H] receives dL/d(pre-activations) (overwritten).
   */
  lstmCellBackward(
    B: number,
    H: number,
    gates: FArray,
    gOff: number,
    cPrev: FArray,
    cpOff: number,
    tc: FArray,
    tcOff: number,
    dh: FArray,
    dhOff: number,
    dc: FArray,
    dcOff: number,
    dgates: FArray,
    dgOff: number,
  ): void;

  /**
   * GRU step (PyTorch's r,z,n). xp [B,3H] = W_ih x + b_ih on entry, r,z,n on exit;
   * hp [B,3H] = W_hh h + b_hh (kept: backward needs hp_n).
   * r = s(xp_r+hp_r), z = s(xp_z+hp_z), n = tanh(xp_n + r*hp_n), h = (1-z)*n + z*hPrev.
   */
  gruCell(
    B: number,
    H: number,
    xp: FArray,
    xpOff: number,
    hp: FArray,
    hpOff: number,
    hPrev: FArray,
    hPrevOff: number,
    h: FArray,
    hOff: number,
  ): void;

  /**
   * GRU step backward. Writes dxp [B,3H] (grad of W_ih x + b_ih), dhp [B,3H] (grad of
   * W_hh h + b_hh) and dhPrev = z*dh (the direct path; the layer adds dhp W_hh).
   */
  gruCellBackward(
    B: number,
    H: number,
    gates: FArray,
    gOff: number,
    hp: FArray,
    hpOff: number,
    hPrev: FArray,
    hPrevOff: number,
    dh: FArray,
    dhOff: number,
    dxp: FArray,
    dxpOff: number,
    dhp: FArray,
    dhpOff: number,
    dhPrev: FArray,
    dhPrevOff: number,
  ): void;

  /**
   * IndRNN step: h = act(xp + u * hPrev) (u [H] broadcast over the B rows); xp [B,H] holds
   * W_ih x + b on entry and h on exit (like the RNN's in-place activation).
   */
  indrnnCell(
    act: ActCode,
    B: number,
    H: number,
    xp: FArray,
    xpOff: number,
    u: FArray,
    uOff: number,
    hPrev: FArray,
    hPrevOff: number,
    h: FArray,
    hOff: number,
  ): void;

  /** IndRNN step backward: dpre = dh * act'(h) (read off h); dhPrev = dpre * u. Overwrites both. */
  indrnnCellBackward(
    act: ActCode,
    B: number,
    H: number,
    h: FArray,
    hOff: number,
    u: FArray,
    uOff: number,
    dh: FArray,
    dhOff: number,
    dpre: FArray,
    dpreOff: number,
    dhPrev: FArray,
    dhPrevOff: number,
  ): void;

  /** sum of squares of n values. */
  sumSq(n: number, a: FArray, off: number): number;

  /**
   * Optional: a zeroed float32 buffer in the backend's own memory (wasm: its linear memory),
   * so that kernels run on it without copies. Backends without one use ordinary arrays.
   */
  alloc?(n: number): Float32Array;

  /** Optional: gives a buffer from `alloc` (or the linalg allocators) back at once; it must not be used afterwards. */
  free?(a: FArray | Int32Array): void;

  /** Optional: faster float64 linear algebra and reservoir kernels (`linalgOf` falls back to the reference). */
  readonly linalg?: LinalgKernels;
}

/** How a kernel uses one array argument: read, written, or both. */
export type ArgMode = 'in' | 'out' | 'inout';

/** An array argument's length in elements, from the kernel's leading scalar arguments. */
export type ArgSize = (scalars: readonly number[]) => number;

/** The arguments of a kernel that follows the convention above: its leading scalars, then its arrays. */
export interface KernelArgs {
  readonly scalars: number;
  readonly arrays: readonly (readonly [ArgSize, ArgMode])[];
}

const BH: ArgSize = (s) => s[0]! * s[1]!; // (B, H)
const gBH =
  (g: number): ArgSize =>
  (s) =>
    g * s[0]! * s[1]!;
const aBH: ArgSize = (s) => s[1]! * s[2]!; // (act, B, H)
const aH: ArgSize = (s) => s[2]!;
const N1: ArgSize = (s) => s[1]!; // (act | cols, n)

/**
 * The argument shapes of the Backend's plain kernels, declared once beside the interface: how
 * many scalars lead and each array's length and direction. A backend that stages arrays (wasm
 * copies those outside its memory) builds these methods from this table, so adding such a kernel
 * touches this file, ts.ts, assembly/ and the parity test (DESIGN.md, Conventions). gemm and
 * lstmSequence are not here: their backends schedule them (packing, threads, fused loops).
 */
export const KERNEL_ARGS = {
  fillRows: {
    scalars: 2,
    arrays: [
      [BH, 'out'],
      [N1, 'in'],
    ],
  },
  colSumAcc: {
    scalars: 2,
    arrays: [
      [N1, 'inout'],
      [BH, 'in'],
    ],
  },
  actForward: { scalars: 2, arrays: [[N1, 'inout']] },
  actBackward: {
    scalars: 2,
    arrays: [
      [N1, 'in'],
      [N1, 'in'],
      [N1, 'out'],
    ],
  },
  sumSq: { scalars: 1, arrays: [[(s) => s[0]!, 'in']] },
  // cPrev may be the same array as c (CS[t] and CS[t+1]): it is staged as an input before c's output.
  lstmCell: {
    scalars: 2,
    arrays: [
      [gBH(4), 'inout'],
      [BH, 'in'],
      [BH, 'out'],
      [BH, 'out'],
      [BH, 'out'],
    ],
  },
  lstmCellBackward: {
    scalars: 2,
    arrays: [
      [gBH(4), 'in'],
      [BH, 'in'],
      [BH, 'in'],
      [BH, 'in'],
      [BH, 'inout'],
      [gBH(4), 'out'],
    ],
  },
  gruCell: {
    scalars: 2,
    arrays: [
      [gBH(3), 'inout'],
      [gBH(3), 'in'],
      [BH, 'in'],
      [BH, 'out'],
    ],
  },
  gruCellBackward: {
    scalars: 2,
    arrays: [
      [gBH(3), 'in'],
      [gBH(3), 'in'],
      [BH, 'in'],
      [BH, 'in'],
      [gBH(3), 'out'],
      [gBH(3), 'out'],
      [BH, 'out'],
    ],
  },
  indrnnCell: {
    scalars: 3,
    arrays: [
      [aBH, 'inout'],
      [aH, 'in'],
      [aBH, 'in'],
      [aBH, 'out'],
    ],
  },
  indrnnCellBackward: {
    scalars: 3,
    arrays: [
      [aBH, 'in'],
      [aH, 'in'],
      [aBH, 'in'],
      [aBH, 'out'],
      [aBH, 'out'],
    ],
  },
} as const satisfies Partial<Record<keyof Backend, KernelArgs>>;

/** The Backend kernels KERNEL_ARGS declares. */
export type ConventionKernel = keyof typeof KERNEL_ARGS;

/**
 * The float64 kernels of the ridge readouts, Cholesky, reservoirs and spectra: a second,
 * optional interface, so that the recurrent seam stays small. `tsLinalg` (ts.ts) is the
 * reference and the fallback.
 */
export interface LinalgKernels {
  /** A zeroed float64 buffer in the backend's own memory (float64 kernels run on it without copies). */
  alloc64(n: number): Float64Array;
  /** A zeroed int32 buffer in the backend's own memory (sparse matrix indices). */
  allocI32(n: number): Int32Array;

  /**
   * C[M,M] (+)= A^T A for A [K,M] (a symmetric rank-k update: the Gram matrix X^T X of ridge
   * readouts). Only the upper triangle (j >= i) is guaranteed; entries below it may or may
   * not be written, so read none of them.
   */
  syrkUpper(acc: boolean, M: number, K: number, A: FArray, aOff: number, C: FArray, cOff: number): void;

  /**
   * C (+)= alpha A B^T on sub-blocks with row strides: C [M,N] at cOff with row stride ldc,
   * A [M,K] (lda), B [N,K] (ldb); the three may be parts of one matrix as long as C does not
   * overlap A or B (a blocked Cholesky's panel update).
   */
  gemmNT64(
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
  ): void;

  /**
   * C (+)= alpha op(A) op(B) on strided float64 sub-blocks: op(A) [M,K] (A stored [K,M] with row
   * stride lda when tA, else [M,K]), op(B) [K,N] (B stored [N,K] when tB), C [M,N] with row
   * stride ldc; `acc` false overwrites C. `upper`: only C's entries with j >= i are guaranteed
   * (a symmetric update), the others may or may not be written. C must not overlap A or B.
   */
  gemm64(
    tA: boolean,
    tB: boolean,
    acc: boolean,
    upper: boolean,
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
  ): void;

  /**
   * y[0..n) = A x for a symmetric A [n,n] (row stride lda) of which only the upper triangle
   * (j >= i) is read (the Householder tridiagonalisation's matrix-vector products).
   */
  symvUpper64(
    n: number,
    A: Float64Array,
    aOff: number,
    lda: number,
    x: Float64Array,
    xOff: number,
    y: Float64Array,
    yOff: number,
  ): void;

  /**
   * y (+)= alpha op(A) x on a strided float64 block A [M,N] (row stride lda): op(A) = A
   * (y has M entries) or, with `trans`, A^T (y has N entries); `acc` false overwrites y.
   */
  gemv64(
    trans: boolean,
    acc: boolean,
    M: number,
    N: number,
    alpha: number,
    A: Float64Array,
    aOff: number,
    lda: number,
    x: Float64Array,
    xOff: number,
    y: Float64Array,
    yOff: number,
  ): void;

  /**
   * The eigenproblem of a divide-and-conquer merge (src/backend/secular.ts): eigenvalues lam
   * [k] ascending and unit eigenvectors of diag(dl) + rho w w^T (dl ascending, rho > 0, no w_i
   * zero), vector j in row j of U [k, k] with its entries in the order of grp (U[j k + g] =
   * u_j[grp[g]], grp a permutation of 0..k-1).
   */
  secularEigen(
    k: number,
    dl: Float64Array,
    w: Float64Array,
    rho: number,
    lam: Float64Array,
    U: Float64Array,
    grp: Int32Array,
  ): void;

  /**
   * A batch x [B, D] (row-major) centred in float64: mean[p] = (sum_i x[i, p]) / B, summed over
   * the rows in order, and R[i, p] = x[i, p] - mean[p] (the streaming covariance's rows). Returns
   * the sum of the column sums, which is finite exactly when every value of x is (unless the sum
   * of finite values overflows).
   */
  centerRows(B: number, D: number, x: FArray, mean: Float64Array, R: Float64Array): number;

  /**
   * out[outOff + r ldo + c] = src[srcOff + r lds + idx[c]] for r < rows, c < k: columns of a
   * row-major block gathered (a divide-and-conquer merge's columns of Q, in the product's order).
   */
  gatherColumns64(
    rows: number,
    k: number,
    src: Float64Array,
    srcOff: number,
    lds: number,
    idx: Int32Array,
    out: Float64Array,
    outOff: number,
    ldo: number,
  ): void;

  /** Gives a buffer of alloc64/allocI32 back (optional: otherwise the garbage collector does, later). */
  free64?(a: Float64Array | Int32Array): void;

  /**
   * Y[b,:] (+)= A X[b,:] for b < B, A [rows, cols] in CSR form (rowPtr [rows+1], colIdx and
   * values [nnz]), X [B, cols], Y [B, rows], float64; each row summed in rowSum4's order
   * (math64.ts), so every backend gives the same bits. Spectral radii of reservoirs.
   */
  csrMatVec(
    rows: number,
    cols: number,
    B: number,
    rowPtr: Int32Array,
    colIdx: Int32Array,
    values: Float64Array,
    X: Float64Array,
    xOff: number,
    Y: Float64Array,
    yOff: number,
    acc: boolean,
  ): void;

  /** T steps of a reservoir (src/reservoir/step.ts describes them), the same bits on every backend. */
  reservoirRun(a: ReservoirRunArgs): void;
}

/** Operands of one reservoir run (see src/reservoir/step.ts): everything float64 but W's values. */
export interface ReservoirRunArgs {
  N: number;
  D: number;
  B: number;
  T: number;
  /** W [N, N]: row pointers, indices (u16 pairs packed into int32 words when idx16), float32 values. */
  wRow: Int32Array;
  wIdx: Int32Array;
  idx16: boolean;
  wVal: Float32Array;
  /** Win [N, D] in CSR form. */
  inRow: Int32Array;
  inIdx: Int32Array;
  inVal: Float64Array;
  bias: Float64Array;
  lr: number;
  act: ActCode;
  /** State [B, N] (updated) and scratch [B, N]. */
  x: Float64Array;
  pre: Float64Array;
  /** Inputs [T, B, D] from uOff. */
  u: Float64Array;
  uOff: number;
  /** Optional: each new state x[b] copied to out[outOff + (t B + b) outStride ..]. */
  out: Float64Array | null;
  outOff: number;
  outStride: number;
}

/** Workspace for layers running on `be`: the backend's own memory for float32, else an ordinary array. */
export function workspace(be: Backend, dtype: DType, n: number, prev?: FArray): FArray {
  if (prev && be.free) be.free(prev); // the buffer this one replaces (views not from the backend are ignored)
  return dtype === 'float32' && be.alloc ? be.alloc(n) : alloc(dtype, n);
}

/** Frees every buffer of a list of workspaces (before rebuilding the list). */
export function releaseAll(be: Backend, list: FArray[]): void {
  if (be.free) for (const a of list) be.free(a);
}
