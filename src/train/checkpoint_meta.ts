/**
 * The schema of a checkpoint's `recur` metadata, checked field by field (types, ranges, no
 * unknown keys) before anything is sized from it, and the size check of the model config
 * against the tensors the file actually holds. A bit flip that turns `"step": 600` into
 * `"step": "6p0"`, `"seed"` into `"reed"`, or `"hiddenSize": 8` into `"hiddenSize": 10000`
 * is an error here, not a silently different run or a 3 GB allocation.
 */
import type { SafeTensor } from '../safetensors.js';
import { SafetensorsError } from '../safetensors.js';
import { type CellSpec, cellSpec } from '../layers/cells/index.js';

type Obj = Record<string, unknown>;

function fail(path: string, want: string, v: unknown): never {
  const got = typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : JSON.stringify(v)?.slice(0, 40);
  throw new SafetensorsError(`checkpoint metadata: ${path} must be ${want}, got ${got ?? String(v)}`);
}

export function obj(v: unknown, path: string, keys?: readonly string[]): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(path, 'an object', v);
  if (keys)
    for (const k of Object.keys(v as Obj))
      if (!keys.includes(k))
        throw new SafetensorsError(
          `checkpoint metadata: ${path} has an unknown key ${JSON.stringify(k.slice(0, 40))} (known: ` +
            `${keys.join(', ')})`,
        );
  return v as Obj;
}

export function int(v: unknown, path: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < lo || v > hi)
    fail(path, `an integer in ${lo}..${hi}`, v);
  return v;
}

export function num(v: unknown, path: string, lo = -Infinity, hi = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
    fail(path, `a finite number${lo > -Infinity ? ` >= ${lo}` : ''}${hi < Infinity ? ` <= ${hi}` : ''}`, v);
  return v;
}

export function oneOf<T extends string>(v: unknown, path: string, choices: readonly T[]): T {
  if (typeof v !== 'string' || !choices.includes(v as T)) fail(path, `one of ${choices.join(', ')}`, v);
  return v as T;
}

export function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'true or false', v);
  return v;
}

export function str(v: unknown, path: string, max = 1000): string {
  if (typeof v !== 'string' || v.length > max) fail(path, `a string of at most ${max} characters`, v);
  return v;
}

/** Checks `o[k]` with `f` when present (undefined is allowed; null only where `nullable`). */
export function opt(o: Obj, k: string, path: string, f: (v: unknown, p: string) => unknown, nullable = false): void {
  const v = o[k];
  if (v === undefined || (nullable && v === null)) return;
  f(v, `${path}.${k}`);
}

const MODEL_KEYS = [
  'cell',
  'inputSize',
  'vocabSize',
  'embedDim',
  'hiddenSize',
  'numLayers',
  'bidirectional',
  'nonlinearity',
  'recurrentInit',
  'forgetBias',
  'recurrentMaxAbs',
  'initialState',
  'dropout',
  'inputDropout',
  'outputDropout',
  'dropoutSeed',
  'outputSize',
  'head',
  'loss',
  'seed',
  'dtype',
] as const;

const BIG = 2 ** 31 - 1;

/** The model config's fields: types and ranges (whether the sizes fit the tensors is checked below). */
export function checkModelConfig(v: unknown): void {
  const m = obj(v, 'model', MODEL_KEYS);
  // The cell's name only has to be a plain word: the model rejects one it does not know.
  if (typeof m.cell !== 'string' || !/^[a-z][a-z0-9_]{0,31}$/.test(m.cell)) fail('model.cell', 'a cell name', m.cell);
  for (const k of ['inputSize', 'vocabSize', 'embedDim', 'numLayers'] as const)
    opt(m, k, 'model', (x, p) => int(x, p, 1, BIG));
  int(m.hiddenSize, 'model.hiddenSize', 1, BIG);
  int(m.outputSize, 'model.outputSize', 1, BIG);
  opt(m, 'bidirectional', 'model', bool);
  opt(m, 'nonlinearity', 'model', (x, p) => oneOf(x, p, ['tanh', 'relu', 'sigmoid', 'identity']));
  opt(m, 'recurrentInit', 'model', (x, p) => str(x, p, 32));
  opt(m, 'forgetBias', 'model', (x, p) => num(x, p), true);
  opt(m, 'recurrentMaxAbs', 'model', (x, p) => num(x, p, 0));
  opt(m, 'initialState', 'model', (x, p) => oneOf(x, p, ['zero', 'learned']));
  for (const k of ['dropout', 'inputDropout', 'outputDropout'] as const)
    opt(m, k, 'model', (x, p) => num(x, p, 0, 0.999999));
  opt(m, 'dropoutSeed', 'model', (x, p) => num(x, p));
  oneOf(m.head, 'model.head', ['last', 'every']);
  oneOf(m.loss, 'model.loss', ['mse', 'xent']);
  opt(m, 'seed', 'model', (x, p) => num(x, p));
  opt(m, 'dtype', 'model', (x, p) => oneOf(x, p, ['float32', 'float64']));
}

