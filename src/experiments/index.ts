/**
 * recur-rnn/experiments: the lecture's open questions as code (`recur experiment NAME` runs them
 * from the command line). Each experiment is plain computation over the library: options in,
 * numbers, findings and report sections out; `experimentPage` (recur/report) makes the page.
 * @module recur-rnn/experiments
 */
export { EXPERIMENTS } from './registry.js';
export {
  type Experiment,
  type ExperimentIO,
  type ExperimentResult,
  type OptionSpec,
  type Finding,
  type Verdict,
  OptionError,
  DataError,
  optionDefaults,
  separated,
  mean,
  std,
} from './spec.js';
export { rnnStepMacs, esnFitMacs } from './compute.js';
export { sentences, corpusText, words, TOPICS, type CorpusOptions } from './corpus.js';
