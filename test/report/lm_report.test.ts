// The report of a language-model run: the validation curve in bits per character (with the
// n-gram baseline), the training loss in the same unit, a summary row, and samples drawn over
// training with the validation score at their step; from a real `recur lm train` run folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from 'recur-rnn/report';
import { ROOT } from '../helpers.js';

const BIN = join(ROOT, 'bin', 'recur.js');
const recur = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

test('recur report on an lm train run: bits/char curve, n-gram line, samples over time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-lm-report-')),
    run = join(dir, 'shakespeare');
  const t = recur(
    ...['lm', 'train', '--text', join(ROOT, 'fixtures', 'lm', 'shakespeare_12k.txt'), '--hidden', '16'],
    ...['--embed', '8', '--batch', '4', '--bptt', '16', '--steps', '24', '--eval-every', '4', '--eval-tokens', '800'],
    ...['--sample-length', '40', '--ngram', '3', '--threads', '1', '--out', run, '--json'],
  );
  assert.equal(t.status, 0, t.stderr);
  const samples = readFileSync(join(run, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    samples.map((s) => s.step),
    [4, 8, 12, 16, 20, 24],
    'a sample at every evaluation (the last one is the final sample)',
  );
  assert.ok(samples.every((s) => typeof s.text === 'string' && s.text.length > 0));
  const out = join(dir, 'report.html');
  const r = recur('report', run, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /<section id="lm">/);
  assert.match(html, /validation bits per char/);
  assert.match(html, /training loss in bits per char/);
  assert.match(html, /interpolated Kneser-Ney, modified discounts, order 3/); // the baseline's line label
  assert.match(html, /<section id="samples">/);
  assert.match(html, /shakespeare: over training/);
  assert.match(html, /step 12, temperature 1, validation \d\.\d+ bits\/char/);
  const res = JSON.parse(t.stdout);
  assert.ok(html.includes(String(Number(res.val_bits_per_char.toPrecision(4)))), 'the final bits/char in the table');
});

test('buildReport: no language-model section without bits-per-token evaluations; samples spread over time', () => {
  const plain = buildReport([{ name: 'adding', metrics: [{ kind: 'eval', step: 1, loss: 0.1 }] }]);
  assert.doesNotMatch(plain, /<section id="lm">/);
  const samples = Array.from({ length: 20 }, (_, i) => ({ step: (i + 1) * 10, text: `sample ${i + 1}` }));
  const html = buildReport([
    {
      name: 'word',
      config: { level: 'word' },
      result: { ngram: { model: 'KN 3', bits_per_word: 7.1, perplexity: 137 } },
      metrics: [
        { kind: 'eval', step: 10, bits_per_token: 9 },
        { kind: 'eval', step: 200, bits_per_token: 7 },
      ],
      samples,
    },
  ]);
  assert.match(html, /validation bits per word/);
  assert.match(html, /8 of 20 samples/);
  for (const k of [1, 20]) assert.match(html, new RegExp(`<pre>sample ${k}</pre>`), `first and last: ${k}`);
  assert.match(html, /step 200, validation 7 bits\/word<\/div>/);
  assert.match(html, /word: KN 3/);
});
