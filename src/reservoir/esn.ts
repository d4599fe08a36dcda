/**
 * Echo state network: a reservoir piped into one or more readouts (ReservoirPy's
 * `reservoir >> readout`), with teacher-forced training and closed-loop generation.
 *
 *   training (teacher forcing): x[t] = reservoir(x[t-1], u[t]) with the true input u[t];
 *                               every readout learns y[t] from z[t] (after its warm-up)
 *   one-step run:               yhat[t] = Wout z[t] + bias, inputs given
 *   closed loop (generation):   u[t+1] := yhat[t], so the network runs on its own output
 *
 *   z[t] = x[t] by default, or terms of x[t] and u[t] such as [x, u] or [x, x^2]
 *   (`readoutFeatures`, features.ts). u [T, B, D], x [T, B, N], z [T, B, F], y [T, B, O];
 *   generation needs O = D. `ESN.generateAveraged` runs several ESNs in one closed loop
 *   (ensemble.ts).
 *
 * Standardisation (default on, `standardize: false` to turn it off): `fit` learns the mean and
 * standard deviation of every input feature and of every readout's targets from its training
 * data; inputs are standardised before the reservoir, targets before the readouts, and `run` /
 * `generate` give values in the data's own units (the closed loop feeds back those values,
 * standardised again as inputs). A series around 100 would otherwise drive every unit into
 * tanh's flat tails and the readout would learn a flat line. `partialFit` streams with the
 * statistics of the last `fit`, or of its first batch when there are none yet.
 *
 * Several readouts share one reservoir run: each learns its own target from the same states.
 * Sequences of different lengths are streamed by calling `partialFit` once per batch and
 * `solve` at the end; memory stays constant (only X^T X and Y^T X are kept).
 */
import { ShapeError } from '../tensor.js';
import type { Readout } from './readout.js';
import { Reservoir } from './reservoir.js';
import { type ReadoutTerm, parseReadoutTerms, readoutFeatureDim, readoutFeatures } from './features.js';
import { type Seq, type SeqLike, asSeq } from './seq.js';
import { Standardizer } from '../data/standardize.js';

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

export interface ESNOptions {
  /**
   * What the readouts see (default ['x']): terms from x[t] and u[t] concatenated in the order
   * given, e.g. ['x', 'u'] (Jaeger's extended state) or ['x', 'x2'] (squared states);
   * see features.ts. Set before the first fit.
   */
  readoutFeatures?: string | readonly ReadoutTerm[];
  /** Shorthand for readoutFeatures ['x', 'u'] (kept for compatibility). */
  inputToReadout?: boolean;
  /** Standardise inputs and targets on the training data, and invert on output (default true). */
  standardize?: boolean;
}

export class ESN {
  private terms: ReadoutTerm[] = ['x'];
  private feat: Float64Array = new Float64Array(0); // [B, featureDim] when the readouts see more than x
  private lastU = new Float64Array(0); // [B, D]: the input of the last step
  /** Standardise inputs and targets (see the file comment); takes effect at the next fit. */
  standardize: boolean;
  private xStd: Standardizer | null = null; // inputs
  private yStd: (Standardizer | null)[] = []; // per readout
  private uStd = new Float64Array(0); // [B, D] one step's input, standardised

  constructor(
    readonly reservoir: Reservoir,
    readonly readouts: Readout[],
    opts: ESNOptions = {},
  ) {
    if (readouts.length === 0) throw new RangeError('ESN: needs at least one readout');
    this.standardize = opts.standardize ?? true;
    if (opts.readoutFeatures !== undefined) this.readoutFeatures = parseReadoutTerms(opts.readoutFeatures);
    else if (opts.inputToReadout) this.inputToReadout = true;
  }

  /** The terms the readouts see (features.ts); assigning a string such as 'x,x2' works too. */
  get readoutFeatures(): readonly ReadoutTerm[] {
    return this.terms;
  }
  set readoutFeatures(t: string | readonly ReadoutTerm[]) {
    this.terms = parseReadoutTerms(t, 'ESN.readoutFeatures');
  }

