/**
 * `recur experiment preprocess`: LeCun's YUV + local contrast normalisation against ZCA
 * whitening, on real colour images, with the same classifiers after each:
 *   raw      RGB values in [0, 1]
 *   yuv      BT.601 YUV (a fixed linear map of RGB)
 *   yuv+lcn  YUV, then local contrast normalisation per channel (Jarrett et al. 2009)
 *   zca      ZCA whitening of RGB fitted on the training images (epsilon chosen on validation)
 * Classifiers on the flattened values: a ridge readout (one-hot targets, argmax; penalty chosen on
 * validation) and an ELM (random tanh layer of `hidden` units + ridge readout; input scaling and
 * penalty chosen on validation). Test accuracy over seeds (each seed its own split and ELM).
 *
 * Images: photographs (one class per photograph, or per folder) are downscaled by `scale`, cut
 * into non-overlapping `tile` x `tile` tiles, and blocks of `block` x `block` tiles are assigned
 * to train / validation / test (60/20/20, seeded, per photograph) so that neighbouring tiles,
 * which look alike, mostly stay in one split. Or labelled samples (CIFAR-10 binary files) split
 * 60/20/20 after a seeded shuffle. The files are read by the edge (src/cli/experiments/images.ts).
 */
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { rgbToYuv } from '../preprocess/color.js';
import { localContrastNormalize } from '../preprocess/lcn.js';
import { Zca } from '../preprocess/zca.js';
import { Ridge } from '../reservoir/ridge.js';
import { ELM } from '../reservoir/elm.js';
import { dotChart } from '../report/dots.js';
import { dataTable } from '../report/page.js';
import { fmt } from '../report/escape.js';
import {
  type Experiment,
  type ExperimentIO,
  type ExperimentResult,
  type Finding,
  DataError,
  check,
  mean,
  optionValues,
  separated,
  short,
  textTable,
} from './spec.js';

export interface Photo {
  name: string;
  H: number;
  W: number;
  /** [H, W, 3] in [0, 1]. */
  rgb: Float32Array;
}

export type ImageSet =
  | { kind: 'photos'; source: string; photos: Photo[]; classes: string[] }
  | { kind: 'samples'; source: string; size: number; X: Float32Array; labels: number[]; classes: number };

export const PIPELINES = ['raw', 'yuv', 'yuv+lcn', 'zca'] as const;
export const CLASSIFIERS = ['ridge', 'elm'] as const;
type Pipeline = (typeof PIPELINES)[number];
type Classifier = (typeof CLASSIFIERS)[number];

interface Split {
  S: number;
  C: number;
  train: { X: Float32Array; y: number[] };
  val: { X: Float32Array; y: number[] };
  test: { X: Float32Array; y: number[] };
}

export interface Cell {
  pipeline: Pipeline;
  classifier: Classifier;
  /** Per seed. */
  val: number[];
  test: number[];
  /** Per seed: the hyperparameters chosen on validation. */
  chosen: string[];
}

export interface PreprocessResult extends ExperimentResult {
  data: {
    source: string;
    classes: number;
    tile: number;
    train: number;
    val: number;
    test: number;
    /** std of U and V over std of Y on the training tiles (last seed): how much colour the images carry. */
    chromaToLuma: number;
  };
  cells: Cell[];
  /** One tile per class (first seed's test set) after each pipeline, for the report: [pipeline][k] = values [S*S*3]. */
  examples: Record<string, number[][]>;
}

/** Box-average downscaling of [H, W, 3] by an integer factor. */
function downscale(p: Photo, f: number): Photo {
  if (f === 1) return p;
  const H = Math.floor(p.H / f),
    W = Math.floor(p.W / f),
    out = new Float32Array(H * W * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = 0; dy < f; dy++)
          for (let dx = 0; dx < f; dx++) s += p.rgb[((y * f + dy) * p.W + x * f + dx) * 3 + c]!;
        out[(y * W + x) * 3 + c] = s / (f * f);
      }
  return { name: p.name, H, W, rgb: out };
}

