/**
 * ZCA whitening (Bell & Sejnowski 1997), fitted on a data set of N samples of D = prod(sample
 * shape) values each, e.g. images [N, H, W, C] with D = H*W*C.
 *
 *   mu    = mean_i x_i                                   [D]
 *   Sigma = sum_i (x_i - mu)(x_i - mu)^T / (N - 1)       [D, D]  = V diag(lambda) V^T
 *   W     = V diag(1 / sqrt(lambda + eps)) V^T           transform:  y = W (x - mu)
 *   W^-1  = V diag(sqrt(lambda + eps)) V^T               inverse:    x = W^-1 y + mu
 *
 * Whitened data has covariance V diag(lambda / (lambda + eps)) V^T, the identity when eps is
 * small against the eigenvalues; eps (in squared data units) damps the directions of tiny
 * variance, which are mostly noise. Unlike PCA whitening, ZCA rotates back to pixel space, so a
 * whitened image still looks like an image (edges enhanced).
 *
 * Statistics stream: `CovarianceAccumulator.add` takes one batch at a time and merges it in
 * float64 by Chan et al.'s pairwise update (mean and centred scatter per batch, plus the
 * between-batch term), so a data set larger than memory fits in batches, and large means do not
 * cancel the variance as the one-pass sum(x x^T) - N mu mu^T would.
 */
import { type Tensor, ShapeError, assertFinite, numel, shapeStr } from '../tensor.js';
import { packBlob, unpackBlob } from './blob.js';
import { symmetricEigenOwned } from './eigen.js';
import { symmetricFromUpper } from '../linalg.js';
import type { LinalgKernels } from '../backend/backend.js';
import { getBackend, linalgOf } from '../backend/index.js';

/** The float64 kernels of the current backend (the wasm kernels, with their helper threads, where they run). */
const kernels = (): LinalgKernels => linalgOf(getBackend());

export interface ZcaOptions {
  /** Added to every eigenvalue before the inverse square root (default 1e-5; squared data units). */
  epsilon?: number;
}

/** Streaming mean and covariance over batches `[B, ...sampleShape]`. */
export class CovarianceAccumulator {
  sampleShape: number[] | null;
  dim = 0;
  count = 0;
  /** [D] running mean. */
  mean = new Float64Array(0);
  /** [D, D] upper triangle of sum_i (x_i - mean)(x_i - mean)^T (in the kernels' memory). */
  scatter: Float64Array = new Float64Array(0);
  /** [B + 1, D] scratch: a batch's centred rows and the between-batch row. */
  private rows: Float64Array = new Float64Array(0);
  /** [D] scratch: a batch's mean (in the kernels' memory, as rows is). */
  private batchMean: Float64Array | null = null;

  /** `sampleShape` may be left out and is then taken from the first batch. */
  constructor(sampleShape?: number[]) {
    this.sampleShape = null;
    if (sampleShape) this.init(sampleShape);
  }

  private init(shape: number[]): void {
    const D = numel(shape);
    if (shape.length === 0 || D < 1)
      throw new ShapeError(
        `CovarianceAccumulator: a sample needs at least one value, got sample shape ${shapeStr(shape)}`,
      );
    this.sampleShape = [...shape];
    this.dim = D;
    this.mean = new Float64Array(D);
    this.scatter = kernels().alloc64(D * D);
  }

