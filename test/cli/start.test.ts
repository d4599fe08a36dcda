// `recur start`: budgets in steps make its table a function of the seed alone (run it twice, get
// the same rows); checks use few sequences, the final evaluation the full set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lectureText } from 'recur-rnn/report';
import { ROOT } from '../helpers.js';

const BIN = join(ROOT, 'bin', 'recur.js');
const recur = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 300_000 });

/** What may differ between two runs of the same seed: time, and where the run was written. */
const TIMING = new Set(['seconds', 'eval_seconds', 'ms_per_step', 'run']);
const stable = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING.has(k))));

test('recur start: the same seed prints the same table (tiny configuration, run twice)', () => {
  const root = mkdtempSync(join(tmpdir(), 'recur-start-'));
  const tiny = ['--T', '10', '--steps', '30', '--hidden', '8', '--batch', '8', '--models', 'a,d'];
  const evals = ['--eval-every', '10', '--eval-n', '40', '--final-eval-n', '100', '--diag-every', '10'];
  const runs = [1, 2].map((k) => {
    const r = recur('start', ...tiny, ...evals, '--out', join(root, `s${k}`), '--json');
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { rows: Record<string, unknown>[]; report: string; conclusions: string };
  });
  assert.equal(runs[0]!.rows.length, 4); // 2 tasks x 2 models
  assert.deepEqual(stable(runs[0]!.rows), stable(runs[1]!.rows));
  assert.equal(lectureText(runs[0]!.rows), lectureText(runs[1]!.rows));
  assert.equal(runs[0]!.conclusions, runs[1]!.conclusions);
  for (const r of runs[0]!.rows) {
    assert.equal(r.steps !== undefined && (r.steps as number) <= 30, true);
    assert.equal(r.eval_sequences, 100);
    assert.equal(r.check_sequences, 40);
    assert.match(String(r.label), /^(tanh-RNN|LSTM)$/);
  }
  assert.ok(existsSync(runs[0]!.report), 'the report of all runs is written');
  assert.match(readFileSync(runs[0]!.report, 'utf8'), /LSTM · order T=10/);
  // Text mode: the table, the criterion, the report's path; piped progress is plain lines.
  const t = recur('start', ...tiny, ...evals, '--models', 'a', '--tasks', 'order', '--out', join(root, 't'));
  assert.equal(t.status, 2, 'start has no --tasks: its parts are fixed');
  const p = recur('start', ...tiny, ...evals, '--models', 'a', '--out', join(root, 'p'));
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /\| task +\| model +\| baseline +\| result on fresh sequences +\| solved +\| verdict/);
  assert.match(p.stdout, /Solved: fewer than 1% of 100 fresh sequences wrong/);
  assert.match(p.stdout, /Report of all runs: .*report\.html/);
  assert.ok(!p.stderr.includes('\u001b['), 'no terminal control codes when piped');
  assert.match(p.stderr, /adding T=10 tanh-RNN started/);
});

test('recur train: checks on --eval-n sequences, the final evaluation on --final-eval-n', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'recur-evaln-')), 'run');
  const r = recur(
    ...['train', '--task', 'order', '--T', '10', '--cell', 'rnn', '--hidden', '8', '--batch', '8', '--steps', '40'],
    ...['--eval-every', '10', '--eval-n', '30', '--final-eval-n', '120', '--no-stop-on-success', '--diag-every', '0'],
    ...['--threads', '1', '--out', dir, '--json'],
  );
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.eval_sequences, 120);
  assert.equal(res.check_sequences, 30);
  assert.ok(res.eval_seconds >= 0 && res.eval_seconds <= res.seconds);
  const evals = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((m) => m.kind === 'eval');
  assert.deepEqual(
    evals.map((e) => [e.step, e.sequences, e.final ?? false]),
    [
      [10, 30, false],
      [20, 30, false],
      [30, 30, false],
      [40, 120, true],
    ],
  );
  assert.equal(recur('train', '--eval-n', '0').status, 2);
});
