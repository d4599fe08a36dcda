/**
 * Linear (PyTorch nn.Linear): y = x W^T + b over the last dimension.
 * Shapes: x [..., I] viewed as [N, I], W [O, I], b [O], y [..., O].
 * Cache: the input x (copied). Backward: dx = dy W; dW += dy^T x; db += sum_rows dy.
 */
import { type Backend, workspace } from '../backend/backend.js';
import { getBackend, tsBackend } from '../backend/index.js';
import { type Param, Params } from '../params.js';
import { Rng } from '../random.js';
import { uniform } from '../init.js';
import { type DType, type FArray, type Tensor, ShapeError, assertFinite, numel } from '../tensor.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  seed?: number;
  dtype?: DType;
  backend?: Backend | string;
  params?: Params;
  /** Parameter names are `${prefix}weight`, `${prefix}bias`. */
  prefix?: string;
}

export class Linear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly params: Params;
  readonly weight: Param;
  readonly bias: Param | null;
  readonly backend: Backend;
  private N = -1;
  private x: FArray = new Float32Array(0); // [N,I]
  private y: FArray = new Float32Array(0); // [N,O]
  private dx: FArray = new Float32Array(0); // [N,I]
  private lead: number[] = [];

  constructor(o: LinearOptions) {
    if (!Number.isInteger(o?.inFeatures) || o.inFeatures < 1 || !Number.isInteger(o.outFeatures) || o.outFeatures < 1) {
      throw new RangeError(
        `Linear: inFeatures and outFeatures must be positive integers, got ${o?.inFeatures} and ${o?.outFeatures}`,
      );
    }
    this.inFeatures = o.inFeatures;
    this.outFeatures = o.outFeatures;
    const own = !o.params;
    this.params = o.params ?? new Params(o.dtype ?? 'float32');
    const named = typeof o.backend === 'string' ? getBackend(o.backend) : (o.backend ?? getBackend());
    this.backend = this.params.dtype === 'float64' ? tsBackend : named;
    const k = 1 / Math.sqrt(o.inFeatures); // PyTorch's default: U(-1/sqrt(I), 1/sqrt(I))
    const p = o.prefix ?? '';
    this.weight = this.params.declare(`${p}weight`, [o.outFeatures, o.inFeatures], (a, r) => uniform(a, -k, k, r));
    this.bias =
      (o.bias ?? true) ? this.params.declare(`${p}bias`, [o.outFeatures], (a, r) => uniform(a, -k, k, r)) : null;
    if (own) this.params.allocate(new Rng(o.seed ?? 0), this.backend);
  }

  private ensure(N: number): void {
    if (N === this.N) return;
    const dt = this.params.dtype;
    this.N = N;
    this.x = workspace(this.backend, dt, N * this.inFeatures, this.x);
    this.y = workspace(this.backend, dt, N * this.outFeatures, this.y);
    this.dx = workspace(this.backend, dt, N * this.inFeatures, this.dx);
  }

  forward(x: Tensor<FArray>): Tensor<FArray> {
    const I = this.inFeatures,
      O = this.outFeatures;
    if (!x || !Array.isArray(x.shape) || x.shape.length < 1 || x.shape[x.shape.length - 1] !== I) {
      throw new ShapeError(`Linear.forward: expected x of shape [..., ${I}], got [${x?.shape}]`);
    }
    const N = numel(x.shape) / I;
    if (x.data.length !== N * I)
      throw new ShapeError(`Linear.forward: shape [${x.shape}] needs ${N * I} values, got ${x.data.length}`);
    assertFinite(x.data, 'Linear.forward x');
    this.ensure(N);
    this.lead = x.shape.slice(0, -1);
    this.x.set(x.data);
    if (this.bias) this.backend.fillRows(N, O, this.y, 0, this.bias.data, 0);
    // y = x W^T + b
    this.backend.gemm(false, true, this.bias !== null, N, O, I, this.x, 0, this.weight.data, 0, this.y, 0);
    return { shape: [...this.lead, O], data: this.y };
  }

  backward(dy: Tensor<FArray>): Tensor<FArray> {
    const I = this.inFeatures,
      O = this.outFeatures,
      N = this.N;
    if (N < 0) throw new Error('Linear.backward called before forward');
    if (!dy || dy.data.length !== N * O)
      throw new ShapeError(`Linear.backward: expected dy of shape [${[...this.lead, O]}], got [${dy?.shape}]`);
    const be = this.backend;
    be.gemm(true, false, true, O, I, N, dy.data, 0, this.x, 0, this.weight.grad, 0); // dW += dy^T x
    if (this.bias) be.colSumAcc(N, O, this.bias.grad, 0, dy.data, 0); // db += sum dy
    be.gemm(false, false, false, N, I, O, dy.data, 0, this.weight.data, 0, this.dx, 0); // dx = dy W
    return { shape: [...this.lead, I], data: this.dx };
  }
}
