/** recur: recurrent neural networks in TypeScript. The public API. */
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
  initWasm,
  initWasmSync,
  wasmAvailable,
  type WasmBackend,
} from './backend/index.js';
export type { Backend, Activation } from './backend/backend.js';
export { RNN, LSTM, GRU, RecurrentStack } from './layers/stack.js';
export type {
  CellType,
  RecurrentOptions,
  RNNOptions,
  LSTMOptions,
  ForwardOptions,
  ForwardResult,
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
export type { RecurrentInit } from './init.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  SafetensorsError,
  type SafeTensor,
  type DTypeName,
} from './safetensors.js';
export { SequenceModel, type SequenceModelConfig, type Batch, type StepResult } from './layers/model.js';
export { SGD, RMSProp, Adam, makeOptimizer, type Optimizer, type OptimizerSpec } from './train/optim.js';
export { clipGradNorm, clipGradValue, globalNorm } from './train/clip.js';
export { lrAt, type ScheduleSpec } from './train/schedule.js';
export { Trainer, TruncatedBPTT, type TrainerOptions, type StepInfo } from './train/trainer.js';
export { saveCheckpoint, loadCheckpoint, type CheckpointMeta, type LoadedCheckpoint } from './train/checkpoint.js';
export { printable, type PrintableOptions } from './printable.js';
export {
  makeTask,
  evaluateTask,
  TASKS,
  type Task,
  type TaskConfig,
  type TaskName,
  type EvalResult,
} from './tasks/synthetic.js';
export { addingBatch } from './tasks/adding.js';
