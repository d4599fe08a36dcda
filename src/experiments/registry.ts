/**
 * The experiments of `recur experiment NAME` that run in-process (the lecture's open questions).
 * One line per experiment; each module exports `experiment` (spec.ts).
 */
import type { Experiment } from './spec.js';

type Loader = () => Promise<{ experiment: Experiment<any> }>;

export const EXPERIMENTS: Record<string, { summary: string; load: Loader }> = {
  cliff: {
    summary: 'walls in the loss surface of a one-unit RNN; gradient descent with and without clipping',
    load: () => import('./cliff.js'),
  },
  relu: {
    summary: 'tanh-RNN vs ReLU-RNN vs IRNN vs IndRNN: success, divergence and gradient flow over T',
    load: () => import('./relu.js'),
  },
  'esn-vs-lstm': {
    summary: 'echo state networks vs LSTMs on Mackey-Glass and characters, at equal parameters and equal compute',
    load: () => import('./esn_vs_lstm.js'),
  },
  embeddings: {
    summary: 'learned vs fixed hashed embeddings vs a hashed linear model: accuracy against parameters and memory',
    load: () => import('./embeddings.js'),
  },
  preprocess: {
    summary: "LeCun's YUV + local contrast normalisation vs ZCA whitening on real colour images, ridge and ELM",
    load: () => import('./preprocess.js'),
  },
};
