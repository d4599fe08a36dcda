/**
 * One file per model: a RecurrentModel as safetensors bytes (a browser keeps or downloads the
 * Uint8Array; Node writes it in the CLI). Tensors: the weights under PyTorch state_dict names
 * (F32) and the standardisation under `norm.x.mean`, `norm.x.std`, `norm.y.mean`, `norm.y.std`
 * (F64). Metadata `recur_model` (JSON): format version, the model's config, the network's config,
 * classes, vocabulary, forecasting windows, the training statistics the baselines use, and
 * `extra` (what the caller stored, e.g. the CLI's column choices).
 *
 * Reading treats the bytes as hostile: safetensors.ts checks the container; here every field
 * is checked before anything is built, and errors are SafetensorsError.
 */
import { SequenceModel, type SequenceModelConfig } from '../layers/model.js';
import { SafetensorsError, decodeSafetensors, encodeSafetensors } from '../safetensors.js';
import { LabelSet, TokenVocab } from '../data/labels.js';
import type { Label } from '../data/sequences.js';
import { Standardizer } from '../data/standardize.js';
import type { WindowSpec } from '../data/windows.js';
import { MODEL_TASKS, type ModelFrame, RecurrentModel, type RecurrentModelConfig } from './recurrent_model.js';

export const MODEL_FILE_VERSION = 1;
/** The metadata key that marks a RecurrentModel file (task checkpoints use `recur`). */
export const MODEL_META_KEY = 'recur_model';

interface ModelMeta {
  version: number;
  config: RecurrentModelConfig;
  net: SequenceModelConfig;
  input: 'dense' | 'tokens';
  F: number;
  O: number;
  classes: Label[] | null;
  vocab: string[] | null;
  windows: WindowSpec | null;
  classCounts: number[] | null;
  yMean: number[] | null;
  extra: Record<string, unknown>;
}

export function modelToBytes(m: RecurrentModel): Uint8Array {
  const fr = m._frame,
    net = m.net;
  if (!fr || !net) throw new Error('RecurrentModel.toBytes: the model is not fitted');
  const tensors: Record<string, { shape: number[]; data: Float32Array | Float64Array }> = {};
  for (const p of net.params.list) tensors[p.name] = { shape: [...p.shape], data: Float32Array.from(p.data) };
  const norm = (k: string, s: Standardizer | null) => {
    if (!s) return;
    tensors[`norm.${k}.mean`] = { shape: [s.dim], data: Float64Array.from(s.mean) };
    tensors[`norm.${k}.std`] = { shape: [s.dim], data: Float64Array.from(s.std) };
  };
  norm('x', fr.xNorm);
  norm('y', fr.yNorm);
  norm('d', fr.change);
  const meta: ModelMeta = {
    version: MODEL_FILE_VERSION,
    config: m.config,
    net: net.config,
    input: fr.input,
    F: fr.F,
    O: fr.O,
    classes: fr.classes?.classes ?? null,
    vocab: fr.vocab?.tokens ?? null,
    windows: fr.windows,
    classCounts: fr.classCounts,
    yMean: fr.yMean,
    extra: m.extra,
  };
  return encodeSafetensors(tensors, { format: 'pt', [MODEL_META_KEY]: JSON.stringify(meta) });
}

/** Whether safetensors metadata marks a RecurrentModel file. */
export function isModelFile(metadata: Record<string, string>): boolean {
  return MODEL_META_KEY in metadata;
}

export function modelFromBytes(bytes: Uint8Array, backend?: string): RecurrentModel {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const bad = (msg: string): never => {
    throw new SafetensorsError(`not a valid recur model file: ${msg}`);
  };
  if (!metadata[MODEL_META_KEY])
    bad(
      metadata.recur
        ? 'this is a task checkpoint (recur train); evaluate it with `recur eval RUN_DIR`'
        : `no "${MODEL_META_KEY}" metadata`,
    );
  let meta: ModelMeta;
  try {
    meta = JSON.parse(metadata[MODEL_META_KEY]!) as ModelMeta;
  } catch {
    return bad('its metadata is not valid JSON');
  }
  if (!meta || typeof meta !== 'object') bad('its metadata is not an object');
  if (meta.version !== MODEL_FILE_VERSION) bad(`version ${meta.version} (this recur reads ${MODEL_FILE_VERSION})`);
  if (!meta.config || !MODEL_TASKS.includes(meta.config.task)) bad('no task in its config');
  if (meta.input !== 'dense' && meta.input !== 'tokens') bad(`input kind ${JSON.stringify(meta.input)}`);
  const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;
  if (!isInt(meta.F) || !isInt(meta.O)) bad('F and O must be positive integers');
  const labelsOk = (a: unknown) => Array.isArray(a) && a.every((v) => typeof v === 'string' || Number.isFinite(v));
  if (meta.classes !== null && !labelsOk(meta.classes)) bad('classes must be a list of labels');
  if (meta.vocab !== null && !(Array.isArray(meta.vocab) && meta.vocab.every((t) => typeof t === 'string')))
    bad('vocab must be a list of strings');
  const norm = (k: string): Standardizer | null => {
    const m = tensors[`norm.${k}.mean`],
      s = tensors[`norm.${k}.std`];
    if (!m && !s) return null;
    if (!m || !s || m.dtype !== 'F64' || s.dtype !== 'F64') return bad(`norm.${k} needs F64 mean and std`);
    try {
      return new Standardizer(m.data as Float64Array, s.data as Float64Array);
    } catch (e) {
      return bad(`norm.${k}: ${(e as Error).message}`);
    }
  };
  let model: RecurrentModel, net: SequenceModel, frame: ModelFrame;
  try {
    model = new RecurrentModel(meta.config);
    net = new SequenceModel(meta.net, backend);
    frame = {
      input: meta.input,
      F: meta.F,
      O: meta.O,
      vocab: meta.vocab ? new TokenVocab(meta.vocab) : null,
      classes: meta.classes ? new LabelSet(meta.classes) : null,
      xNorm: norm('x'),
      yNorm: norm('y'),
      classCounts: meta.classCounts ?? null,
      yMean: meta.yMean ?? null,
      windows: meta.windows ?? null,
      change: norm('d'),
    };
  } catch (e) {
    if (e instanceof SafetensorsError) throw e;
    return bad((e as Error).message);
  }
  if (frame.xNorm && meta.input === 'dense' && frame.xNorm.dim !== meta.F) bad('norm.x does not match the inputs');
  if (frame.classes && frame.classes.size !== meta.O) bad('classes do not match the output size');
  if (frame.vocab && net.config.vocabSize !== frame.vocab.size) bad('vocabulary does not match the embedding');
  if (meta.config.task === 'forecast' && (!frame.windows || !frame.xNorm || !frame.yNorm))
    bad('a forecasting model needs its windows and standardisation');
  const sd: Record<string, { shape: number[]; data: ArrayLike<number> }> = {};
  for (const p of net.params.list) {
    const t = tensors[p.name];
    if (!t) bad(`it lacks parameter '${p.name}'`);
    if (t!.dtype !== 'F32' && t!.dtype !== 'F64') bad(`parameter '${p.name}' has dtype ${t!.dtype}; expected F32`);
    sd[p.name] = t as { shape: number[]; data: Float32Array };
  }
  try {
    net.params.loadStateDict(sd, { strict: false });
  } catch (e) {
    bad((e as Error).message);
  }
  model._restore(frame, net);
  model.extra = meta.extra && typeof meta.extra === 'object' ? meta.extra : {};
  return model;
}
