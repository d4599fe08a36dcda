// The encoder-decoder saved with its task decodes the same after loading: the library round trip
// (same parameters, same greedy and beam outputs), and the CLI's `lm seq2seq --out DIR` then
// `lm decode --model DIR`, whose exact match on the saved evaluation seed repeats the saved score.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors } from 'recur-rnn';
import { encodeSource, loadSeq2Seq, makeToyTask, newToyModel, saveSeq2Seq } from 'recur-rnn/lm';
import { ROOT } from '../helpers.js';

const BIN = join(ROOT, 'bin', 'recur.js');
const recur = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, 'lm', ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

test('saveSeq2Seq / loadSeq2Seq: parameters and decodings round-trip; bad files are clear errors', () => {
  const task = makeToyTask('addition', 2, { lsbFirst: true });
  const model = newToyModel(task, { hidden: 12, embed: 5, seed: 3 });
  const bytes = saveSeq2Seq(model, task, { maxLen: 2, lsbFirst: true, extra: { note: 'x' } });
  const back = loadSeq2Seq(bytes);
  assert.deepEqual(back.model.params.data, model.params.data);
  assert.equal(back.task.name, 'addition');
  assert.deepEqual(back.meta.extra, { note: 'x' });
  const srcs = ['12+7=', '99+99=', '0+0='].map((s) => encodeSource(task, s));
  for (const beam of [1, 3]) assert.deepEqual(back.model.decode(srcs, { beam }), model.decode(srcs, { beam }));
  assert.throws(() => loadSeq2Seq(bytes.subarray(0, 40)), /./);
  assert.throws(
    () => loadSeq2Seq(encodeSafetensors({ a: { shape: [1], data: new Float32Array(1) } })),
    /not a recur encoder-decoder/,
  );
});

test('recur lm seq2seq --out DIR, then lm decode --model DIR: the same outputs and score', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-s2s-')),
    run = join(dir, 'add');
  const t = recur(
    ...['seq2seq', '--task', 'addition', '--max-len', '1', '--hidden', '16', '--embed', '6', '--steps', '60'],
    ...['--eval-n', '64', '--out', run, '--json'],
  );
  assert.equal(t.status, 0, t.stderr);
  const res = JSON.parse(t.stdout);
  assert.equal(res.steps, 60);
  const d = recur('decode', '--model', run, ...res.examples.map((e: { source: string }) => e.source), '--eval-n', '64');
  assert.equal(d.status, 0, d.stderr);
  const dj = JSON.parse(
    recur(
      'decode',
      '--model',
      run,
      ...res.examples.map((e: { source: string }) => e.source),
      '--eval-n',
      '64',
      '--json',
    ).stdout,
  );
  assert.equal(dj.exact_match, res.exact_match, 'the saved model scores what it scored when saved');
  assert.deepEqual(
    dj.outputs.map((o: { output: string }) => o.output),
    res.examples.map((e: { output: string }) => e.output),
  );
  writeFileSync(join(dir, 'srcs.txt'), '1+2=\n\n3+4=\n');
  const f = JSON.parse(recur('decode', '--model', run, '--text', join(dir, 'srcs.txt'), '--json').stdout);
  assert.deepEqual(
    f.outputs.map((o: { source: string }) => o.source),
    ['1+2=', '3+4='],
  );
  assert.ok(readFileSync(join(run, 'checkpoint.safetensors')).length > 1000);
  assert.equal(recur('decode', '--model', run, '1+x=').status, 3); // not in the alphabet
  assert.equal(recur('decode', '--model', join(dir, 'none')).status, 3);
  assert.equal(recur('decode', '--model', run).status, 2); // nothing to decode
  assert.equal(recur('decode').status, 2);
  assert.equal(recur(...['seq2seq', '--task', 'reverse', '--steps', '1', '--out', run]).status, 3); // --force needed
});
