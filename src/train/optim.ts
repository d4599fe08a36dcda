/**
 * Optimisers over the flat parameter array (DESIGN.md, decision 2): one loop over one
 * array. Each keeps its state in flat arrays of the same length, so checkpoints save it
 * as tensors. `weightDecay` is L2 added to the gradient (SGD/RMSProp/Adam) or decoupled
 * (AdamW, `decoupled: true`); decay skips parameters marked decay=false (biases, states).
 */
import type { Params } from '../params.js';
import type { FArray } from '../tensor.js';

export interface Optimizer {
  readonly kind: string;
  lr: number;
  /** L2 (or, for AdamW, decoupled) weight decay; applied where a parameter's `decay` flag is set. */
  readonly weightDecay: number;
  /** Updates applied so far (Adam's bias correction, SGD's first momentum step); a device that updates moves it on. */
  t: number;
  /** Applies one update from params.grad. */
  step(): void;
  /** Flat state arrays by name, for checkpoints. */
  state(): Record<string, FArray>;
  /** Scalar state (e.g. step count), for checkpoints. */
  scalars(): Record<string, number>;
  loadState(arrays: Record<string, ArrayLike<number>>, scalars: Record<string, number>): void;
}

function decayMask(p: Params): Uint8Array {
  const m = new Uint8Array(p.size);
  for (const q of p.list) if (q.decay) m.fill(1, q.offset, q.offset + q.size);
  return m;
}

abstract class Base implements Optimizer {
  abstract readonly kind: string;
  protected readonly mask: Uint8Array;
  t = 0;
  constructor(
    protected readonly p: Params,
    public lr: number,
    protected readonly wd: number,
  ) {
    if (!(lr >= 0)) throw new RangeError(`optimizer: lr must be >= 0, got ${lr}`);
    if (!(wd >= 0)) throw new RangeError(`optimizer: weightDecay must be >= 0, got ${wd}`);
    this.mask = decayMask(p);
  }
  get weightDecay(): number {
    return this.wd;
  }
  abstract step(): void;
  abstract state(): Record<string, FArray>;
  scalars(): Record<string, number> {
    return { t: this.t };
  }
  loadState(arrays: Record<string, ArrayLike<number>>, scalars: Record<string, number>): void {
    for (const [k, a] of Object.entries(this.state())) {
      const src = arrays[k];
      if (!src || src.length !== a.length)
        throw new RangeError(`optimizer state '${k}' expected ${a.length} values, got ${src?.length}`);
      a.set(src);
    }
    this.t = scalars.t ?? 0;
  }
}

/** SGD with optional momentum and Nesterov (PyTorch's formulation: v = mu v + g; p -= lr (g + mu v) | lr v). */
export class SGD extends Base {
  readonly kind = 'sgd';
  private readonly v: FArray;
  constructor(p: Params, o: { lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number }) {
    super(p, o.lr, o.weightDecay ?? 0);
    this.momentum = o.momentum ?? 0;
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && this.momentum <= 0) throw new RangeError('SGD: nesterov needs momentum > 0');
    this.v = new (p.data.constructor as Float32ArrayConstructor)(this.momentum ? p.size : 0);
  }
  readonly momentum: number;
  readonly nesterov: boolean;
  step(): void {
    const { data, grad } = this.p,
      n = data.length,
      lr = this.lr,
      mu = this.momentum,
      wd = this.wd,
      v = this.v,
      m = this.mask,
      first = this.t === 0,
      nesterov = this.nesterov;
    // One loop per case, every field read once (the same arithmetic in the same order as the
    // general form: g = grad (+ wd p); v = first ? g : mu v + g; g = nesterov ? g + mu v : v; p -= lr g).
    if (!wd && !mu) {
      for (let i = 0; i < n; i++) data[i] -= lr * grad[i]!;
    } else if (!wd && !nesterov) {
      if (first) for (let i = 0; i < n; i++) data[i] -= lr * (v[i] = grad[i]!);
      else
        for (let i = 0; i < n; i++) {
          const vi = mu * v[i]! + grad[i]!; // the unrounded sum steps p, as in the general loop
          v[i] = vi;
          data[i] -= lr * vi;
        }
    } else {
      for (let i = 0; i < n; i++) {
        let g = grad[i]!;
        if (wd && m[i]) g += wd * data[i]!;
        if (mu) {
          const vi = first ? g : mu * v[i]! + g;
          v[i] = vi;
          g = nesterov ? g + mu * vi : vi;
        }
        data[i] -= lr * g;
      }
    }
    this.t++;
  }
  state(): Record<string, FArray> {
    return this.momentum ? { momentum_buffer: this.v } : {};
  }
}

