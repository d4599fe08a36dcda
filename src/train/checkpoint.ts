/**
 * Checkpoints in the safetensors format: the model's parameters under their PyTorch
 * state_dict names (float32), the optimiser's flat state under `optimizer.<name>`, the
 * carried recurrent state under `state.h` / `state.c`, and a JSON metadata entry `recur`
 * holding the model config, optimiser kind and scalars, step, RNG states and task config.
 * Everything needed to resume bit-exactly. I/O (atomic write) lives in src/node/.
 *
 * Saving refuses non-finite parameters or state (nothing non-finite is ever written) and adds
 * a CRC-32 over the whole file. Loading trusts nothing: the checksum is verified (files
 * without one load with a note), the metadata is parsed strictly (no repeated key) and
 * checked field by field (checkpoint_meta.ts), the model's sizes are checked against the
 * tensors present before the model is built, and parameters, optimiser and carried state
 * must be finite; each failure is a SafetensorsError that says what is wrong.
 */
import { SequenceModel, type SequenceModelConfig } from '../layers/model.js';
import {
  assertFiniteTensors,
  decodeSafetensors,
  encodeSafetensors,
  type SafeTensor,
  SafetensorsError,
} from '../safetensors.js';
import { parseStrictJSON } from '../strict_json.js';
import { NonFiniteError } from '../tensor.js';
import {
  checkModelConfig,
  checkOptimizerMeta,
  checkRngState,
  checkSizesAgainstTensors,
  int,
  obj,
} from './checkpoint_meta.js';
import type { RngState } from '../random.js';
import type { Optimizer, OptimizerSpec } from './optim.js';
import { makeOptimizer } from './optim.js';

export const CHECKPOINT_VERSION = 1;

export interface CheckpointMeta {
  version: number;
  model: SequenceModelConfig;
  optimizer?: { spec: OptimizerSpec; scalars: Record<string, number> };
  step: number;
  rng?: Record<string, RngState>;
  task?: Record<string, unknown>;
  train?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export function saveCheckpoint(
  model: SequenceModel,
  meta: Omit<CheckpointMeta, 'version' | 'model' | 'optimizer'>,
  optimizer?: { opt: Optimizer; spec: OptimizerSpec },
): Uint8Array {
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const p of model.params.list) tensors[p.name] = { shape: [...p.shape], data: Float32Array.from(p.data) };
  if (optimizer) {
    for (const [k, a] of Object.entries(optimizer.opt.state()))
      tensors[`optimizer.${k}`] = { shape: [a.length], data: Float32Array.from(a) };
  }
  const st = model.getState();
  if (st.h) tensors['state.h'] = { shape: [st.h.length], data: Float32Array.from(st.h) };
  if (st.c) tensors['state.c'] = { shape: [st.c.length], data: Float32Array.from(st.c) };
  for (const [name, t] of Object.entries(tensors))
    for (let i = 0; i < t.data.length; i++)
      if (!Number.isFinite(t.data[i]!))
        throw new NonFiniteError(
          `saveCheckpoint: '${name}' holds a non-finite value (${t.data[i]} at index ${i}); a checkpoint ` +
            `never stores one`,
        );
  const full: CheckpointMeta = {
    version: CHECKPOINT_VERSION,
    model: model.config,
    step: meta.step,
    rng: meta.rng,
    task: meta.task,
    train: meta.train,
    extra: meta.extra,
    optimizer: optimizer ? { spec: optimizer.spec, scalars: optimizer.opt.scalars() } : undefined,
  };
  return encodeSafetensors(tensors, { format: 'pt', recur: JSON.stringify(full) });
}

export interface LoadedCheckpoint {
  model: SequenceModel;
  optimizer: Optimizer | null;
  meta: CheckpointMeta;
  /** Things the caller may want to tell the user (e.g. that the file has no checksum). */
  notes: string[];
}

const META_KEYS = ['version', 'model', 'optimizer', 'step', 'rng', 'task', 'train', 'extra'] as const;

/** The `recur` metadata, parsed strictly and checked field by field (see checkpoint_meta.ts). */
function parseMeta(text: string | undefined): CheckpointMeta {
  if (!text)
    throw new SafetensorsError(
      'not a recur checkpoint: no "recur" metadata (a plain state_dict? load it with model.params.loadStateDict)',
    );
  let v: unknown;
  try {
    v = parseStrictJSON(text);
  } catch (e) {
    throw new SafetensorsError(`checkpoint metadata "recur" is not valid JSON: ${(e as Error).message}`);
  }
  const m = obj(v, 'the metadata', META_KEYS);
  if (m.version !== CHECKPOINT_VERSION)
    throw new SafetensorsError(
      `checkpoint version ${JSON.stringify(m.version)} is not supported (expected ${CHECKPOINT_VERSION})`,
    );
  checkModelConfig(m.model);
  int(m.step, 'step', 0, Number.MAX_SAFE_INTEGER);
  if (m.optimizer !== undefined) checkOptimizerMeta(m.optimizer);
  if (m.rng !== undefined) for (const [k, r] of Object.entries(obj(m.rng, 'rng'))) checkRngState(r, `rng.${k}`);
  for (const k of ['task', 'train', 'extra'] as const) if (m[k] !== undefined) obj(m[k], k);
  return m as unknown as CheckpointMeta;
}

