/**
 * Extreme learning machine (Huang et al. 2006): a fixed random hidden layer and a ridge readout.
 *
 *   h = f(W x + b),   yhat = Wout h + bias
 *   x [D] features, W [L, D] ~ U(-1, 1) (or N(0, 1)) times `inputScaling`, b [L] likewise times
 *   `biasScaling`, L = `hidden` units; Wout [O, L] by ridge regression (ridge.ts), streamed in
 *   row blocks so memory does not grow with the number of samples.
 *
 * Classification uses one-hot {0, 1} targets and argmax, as the usual ELM recipe does.
 */
import { actCode, getBackend } from '../backend/index.js';
import { Rng } from '../random.js';
import { ShapeError } from '../tensor.js';
import { Ridge } from './ridge.js';
import type { GramAccumulator } from './gram.js';
import { type SeqLike, asSeq } from './seq.js';
import type { ReservoirActivation } from './reservoir.js';

export interface ELMOptions {
  hidden: number;
  activation?: ReservoirActivation;
  /** Ridge penalty of the readout (default 1e-6). */
  ridge?: number;
  inputScaling?: number;
  biasScaling?: number;
  weights?: 'uniform' | 'normal';
  seed?: number;
  /** Where the readout folds its rows into X^T X (RidgeOptions.gram: e.g. `threadedGram()` of recur/parallel). */
  gram?: GramAccumulator;
}

const CHUNK = 512;

export class ELM {
  readonly hidden: number;
  readonly activation: ReservoirActivation;
  readonly opts: Readonly<ELMOptions>;
  inputDim = 0;
  W = new Float64Array(0); // [L, D]
  b = new Float64Array(0); // [L]
  readout: Ridge;
  /** Number of classes after `fitClassifier` (0 for regression). */
  classes = 0;

  constructor(opts: ELMOptions) {
    if (!Number.isInteger(opts.hidden) || opts.hidden < 1)
      throw new RangeError(`ELM: hidden must be a positive integer, got ${opts.hidden}`);
    this.hidden = opts.hidden;
    this.activation = opts.activation ?? 'tanh';
    this.opts = { ...opts };
    this.readout = new Ridge({ ridge: opts.ridge ?? 1e-6, gram: opts.gram });
  }

  private init(D: number): void {
    const L = this.hidden,
      rng = new Rng(this.opts.seed ?? 0),
      rb = rng.fork();
    const draw = (r: Rng): number => ((this.opts.weights ?? 'uniform') === 'normal' ? r.normal() : r.range(-1, 1));
    this.W = new Float64Array(L * D);
    const si = this.opts.inputScaling ?? 1,
      sb = this.opts.biasScaling ?? 1;
    for (let i = 0; i < L * D; i++) this.W[i] = si * draw(rng);
    this.b = new Float64Array(L);
    for (let i = 0; i < L; i++) this.b[i] = sb * draw(rb);
    this.inputDim = D;
  }

  /** Hidden activations H [rows, L] for X [rows, D] at xOff (into `H`). */
  hiddenLayer(X: Float64Array, xOff: number, rows: number, H: Float64Array): void {
    const L = this.hidden,
      D = this.inputDim;
    const be = getBackend();
    be.fillRows(rows, L, H, 0, this.b, 0);
    be.gemm(false, true, true, rows, L, D, X, xOff, this.W, 0, H, 0);
    be.actForward(actCode(this.activation), rows * L, H, 0);
  }

  private rows(x: SeqLike, what: string): { n: number; D: number; data: Float64Array } {
    const s = asSeq(x, what);
    if (x.shape.length !== 2)
      throw new ShapeError(`${what}: expected a [samples, features] matrix, got shape [${x.shape}]`);
    return { n: s.T, D: s.F, data: s.data };
  }

  /** Regression: X [n, D], Y [n, O]. */
  fit(x: SeqLike, y: SeqLike): this {
    const X = this.rows(x, 'ELM.fit x'),
      Y = this.rows(y, 'ELM.fit y');
    if (X.n !== Y.n) throw new ShapeError(`ELM.fit: x has ${X.n} samples, y has ${Y.n}`);
    this.init(X.D);
    this.readout.initialize(this.hidden, Y.D);
    const H = new Float64Array(CHUNK * this.hidden);
    for (let r0 = 0; r0 < X.n; r0 += CHUNK) {
      const rows = Math.min(CHUNK, X.n - r0);
      this.hiddenLayer(X.data, r0 * X.D, rows, H);
      this.readout.addRows(H, 0, Y.data, r0 * Y.D, rows);
    }
    this.readout.solve();
    return this;
  }

  /** Classification: labels are integers in [0, numClasses). */
  fitClassifier(x: SeqLike, labels: ArrayLike<number>, numClasses?: number): this {
    let C = numClasses ?? 0;
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (!Number.isInteger(l) || l < 0)
        throw new RangeError(`ELM.fitClassifier: label ${i} is ${l}; labels must be integers >= 0`);
      if (numClasses === undefined) C = Math.max(C, l + 1);
      else if (l >= numClasses)
        throw new RangeError(`ELM.fitClassifier: label ${i} is ${l}, outside [0, ${numClasses})`);
    }
    const Y = new Float64Array(labels.length * C);
    for (let i = 0; i < labels.length; i++) Y[i * C + labels[i]!] = 1;
    this.fit(x, { shape: [labels.length, C], data: Y });
    this.classes = C;
    return this;
  }

  /** Predictions [n, O] for X [n, D]. */
  predict(x: SeqLike): { shape: number[]; data: Float64Array } {
    if (!this.readout.fitted) throw new RangeError('ELM.predict: not fitted; call fit or fitClassifier first');
    const X = this.rows(x, 'ELM.predict x');
    if (X.D !== this.inputDim) throw new ShapeError(`ELM.predict: expected ${this.inputDim} features, got ${X.D}`);
    const O = this.readout.outputDim,
      out = new Float64Array(X.n * O),
      H = new Float64Array(CHUNK * this.hidden);
    for (let r0 = 0; r0 < X.n; r0 += CHUNK) {
      const rows = Math.min(CHUNK, X.n - r0);
      this.hiddenLayer(X.data, r0 * X.D, rows, H);
      this.readout.forward(rows, H, 0, out, r0 * O);
    }
    return { shape: [X.n, O], data: out };
  }

  /** Class indices (argmax of the outputs). */
  predictClass(x: SeqLike): Int32Array {
    const p = this.predict(x),
      O = p.shape[1]!,
      n = p.shape[0]!,
      out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let o = 1; o < O; o++) if (p.data[i * O + o]! > p.data[i * O + best]!) best = o;
      out[i] = best;
    }
    return out;
  }
}