  /** Readouts see [x[t], u[t]] (Jaeger's extended state): readoutFeatures ['x', 'u']. */
  get inputToReadout(): boolean {
    return this.terms.includes('u');
  }
  set inputToReadout(on: boolean) {
    this.terms = on ? ['x', 'u'] : ['x'];
  }

  private get usesInput(): boolean {
    return this.terms.includes('u') || this.terms.includes('u2');
  }

  /** Width of what the readouts see. */
  get featureDim(): number {
    return readoutFeatureDim(this.terms, this.reservoir.units, this.reservoir.inputDim);
  }

  /** The standardisation in use (null: none), fitted by the last fit: inputs, and each readout's targets. */
  get standardization(): { x: Standardizer | null; y: (Standardizer | null)[] } {
    return { x: this.xStd, y: [...this.yStd] };
  }

  /** One reservoir step on u [B, D] at uOff; returns the readout features [B, featureDim]. */
  private step(u: Float64Array, uOff: number): Float64Array {
    const res = this.reservoir,
      B = res.batch,
      D = res.inputDim;
    if (this.xStd) {
      if (this.uStd.length !== B * D) this.uStd = new Float64Array(B * D);
      this.xStd.transform(u.subarray(uOff, uOff + B * D), this.uStd);
      u = this.uStd;
      uOff = 0;
    }
    if (this.usesInput) {
      if (this.lastU.length !== B * D) this.lastU = new Float64Array(B * D);
      this.lastU.set(u.subarray(uOff, uOff + B * D));
    }
    const x = res.step(u, uOff);
    return this.features(x);
  }

  private features(x: Float64Array): Float64Array {
    if (this.terms.length === 1 && this.terms[0] === 'x') return x;
    const res = this.reservoir;
    this.feat = readoutFeatures(this.terms, res.batch, res.units, res.inputDim, x, this.lastU, this.feat);
    return this.feat;
  }

  /** One target per readout (or the same one for all). */
  private targets(y: SeqLike | SeqLike[]): SeqLike[] {
    const ys = Array.isArray(y) ? y : this.readouts.map(() => y as SeqLike);
    if (ys.length !== this.readouts.length)
      throw new ShapeError(
        `ESN.fit: ${this.readouts.length} readouts need ${this.readouts.length} targets, got ${ys.length}`,
      );
    return ys;
  }