  /** Merges one batch [B, ...sampleShape] (B >= 1) into the statistics. */
  add(batch: Tensor): this {
    if (!batch || !Array.isArray(batch.shape) || batch.shape.length < 2) {
      throw new ShapeError(
        'CovarianceAccumulator.add: expected a batch [B, ...sample], ' +
          `got shape ${batch && Array.isArray(batch.shape) ? shapeStr(batch.shape) : typeof batch}`,
      );
    }
    const sample = batch.shape.slice(1);
    if (!this.sampleShape) this.init(sample);
    if (sample.length !== this.sampleShape!.length || sample.some((d, i) => d !== this.sampleShape![i])) {
      throw new ShapeError(
        `CovarianceAccumulator.add: expected samples of shape ${shapeStr(this.sampleShape!)}, ` +
          `got ${shapeStr(sample)} (batch ${shapeStr(batch.shape)})`,
      );
    }
    const D = this.dim,
      B = batch.shape[0]!;
    if (batch.data.length !== B * D)
      throw new ShapeError(
        `CovarianceAccumulator.add: shape ${shapeStr(batch.shape)} needs ${B * D} values, ` +
          `data has ${batch.data.length}`,
      );
    if (B === 0) return this;
    // Batch mean, then the batch's centred scatter plus the between-batch term
    // delta delta^T nA nB / n (delta = mean_B - mean_A) as one symmetric rank-(B+1) update of the
    // running upper triangle: S += R^T R with R's rows x_i - mean_B and sqrt(nA nB / n) delta.
    const la = kernels(),
      x = batch.data,
      nA = this.count,
      n = nA + B,
      K = nA > 0 ? B + 1 : B;
    if (this.rows.length < K * D) {
      la.free64?.(this.rows);
      this.rows = la.alloc64(K * D);
    }
    const R = this.rows,
      mb = (this.batchMean ??= la.alloc64(D));
    // The batch's mean and centred rows (R is scratch: nothing of the statistics changes before
    // the check). A NaN or an infinity makes its column's sum non-finite, so a finite total clears
    // the batch without a pass of its own; otherwise assertFinite names the value.
    const total = la.centerRows(B, D, x, mb, R);
    if (!Number.isFinite(total)) assertFinite(x, 'CovarianceAccumulator.add');
    if (nA > 0) {
      const w = Math.sqrt((nA * B) / n);
      for (let p = 0; p < D; p++) R[B * D + p] = (mb[p]! - this.mean[p]!) * w;
    }
    la.gemm64(true, false, true, true, D, D, K, 1, R, 0, D, R, 0, D, this.scatter, 0, D);
    for (let p = 0; p < D; p++) this.mean[p]! += (mb[p]! - this.mean[p]!) * (B / n);
    this.count = n;
    return this;
  }

  /** The unbiased covariance [D, D] (full, symmetric); needs at least 2 samples. */
  covariance(): Float64Array {
    if (this.count < 2) throw new RangeError(`covariance: need at least 2 samples, got ${this.count}`);
    const D = this.dim,
      C = kernels().alloc64(D * D),
      k = 1 / (this.count - 1);
    symmetricFromUpper(this.scatter, D, k, C);
    return C;
  }
}

export interface ZcaParts {
  sampleShape: number[];
  epsilon: number;
  count: number;
  mean: Float64Array;
  /** Eigenvalues of the covariance, ascending, [D]. */
  values: Float64Array;
  /** Eigenvectors, row k for values[k], [D, D]. */
  vectors: Float64Array;
}

function checkEpsilon(eps: number): number {
  if (!Number.isFinite(eps) || eps < 0) throw new RangeError(`Zca: epsilon must be a finite number >= 0, got ${eps}`);
  return eps;
}

/**
 * A data set with no variance has nothing to whiten; say so rather than return 0/0. "No variance"
 * is relative to the mean's size, since the float64 mean of identical float32 samples can be off
 * by an ulp and leave a variance of ~1e-32 |x|^2.
 */
function checkVariance(variance: number, mean: Float64Array, count: number): void {
  let msq = 0;
  for (const m of mean) msq += m * m;
  if (!(variance > 1e-24 * msq) || variance === 0) {
    throw new RangeError(
      `Zca: the data set has zero variance (all ${count} samples are identical); whitening needs samples that differ`,
    );
  }
}

export class Zca {
  readonly sampleShape: number[];
  readonly dim: number;
  readonly epsilon: number;
  /** Samples the statistics were computed from. */
  readonly count: number;
  readonly mean: Float64Array;
  readonly values: Float64Array;
  readonly vectors: Float64Array;
  private W: Float64Array | null = null;
  private Winv: Float64Array | null = null;

