/**
 * recur-rnn/lm: language models (char, word, NPLM), hashed embeddings and the encoder-decoder.
 * @module recur-rnn/lm
 */
export {
  CharVocab,
  WordVocab,
  UNK,
  tokenizeWords,
  vocabFromJSON,
  type Vocab,
  type VocabJSON,
  type UnknownPolicy,
} from './vocab.js';
export { TokenStreams, splitIds } from './corpus.js';
export { RecurrentLM, drawToken, type LMConfig, type LMEval, type SampleOptions } from './lm.js';
export {
  trainLM,
  trainLMOnDevice,
  timeScheduleLr,
  type LMPosition,
  type TimeSchedule,
  type TrainLMOptions,
  type TrainLMResult,
} from './train.js';
export { NPLM, evaluateNPLM, trainNPLM, ngramBatch, type NPLMConfig, type TrainNPLMOptions } from './nplm.js';
export { murmur3 } from '../hashing/murmur3.js'; // one MurmurHash3 for the whole library
export {
  HashedEmbedding,
  hashTokens,
  hashFeatures,
  tokenFeatures,
  type HashingOptions,
  type HashedTokens,
  type HashedEmbeddingOptions,
} from './hashed.js';
export { EncoderDecoder, type EncDecConfig, type Seq2SeqBatch } from './encdec.js';
export { saveSeq2Seq, loadSeq2Seq, SEQ2SEQ_VERSION, type Seq2SeqMeta } from './encdec_io.js';
export { KneserNey, modifiedDiscounts, type KneserNeyOptions } from './ngram.js';
export {
  makeToyTask,
  runToyTask,
  exactMatch,
  newToyModel,
  encodeSource,
  encodeTarget,
  decodeTarget,
  TOY_TASKS,
  type ToyTask,
  type ToyTaskName,
  type ToyRunOptions,
  type ToyRunResult,
} from './toy.js';
