/**
 * `recur preprocess fit|apply`: LeCun's recipe (YUV + local contrast normalisation) and ZCA
 * whitening on PNG images, so a person can look at what each step does.
 *
 *   fit    IMAGE|DIR ...  --out FILE      fit the pipeline (ZCA streams over the images in
 *                                         batches of --batch, so any number of images fits)
 *   apply  IMAGE|DIR ...  --out-dir DIR   apply a fitted --pipeline FILE, or the stateless
 *                                         steps given by flags, and write one PNG per image
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { cpus } from 'node:os';
import { useKernelThreads } from '../node/kernel_threads.js';
import { type Command, InputError, UsageError } from './args.js';
import { Pipeline, type PipelineSpec } from '../preprocess/pipeline.js';
import { DEFAULT_MAX_PIXELS, type DisplayLayout, type DisplayScale, PngError, readPng, writePng } from '../node/png.js';
import { makeDir, readInput } from '../node/files.js';
import type { Tensor } from '../tensor.js';
import { snakeKeys } from './json.js';

/** Expands directories to their *.png files (sorted) and checks that every path exists. */
function listImages(paths: string[]): string[] {
  if (paths.length === 0) throw new UsageError('give at least one PNG file or directory of PNG files');
  const files: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new InputError(`${p}: no such file or directory`);
    if (statSync(p).isDirectory()) {
      const found = readdirSync(p)
        .filter((f) => f.toLowerCase().endsWith('.png'))
        .sort()
        .map((f) => join(p, f));
      if (found.length === 0) throw new InputError(`${p}: directory holds no .png files`);
      files.push(...found);
    } else files.push(p);
  }
  return files;
}

function load(file: string, gray: boolean, maxPixels: number): Tensor {
  try {
    return readPng(file, { channels: gray ? 1 : 3, maxPixels });
  } catch (e) {
    if (e instanceof PngError) throw new InputError(`${file}: cannot read as PNG (${e.message})`);
    throw e;
  }
}

/** Runs `f`, turning the core's data errors (shape, non-finite, range) into InputError (exit 3) naming `where`. */
function asInput<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const err = e as Error;
    if (['ShapeError', 'NonFiniteError', 'RangeError'].includes(err.name))
      throw new InputError(`${where}: ${err.message}`);
    throw e;
  }
}

function specFromFlags(o: Record<string, any>): PipelineSpec {
  return {
    yuv: o.yuv,
    lcn:
      o.lcn === 'none'
        ? null
        : { size: o.lcnSize, sigma: o.lcnSigma, acrossChannels: o.lcn === 'across', divisive: o.lcnDivide },
    zca: o.zca ? { epsilon: o.epsilon } : null,
  };
}

/** Yields batches [B, H, W, C] read lazily from `files`; all images must share one size. */
function* batches(files: string[], gray: boolean, size: number, maxPixels: number): Generator<Tensor> {
  let first: { file: string; shape: number[] } | null = null;
  for (let i = 0; i < files.length; i += size) {
    const imgs = files.slice(i, i + size).map((f) => {
      const t = load(f, gray, maxPixels);
      first ??= { file: f, shape: t.shape };
      if (t.shape.some((d, k) => d !== first!.shape[k])) {
        throw new InputError(
          `${f}: image is ${t.shape[2]}x${t.shape[1]} but ${first.file} is ` +
            `${first.shape[2]}x${first.shape[1]}; ZCA needs images of one size`,
        );
      }
      return t;
    });
    const per = imgs[0]!.data.length,
      data = new Float32Array(per * imgs.length);
    imgs.forEach((t, k) => data.set(t.data, k * per));
    yield { shape: [imgs.length, ...imgs[0]!.shape.slice(1)], data };
  }
}

