/**
 * A hashed linear model = a FeatureHasher (how rows become features) + an online learner (the
 * weights and optimiser state), saved together as one safetensors file, the checkpoint format
 * of the rest of recur:
 *
 *   tensors:  ftrl_z_sqrtn [D, 2] F64 (z, sqrt(n))   or   adagrad_wn [D, 2] F64 (w, n)
 *   metadata: format = "recur-hashed-linear/1", hasher = JSON(HasherConfig),
 *             learner = JSON({kind, bits, alpha, ...}), rows = examples trained on
 *
 * Loading checks every field, so a file from another tool or a damaged file fails with a
 * message naming what was expected rather than predicting garbage.
 */
import { assertFiniteTensors, decodeSafetensors, encodeSafetensors, SafetensorsError } from '../safetensors.js';
import { parseStrictJSON } from '../strict_json.js';
import { FeatureHasher, type HasherConfig, type HasherOptions } from './featurehash.js';
import { FTRL, type FTRLOptions } from './ftrl.js';
import { AdaGradLogistic, type AdaGradOptions } from './logreg.js';
import type { OnlineLearner } from './learner.js';

export const MODEL_FORMAT = 'recur-hashed-linear/1';

export type LearnerOptions = ({ kind: 'ftrl' } & FTRLOptions) | ({ kind: 'adagrad' } & AdaGradOptions);

export function makeLearner(opts: LearnerOptions): OnlineLearner {
  if (opts.kind === 'ftrl') return new FTRL(opts);
  if (opts.kind === 'adagrad') return new AdaGradLogistic(opts);
  throw new RangeError(`unknown learner kind '${(opts as { kind: unknown }).kind}' (expected 'ftrl' or 'adagrad')`);
}

export class HashedLinearModel {
  readonly hasher: FeatureHasher;
  readonly learner: OnlineLearner;
  /** Examples trained on so far (all passes). */
  rows = 0;

  constructor(hasher: FeatureHasher | HasherOptions, learner: OnlineLearner | LearnerOptions) {
    this.hasher = hasher instanceof FeatureHasher ? hasher : new FeatureHasher(hasher);
    this.learner = 'learn' in learner ? learner : makeLearner({ ...learner, bits: this.hasher.config.bits });
    if (this.learner.bits !== this.hasher.config.bits) {
      throw new RangeError(
        `HashedLinearModel: hasher has ${this.hasher.config.bits} bits but learner has ${this.learner.bits}`,
      );
    }
  }

  /** Trains on one record (column name -> value, label included); returns p before the update. */
  learnRecord(rec: Record<string, string | number | null | undefined>): number {
    const r = this.hasher.hashRecord(rec, undefined, true);
    this.rows++;
    return this.learner.learn(r.idx, r.val, r.n, r.label);
  }

  /** Probability of the positive class for one record (the label, if present, is ignored). */
  predictRecord(rec: Record<string, string | number | null | undefined>): number {
    const r = this.hasher.hashRecord(rec, undefined, false);
    return this.learner.predict(r.idx, r.val, r.n);
  }

  toSafetensors(): Uint8Array {
    return encodeSafetensors(this.learner.state(), {
      format: MODEL_FORMAT,
      hasher: JSON.stringify(this.hasher.config),
      learner: JSON.stringify({ kind: this.learner.kind, ...this.learner.hyper() }),
      rows: String(this.rows),
    });
  }

  static fromSafetensors(bytes: Uint8Array): HashedLinearModel {
    const { tensors, metadata } = decodeSafetensors(bytes);
    if (metadata.format !== MODEL_FORMAT) {
      throw new RangeError(
        `not a hashed linear model: metadata format is ${JSON.stringify(metadata.format ?? null)}, expected ` +
          `"${MODEL_FORMAT}"`,
      );
    }
    let hc: HasherConfig, lc: LearnerOptions;
    try {
      hc = parseStrictJSON(metadata.hasher ?? '') as HasherConfig;
      lc = parseStrictJSON(metadata.learner ?? '') as LearnerOptions;
    } catch (e) {
      throw new SafetensorsError(
        `hashed linear model: metadata "hasher" and "learner" must be JSON objects (${(e as Error).message})`,
      );
    }
    if (!hc || typeof hc !== 'object' || !lc || typeof lc !== 'object')
      throw new SafetensorsError('hashed linear model: metadata "hasher" and "learner" must be JSON objects');
    // The table's size comes from the tensor present, checked before the learner allocates 2^bits rows.
    const name = lc.kind === 'adagrad' ? 'adagrad_wn' : 'ftrl_z_sqrtn';
    const t = tensors[name];
    if (!t || t.dtype !== 'F64' || t.shape.length !== 2 || t.shape[1] !== 2)
      throw new SafetensorsError(`hashed linear model: expected an F64 tensor '${name}' of shape [2^bits, 2]`);
    for (const [what, bits] of [
      ['hasher', hc.bits],
      ['learner', lc.bits],
    ] as const)
      if (2 ** (bits as number) !== t.shape[0])
        throw new SafetensorsError(
          `hashed linear model: ${what} bits ${JSON.stringify(bits)} disagree with the ${t.shape[0]} rows of '${name}'`,
        );
    assertFiniteTensors(tensors, [name]);
    const d = t.data as Float64Array;
    for (let i = 1; i < d.length; i += 2)
      if (!(d[i]! >= 0))
        throw new SafetensorsError(`hashed linear model: '${name}' holds a negative accumulator at row ${(i - 1) / 2}`);
    const m = new HashedLinearModel({ ...hc, label: hc.label ?? undefined }, lc);
    m.learner.loadState(tensors as Record<string, { shape: number[]; data: ArrayLike<number> }>);
    const rows = Number(metadata.rows ?? 0);
    if (!Number.isSafeInteger(rows) || rows < 0)
      throw new SafetensorsError(
        `hashed linear model: metadata "rows" must be a count, got ${metadata.rows?.slice(0, 20)}`,
      );
    m.rows = rows;
    return m;
  }
}