/**
 * Each channel of a photograph to mean 0.5 and standard deviation 0.25 over the whole photograph:
 * a tile's class is then not given away by its photograph's overall tone and contrast alone.
 */
function standardise(p: Photo): Photo {
  const out = new Float32Array(p.rgb.length);
  for (let c = 0; c < 3; c++) {
    let m = 0,
      q = 0;
    const n = p.rgb.length / 3;
    for (let i = c; i < p.rgb.length; i += 3) m += p.rgb[i]! / n;
    for (let i = c; i < p.rgb.length; i += 3) q += (p.rgb[i]! - m) ** 2 / n;
    const sd = Math.sqrt(q) || 1;
    for (let i = c; i < p.rgb.length; i += 3) out[i] = 0.5 + (0.25 * (p.rgb[i]! - m)) / sd;
  }
  return { ...p, rgb: out };
}

function tiles(set: ImageSet, o: Record<string, any>, seed: number): Split {
  const rng = new Rng(seed + 404);
  const parts = { train: [] as number[][], val: [] as number[][], test: [] as number[][] };
  const labels = { train: [] as number[], val: [] as number[], test: [] as number[] };
  const put = (which: 'train' | 'val' | 'test', v: number[], y: number) => {
    parts[which].push(v);
    labels[which].push(y);
  };
  const pick = (): 'train' | 'val' | 'test' => {
    const u = rng.uniform();
    return u < 0.6 ? 'train' : u < 0.8 ? 'val' : 'test';
  };
  let S: number, C: number;
  if (set.kind === 'photos') {
    S = o.tile;
    C = set.classes.length;
    const bs = o.block as number;
    for (const p0 of set.photos) {
      const p = o.photoNorm === 'standardise' ? standardise(downscale(p0, o.scale)) : downscale(p0, o.scale),
        label = set.classes.indexOf(p.name);
      const ty = Math.floor(p.H / S),
        tx = Math.floor(p.W / S);
      for (let by = 0; by < ty; by += bs)
        for (let bx = 0; bx < tx; bx += bs) {
          const which = pick();
          for (let y = by; y < Math.min(ty, by + bs); y++)
            for (let x = bx; x < Math.min(tx, bx + bs); x++) {
              const v: number[] = [];
              for (let r = 0; r < S; r++)
                for (let c = 0; c < S * 3; c++) v.push(p.rgb[((y * S + r) * p.W + x * S) * 3 + c]!);
              put(which, v, label);
            }
        }
    }
  } else {
    const f = set.size / o.tile;
    if (!Number.isInteger(f) || f < 1) throw new DataError(`--tile must divide the sample size ${set.size}`);
    S = o.tile;
    C = set.classes;
    const n = Math.min(set.labels.length, o.maxSamples as number),
      D0 = set.size * set.size * 3;
    const order = Array.from({ length: set.labels.length }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const i of order.slice(0, n)) {
      const p = downscale({ name: '', H: set.size, W: set.size, rgb: set.X.subarray(i * D0, (i + 1) * D0) }, f);
      put(pick(), Array.from(p.rgb), set.labels[i]!);
    }
  }
  const pack = (w: 'train' | 'val' | 'test') => ({ X: Float32Array.from(parts[w].flat()), y: labels[w] });
  const out = { S, C, train: pack('train'), val: pack('val'), test: pack('test') };
  if (out.train.y.length < 2 * C || !out.val.y.length || !out.test.y.length)
    throw new DataError(
      `too few tiles: ${out.train.y.length}/${out.val.y.length}/${out.test.y.length} for train/validation/test; ` +
        `use smaller --tile, --scale or --block`,
    );
  return out;
}

function applyPipeline(p: Pipeline, X: Float32Array, S: number, o: Record<string, any>, zca?: Zca): Float32Array {
  const t: Tensor = { shape: [X.length / (S * S * 3), S, S, 3], data: X };
  if (p === 'raw') return X;
  if (p === 'yuv') return rgbToYuv(t).data as Float32Array;
  if (p === 'yuv+lcn')
    return localContrastNormalize(rgbToYuv(t), { size: o.lcnSize, sigma: o.lcnSigma, acrossChannels: false })
      .data as Float32Array;
  return zca!.transform({ shape: [t.shape[0]!, S * S * 3], data: X }).data as Float32Array;
}

