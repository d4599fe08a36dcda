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
};