  constructor(p: ZcaParts) {
    const D = numel(p.sampleShape);
    if (p.mean.length !== D || p.values.length !== D || p.vectors.length !== D * D) {
      throw new ShapeError(
        `Zca: sample shape ${shapeStr(p.sampleShape)} needs mean [${D}], values [${D}], vectors [${D * D}]; ` +
          `got ${p.mean.length}, ${p.values.length}, ${p.vectors.length}`,
      );
    }
    this.sampleShape = [...p.sampleShape];
    this.dim = D;
    this.epsilon = checkEpsilon(p.epsilon);
    this.count = p.count;
    this.mean = p.mean;
    this.values = p.values;
    this.vectors = p.vectors;
    let vmax = 0;
    for (const v of p.values) vmax = Math.max(vmax, v);
    checkVariance(vmax, p.mean, p.count);
    if (this.epsilon === 0 && !(p.values[0]! > 1e-12 * vmax)) {
      throw new RangeError(
        `Zca: the covariance is singular (smallest eigenvalue ${p.values[0]!.toExponential(3)} ` +
          `vs largest ${vmax.toExponential(3)}; ` +
          `${p.count} samples of ${D} values); pass epsilon > 0`,
      );
    }
  }

  /** Fits on one tensor [N, ...sample] or on batches of it (any iterable, consumed once). */
  static fit(data: Tensor | Iterable<Tensor>, opts: ZcaOptions = {}): Zca {
    checkEpsilon(opts.epsilon ?? 1e-5);
    const acc = new CovarianceAccumulator();
    if ('data' in data && 'shape' in data) acc.add(data);
    else for (const b of data) acc.add(b);
    return Zca.fromAccumulator(acc, opts);
  }

  /** Eigendecomposes the accumulated covariance. */
  static fromAccumulator(acc: CovarianceAccumulator, opts: ZcaOptions = {}): Zca {
    if (acc.count < 2 || !acc.sampleShape)
      throw new RangeError(`Zca: need at least 2 samples to estimate a covariance, got ${acc.count}`);
    // Refuse constant data before the O(D^3) eigendecomposition, not after it.
    let trace = 0;
    for (let p = 0; p < acc.dim; p++) trace += acc.scatter[p * acc.dim + p]! / (acc.count - 1);
    checkVariance(trace, acc.mean, acc.count);
    // The covariance (in the kernels' memory) is handed over: the eigensolver works in it.
    const { values, vectors } = symmetricEigenOwned(acc.covariance(), acc.dim, kernels());
    return new Zca({
      sampleShape: acc.sampleShape,
      epsilon: opts.epsilon ?? 1e-5,
      count: acc.count,
      mean: Float64Array.from(acc.mean),
      values,
      vectors,
    });
  }

  /**
   * V diag(f(lambda_k)) V^T as a full symmetric [D, D] matrix: S = diag(sqrt f) V^T, then S^T S
   * (upper triangle, one float64 matrix product) mirrored. f > 0 here (lambda + eps > 0).
   */
  private spectral(f: (lambda: number) => number): Float64Array {
    const D = this.dim,
      la = kernels(),
      S = la.alloc64(D * D),
      P = la.alloc64(D * D);
    // The scales first (rounding can leave tiny negative eigenvalues): f is a different closure
    // per matrix, and a call to it inside the long loop below cost V8 a deoptimisation there.
    const scale = this.values.map((v) => Math.sqrt(f(Math.max(0, v) + this.epsilon)));
    for (let k = 0; k < D; k++) {
      const s = scale[k]!;
      for (let i = 0, o = k * D; i < D; i++) S[o + i] = this.vectors[o + i]! * s;
    }
    la.gemm64(true, false, false, true, D, D, D, 1, S, 0, D, S, 0, D, P, 0, D);
    const M = new Float64Array(D * D);
    symmetricFromUpper(P, D, 1, M);
    la.free64?.(S);
    la.free64?.(P);
    return M;
  }

