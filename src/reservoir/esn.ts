/**
 * Echo state network: a reservoir piped into one or more readouts (ReservoirPy's
 * `reservoir >> readout`), with teacher-forced training and closed-loop generation.
 *
 *   training (teacher forcing): x[t] = reservoir(x[t-1], u[t]) with the true input u[t];
 *                               every readout learns y[t] from x[t] (after its warm-up)
 *   one-step run:               yhat[t] = Wout x[t] + bias, inputs given
 *   closed loop (generation):   u[t+1] := yhat[t], so the network runs on its own output
 *
 *   u [T, B, D], x [T, B, N], y [T, B, O]; generation needs O = D.
 *
 * Several readouts share one reservoir run: each learns its own target from the same states.
 * Sequences of different lengths are streamed by calling `partialFit` once per batch and
 * `solve` at the end; memory stays constant (only X^T X and Y^T X are kept).
 */
import { ShapeError } from '../tensor.js';
import type { Readout } from './readout.js';
import { Reservoir } from './reservoir.js';
import { type Seq, type SeqLike, asSeq } from './seq.js';

export interface ESNFitOptions {
  /** Steps of every sequence whose states are not learnt from (default: each readout's own warmup). */
  warmup?: number;
  /** Start each batch from a zero state (default true). */
  reset?: boolean;
}

export interface GenerateOptions {
  /** Teacher-forced prefix [P, D] or [P, B, D]; the reservoir is reset and driven through it first. */
  prime?: SeqLike;
  /** Which readout closes the loop (default 0). */
  readout?: number;
}

export class ESN {
  /**
   * Readouts see [x[t], u[t]] instead of x[t] (Jaeger's extended state: the input reaches the
   * readout linearly). Set before the first fit.
   */
  inputToReadout = false;
  private feat = new Float64Array(0);   // [B, N + D] when inputToReadout
  private lastU = new Float64Array(0);  // [B, D]: the input of the last step

  constructor(readonly reservoir: Reservoir, readonly readouts: Readout[], opts: { inputToReadout?: boolean } = {}) {
    if (readouts.length === 0) throw new RangeError('ESN: needs at least one readout');
    this.inputToReadout = opts.inputToReadout ?? false;
  }

  /** Width of what the readouts see. */
  get featureDim(): number { return this.reservoir.units + (this.inputToReadout ? this.reservoir.inputDim : 0); }

  /** One reservoir step on u [B, D] at uOff; returns the readout features [B, featureDim]. */
  private step(u: Float64Array, uOff: number): Float64Array {
    const res = this.reservoir, B = res.batch, D = res.inputDim;
    if (this.lastU.length !== B * D) this.lastU = new Float64Array(B * D);
    this.lastU.set(u.subarray(uOff, uOff + B * D));
    const x = res.step(u, uOff);
    return this.features(x);
  }

  private features(x: Float64Array): Float64Array {
    if (!this.inputToReadout) return x;
    const res = this.reservoir, B = res.batch, N = res.units, D = res.inputDim, F = N + D;
    if (this.feat.length !== B * F) this.feat = new Float64Array(B * F);
    for (let b = 0; b < B; b++) {
      this.feat.set(x.subarray(b * N, b * N + N), b * F);
      this.feat.set(this.lastU.subarray(b * D, b * D + D), b * F + N);
    }
    return this.feat;
  }

  /** Drives the reservoir with x and feeds states and targets (one target per readout, or one for all). */
  partialFit(x: SeqLike, y: SeqLike | SeqLike[], opts: ESNFitOptions = {}): this {
    const sx = asSeq(x, 'ESN.fit x');
    const ys = Array.isArray(y) ? y : this.readouts.map(() => y as SeqLike);
    if (ys.length !== this.readouts.length) throw new ShapeError(`ESN.fit: ${this.readouts.length} readouts need ${this.readouts.length} targets, got ${ys.length}`);
    const sys: Seq[] = ys.map((t, i) => asSeq(t, `ESN.fit y[${i}]`));
    const res = this.reservoir;
    if (!res.initialized) res.initialize(sx.F);
    if (sx.F !== res.inputDim) throw new ShapeError(`ESN.fit: the reservoir expects ${res.inputDim} input features, got ${sx.F}`);
    sys.forEach((s, i) => {
      if (s.T !== sx.T || s.B !== sx.B) throw new ShapeError(`ESN.fit: x has [T, B] = [${sx.T}, ${sx.B}] but y[${i}] has [${s.T}, ${s.B}]`);
      const r = this.readouts[i]!;
      if (r.inputDim === 0) r.initialize(this.featureDim, s.F);
      else if (r.outputDim !== s.F) throw new ShapeError(`ESN.fit: readout ${i} predicts ${r.outputDim} features, y[${i}] has ${s.F}`);
    });
    if (opts.reset ?? true) res.reset(sx.B);
    else if (res.batch !== sx.B) throw new ShapeError(`ESN.fit: reset is false but the state holds ${res.batch} sequences and x has ${sx.B}`);
    const N = this.featureDim, B = sx.B, D = sx.F, BN = B * res.units;
    const warm = this.readouts.map((r) => opts.warmup ?? r.warmup);
    if (this.lastU.length !== B * D) this.lastU = new Float64Array(B * D);
    // Chunks of steps per reservoir kernel call; then the readouts take the rows one by one.
    for (let t0 = 0; t0 < sx.T; t0 += Reservoir.CHUNK) {
      const n = Math.min(Reservoir.CHUNK, sx.T - t0);
      const states = res.runSteps(sx.data, t0 * B * D, n);
      for (let t = t0; t < t0 + n; t++) {
        this.lastU.set(sx.data.subarray(t * B * D, (t + 1) * B * D));
        const state = this.features(states.subarray((t - t0) * BN, (t - t0 + 1) * BN));
        for (let i = 0; i < this.readouts.length; i++) {
          if (t < warm[i]!) continue;
          const r = this.readouts[i]!, s = sys[i]!;
          for (let b = 0; b < B; b++) r.addRow(state, b * N, s.data, (t * B + b) * s.F);
        }
      }
    }
    return this;
  }

