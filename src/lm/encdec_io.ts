/**
 * Saving and loading a trained encoder-decoder with its toy task: one safetensors file with the
 * parameters under their names (`encoder.weight_ih_l0`, `head.weight`, ...) and a metadata entry
 * `recur_seq2seq` holding the model config and the task (name, maxLen, lsbFirst, alphabets), so
 * the file decodes on its own. Bytes in and out (I/O is the CLI's); a bad file is a
 * SafetensorsError before anything large is built.
 */
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../safetensors.js';
import { EncoderDecoder, type EncDecConfig } from './encdec.js';
import { makeToyTask, type ToyTask, type ToyTaskName, TOY_TASKS } from './toy.js';

export const SEQ2SEQ_VERSION = 1;

export interface Seq2SeqMeta {
  version: number;
  config: Omit<EncDecConfig, 'backend'>;
  task: { name: ToyTaskName; maxLen: number | null; lsbFirst: boolean; srcChars: string; tgtChars: string };
  /** Anything else to keep with the model (training settings, the score it had). */
  extra?: Record<string, unknown>;
}

export function saveSeq2Seq(
  model: EncoderDecoder,
  task: ToyTask,
  o: { maxLen: number | null; lsbFirst: boolean; extra?: Record<string, unknown> },
): Uint8Array {
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const p of model.params.list) tensors[p.name] = { shape: [...p.shape], data: Float32Array.from(p.data) };
  const meta: Seq2SeqMeta = {
    version: SEQ2SEQ_VERSION,
    config: model.config,
    task: { name: task.name, maxLen: o.maxLen, lsbFirst: o.lsbFirst, srcChars: task.srcChars, tgtChars: task.tgtChars },
    extra: o.extra,
  };
  return encodeSafetensors(tensors, { format: 'pt', recur_seq2seq: JSON.stringify(meta) });
}

export function loadSeq2Seq(
  bytes: Uint8Array,
  backend?: string,
): { model: EncoderDecoder; task: ToyTask; meta: Seq2SeqMeta } {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (!metadata.recur_seq2seq)
    throw new SafetensorsError(
      'not a recur encoder-decoder: no "recur_seq2seq" metadata (a language model? use lm sample)',
    );
  let meta: Seq2SeqMeta;
  try {
    meta = JSON.parse(metadata.recur_seq2seq) as Seq2SeqMeta;
  } catch {
    throw new SafetensorsError('metadata "recur_seq2seq" is not valid JSON');
  }
  if (meta?.version !== SEQ2SEQ_VERSION)
    throw new SafetensorsError(`encoder-decoder file version ${meta?.version} is not supported (expected 1)`);
  const t = meta.task;
  if (!t || !(TOY_TASKS as readonly string[]).includes(t.name))
    throw new SafetensorsError(`unknown task in the file: ${JSON.stringify(t?.name)}`);
  let task: ToyTask, model: EncoderDecoder;
  try {
    task = makeToyTask(t.name, t.maxLen ?? undefined, { lsbFirst: t.lsbFirst });
    if (task.srcChars !== t.srcChars || task.tgtChars !== t.tgtChars)
      throw new RangeError('the task alphabets differ from the ones the model was trained with');
    model = new EncoderDecoder({ ...meta.config, backend });
  } catch (e) {
    throw new SafetensorsError(`encoder-decoder config is invalid: ${(e as Error).message}`);
  }
  const sd: Record<string, { shape: number[]; data: ArrayLike<number> }> = {};
  for (const [k, v] of Object.entries(tensors)) sd[k] = { shape: v.shape, data: v.data as Float32Array };
  try {
    model.params.loadStateDict(sd);
  } catch (e) {
    throw new SafetensorsError(`encoder-decoder parameters do not fit: ${(e as Error).message}`);
  }
  return { model, task, meta };
}
