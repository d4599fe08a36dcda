// `recur lm`: train a run folder, sample deterministically, evaluate, and the error exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

const BIN = join(ROOT, 'bin', 'recur.js');
const recur = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, 'lm', ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

test('recur lm train / sample / eval round trip with --json; bad input exits 3, bad usage 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-lm-')),
    text = join(dir, 'in.txt'),
    run = join(dir, 'run');
  writeFileSync(text, 'First Citizen:\nBefore we proceed any further, hear me speak.\n'.repeat(8));
  const tiny = ['--hidden', '8', '--embed', '4', '--batch', '2', '--bptt', '8', '--eval-every', '0'];
  const t = recur('train', '--text', text, ...tiny, '--steps', '3', '--sample-length', '10', '--out', run, '--json');
  assert.equal(t.status, 0, t.stderr);
  const res = JSON.parse(t.stdout);
  assert.equal(res.steps, 3);
  assert.equal(res.vocab_size, 27);
  assert.ok(res.val_bits_per_char > 0 && res.val_tokens > 0);
  for (const f of ['config.json', 'metrics.jsonl', 'checkpoint.safetensors', 'result.json'])
    assert.ok(existsSync(join(run, f)), f);
  const s1 = recur('sample', '--model', run, '--prime', 'First', '--length', '30', '--seed', '5', '--json');
  const s2 = recur(
    'sample',
    '--model',
    join(run, 'checkpoint.safetensors'),
    '--prime',
    'First',
    '--length',
    '30',
    '--seed',
    '5',
    '--json',
  );
  assert.equal(s1.status, 0, s1.stderr);
  assert.equal(JSON.parse(s1.stdout).sample, JSON.parse(s2.stdout).sample);
  assert.ok(JSON.parse(s1.stdout).sample.startsWith('First'));
  const e = recur('eval', '--model', run, '--text', text, '--json');
  assert.equal(e.status, 0, e.stderr);
  assert.ok(JSON.parse(e.stdout).bits_per_char > 0);
  const unk = recur('sample', '--model', run, '--prime', 'Zebra');
  assert.equal(unk.status, 3);
  assert.match(unk.stderr, /"Z" \(U\+005A\) at position 0 is not in the model's vocabulary/);
  assert.equal(recur('sample', '--model', run, '--prime', 'Zebra', '--unknown', 'skip', '--length', '3').status, 0);
  // progress lines before the first evaluation (here there is none) show '-', not NaN
  const p = recur('train', '--text', text, ...tiny, '--steps', '3', '--out', join(dir, 'plain'));
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stderr, /3\/3 {2}loss [\d.]+ {2}val bits - {2}tok\/s \d+/);
  assert.doesNotMatch(p.stderr, /NaN/);
  // has a checkpoint: --force needed
  assert.equal(recur('train', '--text', text, ...tiny, '--steps', '1', '--out', run).status, 3);
  assert.equal(recur('train', '--text', join(dir, 'missing.txt')).status, 3);
  assert.equal(recur('sample', '--model', join(dir, 'nothing')).status, 3);
  writeFileSync(join(dir, 'junk.safetensors'), 'not a checkpoint at all');
  assert.equal(recur('sample', '--model', join(dir, 'junk.safetensors')).status, 3);
  assert.equal(recur().status, 2);
  assert.equal(recur('fly').status, 2);
  assert.equal(recur('sample', '--model', run, '--temperature', '-1').status, 2);
});
