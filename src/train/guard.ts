/**
 * The after-update guard: an optimiser step taken with a finite gradient can still leave
 * non-finite numbers behind (SGD with lr 3e38 overflows a weight; Adam's second moment
 * (1 - beta2) g^2 overflows float32 for |g| > 5.8e20), and a checkpoint must never store one. So every
 * update runs as
 *
 *   copy parameters + optimiser state (+ scalars) -> opt.step() -> all finite?  keep
 *                                                                 otherwise    restore the copy
 *
 * and the Trainer then skips (counts) or stops, as its nonFinite mode says. The check is one
 * read of each array summing x * 0 in float64, which is 0 exactly when every x is finite (NaN
 * otherwise, and a float64 sum of float32 zeros cannot overflow); the copy is a memcpy. Both
 * are O(parameters), next to the O(T * B * parameters) of the forward and backward pass.
 */
import type { Params } from '../params.js';
import type { FArray } from '../tensor.js';
import type { Optimizer } from './optim.js';

/** 0 when every value of `a` is finite, NaN otherwise (four sums: no chain of dependent adds). */
function finiteSum(a: FArray): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    i = 0;
  for (; i + 4 <= a.length; i += 4) {
    s0 += a[i]! * 0;
    s1 += a[i + 1]! * 0;
    s2 += a[i + 2]! * 0;
    s3 += a[i + 3]! * 0;
  }
  for (; i < a.length; i++) s0 += a[i]! * 0;
  return s0 + s1 + s2 + s3;
}

// The copy of each array an update writes, kept with the array (a new Trainer over the same
// model and optimiser reuses them: no allocation per step or per Trainer).
const COPIES = new WeakMap<FArray, FArray>();

function copyOf(a: FArray): FArray {
  let c = COPIES.get(a);
  if (!c) COPIES.set(a, (c = new (a.constructor as Float32ArrayConstructor)(a.length)));
  return c;
}

export class UpdateGuard {
  constructor(
    private readonly params: Params,
    private readonly optimizer: Optimizer,
  ) {}

  /** The arrays an update writes (fetched each time: a backend may rebuild its views). */
  private arrays(): FArray[] {
    return [this.params.data, ...Object.values(this.optimizer.state())];
  }

  /** Whether every parameter and optimiser state value is finite now. */
  finite(): boolean {
    let s = 0;
    for (const a of this.arrays()) s += finiteSum(a);
    return s === 0;
  }

  /**
   * Takes one optimiser step; when it leaves anything non-finite, puts parameters, state and
   * scalars back as they were and returns false.
   */
  step(): boolean {
    const arrays = this.arrays();
    for (const a of arrays) copyOf(a).set(a);
    const scalars = this.optimizer.scalars();
    this.optimizer.step();
    if (this.finite()) return true;
    for (const a of arrays) a.set(copyOf(a));
    this.optimizer.loadState(this.optimizer.state(), scalars); // puts the scalars (e.g. Adam's t) back
    return false;
  }
}
