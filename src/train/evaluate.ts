/**
 * Scoring a sequence model on a synthetic task: fresh sequences from their own seed (never the
 * training stream), the task's own criterion of a wrong answer, and its success threshold.
 * It runs a model, so it lives here rather than in tasks/ (which only makes data).
 */
import { Rng } from '../random.js';
import type { SequenceModel } from '../layers/model.js';
import type { EvalResult, Task } from '../tasks/synthetic.js';

/**
 * Evaluates on `n` fresh sequences drawn from Rng(seed) (never the training stream),
 * in batches of `batch`. Returns the loss, the error rate and success (< 1% wrong).
 */
export function evaluateTask(
  task: Task,
  model: SequenceModel,
  opts: { n?: number; seed?: number; batch?: number } = {},
): EvalResult {
  const n = opts.n ?? 10000,
    bs = opts.batch ?? 500;
  const rng = new Rng(opts.seed ?? 1_000_003);
  let wrong = 0,
    loss = 0,
    sq = 0,
    done = 0,
    lossW = 0;
  while (done < n) {
    const B = Math.min(bs, n - done);
    const b = task.batch(rng, B);
    const pred = model.predict(b);
    const r = model.loss(pred, b);
    loss += r.loss * B;
    lossW += B;
    for (let i = 0; i < B; i++) {
      if (task.wrong(pred.data, b, i)) wrong++;
      if (task.loss === 'mse') sq += (pred.data[i]! - b.y[i]!) ** 2;
    }
    done += B;
  }
  const res: EvalResult = {
    loss: loss / lossW,
    errorRate: wrong / n,
    success: wrong / n < 0.01,
    sequences: n,
    baseline: task.baseline,
  };
  if (task.loss === 'mse') res.mse = sq / n;
  return res;
}