  /** Drives the reservoir with x and feeds states and targets (one target per readout, or one for all). */
  partialFit(x: SeqLike, y: SeqLike | SeqLike[], opts: ESNFitOptions = {}): this {
    const sx = asSeq(x, 'ESN.fit x');
    const ys = this.targets(y);
    const sys: Seq[] = ys.map((t, i) => asSeq(t, `ESN.fit y[${i}]`));
    if (this.standardize && !this.xStd) this.fitStandardization(sx, sys);
    if (this.xStd) {
      if (this.xStd.dim !== sx.F)
        throw new ShapeError(`ESN.fit: the standardisation has ${this.xStd.dim} input features, x has ${sx.F}`);
      sx.data = this.xStd.transform(sx.data, new Float64Array(sx.data.length));
      sys.forEach((s, i) => {
        const st = this.yStd[i];
        if (st && st.dim === s.F) s.data = st.transform(s.data, new Float64Array(s.data.length));
      });
    }
    const res = this.reservoir;
    if (!res.initialized) res.initialize(sx.F);
    if (sx.F !== res.inputDim)
      throw new ShapeError(`ESN.fit: the reservoir expects ${res.inputDim} input features, got ${sx.F}`);
    sys.forEach((s, i) => {
      if (s.T !== sx.T || s.B !== sx.B)
        throw new ShapeError(`ESN.fit: x has [T, B] = [${sx.T}, ${sx.B}] but y[${i}] has [${s.T}, ${s.B}]`);
      const r = this.readouts[i]!;
      if (r.inputDim === 0) r.initialize(this.featureDim, s.F);
      else if (r.inputDim !== this.featureDim)
        throw new ShapeError(
          `ESN.fit: readout ${i} was set up for ${r.inputDim} features but the ESN now gives ${this.featureDim} ` +
            '(readoutFeatures changed after fitting?); call fit to start over',
        );
      else if (r.outputDim !== s.F)
        throw new ShapeError(`ESN.fit: readout ${i} predicts ${r.outputDim} features, y[${i}] has ${s.F}`);
    });
    if (opts.reset ?? true) res.reset(sx.B);
    else if (res.batch !== sx.B)
      throw new ShapeError(`ESN.fit: reset is false but the state holds ${res.batch} sequences and x has ${sx.B}`);
    const N = this.featureDim,
      B = sx.B,
      D = sx.F,
      BN = B * res.units;
    const warm = this.readouts.map((r) => opts.warmup ?? r.warmup);
    const keepU = this.usesInput;
    if (keepU && this.lastU.length !== B * D) this.lastU = new Float64Array(B * D);
    // Chunks of steps per reservoir kernel call; then the readouts take the rows one by one.
    for (let t0 = 0; t0 < sx.T; t0 += Reservoir.CHUNK) {
      const n = Math.min(Reservoir.CHUNK, sx.T - t0);
      const states = res.runSteps(sx.data, t0 * B * D, n);
      for (let t = t0; t < t0 + n; t++) {
        if (keepU) this.lastU.set(sx.data.subarray(t * B * D, (t + 1) * B * D));
        const state = this.features(states.subarray((t - t0) * BN, (t - t0 + 1) * BN));
        for (let i = 0; i < this.readouts.length; i++) {
          if (t < warm[i]!) continue;
          const r = this.readouts[i]!,
            s = sys[i]!;
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

  /** Fresh statistics (and standardisation), one batch, solve: the one-call fit. */
  fit(x: SeqLike, y: SeqLike | SeqLike[], opts: ESNFitOptions = {}): this {
    this.targets(y); // checked before the readouts are cleared, so a bad call leaves them as they were
    for (const r of this.readouts) r.inputDim = 0; // re-initialised (statistics cleared) by partialFit
    this.xStd = null;
    this.yStd = [];
    return this.partialFit(x, y, opts).solve();
  }

  private fitStandardization(sx: Seq, sys: Seq[]): void {
    this.xStd = Standardizer.fit([sx.data], sx.F);
    this.yStd = sys.map((s) => Standardizer.fit([s.data], s.F));
  }

  /** Back to the data's units: readout i's outputs in place (n values from `at`). */
  private unstandardize(i: number, a: Float64Array, at: number, n: number): void {
    const st = this.yStd[i];
    if (st) st.inverse(a.subarray(at, at + n), a.subarray(at, at + n));
  }

  private checkFitted(i: number, what: string): Readout {
    const r = this.readouts[i];
    if (!r) throw new RangeError(`${what}: no readout ${i} (have ${this.readouts.length})`);
    if (!r.fitted) throw new RangeError(`${what}: readout ${i} is not fitted; call fit first`);
    if (r.inputDim !== this.featureDim)
      throw new ShapeError(
        `${what}: readout ${i} was fitted on ${r.inputDim} features but the ESN now gives ${this.featureDim} ` +
          '(readoutFeatures changed after fitting?)',
      );
    return r;
  }

  /**
   * One-step predictions with the true inputs given: [T, O] or [T, B, O] like x.
   * Continues from the current state unless `reset` (default true).
   */
  run(x: SeqLike, opts: { reset?: boolean; readout?: number } = {}): { shape: number[]; data: Float64Array } {
    const r = this.checkFitted(opts.readout ?? 0, 'ESN.run');
    const sx = asSeq(x, 'ESN.run x'),
      res = this.reservoir;
    if (sx.F !== res.inputDim)
      throw new ShapeError(`ESN.run: the reservoir expects ${res.inputDim} input features, got ${sx.F}`);
    if ((opts.reset ?? true) || res.batch !== sx.B) res.reset(sx.B);
    const O = r.outputDim,
      out = new Float64Array(sx.T * sx.B * O);
    for (let t = 0; t < sx.T; t++) r.forward(sx.B, this.step(sx.data, t * sx.B * sx.F), 0, out, t * sx.B * O);
    this.unstandardize(opts.readout ?? 0, out, 0, out.length);
    return { shape: x.shape.length === 3 ? [sx.T, sx.B, O] : [sx.T, O], data: out };
  }

  /**
   * Closed-loop generation of `steps` values: after the optional teacher-forced `prime`,
   * each prediction is fed back as the next input. Deterministic: no noise, the state and
   * weights alone decide. Returns [steps, O] (or [steps, B, O] for a batched prime).
   */
  generate(steps: number, opts: GenerateOptions = {}): { shape: number[]; data: Float64Array } {
    return ESN.generateAveraged([this], steps, opts, 'ESN.generate');
  }

  /**
   * Closed loop for K ESNs at once (ensemble.ts): all are primed with the same prefix, their
   * predictions averaged, yhat[t] = (1/K) sum_k yhat_k[t], and the average fed back to every
   * one as its next input. `generate` is the case K = 1 (the same numbers: a sum of one term).
   */
  static generateAveraged(
    members: readonly ESN[],
    steps: number,
    opts: GenerateOptions,
    what: string,
  ): { shape: number[]; data: Float64Array } {
    if (!Number.isInteger(steps) || steps < 1)
      throw new RangeError(`${what}: steps must be a positive integer, got ${steps}`);
    if (members.length === 0) throw new RangeError(`${what}: needs at least one ESN`);
    const K = members.length,
      one = K === 1;
    const rs = members.map((m, k) => m.checkFitted(opts.readout ?? 0, one ? what : `${what} (member ${k})`));
    const D = members[0]!.reservoir.inputDim,
      O = rs[0]!.outputDim;
    if (O !== D) {
      throw new ShapeError(
        `${what}: closing the loop needs outputs like inputs, ` +
          `but the readout gives ${O} features and the reservoir takes ${D}`,
      );
    }
    members.forEach((m, k) => {
      if (m.reservoir.inputDim !== D || rs[k]!.outputDim !== O) {
        throw new ShapeError(
          `${what}: member ${k} maps ${m.reservoir.inputDim} -> ${rs[k]!.outputDim} features, ` +
            `member 0 maps ${D} -> ${O}`,
        );
      }
    });
    let batched = false;
    if (opts.prime) {
      const sp = asSeq(opts.prime, `${what} prime`);
      if (sp.F !== D) throw new ShapeError(`${what}: prime has ${sp.F} features, the reservoir expects ${D}`);
      batched = opts.prime.shape.length === 3;
      for (const m of members) {
        m.reservoir.reset(sp.B);
        for (let t = 0; t < sp.T; t++) m.step(sp.data, t * sp.B * sp.F);
      }
    }
    const B = members[0]!.reservoir.batch;
    members.forEach((m, k) => {
      if (m.reservoir.batch !== B)
        throw new ShapeError(
          `${what}: member ${k} holds ${m.reservoir.batch} sequences, member 0 holds ${B}; give a prime`,
        );
      if (m.usesInput && m.lastU.length !== B * D) {
        throw new RangeError(
          `${what}: readoutFeatures ${m.terms.join(',')} need the last input; give a prime or run first`,
        );
      }
    });
    const out = new Float64Array(steps * B * O),
      y = one ? out : new Float64Array(B * O);
    let feats = members.map((m) => m.features(m.reservoir.state));
    for (let t = 0; t < steps; t++) {
      if (t > 0) feats = members.map((m) => m.step(out, (t - 1) * B * O));
      const at = t * B * O;
      const ri = opts.readout ?? 0;
      if (one) {
        rs[0]!.forward(B, feats[0]!, 0, out, at);
        members[0]!.unstandardize(ri, out, at, B * O); // fed back in the data's units (step standardises)
        continue;
      }
      for (let k = 0; k < K; k++) {
        rs[k]!.forward(B, feats[k]!, 0, y, 0);
        members[k]!.unstandardize(ri, y, 0, B * O);
        for (let i = 0; i < B * O; i++) out[at + i]! += y[i]!;
      }
      for (let i = 0; i < B * O; i++) out[at + i]! /= K;
    }
    return { shape: batched || B > 1 ? [steps, B, O] : [steps, O], data: out };
  }
}

/** `pipe(reservoir, readout, ...)`: one reservoir feeding one or more readouts. */
export function pipe(reservoir: Reservoir, ...readouts: Readout[]): ESN {
  return new ESN(reservoir, readouts);
}
