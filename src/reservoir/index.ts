/**
 * `recur-rnn/esn`: reservoir computing. Reservoir (sparse, leaky, seeded), Ridge and RLS
 * readouts, `pipe` composition with teacher forcing and closed-loop generation, extreme
 * learning machines, metrics, forecast plots, and the benchmark series generators.
 * @module recur-rnn/esn
 */
export { Reservoir, type ReservoirOptions, type ReservoirActivation } from './reservoir.js';
export { Ridge, type RidgeOptions } from './ridge.js';
export { type GramAccumulator, type GramHelper, type RowsKernel, SplitGram, directGram } from './gram.js';
export { RLS, type RLSOptions } from './rls.js';
export { ESN, pipe, type ESNOptions, type ESNFitOptions, type GenerateOptions } from './esn.js';
export { ESNEnsemble } from './ensemble.js';
export { type ReadoutTerm, parseReadoutTerms, readoutFeatureDim, readoutFeatures } from './features.js';
export { ELM, type ELMOptions } from './elm.js';
export type { Readout } from './readout.js';
export {
  type CSR,
  type WeightDist,
  randomSparse,
  csrFromDense,
  csrToDense,
  csrMatVecBatch,
  csrScale,
  csrSpectralRadius,
  csrToBackend,
} from './sparse.js';
export { choleskyInPlace, choleskySolveInPlace, NotPositiveDefiniteError } from './cholesky.js';
export { mse, rmse, nrmse, rsquare, squaredCorrelation, memoryCapacity, type NrmseNorm } from './metrics.js';
export { forecastSvg, escapeXml, type Forecast } from './plot.js';
export { series, asSeq, type SeqLike, type Seq } from './seq.js';
export {
  mackeyGlass,
  narma,
  lorenz,
  memoryTask,
  type MackeyGlassOptions,
  type NarmaOptions,
  type LorenzOptions,
} from '../tasks/chaos.js';
