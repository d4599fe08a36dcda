/**
 * A preprocessing pipeline over images [N, H, W, C], in LeCun's order:
 *
 *   images -> (RGB -> YUV) -> (local contrast normalisation) -> (ZCA whitening) -> out
 *
 * The first two steps are stateless; ZCA is fitted on what they produce, streamed batch by
 * batch (`fit` takes any iterable of batches, or `begin()` gives an accumulator to feed by
 * hand, e.g. from an async source). The fitted pipeline round-trips through `toBytes` /
 * `fromBytes` (the blob.ts container), so the CLI fits once and applies later.
 */
import type { Tensor } from '../tensor.js';
import { packBlob, unpackBlob } from './blob.js';
import { rgbToYuv } from './color.js';
import { checkImages } from './images.js';
import { type LcnOptions, localContrastNormalize, resolveLcnOptions } from './lcn.js';
import { CovarianceAccumulator, Zca, type ZcaOptions } from './zca.js';

export interface PipelineSpec {
  /** Convert RGB to YUV first (needs 3 channels). */
  yuv?: boolean;
  /** Local contrast normalisation options, or null/undefined to skip it. */
  lcn?: LcnOptions | null;
  /** Fit ZCA whitening on the output of the steps above, or null/undefined to skip it. */
  zca?: ZcaOptions | null;
}

export class Pipeline {
  /** The spec with every default filled in (this is what `toBytes` stores). */
  readonly spec: { yuv: boolean; lcn: Required<LcnOptions> | null; zca: ZcaOptions | null };

  constructor(
    spec: PipelineSpec,
    readonly zca: Zca | null = null,
  ) {
    this.spec = { yuv: spec.yuv ?? false, lcn: spec.lcn ? resolveLcnOptions(spec.lcn) : null, zca: spec.zca ?? null };
    if (this.spec.zca && !zca)
      throw new RangeError('Pipeline: the spec asks for ZCA but no fitted Zca was given; use Pipeline.fit');
  }

  /** The stateless steps (YUV, LCN) on a batch. */
  prepare(images: Tensor): Tensor {
    checkImages(images, 'Pipeline');
    let x = images;
    if (this.spec.yuv) x = rgbToYuv(x);
    if (this.spec.lcn) x = localContrastNormalize(x, this.spec.lcn, x === images ? undefined : x);
    return x;
  }

  /** Every step, ZCA included, on a batch of images shaped as the ones it was fitted on. */
  apply(images: Tensor): Tensor {
    const x = this.prepare(images);
    return this.zca ? this.zca.transform(x, x === images ? undefined : x) : x;
  }

  /** An accumulator for the ZCA statistics; feed it `prepare(batch)` and pass it to `finish`. */
  static begin(): CovarianceAccumulator {
    return new CovarianceAccumulator();
  }

  /** Completes a pipeline whose ZCA statistics were gathered with `begin()`. */
  static finish(spec: PipelineSpec, acc: CovarianceAccumulator | null): Pipeline {
    const zca = spec.zca ? Zca.fromAccumulator(acc ?? new CovarianceAccumulator(), spec.zca) : null;
    return new Pipeline(spec, zca);
  }

  /** Fits the pipeline on batches of images (one pass; only ZCA needs data). */
  static fit(spec: PipelineSpec, batches: Iterable<Tensor>): Pipeline {
    const stateless = new Pipeline({ ...spec, zca: null });
    if (!spec.zca) return stateless;
    const acc = Pipeline.begin();
    for (const b of batches) acc.add(stateless.prepare(b));
    return Pipeline.finish(spec, acc);
  }

  toBytes(): Uint8Array {
    const z = this.zca?.parts();
    return packBlob(
      { format: 'recur-preprocess', version: 1, yuv: this.spec.yuv, lcn: this.spec.lcn, zca: z ? z.header : null },
      z ? z.arrays : {},
    );
  }

  static fromBytes(bytes: Uint8Array): Pipeline {
    const { header, arrays } = unpackBlob(bytes, 'Pipeline.fromBytes');
    if (header.format !== 'recur-preprocess')
      throw new RangeError(`Pipeline.fromBytes: expected format 'recur-preprocess', got '${String(header.format)}'`);
    const zh = header.zca as Record<string, unknown> | null;
    const zca = zh ? Zca.fromParts(zh, arrays, 'Pipeline.fromBytes') : null;
    return new Pipeline(
      { yuv: Boolean(header.yuv), lcn: header.lcn as LcnOptions | null, zca: zca ? { epsilon: zca.epsilon } : null },
      zca,
    );
  }
}