const f64 = (X: Float32Array) => Float64Array.from(X);

/** sqrt(var U + var V) / std Y over the training tiles: near 0 for grey or sepia images. */
function chroma(s: Split): number {
  const yuv = rgbToYuv({ shape: [s.train.y.length, s.S, s.S, 3], data: s.train.X }).data;
  const v = [0, 1, 2].map((c) => {
    let m = 0,
      q = 0,
      n = 0;
    for (let i = c; i < yuv.length; i += 3) {
      m += yuv[i]!;
      q += yuv[i]! ** 2;
      n++;
    }
    return q / n - (m / n) ** 2;
  });
  return Math.sqrt(v[1]! + v[2]!) / Math.sqrt(v[0]!);
}

function accuracyOf(pred: ArrayLike<number>, y: number[]): number {
  let r = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) r++;
  return r / y.length;
}

function argmaxRows(P: Float64Array, C: number): Int32Array {
  const n = P.length / C,
    out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let c = 1; c < C; c++) if (P[i * C + c]! > P[i * C + b]!) b = c;
    out[i] = b;
  }
  return out;
}

function oneHot(y: number[], C: number): Float64Array {
  const out = new Float64Array(y.length * C);
  y.forEach((c, i) => (out[i * C + c] = 1));
  return out;
}

/** Ridge readout on the features; penalty on validation. */
function ridgeClassifier(
  tr: Float32Array,
  va: Float32Array,
  te: Float32Array,
  s: Split,
  ridges: number[],
): { val: number; test: number; chosen: string } {
  const D = tr.length / s.train.y.length;
  const r = new Ridge({ ridge: ridges[0] });
  r.partialFit(
    { shape: [s.train.y.length, D], data: f64(tr) },
    { shape: [s.train.y.length, s.C], data: oneHot(s.train.y, s.C) },
  );
  let best = { val: -1, r: ridges[0]! };
  const Xv = { shape: [s.val.y.length, D], data: f64(va) };
  for (const p of ridges) {
    try {
      r.solve(p);
    } catch {
      continue;
    }
    const a = accuracyOf(argmaxRows(r.predict(Xv).data, s.C), s.val.y);
    if (a > best.val) best = { val: a, r: p };
  }
  r.solve(best.r);
  const test = accuracyOf(argmaxRows(r.predict({ shape: [s.test.y.length, D], data: f64(te) }).data, s.C), s.test.y);
  return { val: best.val, test, chosen: `ridge ${best.r}` };
}

/** ELM; input scaling and penalty on validation. */
function elmClassifier(
  tr: Float32Array,
  va: Float32Array,
  te: Float32Array,
  s: Split,
  o: Record<string, any>,
  seed: number,
): { val: number; test: number; chosen: string } {
  const D = tr.length / s.train.y.length,
    ridges = (o.ridges as string[]).map(Number);
  let best = { val: -1, test: 0, chosen: '' };
  for (const scale of (o.elmScales as string[]).map(Number)) {
    const elm = new ELM({ hidden: o.hidden, inputScaling: scale, biasScaling: 1, ridge: ridges[0], seed });
    elm.fitClassifier({ shape: [s.train.y.length, D], data: f64(tr) }, s.train.y, s.C);
    for (const p of ridges) {
      try {
        elm.readout.solve(p);
      } catch {
        continue;
      }
      const a = accuracyOf(elm.predictClass({ shape: [s.val.y.length, D], data: f64(va) }), s.val.y);
      if (a > best.val)
        best = {
          val: a,
          test: accuracyOf(elm.predictClass({ shape: [s.test.y.length, D], data: f64(te) }), s.test.y),
          chosen: `scale ${scale}, ridge ${p}`,
        };
    }
  }
  return best;
}