  /** W = V diag(1/sqrt(lambda + eps)) V^T, [D, D]. */
  whiteningMatrix(): Float64Array {
    return (this.W ??= this.spectral((l) => 1 / Math.sqrt(l)));
  }

  /** W^-1 = V diag(sqrt(lambda + eps)) V^T, [D, D]. */
  coloringMatrix(): Float64Array {
    return (this.Winv ??= this.spectral((l) => Math.sqrt(l)));
  }

  private apply(x: Tensor, out: Tensor | undefined, M: Float64Array, sub: number, add: number, what: string): Tensor {
    const ok =
      Array.isArray(x?.shape) &&
      x.shape.length === this.sampleShape.length + 1 &&
      this.sampleShape.every((d, i) => d === x.shape[i + 1]);
    if (!ok)
      throw new ShapeError(
        `${what}: expected [B, ${this.sampleShape.join(', ')}] (the shape it was fitted on), ` +
          `got ${Array.isArray(x?.shape) ? shapeStr(x.shape) : typeof x}`,
      );
    const D = this.dim,
      B = x.shape[0]!;
    if (x.data.length !== B * D)
      throw new ShapeError(`${what}: shape ${shapeStr(x.shape)} needs ${B * D} values, data has ${x.data.length}`);
    assertFinite(x.data, what);
    const o = out ?? { shape: [...x.shape], data: new Float32Array(B * D) };
    if (o.data.length !== B * D) throw new ShapeError(`${what}: out must hold ${B * D} values, got ${o.data.length}`);
    const c = new Float64Array(D);
    for (let i = 0; i < B; i++) {
      for (let p = 0; p < D; p++) c[p] = x.data[i * D + p]! - sub * this.mean[p]!;
      for (let p = 0; p < D; p++) {
        let s = 0;
        for (let q = 0, r = p * D; q < D; q++) s += M[r + q]! * c[q]!;
        o.data[i * D + p] = s + add * this.mean[p]!;
      }
    }
    return o;
  }

  /** y = W (x - mu) for x [B, ...sampleShape]. */
  transform(x: Tensor, out?: Tensor): Tensor {
    return this.apply(x, out, this.whiteningMatrix(), 1, 0, 'Zca.transform');
  }

  /** x = W^-1 y + mu, the inverse of `transform`. */
  inverse(y: Tensor, out?: Tensor): Tensor {
    return this.apply(y, out, this.coloringMatrix(), 0, 1, 'Zca.inverse');
  }

  /** Header fields and arrays for `packBlob` (shared with the pipeline file). */
  parts(): { header: Record<string, unknown>; arrays: Record<string, Float64Array> } {
    return {
      header: { sampleShape: this.sampleShape, epsilon: this.epsilon, count: this.count },
      arrays: { mean: this.mean, values: this.values, vectors: this.vectors },
    };
  }

  static fromParts(header: Record<string, unknown>, arrays: Record<string, Float64Array>, what: string): Zca {
    const { sampleShape, epsilon, count } = header as { sampleShape: number[]; epsilon: number; count: number };
    if (!Array.isArray(sampleShape) || !arrays.mean || !arrays.values || !arrays.vectors) {
      throw new RangeError(`${what}: missing ZCA fields (sampleShape, mean, values, vectors)`);
    }
    return new Zca({ sampleShape, epsilon, count, mean: arrays.mean, values: arrays.values, vectors: arrays.vectors });
  }

  /** A small binary file (see blob.ts): mean, eigenvalues and eigenvectors in float64. */
  toBytes(): Uint8Array {
    const { header, arrays } = this.parts();
    return packBlob({ format: 'recur-zca', version: 1, ...header }, arrays);
  }

  static fromBytes(bytes: Uint8Array): Zca {
    const { header, arrays } = unpackBlob(bytes, 'Zca.fromBytes');
    if (header.format !== 'recur-zca')
      throw new RangeError(`Zca.fromBytes: expected format 'recur-zca', got '${String(header.format)}'`);
    return Zca.fromParts(header, arrays, 'Zca.fromBytes');
  }
}