/** RMSProp (PyTorch's: s = a s + (1-a) g^2; p -= lr g / (sqrt(s) + eps)). */
export class RMSProp extends Base {
  readonly kind = 'rmsprop';
  private readonly s: FArray;
  readonly alpha: number;
  readonly eps: number;
  constructor(p: Params, o: { lr: number; alpha?: number; eps?: number; weightDecay?: number }) {
    super(p, o.lr, o.weightDecay ?? 0);
    this.alpha = o.alpha ?? 0.99;
    this.eps = o.eps ?? 1e-8;
    this.s = new (p.data.constructor as Float32ArrayConstructor)(p.size);
  }
  step(): void {
    const { data, grad } = this.p,
      n = data.length,
      a = this.alpha,
      wd = this.wd,
      m = this.mask;
    for (let i = 0; i < n; i++) {
      let g = grad[i]!;
      if (wd && m[i]) g += wd * data[i]!;
      const s = a * this.s[i]! + (1 - a) * g * g;
      this.s[i] = s;
      data[i] -= (this.lr * g) / (Math.sqrt(s) + this.eps);
    }
    this.t++;
  }
  state(): Record<string, FArray> {
    return { square_avg: this.s };
  }
}

/** Adam (Kingma & Ba 2015) with bias correction; `decoupled` gives AdamW (Loshchilov & Hutter 2019). */
export class Adam extends Base {
  readonly kind = 'adam';
  private readonly m1: FArray;
  private readonly m2: FArray;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly decoupled: boolean;
  constructor(
    p: Params,
    o: { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number; decoupled?: boolean },
  ) {
    super(p, o.lr, o.weightDecay ?? 0);
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.decoupled = o.decoupled ?? false;
    const C = p.data.constructor as Float32ArrayConstructor;
    this.m1 = new C(p.size);
    this.m2 = new C(p.size);
  }
  step(): void {
    const { data, grad } = this.p,
      n = data.length,
      b1 = this.beta1,
      b2 = this.beta2,
      wd = this.wd,
      m = this.mask,
      m1 = this.m1,
      m2 = this.m2,
      eps = this.eps,
      decoupled = this.decoupled;
    this.t++;
    const c1 = 1 - b1 ** this.t,
      c2 = 1 - b2 ** this.t,
      lr = this.lr,
      a1 = 1 - b1,
      a2 = 1 - b2;
    for (let i = 0; i < n; i++) {
      let g = grad[i]!;
      if (wd && m[i]) {
        if (decoupled)
          data[i] -= lr * wd * data[i]!; // AdamW: decay outside the moments
        else g += wd * data[i]!;
      }
      const a = b1 * m1[i]! + a1 * g;
      const b = b2 * m2[i]! + a2 * g * g;
      m1[i] = a;
      m2[i] = b;
      data[i] -= (lr * (a / c1)) / (Math.sqrt(b / c2) + eps);
    }
  }
  state(): Record<string, FArray> {
    return { exp_avg: this.m1, exp_avg_sq: this.m2 };
  }
}

export type OptimizerSpec =
  | { type: 'sgd'; lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { type: 'rmsprop'; lr: number; alpha?: number; eps?: number; weightDecay?: number }
  | { type: 'adam' | 'adamw'; lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number };

export function makeOptimizer(p: Params, s: OptimizerSpec): Optimizer {
  switch (s.type) {
    case 'sgd':
      return new SGD(p, s);
    case 'rmsprop':
      return new RMSProp(p, s);
    case 'adam':
      return new Adam(p, s);
    case 'adamw':
      return new Adam(p, { ...s, decoupled: true, weightDecay: s.weightDecay ?? 0.01 });
    default:
      throw new RangeError(`unknown optimizer '${(s as { type: string }).type}'; expected sgd, rmsprop, adam or adamw`);
  }
}
