/**
 * recur-rnn/hashing: the hashing trick and online logistic regression over data larger than
 * memory. Core only (no Node APIs); the streaming CSV reader and the CLI live in src/node and
 * src/cli.
 * @module recur-rnn/hashing
 */
export { murmur3, murmur3Bytes, murmur3Int, fmix32, hashPair } from './murmur3.js';
export {
  FeatureHasher,
  HashedRow,
  binOf,
  type HasherOptions,
  type HasherConfig,
  type NumericMode,
} from './featurehash.js';
export { parseNumber, parseLabel } from './bytes.js';
export { FTRL, type FTRLOptions } from './ftrl.js';
export { AdaGradLogistic, type AdaGradOptions } from './logreg.js';
export { sigmoid, type OnlineLearner, type StateTensor } from './learner.js';
export { LogLossMeter, AucMeter, auc, logLoss, logLossOne } from './metrics.js';
export { HashedLinearModel, makeLearner, MODEL_FORMAT, type LearnerOptions } from './model.js';
export { HashFastPath, fastPathAvailable, prepareFastPath, type ScoredRows, type FastStreamOptions } from './fast.js';