export const command: Command = {
  name: 'preprocess',
  summary: 'YUV, local contrast normalisation and ZCA whitening on PNG images (fit, then apply)',
  positionals: 'fit|apply IMAGE|DIR [...]',
  subcommands: { fit: 'IMAGE|DIR [...]', apply: 'IMAGE|DIR [...]' },
  flags: {
    out: { only: ['fit'], type: 'string', default: 'pipeline.rcpp', help: 'fit: file to write the fitted pipeline to' },
    pipeline: {
      only: ['apply'],
      type: 'string',
      default: '',
      help: 'apply: a pipeline file written by fit (else the steps come from the flags below)',
    },
    'out-dir': {
      only: ['apply'],
      type: 'string',
      default: 'preprocessed',
      help: 'apply: directory for the output PNGs (same names as the inputs)',
    },
    yuv: { type: 'boolean', default: false, help: 'convert RGB to YUV (BT.601) first' },
    lcn: {
      type: 'string',
      default: 'none',
      choices: ['none', 'across', 'channel'],
      help: 'local contrast normalisation, pooled across channels or per channel',
    },
    'lcn-size': { type: 'int', default: 9, min: 1, max: 255, help: 'LCN Gaussian window width (odd)' },
    'lcn-sigma': {
      type: 'number',
      default: 2,
      above: 0,
      max: 1000,
      help: 'LCN Gaussian window standard deviation in pixels',
    },
    'lcn-divide': {
      type: 'boolean',
      default: true,
      help: 'LCN: divide by the local std (off: subtractive only)',
    },
    zca: { type: 'boolean', default: false, help: 'fit: ZCA-whiten (on the output of the steps above)' },
    epsilon: {
      only: ['fit'],
      type: 'number',
      default: 1e-3,
      min: 0,
      help: 'ZCA: added to the covariance eigenvalues (pixels are in [0, 1])',
    },
    batch: {
      only: ['fit'],
      type: 'int',
      default: 64,
      min: 1,
      max: 100000,
      help: 'fit: images per batch while streaming the covariance',
    },
    'max-pixels': {
      type: 'int',
      default: DEFAULT_MAX_PIXELS,
      min: 1,
      max: 2 ** 31 - 1,
      help: 'refuse images with more pixels (width x height) than this, before decoding them',
    },
    threads: {
      only: ['fit'],
      type: 'int',
      default: cpus().length,
      min: 1,
      max: 256,
      help: 'fit: threads for the ZCA products and eigendecomposition (default: one per core)',
    },
    gray: { type: 'boolean', default: false, help: 'read images as one grey channel (BT.601 luma) instead of RGB' },
    scale: {
      only: ['apply'],
      type: 'string',
      default: 'std',
      choices: ['std', 'minmax', 'clip'],
      help: 'apply: how output values map to 0..255 (std: mean +- 3 std per image)',
    },
    layout: {
      only: ['apply'],
      type: 'string',
      default: 'auto',
      choices: ['auto', 'rgb', 'channels'],
      help: 'apply: rgb colour, or channels as grey panels side by side (auto: rgb unless YUV or not 3 channels)',
    },
  },
  details: [
    'Examples:',
    '  recur preprocess apply photos/ --yuv --lcn across --out-dir lcn/      # LeCun: YUV + LCN, no fitting',
    '  recur preprocess fit patches/ --zca --epsilon 0.01 --out zca.rcpp     # fit ZCA over 32x32 PNGs',
    '  recur preprocess apply patches/ --pipeline zca.rcpp --out-dir white/',
    'Pixels are read as values in [0, 1]. ZCA needs all images of one size and costs O(D^3) once',
    'for D = H*W*C values per image (timings in docs/preprocessing.md), so keep images or patches small.',
  ].join('\n'),
  async run(o, pos, io) {
    const [verb, ...paths] = pos;
    if (verb !== 'fit' && verb !== 'apply')
      throw new UsageError(
        `expected 'fit' or 'apply' as the first argument, got ${verb === undefined ? 'nothing' : `'${verb}'`}`,
      );
    if (o.lcn !== 'none' && o.lcnSize % 2 !== 1)
      throw new UsageError(`--lcn-size must be an odd integer in 1..255, got ${o.lcnSize}`);
    const files = listImages(paths);
    const t0 = performance.now();
    if (verb === 'fit') {
      const spec = specFromFlags(o);
      // Helper threads for the float64 kernels (none where the wasm backend or shared memory is missing).
      const kt = o.zca && o.threads > 1 ? await useKernelThreads(o.threads).catch(() => null) : null;
      let p: Pipeline;
      try {
        p = asInput('fit', () => Pipeline.fit(spec, batches(files, o.gray, o.batch, o.maxPixels)));
      } finally {
        await kt?.close();
      }
      writeFileSync(o.out, p.toBytes());
      const z = p.zca;
      const result = {
        command: 'fit',
        images: files.length,
        out: o.out,
        spec: snakeKeys(p.spec),
        gray: o.gray,
        zca: z
          ? {
              dim: z.dim,
              sample_shape: z.sampleShape,
              min_eigenvalue: z.values[0],
              max_eigenvalue: z.values[z.dim - 1],
            }
          : null,
        seconds: (performance.now() - t0) / 1000,
      };
      if (o.json) io.out(JSON.stringify(result));
      else if (!z) io.out(`nothing to fit without --zca; wrote the stateless pipeline to ${o.out}`);
      else
        io.out(
          `fitted ZCA on ${files.length} image(s) of ${z.dim} values, eigenvalues ` +
            `${z.values[0]!.toExponential(2)} .. ${z.values[z.dim - 1]!.toExponential(2)}; wrote ${o.out}`,
        );
      return 0;
    }
    let p: Pipeline;
    if (o.pipeline) {
      const bytes = readInput(o.pipeline);
      p = asInput(o.pipeline, () => Pipeline.fromBytes(bytes));
    } else {
      if (o.zca)
        throw new UsageError(
          '--zca needs fitting: run `recur preprocess fit ... --zca --out FILE`, then apply with --pipeline FILE',
        );
      p = new Pipeline(specFromFlags(o));
    }
    makeDir(o.outDir);
    const layout: DisplayLayout | undefined = o.layout === 'auto' ? (p.spec.yuv ? 'channels' : undefined) : o.layout;
    const outputs: string[] = [];
    for (const f of files) {
      const dest = join(o.outDir, basename(f));
      if (resolve(dest) === resolve(f))
        throw new UsageError(`${f}: --out-dir would overwrite the input; choose another directory`);
      const y = asInput(f, () => p.apply(load(f, o.gray, o.maxPixels)));
      asInput(f, () => writePng(dest, y, { scale: o.scale as DisplayScale, layout }));
      outputs.push(dest);
      if (!o.json) io.out(`${f} -> ${dest}`);
    }
    if (o.json)
      io.out(
        JSON.stringify({
          command: 'apply',
          images: files.length,
          outputs,
          spec: snakeKeys(p.spec),
          seconds: (performance.now() - t0) / 1000,
        }),
      );
    return 0;
  },
};