  /** Solves every readout from what `partialFit` accumulated. */
  solve(): this {
    for (const r of this.readouts) r.solve();
    return this;
  }

  /** Fresh statistics, one batch, solve: the one-call fit. */
  fit(x: SeqLike, y: SeqLike | SeqLike[], opts: ESNFitOptions = {}): this {
    for (const r of this.readouts) r.inputDim = 0; // re-initialised (statistics cleared) by partialFit
    return this.partialFit(x, y, opts).solve();
  }

  private checkFitted(i: number, what: string): Readout {
    const r = this.readouts[i];
    if (!r) throw new RangeError(`${what}: no readout ${i} (have ${this.readouts.length})`);
    if (!r.fitted) throw new RangeError(`${what}: readout ${i} is not fitted; call fit first`);
    return r;
  }

  /**
   * One-step predictions with the true inputs given: [T, O] or [T, B, O] like x.
   * Continues from the current state unless `reset` (default true).
   */
  run(x: SeqLike, opts: { reset?: boolean; readout?: number } = {}): { shape: number[]; data: Float64Array } {
    const r = this.checkFitted(opts.readout ?? 0, 'ESN.run');
    const sx = asSeq(x, 'ESN.run x'), res = this.reservoir;
    if (sx.F !== res.inputDim) throw new ShapeError(`ESN.run: the reservoir expects ${res.inputDim} input features, got ${sx.F}`);
    if ((opts.reset ?? true) || res.batch !== sx.B) res.reset(sx.B);
    const O = r.outputDim, out = new Float64Array(sx.T * sx.B * O);
    for (let t = 0; t < sx.T; t++) r.forward(sx.B, this.step(sx.data, t * sx.B * sx.F), 0, out, t * sx.B * O);
    return { shape: x.shape.length === 3 ? [sx.T, sx.B, O] : [sx.T, O], data: out };
  }

  /**
   * Closed-loop generation of `steps` values: after the optional teacher-forced `prime`,
   * each prediction is fed back as the next input. Deterministic: no noise, the state and
   * weights alone decide. Returns [steps, O] (or [steps, B, O] for a batched prime).
   */
  generate(steps: number, opts: GenerateOptions = {}): { shape: number[]; data: Float64Array } {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`ESN.generate: steps must be a positive integer, got ${steps}`);
    const r = this.checkFitted(opts.readout ?? 0, 'ESN.generate');
    const res = this.reservoir;
    if (r.outputDim !== res.inputDim) {
      throw new ShapeError(`ESN.generate: closing the loop needs outputs like inputs, but the readout gives ${r.outputDim} features and the reservoir takes ${res.inputDim}`);
    }
    let batched = false;
    if (opts.prime) {
      const sp = asSeq(opts.prime, 'ESN.generate prime');
      if (sp.F !== res.inputDim) throw new ShapeError(`ESN.generate: prime has ${sp.F} features, the reservoir expects ${res.inputDim}`);
      batched = opts.prime.shape.length === 3;
      res.reset(sp.B);
      for (let t = 0; t < sp.T; t++) this.step(sp.data, t * sp.B * sp.F);
    }
    const B = res.batch, O = r.outputDim, out = new Float64Array(steps * B * O);
    if (this.inputToReadout && this.lastU.length !== B * res.inputDim) {
      throw new RangeError('ESN.generate: with inputToReadout the last input is needed; give a prime or run first');
    }
    r.forward(B, this.features(res.state), 0, out, 0);
    for (let t = 1; t < steps; t++) r.forward(B, this.step(out, (t - 1) * B * O), 0, out, t * B * O);
    return { shape: batched || B > 1 ? [steps, B, O] : [steps, O], data: out };
  }
}

/** `pipe(reservoir, readout, ...)`: one reservoir feeding one or more readouts. */
export function pipe(reservoir: Reservoir, ...readouts: Readout[]): ESN {
  return new ESN(reservoir, readouts);
}
