/**
 * recur-rnn: recurrent neural networks in TypeScript. The public API.
 * @module recur-rnn
 */
export * from './tensor.js';
export { Rng, type RngState } from './random.js';
export * as init from './init.js';
export { spectralRadius, largestSingularValue, spectralRadiusOp } from './linalg.js';
export { Params, type Param } from './params.js';
export {
  getBackend,
  setBackend,
  registerBackend,
  listBackends,
  tsBackend,
  tsLinalg,
  linalgOf,
  ready,
  initWasm,
  initWasmSync,
  wasmAvailable,
  ACT,
  actCode,
  type WasmBackend,
  type LinalgKernels,
  type ActCode,
} from './backend/index.js';
export type { Backend, Activation } from './backend/backend.js';
export { RNN, LSTM, GRU, IndRNN, RecurrentStack } from './layers/stack.js';
export {
  CELLS,
  CELL_NAMES,
  cellSpec,
  type CellSpec,
  type CellOptions,
  type StepJacobian,
} from './layers/cells/index.js';
export type {
  CellType,
  RecurrentOptions,
  RNNOptions,
  LSTMOptions,
  IndRNNOptions,
  StackOptions,
  ForwardOptions,
  ForwardResult,
  StreamState,
  StreamStep,
  BackwardGrads,
  BackwardResult,
} from './layers/stack.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { Embedding, type EmbeddingOptions } from './layers/embedding.js';
export {
  mseLoss,
  softmaxCrossEntropy,
  sequenceMask,
  lastStep,
  lastStepBackward,
  type LossResult,
} from './layers/loss.js';
export { gradCheck, type GradCheckResult } from './gradcheck.js';
export { mannWhitneyU, normalSf, quantile, type MannWhitneyResult } from './stats.js';
export type { RecurrentInit } from './init.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  SafetensorsError,
  type SafeTensor,
  type DTypeName,
  type HalfDType,
  f16ToF32,
} from './safetensors.js';
export { SequenceModel, type SequenceModelConfig } from './layers/model.js';
export type { Batch } from './batch.js';
export type { StepResult, StepOptions, CarriedState } from './layers/step.js';
export type {
  Trainable,
  Stateful,
  GradientSource,
  AsyncGradientSource,
  DeviceTrainable,
  DeviceStepPlan,
  DeviceStepResult,
} from './train/trainable.js';
export { deviceOf } from './train/trainable.js';
export { SGD, RMSProp, Adam, makeOptimizer, type Optimizer, type OptimizerSpec } from './train/optim.js';
export { clipGradNorm, clipGradValue, globalNorm } from './train/clip.js';
export { lrAt, type ScheduleSpec } from './train/schedule.js';
export { Trainer, TruncatedBPTT, type TrainerOptions, type StepInfo } from './train/trainer.js';
export { saveCheckpoint, loadCheckpoint, type CheckpointMeta, type LoadedCheckpoint } from './train/checkpoint.js';
export { evaluateTask } from './train/evaluate.js';
export { printable, type PrintableOptions } from './printable.js';
export {
  makeTask,
  TASKS,
  type Task,
  type TaskConfig,
  type TaskName,
  type EvalResult,
} from './tasks/synthetic.js';
export { addingBatch } from './tasks/adding.js';
export {
  RecurrentModel,
  MODEL_TASKS,
  type ModelTask,
  type RecurrentModelConfig,
  type SequenceData,
  type SeriesData,
  type FitData,
  type FitOptions,
  type FitAsyncOptions,
  type Evaluation,
} from './train/recurrent_model.js';
export { MODEL_META_KEY, isModelFile } from './train/model_file.js';
export {
  trainEpochs,
  runSync,
  runAsync,
  type History,
  type EpochLogs,
  type BatchLogs,
  type FitCallbacks,
  type EarlyStopping,
  type ReduceLrOnPlateau,
  type LoopOptions,
  type LoopRequest,
  type EpochLoop,
  type Metrics,
} from './train/fit.js';
export { Dropout } from './layers/dropout.js';
export {
  type Label,
  type PaddedSequences,
  type SequencesInput,
  type Sequences,
  toSequences,
  LabelSet,
  TokenVocab,
  UNK_TOKEN,
  Standardizer,
  type StandardizerJSON,
  type DataTask,
  type ParseOptions,
  type ParsedData,
  DataError,
  csvRows,
  parseCsv,
  parseJsonl,
  parseData,
} from './data/index.js';
