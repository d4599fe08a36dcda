/**
 * Data for models built from users' sequences: input forms, labels and vocabularies,
 * standardisation, padded batches, forecasting windows, CSV/JSONL parsing.
 */
export {
  type Label,
  type PaddedSequences,
  type SequencesInput,
  type Sequences,
  toSequences,
  toVectors,
  toLabels,
  toTagLabels,
  lengthOf,
} from './sequences.js';
export { LabelSet, TokenVocab, UNK_TOKEN } from './labels.js';
export { Standardizer, type StandardizerJSON } from './standardize.js';
export { PadBuffers, padInputs, padSequenceTargets, padStepTargets, order, chunks, splitIndices } from './batches.js';
export { type WindowSpec, listWindows, cutPoints, windowBatch } from './windows.js';
export {
  type DataTask,
  type ParseOptions,
  type ParsedData,
  DataError,
  csvRows,
  parseCsv,
  parseJsonl,
  parseData,
} from './parse.js';
