/**
 * Parameters live in one flat array per model, gradients in a second of the same length,
 * cut into named views (DESIGN.md, decision 2). Layers declare their parameters with an
 * initialiser; the owner allocates once and runs the initialisers in declaration order, so
 * the same seed gives the same weights.
 */
import { type DType, type FArray, type Tensor, ShapeError, alloc, numel, shapeStr } from './tensor.js';
import type { Rng } from './random.js';
import { type Backend, workspace } from './backend/backend.js';
import { getBackend } from './backend/index.js';

export interface Param {
  readonly name: string;
  readonly shape: number[];
  readonly offset: number;
  readonly size: number;
  /** View into Params.data (valid after allocate). */
  data: FArray;
  /** View into Params.grad (valid after allocate). */
  grad: FArray;
  /** Whether optimisers should apply weight decay (false for biases and initial states). */
  readonly decay: boolean;
}

type Init = (a: FArray, rng: Rng) => void;

export class Params {
  readonly dtype: DType;
  readonly list: Param[] = [];
  private readonly inits: Init[] = [];
  private total = 0;
  data: FArray;
  grad: FArray;

  constructor(dtype: DType = 'float32') {
    this.dtype = dtype;
    this.data = alloc(dtype, 0);
    this.grad = alloc(dtype, 0);
  }

  get allocated(): boolean {
    return this.data.length === this.total && this.total > 0;
  }
  get size(): number {
    return this.total;
  }

  declare(name: string, shape: number[], init: Init, opts: { decay?: boolean } = {}): Param {
    if (this.data.length > 0) throw new Error(`Params: cannot declare '${name}' after allocate()`);
    if (this.list.some((p) => p.name === name)) throw new Error(`Params: duplicate parameter name '${name}'`);
    const size = numel(shape);
    const p: Param = {
      name,
      shape: [...shape],
      offset: this.total,
      size,
      data: alloc(this.dtype, 0),
      grad: alloc(this.dtype, 0),
      decay: opts.decay ?? shape.length > 1,
    };
    this.total += size;
    this.list.push(p);
    this.inits.push(init);
    return p;
  }

  /**
   * Allocates the flat arrays, cuts the views and runs every initialiser with `rng`. The arrays
   * live in `backend`'s memory (default: the default backend's) so its kernels need no copies.
   */
  allocate(rng: Rng, backend: Backend = getBackend()): void {
    this.data = workspace(backend, this.dtype, this.total);
    this.grad = workspace(backend, this.dtype, this.total);
    this.list.forEach((p, i) => {
      p.data = this.data.subarray(p.offset, p.offset + p.size);
      p.grad = this.grad.subarray(p.offset, p.offset + p.size);
      this.inits[i]!(p.data, rng);
    });
  }

  get(name: string): Param {
    const p = this.list.find((q) => q.name === name);
    if (!p) throw new Error(`no parameter named '${name}'; have: ${this.list.map((q) => q.name).join(', ')}`);
    return p;
  }

  zeroGrad(): void {
    this.grad.fill(0);
  }

  /** Copies of every parameter, in PyTorch state_dict naming. */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const p of this.list) out[p.name] = { shape: [...p.shape], data: Float32Array.from(p.data) };
    return out;
  }

  /** Copies of every gradient, keyed like stateDict. */
  namedGrads(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const p of this.list) out[p.name] = { shape: [...p.shape], data: Float32Array.from(p.grad) };
    return out;
  }

  /**
   * Loads weights by name. Strict (default): every parameter must be present and no extra
   * names are allowed; shapes must match exactly. Nothing is written unless all checks pass.
   */
  loadStateDict(
    sd: Record<string, { shape: number[]; data: ArrayLike<number> }>,
    opts: { strict?: boolean } = {},
  ): void {
    const strict = opts.strict ?? true;
    if (!sd || typeof sd !== 'object')
      throw new TypeError('loadStateDict: expected an object of {shape, data} tensors');
    const names = new Set(this.list.map((p) => p.name));
    const missing = this.list.filter((p) => !(p.name in sd)).map((p) => p.name);
    const unexpected = Object.keys(sd).filter((k) => !names.has(k));
    if (strict && (missing.length || unexpected.length)) {
      const parts = [];
      if (missing.length) parts.push(`missing: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected: ${unexpected.join(', ')}`);
      throw new ShapeError(`loadStateDict: names do not match (${parts.join('; ')})`);
    }
    for (const p of this.list) {
      const t = sd[p.name];
      if (!t) continue;
      const ok =
        Array.isArray(t.shape) && t.shape.length === p.shape.length && t.shape.every((d, i) => d === p.shape[i]);
      if (!ok)
        throw new ShapeError(
          `loadStateDict: '${p.name}' expected shape ${shapeStr(p.shape)}, got ${shapeStr(t.shape ?? [])}`,
        );
      if (!t.data || t.data.length !== p.size)
        throw new ShapeError(`loadStateDict: '${p.name}' needs ${p.size} values, got ${t.data?.length}`);
      for (let i = 0; i < p.size; i++) {
        const v = t.data[i]!;
        if (v - v !== 0) throw new ShapeError(`loadStateDict: '${p.name}' holds a non-finite value ${v} at index ${i}`);
      }
    }
    for (const p of this.list) {
      const t = sd[p.name];
      if (t) p.data.set(t.data as ArrayLike<number>);
    }
  }
}