function validate(o: Record<string, any>): void {
  for (const k of ['tile', 'scale', 'block', 'hidden', 'seeds', 'lcnSize', 'maxSamples'])
    check(
      Number.isInteger(o[k]) && o[k] >= 1,
      `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive integer, got ${o[k]}`,
    );
  check(o.lcnSize % 2 === 1, `--lcn-size must be odd, got ${o.lcnSize}`);
  check(o.lcnSigma > 0, `--lcn-sigma must be > 0`);
  for (const k of ['ridges', 'elmScales', 'epsilons'])
    check(
      (o[k] as string[]).length > 0 && (o[k] as string[]).every((x) => Number(x) > 0),
      `--${k} must be positive numbers`,
    );
}

async function run(o: Record<string, any>, io: ExperimentIO, data?: unknown): Promise<PreprocessResult> {
  validate(o);
  if (!data || typeof data !== 'object' || !('kind' in (data as object)))
    throw new DataError(
      'preprocess needs images (loaded by the command line: --images, --cifar or the default photographs)',
    );
  const set = data as ImageSet;
  const seeds = Array.from({ length: o.seeds }, (_, i) => o.seed + i);
  const cells: Cell[] = PIPELINES.flatMap((pipeline) =>
    CLASSIFIERS.map((classifier) => ({
      pipeline,
      classifier,
      val: [] as number[],
      test: [] as number[],
      chosen: [] as string[],
    })),
  );
  const cell = (p: Pipeline, c: Classifier) => cells.find((x) => x.pipeline === p && x.classifier === c)!;
  const ridges = (o.ridges as string[]).map(Number);
  let info = { classes: 0, train: 0, val: 0, test: 0, chromaToLuma: NaN };
  const examples: Record<string, number[][]> = {};
  for (const seed of seeds) {
    const s = tiles(set, o, seed);
    info = {
      classes: s.C,
      train: s.train.y.length,
      val: s.val.y.length,
      test: s.test.y.length,
      chromaToLuma: chroma(s),
    };
    io.log(`preprocess: seed ${seed}: ${info.train}/${info.val}/${info.test} tiles of ${s.S}x${s.S}, ${s.C} classes`);
    const D = s.S * s.S * 3;
    // ZCA: one eigendecomposition per seed; each epsilon reuses it.
    const zca0 = Zca.fit({ shape: [s.train.y.length, D], data: s.train.X }, { epsilon: Number(o.epsilons[0]) });
    for (const p of PIPELINES) {
      const variants =
        p === 'zca'
          ? (o.epsilons as string[]).map((e) => ({
              tag: `epsilon ${e}`,
              zca: new Zca({
                sampleShape: [D],
                epsilon: Number(e),
                count: zca0.count,
                mean: zca0.mean,
                values: zca0.values,
                vectors: zca0.vectors,
              }),
            }))
          : [{ tag: '', zca: undefined }];
      const best: Record<Classifier, { val: number; test: number; chosen: string }> = {
        ridge: { val: -1, test: 0, chosen: '' },
        elm: { val: -1, test: 0, chosen: '' },
      };
      for (const v of variants) {
        const tr = applyPipeline(p, s.train.X, s.S, o, v.zca),
          va = applyPipeline(p, s.val.X, s.S, o, v.zca),
          te = applyPipeline(p, s.test.X, s.S, o, v.zca);
        if (seed === seeds[0] && (!examples[p] || best.ridge.val < 0)) {
          const firstOf = s.test.y
            .map((_, i) => i)
            .filter((i, k, a) => a.findIndex((j) => s.test.y[j] === s.test.y[i]) === k);
          examples[p] = firstOf.map((i) => Array.from(te.subarray(i * D, (i + 1) * D)));
        }
        const r = ridgeClassifier(tr, va, te, s, ridges);
        const e = elmClassifier(tr, va, te, s, o, seed);
        const tag = v.tag ? `${v.tag}, ` : '';
        if (r.val > best.ridge.val) best.ridge = { ...r, chosen: tag + r.chosen };
        if (e.val > best.elm.val) best.elm = { ...e, chosen: tag + e.chosen };
      }
      for (const c of CLASSIFIERS) {
        cell(p, c).val.push(best[c].val);
        cell(p, c).test.push(best[c].test);
        cell(p, c).chosen.push(best[c].chosen);
      }
      io.log(
        `  ${p}: ridge test ${short(best.ridge.test)} (${best.ridge.chosen}); elm test ${short(best.elm.test)} ` +
          `(${best.elm.chosen})`,
      );
    }
  }
  const findings: Finding[] = [];
  const pm = (c: Cell) => `${short(mean(c.test))} [${short(Math.min(...c.test))}-${short(Math.max(...c.test))}]`;
  for (const c of CLASSIFIERS) {
    const raw = cell('raw', c),
      yuv = cell('yuv', c),
      lcn = cell('yuv+lcn', c),
      zca = cell('zca', c);
    findings.push(
      {
        question: `${c}: does YUV + LCN beat raw pixels?`,
        verdict: separated(lcn.test, raw.test),
        answer: `Test accuracy ${pm(lcn)} vs ${pm(raw)} (mean [range] over ${seeds.length} seeds).`,
      },
      {
        question: `${c}: does ZCA whitening beat raw pixels?`,
        verdict: separated(zca.test, raw.test),
        answer: `${pm(zca)} vs ${pm(raw)}.`,
      },
      {
        question: `${c}: does YUV + LCN beat ZCA whitening?`,
        verdict: separated(lcn.test, zca.test),
        answer: `${pm(lcn)} vs ${pm(zca)}; "no" means ZCA was better on every seed.`,
      },
      {
        question: `${c}: does YUV alone (a linear map of RGB) change the accuracy?`,
        verdict: separated(yuv.test, raw.test) === 'inconclusive' ? 'no' : 'yes',
        answer: `${pm(yuv)} vs ${pm(raw)}; "no" when the ranges overlap.`,
      },
    );
  }
  return {
    experiment: 'preprocess',
    title: experiment.title,
    question: experiment.question,
    options: optionValues(o, experiment.options),
    findings,
    budget: {
      unit: 'closed-form fits (no iterations): per seed and pipeline one ridge readout and one ELM per input scaling',
      fits: seeds.length * PIPELINES.length * (1 + (o.elmScales as string[]).length) * 1,
    },
    data: { source: set.source, tile: o.tile, ...info },
    cells,
    examples,
  };
}

