// Checkpoints of models with dropout (issue 15) load again: the strict metadata check knows the
// dropout keys of SequenceModelConfig.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SequenceModel, type SequenceModelConfig, loadCheckpoint, saveCheckpoint } from 'recur-rnn';

test('checkpoint round trip: dropout settings and dropout seed', () => {
  const cfgs: SequenceModelConfig[] = [
    {
      cell: 'lstm',
      vocabSize: 7,
      embedDim: 3,
      hiddenSize: 5,
      numLayers: 2,
      dropout: 0.2,
      inputDropout: 0.1,
      outputDropout: 0.3,
      dropoutSeed: 9,
      outputSize: 7,
      head: 'every',
      loss: 'xent',
      seed: 2,
    },
  ];
  for (const cfg of cfgs) {
    const m = new SequenceModel(cfg);
    const back = loadCheckpoint(saveCheckpoint(m, { step: 3 }));
    assert.deepEqual(back.model.config, m.config);
    assert.deepEqual(back.model.params.data, m.params.data);
  }
});
