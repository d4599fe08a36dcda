/** `recur start` (npm start): the main job on an embedded default. */
import type { Command } from './args.js';
import { SequenceModel } from '../layers/model.js';
import { Adam } from '../train/optim.js';
import { clipGradNorm } from '../train/clip.js';
import { addingBatch } from '../tasks/adding.js';
import { Rng } from '../random.js';

export const command: Command = {
  name: 'start',
  summary: 'train a small LSTM on the adding problem and print its learning curve',
  flags: {
    steps: { type: 'int', default: 600, help: 'training steps' },
    T: { type: 'int', default: 30, help: 'sequence length' },
    hidden: { type: 'int', default: 32, help: 'hidden units' },
    seed: { type: 'int', default: 1, help: 'random seed' },
  },
  async run(o, _p, io) {
    const model = new SequenceModel({ cell: 'lstm', inputSize: 2, hiddenSize: o.hidden, outputSize: 1, head: 'last', loss: 'mse', seed: o.seed });
    const opt = new Adam(model.params, { lr: 0.01 });
    const rng = new Rng(o.seed);
    const t0 = performance.now();
    const curve: { step: number; mse: number }[] = [];
    let avg = 0;
    for (let s = 1; s <= o.steps; s++) {
      const b = addingBatch(rng, 32, { T: o.T });
      model.params.zeroGrad();
      const r = model.lossAndGrad(b);
      clipGradNorm(model.params.grad, 1);
      opt.step();
      avg += r.loss;
      if (s % 50 === 0) { curve.push({ step: s, mse: avg / 50 }); if (!o.json) io.out(`step ${String(s).padStart(5)}  train mse ${(avg / 50).toFixed(4)}`); avg = 0; }
    }
    const seconds = (performance.now() - t0) / 1000;
    if (o.json) io.out(JSON.stringify({ task: 'adding', T: o.T, steps: o.steps, curve, seconds }));
    else io.out(`done in ${seconds.toFixed(1)} s (baseline mse 0.167)`);
    return 0;
  },
};