function text(r: PreprocessResult): string {
  return textTable(
    ['pipeline', 'classifier', 'test accuracy per seed', 'mean', 'chosen on validation (first seed)'],
    r.cells.map((c) => [
      c.pipeline,
      c.classifier,
      c.test.map((a) => short(a)).join(', '),
      short(mean(c.test)),
      c.chosen[0] ?? '-',
    ]),
  );
}

/**
 * A tile as an SVG of S x S rects. Raw RGB in its own colours; any other output channel by channel,
 * grey levels spanning that channel's mean +- 3 std in the tile (so YUV shows as false colour).
 */
function tileSvg(v: number[], S: number, raw: boolean, px = 5): string {
  const maps = [0, 1, 2].map((c) => {
    if (raw) return (x: number) => Math.max(0, Math.min(255, Math.round(x * 255)));
    const ch = v.filter((_, i) => i % 3 === c);
    const m = mean(ch),
      sd = Math.sqrt(mean(ch.map((x) => (x - m) ** 2))) || 1;
    return (x: number) => Math.max(0, Math.min(255, Math.round(((x - m) / (6 * sd) + 0.5) * 255)));
  });
  let body = '';
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const i = (y * S + x) * 3;
      const rgb = `rgb(${maps[0]!(v[i]!)},${maps[1]!(v[i + 1]!)},${maps[2]!(v[i + 2]!)})`;
      body += `<rect x="${x * px}" y="${y * px}" width="${px}" height="${px}" fill="${rgb}"/>`;
    }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${S * px}" height="${S * px}">${body}</svg>`;
}

