/**
 * recur-rnn/diagnostics: why recurrent nets are hard to train, measured while they train.
 * See diagnostics.ts for the Trainer hook and the parts for using each measure alone.
 * @module recur-rnn/diagnostics
 */
export { Diagnostics, diagToJSON, type DiagnosticsOptions, type DiagRecord, type CoreDiag } from './diagnostics.js';
export { recordGradFlow, readGradFlow, gradFlowDecay, type GradFlow } from './gradflow.js';
export { weightSpectrum, coreSpectrum, type WeightSpectrum, type GateSpectrum } from './spectrum.js';
export { stepJacobian, jacobianProduct, type StepJacobian, type JacobianProductStats } from './jacobian.js';
export { saturation, type Saturation, type GateSaturation } from './saturation.js';
