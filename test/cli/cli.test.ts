// The command line: help on every command, unknown flags, exit codes, --json, train/resume/eval round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

const BIN = join(ROOT, 'bin', 'recur.js');
const recur = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

test('recur --help lists commands; every command has --help', () => {
  const r = recur('--help');
  assert.equal(r.status, 0);
  const cmds = [...r.stdout.matchAll(/^  ([a-z-]+)\s{2,}/gm)].map((m) => m[1]!);
  assert.ok(cmds.includes('train') && cmds.includes('eval') && cmds.includes('resume'));
  for (const c of cmds) {
    const h = recur(c, '--help');
    assert.equal(h.status, 0, `${c} --help: ${h.stderr}`);
    assert.match(h.stdout, /--json/, c);
  }
});

test('unknown flags and commands are rejected with a suggestion and exit code 2', () => {
  const r = recur('train', '--stpes', '3');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option --stpes \(did you mean --steps\?\)/);
  const c = recur('trian');
  assert.equal(c.status, 2);
  assert.match(c.stderr, /did you mean 'train'/);
  assert.equal(recur('train', '--cell', 'xyz').status, 2);
  assert.equal(recur('train', '--steps', 'many').status, 2);
});

test('train --json, resume and eval round trip; corrupt checkpoints exit 3', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'recur-')), 'run');
  const t = recur(
    'train',
    '--task',
    'adding',
    '--T',
    '6',
    '--cell',
    'gru',
    '--hidden',
    '8',
    '--steps',
    '20',
    '--batch',
    '8',
    '--eval-every',
    '10',
    '--eval-n',
    '50',
    '--final-eval-n',
    '100',
    '--out',
    dir,
    '--json',
  );
  assert.equal(t.status, 0, t.stderr);
  const res = JSON.parse(t.stdout.trim());
  assert.equal(res.steps, 20);
  for (const k of ['mse', 'success_rate', 'steps', 'seconds']) assert.ok(k in res, k);
  for (const f of ['config.json', 'metrics.jsonl', 'checkpoint.safetensors', 'result.json'])
    assert.ok(existsSync(join(dir, f)), f);
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.kind === 'train') && lines.some((l) => l.kind === 'eval'));
  const r = recur('resume', dir, '--steps', '30', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.trim()).steps, 30);
  const e = recur('eval', dir, '--n', '100', '--json');
  assert.equal(e.status, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout.trim()).steps, 30);
  assert.equal(recur('train', '--out', dir).status, 3); // refuses to overwrite a run
  const bad = join(dir, 'bad.safetensors');
  writeFileSync(bad, new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))).subarray(0, 100));
  const b = recur('eval', bad);
  assert.equal(b.status, 3);
  assert.match(b.stderr, /past the end|outside|truncated/);
  assert.equal(recur('eval', join(dir, 'missing.safetensors')).status, 3);
});

test('train --cell indrnn: the cell registry reaches the CLI (bound 2^(1/T) by default), diagnostics included', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'recur-')), 'run');
  const args = ['--task', 'adding', '--T', '8', '--hidden', '8', '--steps', '20', '--batch', '8', '--eval-every', '0'];
  const r = recur(
    'train',
    '--cell',
    'indrnn',
    ...args,
    '--final-eval-n',
    '100',
    '--diag-every',
    '10',
    '--out',
    dir,
    '--json',
  );
  assert.equal(r.status, 0, r.stderr);
  const diag = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"diag"'));
  assert.ok(diag.length >= 1 && diag[0]!.includes('"h"'), "diagnostics logged with the spec's gate name");
  assert.equal(JSON.parse(r.stdout).cell, 'indrnn');
  const res = recur('resume', dir, '--steps', '30', '--json'); // the checkpoint's u [H] loads (diagonal layout)
  assert.equal(res.status, 0, res.stderr);
  assert.equal(JSON.parse(res.stdout).steps, 30);
  assert.equal(recur('eval', dir, '--n', '50', '--json').status, 0);
  const meta = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.ok(JSON.stringify(meta).includes(String(2 ** (1 / 8)).slice(0, 8)), 'the default bound is recorded');
  const bad = recur('train', '--cell', 'gru', '--nonlinearity', 'relu', ...args);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--nonlinearity does not apply to --cell gru/);
  assert.match(recur('train', '--help').stdout, /rnn, lstm, gru, indrnn|rnn\|lstm\|gru\|indrnn/);
});