/** Rebuilds the model (and optimiser, when saved) from checkpoint bytes; throws SafetensorsError on anything wrong. */
export function loadCheckpoint(bytes: Uint8Array, backend?: string): LoadedCheckpoint {
  const { tensors, metadata, checksum } = decodeSafetensors(bytes);
  const notes =
    checksum === 'absent'
      ? ['the file has no checksum (written before checksums, or by another program): corruption cannot be detected']
      : [];
  const meta = parseMeta(metadata.recur);
  // Sizes from the tensors present, before the model (which allocates from the config) exists.
  checkSizesAgainstTensors(meta.model as unknown as Record<string, unknown>, tensors);
  const floats = Object.keys(tensors).filter((k) => /^(rnn|head|embedding|optimizer|state)\./.test(k));
  assertFiniteTensors(tensors, floats);
  let model: SequenceModel;
  try {
    model = new SequenceModel(meta.model, backend);
  } catch (e) {
    throw new SafetensorsError(`checkpoint model config is invalid: ${(e as Error).message}`);
  }
  const sd: Record<string, { shape: number[]; data: ArrayLike<number> }> = {};
  for (const p of model.params.list) {
    const t = tensors[p.name];
    if (!t) throw new SafetensorsError(`checkpoint lacks parameter '${p.name}'`);
    if (t.dtype !== 'F32' && t.dtype !== 'F64')
      throw new SafetensorsError(`parameter '${p.name}' has dtype ${t.dtype}; expected F32`);
    sd[p.name] = t as { shape: number[]; data: Float32Array };
  }
  const extra = Object.keys(tensors).filter((k) => /^(rnn|head|embedding)\./.test(k) && !(k in sd));
  if (extra.length)
    throw new SafetensorsError(
      `checkpoint holds parameters the model does not have: ` +
        `${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`,
    );
  try {
    model.params.loadStateDict(sd, { strict: false });
  } catch (e) {
    throw new SafetensorsError(`checkpoint parameters do not fit the model: ${(e as Error).message}`);
  }
  if (tensors['state.h']) setCarried(model, tensors['state.h'], tensors['state.c']);
  let optimizer: Optimizer | null = null;
  if (meta.optimizer) {
    optimizer = makeOptimizer(model.params, meta.optimizer.spec);
    const arrays: Record<string, ArrayLike<number>> = {};
    for (const k of Object.keys(optimizer.state())) {
      const t = tensors[`optimizer.${k}`];
      if (!t) throw new SafetensorsError(`checkpoint lacks optimizer state '${k}'`);
      if (t.dtype !== 'F32' && t.dtype !== 'F64')
        throw new SafetensorsError(`optimizer state '${k}' has dtype ${t.dtype}; expected F32`);
      arrays[k] = t.data as Float32Array;
    }
    try {
      optimizer.loadState(arrays, meta.optimizer.scalars);
    } catch (e) {
      throw new SafetensorsError(`optimizer state does not fit: ${(e as Error).message}`);
    }
  }
  return { model, optimizer, meta, notes };
}

/** The carried state: `state.h` (and `state.c`) must be float vectors of one batch's layers x hidden size. */
function setCarried(model: SequenceModel, h: SafeTensor, c: SafeTensor | undefined): void {
  const unit = (model.config.numLayers ?? 1) * (model.config.bidirectional ? 2 : 1) * model.config.hiddenSize;
  for (const [name, t] of [
    ['state.h', h],
    ['state.c', c],
  ] as const) {
    if (!t) continue;
    if ((t.dtype !== 'F32' && t.dtype !== 'F64') || t.shape.length !== 1 || t.data.length % unit !== 0)
      throw new SafetensorsError(
        `carried state '${name}' must be a float vector of a multiple of ${unit} values, got ${t.dtype} [${t.shape}]`,
      );
  }
  if (c && c.data.length !== h.data.length)
    throw new SafetensorsError(`carried states 'state.h' and 'state.c' differ in length`);
  model.setState({ h: h.data as Float32Array, c: (c?.data as Float32Array) ?? null });
}
