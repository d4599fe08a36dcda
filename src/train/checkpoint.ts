/**
 * Checkpoints in the safetensors format: the model's parameters under their PyTorch
 * state_dict names (float32), the optimiser's flat state under `optimizer.<name>`, the
 * carried recurrent state under `state.h` / `state.c`, and a JSON metadata entry `recur`
 * holding the model config, optimiser kind and scalars, step, RNG states and task config.
 * Everything needed to resume bit-exactly. I/O (atomic write) lives in src/node/.
 */
import { SequenceModel, type SequenceModelConfig } from '../layers/model.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../safetensors.js';
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
}

/** Rebuilds the model (and optimiser, when saved) from checkpoint bytes; throws SafetensorsError on anything wrong. */
export function loadCheckpoint(bytes: Uint8Array, backend?: string): LoadedCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (!metadata.recur)
    throw new SafetensorsError(
      'not a recur checkpoint: no "recur" metadata (a plain state_dict? load it with model.params.loadStateDict)',
    );
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(metadata.recur) as CheckpointMeta;
  } catch {
    throw new SafetensorsError('checkpoint metadata "recur" is not valid JSON');
  }
  if (meta.version !== CHECKPOINT_VERSION)
    throw new SafetensorsError(`checkpoint version ${meta.version} is not supported (expected ${CHECKPOINT_VERSION})`);
  if (!meta.model || typeof meta.model !== 'object')
    throw new SafetensorsError('checkpoint metadata has no model config');
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
  try {
    model.params.loadStateDict(sd, { strict: false });
  } catch (e) {
    throw new SafetensorsError(`checkpoint parameters do not fit the model: ${(e as Error).message}`);
  }
  if (tensors['state.h'])
    model.setState({
      h: tensors['state.h'].data as Float32Array,
      c: (tensors['state.c']?.data as Float32Array) ?? null,
    });
  let optimizer: Optimizer | null = null;
  if (meta.optimizer) {
    optimizer = makeOptimizer(model.params, meta.optimizer.spec);
    const arrays: Record<string, ArrayLike<number>> = {};
    for (const k of Object.keys(optimizer.state())) {
      const t = tensors[`optimizer.${k}`];
      if (!t) throw new SafetensorsError(`checkpoint lacks optimizer state '${k}'`);
      arrays[k] = t.data as Float32Array;
    }
    try {
      optimizer.loadState(arrays, meta.optimizer.scalars);
    } catch (e) {
      throw new SafetensorsError(`optimizer state does not fit: ${(e as Error).message}`);
    }
  }
  return { model, optimizer, meta };
}