function sections(r: PreprocessResult): ReturnType<Experiment['sections']> {
  const chart = dotChart(
    [...PIPELINES],
    CLASSIFIERS.map((c) => ({
      name: c === 'elm' ? `ELM (${r.options.hidden} tanh units)` : 'ridge readout on the values',
      values: PIPELINES.map((p) => r.cells.find((x) => x.pipeline === p && x.classifier === c)!.test),
    })),
    {
      title: 'test accuracy after each preprocessing (dot: mean over seeds; bar: range)',
      yLabel: 'test accuracy',
      width: 620,
    },
  );
  const table = dataTable(
    [
      'pipeline',
      'classifier',
      'validation accuracy per seed',
      'test accuracy per seed',
      'chosen on validation, per seed',
    ],
    r.cells.map((c) => [
      c.pipeline,
      c.classifier,
      c.val.map((a) => fmt(a)).join(', '),
      c.test.map((a) => fmt(a)).join(', '),
      c.chosen.join('; '),
    ]),
  );
  const S = r.data.tile;
  const rows = PIPELINES.map(
    (p) =>
      `<tr><th>${p}</th>${(r.examples[p] ?? []).map((v) => `<td>${tileSvg(v, S, p === 'raw')}</td>`).join('')}</tr>`,
  ).join('');
  return [
    {
      id: 'accuracy',
      title: 'Test accuracy by preprocessing',
      intro:
        `${r.data.classes} classes, ${r.data.train}/${r.data.val}/${r.data.test} tiles of ${S}x${S} ` +
        `for training/validation/test (last seed); ` +
        `images: ${r.data.source}. Colour in the data: std(U, V) / std(Y) = ${short(r.data.chromaToLuma, 2)} ` +
        `(0 for grey images).`,
      html: `<div class="grid">${chart}</div>${table}`,
    },
    {
      id: 'tiles',
      title: 'One test tile per class after each preprocessing',
      intro:
        'Raw tiles in their own colours; after preprocessing, each channel drawn as a colour channel with levels ' +
        "spanning that channel's mean +- 3 std in the tile (YUV and whitened outputs as false colour).",
      html: `<table>${rows}</table>`,
    },
  ];
}

export const experiment: Experiment<PreprocessResult> = {
  name: 'preprocess',
  title: "LeCun's YUV + local contrast normalisation against ZCA whitening",
  question:
    'On real colour images, with the same classifiers after each, does YUV + local contrast ' +
    'normalisation or ZCA whitening give the higher test accuracy, and does either beat raw ' +
    'pixels?',
  options: {
    images: {
      type: 'string',
      help: 'a folder of PNG/JPEG images, one class per file or per sub-folder (default: the @stdlib photographs)',
    },
    cifar: { type: 'list', help: 'CIFAR-10 binary batch files instead (data_batch_1.bin,...)' },
    tile: { type: 'int', default: 16, help: 'tile (sample) size in pixels' },
    scale: { type: 'int', default: 2, help: 'photographs: downscale factor before tiling' },
    block: { type: 'int', default: 4, help: 'photographs: blocks of N x N tiles go to one split' },
    'photo-norm': {
      type: 'string',
      default: 'none',
      choices: ['none', 'standardise'],
      help: "photographs: 'standardise' sets each photograph's channels to one mean and std before tiling",
    },
    'max-samples': { type: 'int', default: 10000, help: 'CIFAR: at most this many samples' },
    hidden: { type: 'int', default: 1000, help: 'ELM hidden units' },
    'elm-scales': { type: 'list', default: ['0.03', '0.1', '0.3'], help: 'ELM input scalings tried (validation)' },
    ridges: { type: 'list', default: ['0.01', '0.1', '1', '10', '100'], help: 'ridge penalties tried (validation)' },
    epsilons: { type: 'list', default: ['0.0001', '0.001', '0.01'], help: 'ZCA epsilons tried (validation)' },
    'lcn-size': { type: 'int', default: 7, help: 'LCN window (odd)' },
    'lcn-sigma': { type: 'number', default: 1.5, help: 'LCN Gaussian sigma' },
    seeds: { type: 'int', default: 3, help: 'seeds (split and ELM weights)' },
    seed: { type: 'int', default: 1, help: 'first seed' },
  },
  validate,
  quick: {
    tile: 8,
    scale: 8,
    block: 2,
    hidden: 100,
    seeds: 2,
    elmScales: ['0.1'],
    epsilons: ['0.01'],
    ridges: ['0.1', '10'],
  },
  run,
  text,
  sections,
};