/** An RNG state as Rng.getState() writes it: four uint32 words and a spare normal or null. */
export function checkRngState(v: unknown, path: string): void {
  const r = obj(v, path, ['s', 'spare']);
  if (!Array.isArray(r.s) || r.s.length !== 4) fail(`${path}.s`, 'a list of 4 integers', r.s);
  (r.s as unknown[]).forEach((w, i) => int(w, `${path}.s[${i}]`, 0, 2 ** 32 - 1));
  if ((r.s as number[]).every((w) => w === 0)) fail(`${path}.s`, 'not all zero (xoshiro would stay at 0)', r.s);
  if (r.spare !== null && r.spare !== undefined) num(r.spare, `${path}.spare`);
}

/** An optimiser spec and its scalars as saveCheckpoint writes them. */
export function checkOptimizerMeta(v: unknown): void {
  const o = obj(v, 'optimizer', ['spec', 'scalars']);
  const s = obj(o.spec, 'optimizer.spec', [
    'type',
    'lr',
    'momentum',
    'nesterov',
    'weightDecay',
    'alpha',
    'eps',
    'beta1',
    'beta2',
  ]);
  oneOf(s.type, 'optimizer.spec.type', ['sgd', 'rmsprop', 'adam', 'adamw']);
  num(s.lr, 'optimizer.spec.lr', 0);
  for (const k of ['momentum', 'weightDecay', 'eps']) opt(s, k, 'optimizer.spec', (x, p) => num(x, p, 0));
  for (const k of ['alpha', 'beta1', 'beta2']) opt(s, k, 'optimizer.spec', (x, p) => num(x, p, 0, 1));
  opt(s, 'nesterov', 'optimizer.spec', bool);
  const sc = obj(o.scalars, 'optimizer.scalars');
  for (const [k, x] of Object.entries(sc)) num(x, `optimizer.scalars.${k}`, 0);
  opt(sc, 't', 'optimizer.scalars', (x, p) => int(x, p, 0, Number.MAX_SAFE_INTEGER));
}

/**
 * Checks the model config's sizes against the tensors present, before the model is built
 * (building allocates from the config): the PyTorch names fix hidden size, layer count,
 * direction count, input and output sizes, whatever the cell. Nothing is allocated here.
 */
export function checkSizesAgainstTensors(m: Obj, tensors: Record<string, SafeTensor>): void {
  const t = (name: string) => tensors[name];
  const shape = (name: string, rank: number): number[] => {
    const x = t(name);
    if (!x) throw new SafetensorsError(`checkpoint lacks parameter '${name}'`);
    if (x.shape.length !== rank)
      throw new SafetensorsError(`parameter '${name}' has shape [${x.shape}], expected ${rank} dimensions`);
    return x.shape;
  };
  const mismatch = (what: string, cfg: unknown, got: number, from: string) =>
    new SafetensorsError(
      `checkpoint metadata says ${what} ${JSON.stringify(cfg)}, but tensor '${from}' gives ${got}: the ` +
        `metadata and the tensors disagree`,
    );
  // The cell's spec says the layout: W_ih [G*H, I] always; W_hh [G*H, H] (dense) or u [H] (diagonal).
  let spec: CellSpec;
  try {
    spec = cellSpec(String(m.cell));
  } catch (e) {
    throw new SafetensorsError(`checkpoint metadata: ${(e as Error).message}`);
  }
  const G = spec.gates.length,
    dense = spec.recurrence === 'dense';
  const hh = shape('rnn.weight_hh_l0', dense ? 2 : 1);
  const H = dense ? hh[1]! : hh[0]!;
  if (m.hiddenSize !== H) throw mismatch('hiddenSize', m.hiddenSize, H, 'rnn.weight_hh_l0');
  if (dense && hh[0] !== G * H)
    throw new SafetensorsError(
      `parameter 'rnn.weight_hh_l0' has shape [${hh}]: not [${G} gates x hidden, hidden] (${spec.label})`,
    );
  if (shape('rnn.weight_ih_l0', 2)[0] !== G * H)
    throw mismatch('hiddenSize x gates', G * H, t('rnn.weight_ih_l0')!.shape[0]!, 'rnn.weight_ih_l0');
  let L = 0;
  while (t(`rnn.weight_hh_l${L}`)) L++;
  if ((m.numLayers ?? 1) !== L) throw mismatch('numLayers', m.numLayers ?? 1, L, `rnn.weight_hh_l0..l${L - 1}`);
  const D = t('rnn.weight_hh_l0_reverse') ? 2 : 1;
  if ((m.bidirectional ?? false) !== (D === 2))
    throw mismatch('bidirectional', m.bidirectional ?? false, D, 'rnn.weight_hh_l0_reverse (directions)');
  const I = shape('rnn.weight_ih_l0', 2)[1]!;
  if (m.vocabSize !== undefined) {
    const [V, E] = shape('embedding.weight', 2) as [number, number];
    if (m.vocabSize !== V) throw mismatch('vocabSize', m.vocabSize, V, 'embedding.weight');
    if ((m.embedDim ?? 64) !== E) throw mismatch('embedDim', m.embedDim ?? 64, E, 'embedding.weight');
    if (I !== E) throw mismatch('embedDim', E, I, 'rnn.weight_ih_l0');
  } else if (m.inputSize !== I) throw mismatch('inputSize', m.inputSize, I, 'rnn.weight_ih_l0');
  const [O, F] = shape('head.weight', 2) as [number, number];
  if (m.outputSize !== O) throw mismatch('outputSize', m.outputSize, O, 'head.weight');
  if (F !== D * H) throw mismatch('hiddenSize x directions', D * H, F, 'head.weight');
}
