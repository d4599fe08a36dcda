// Overhead of the after-update guard: train steps with the guard vs the same Trainer with the guard
// bypassed, interleaved, on DESIGN.md's C1 (LSTM H=128, B=32, T=100) and a char-rnn sized model.
import { SequenceModel, Adam, Trainer, makeTask, Rng } from '../../dist/src/index.js';
import { UpdateGuard } from '../../dist/src/train/guard.js';

function setup(cfg, batchFn) {
  const m = new SequenceModel(cfg);
  const tr = new Trainer(m, new Adam(m.params, { lr: 1e-3 }));
  return { m, tr, batchFn };
}
const configs = {
  'C1 LSTM H128 B32 T100': () => {
    const task = makeTask({ name: 'adding', T: 100 });
    const rng = new Rng(1);
    return setup(
      { cell: 'lstm', inputSize: 2, hiddenSize: 128, outputSize: 1, head: 'last', loss: 'mse', seed: 1 },
      () => task.batch(rng, 32),
    );
  },
  'char LSTM V65 E64 H256 B32 T64': () => {
    const rng = new Rng(2);
    const T = 64,
      B = 32;
    return setup(
      {
        cell: 'lstm',
        vocabSize: 65,
        embedDim: 64,
        hiddenSize: 256,
        outputSize: 65,
        head: 'every',
        loss: 'xent',
        seed: 1,
      },
      () => {
        const ids = Int32Array.from({ length: T * B }, () => rng.int(65));
        return { T, B, ids, y: Float32Array.from(ids) };
      },
    );
  },
};
for (const [name, mk] of Object.entries(configs)) {
  const s = mk();
  const plain = {
    step: () => {
      s.tr.optimizer.step();
      return true;
    },
  };
  const guard = new UpdateGuard(s.m.params, s.tr.optimizer);
  const times = { guard: [], plain: [] };
  const guardOnly = { guard: [], plain: [] };
  for (let i = 0; i < 3; i++) s.tr.train(s.batchFn());
  for (let r = 0; r < 20; r++) {
    for (const kind of r % 2 ? ['guard', 'plain'] : ['plain', 'guard']) {
      s.tr.guard = kind === 'guard' ? guard : plain;
      const b = s.batchFn();
      const t0 = performance.now();
      s.tr.train(b);
      times[kind].push(performance.now() - t0);
      const t1 = performance.now();
      (kind === 'guard' ? guard : plain).step();
      guardOnly[kind].push(performance.now() - t1);
    }
  }
  const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  const extra = med(guardOnly.guard) - med(guardOnly.plain),
    pct = (100 * extra) / med(times.plain);
  console.log(
    `${name}: P=${s.m.params.size}; train step median ${med(times.guard).toFixed(2)} ms with guard, ` +
      `${med(times.plain).toFixed(2)} ms without; update alone ${med(guardOnly.guard).toFixed(3)} ms guarded vs ` +
      `${med(guardOnly.plain).toFixed(3)} ms (overhead ${extra.toFixed(3)} ms = ${pct.toFixed(2)}% of a step)`,
  );
}
