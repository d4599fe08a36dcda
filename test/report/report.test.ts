// The HTML report: self-contained, escaped, charts present; success tables; `recur report` on
// run folders and an experiment folder, with its errors and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, esc, heatmap, successTable, successText } from 'recur-rnn/report';
import { ROOT } from '../helpers.js';

const BIN = join(ROOT, 'bin', 'recur.js');
const recur = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
const HOSTILE = '<script>window.__pwned=1</script><img src=x onerror=alert(1)>';

test('every string from the data is escaped; no script, no network, a CSP that forbids both', () => {
  const html = buildReport(
    [
      {
        name: `run ${HOSTILE}`,
        config: { task: { name: HOSTILE }, note: '</style></svg>"\'&' },
        result: { task: HOSTILE, steps: '<b>3</b>', mse: 'NaN<script>' },
        metrics: [
          { kind: 'train', step: 1, loss: '1e999' },
          { kind: 'train', step: 2, loss: 0.5, grad_norm: 2 },
          { kind: 'diag', step: 1, cores: [{ dh_norms: ['<x>', 1, 2] }] },
        ],
        samples: [{ step: 1, text: `a corpus with ${HOSTILE} in it` }],
        experiment: [{ task: HOSTILE, T: 10, model: HOSTILE, seed: 1, success: true }],
      },
    ],
    { title: HOSTILE },
  );
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img/i);
  assert.match(html, /&lt;script&gt;window.__pwned=1&lt;\/script&gt;&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/);
  assert.doesNotMatch(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', ''), /https?:\/\//);
  assert.match(html, /&lt;\/style&gt;&lt;\/svg&gt;&quot;&#39;&amp;/);
});

test('charts: loss, heatmap, spectra, clipping, saturation; heatmap cells coloured on a log scale', () => {
  const T = 8,
    metrics: Record<string, unknown>[] = [];
  for (let s = 10; s <= 100; s += 10)
    metrics.push({ kind: 'train', step: s, loss: 1 / s, grad_norm: 3, clip_events: s / 10, skipped: 0 });
  for (const s of [1, 50, 100])
    metrics.push({
      kind: 'diag',
      step: s,
      cores: [
        {
          layer: 0,
          direction: 0,
          dh_norms: Array.from({ length: T }, (_, t) => 10 ** (t - T)),
          rho: 0.9,
          sigma: 1.2,
          jacobian: { per_step: 0.5 },
          saturation: { tanh: 0.1, gates: [] },
          h_norm: Array(T).fill(1),
        },
      ],
    });
  const html = buildReport([
    { name: 'a', metrics },
    { name: 'b', metrics: [] },
  ]);
  assert.ok((html.match(/<svg /g) ?? []).length >= 9);
  assert.match(html, /a: \|\|dL\/dh_t\|\|/);
  const hm = heatmap(
    [
      [1e-8, 1e-4, 1],
      [null, 0, 1],
    ],
    [1, 2],
    { title: 'h', xLabel: 't', yLabel: 's' },
  );
  assert.ok(
    hm.includes('fill="rgb(68,1,84)"') && hm.includes('fill="rgb(253,231,37)"'),
    'smallest dark, largest yellow',
  );
  assert.equal((hm.match(/fill="#ccc"><title>/g) ?? []).length, 2, 'missing and zero cells grey');
  assert.match(hm, /grey: /, 'and the legend says what grey means');
  const wide = heatmap([Array.from({ length: 1000 }, (_, i) => i + 1)], [1], { title: 'w', xLabel: 't', yLabel: 's' });
  assert.equal((wide.match(/<title>step/g) ?? []).length, 100, 'a long sequence is merged into 100 columns');
  // A log restarted with --force (steps going back) keeps the newest records only.
  const restarted = buildReport([
    {
      name: 'r',
      metrics: [
        { kind: 'train', step: 10, loss: 9, grad_norm: 1 },
        { kind: 'train', step: 20, loss: 9, grad_norm: 1 },
        { kind: 'train', step: 10, loss: 0.5, grad_norm: 1 },
      ],
    },
  ]);
  assert.match(restarted, /training loss[\s\S]*?r: 1 points/);
  assert.equal(esc(`<&>"'`), '&lt;&amp;&gt;&quot;&#39;');
});

test('successTable: fraction of seeds solved per task, method and T', () => {
  const rows = [
    { task: 'order', T: 10, model: 'SGD', seed: 1, success: false },
    { task: 'order', T: 10, model: 'SGD', seed: 2, success: true },
    { task: 'order', T: 20, model: 'SGD', seed: 1, success: false },
    { task: 'order', T: 10, model: 'SGD+clip', seed: 1, success: true },
  ];
  const t = successTable(rows);
  assert.deepEqual(t.Ts, [10, 20]);
  assert.deepEqual(
    t.rows.map((r) => [r.model, r.cells]),
    [
      [
        'SGD',
        [
          { solved: 1, runs: 2 },
          { solved: 0, runs: 1 },
        ],
      ],
      ['SGD+clip', [{ solved: 1, runs: 1 }, null]],
    ],
  );
  assert.match(successText(t), /\| order \| SGD      \| 1\/2 \(50%\)  \| 0\/1 \(0%\) \|/);
});

test('recur report: run folders side by side, an experiment folder, samples escaped; bad input 3, no folder 2', () => {
  const root = mkdtempSync(join(tmpdir(), 'recur-report-'));
  const run = join(root, 'exp', 'order-a');
  const t = recur(
    'train',
    '--task',
    'order',
    '--T',
    '10',
    '--cell',
    'rnn',
    '--hidden',
    '6',
    '--steps',
    '12',
    '--batch',
    '4',
    '--eval-every',
    '6',
    '--eval-n',
    '20',
    '--final-eval-n',
    '40',
    '--diag-every',
    '5',
    '--checkpoint-every',
    '0',
    '--out',
    run,
    '--json',
  );
  assert.equal(t.status, 0, t.stderr);
  const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    metrics.filter((m) => m.kind === 'diag').map((m) => m.step),
    [1, 5, 10],
  );
  const d = metrics.find((m) => m.kind === 'diag');
  assert.equal(d.cores[0].dh_norms.length, 10);
  for (const k of ['rho', 'sigma', 'gates', 'jacobian', 'saturation', 'h_norm']) assert.ok(k in d.cores[0], k);
  writeFileSync(join(run, 'samples.jsonl'), JSON.stringify({ step: 12, text: HOSTILE }) + '\n');
  writeFileSync(
    join(root, 'exp', 'results.json'),
    JSON.stringify([{ task: 'order', T: 10, model: 'a', seed: 1, success: false }]),
  );
  const out = join(root, 'out', 'r.html');
  const r = recur('report', join(root, 'exp'), run, '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).runs, ['exp', 'exp/order-a', 'order-a']);
  const html = readFileSync(out, 'utf8');
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /success rate per T/);
  assert.match(html, /&lt;script&gt;window.__pwned=1/);
  mkdirSync(join(root, 'empty'));
  const e = recur('report', join(root, 'empty'), '--out', join(root, 'x.html'));
  assert.equal(e.status, 3);
  assert.match(e.stderr, /is not a run folder: it holds none of config.json, metrics.jsonl, result.json/);
  writeFileSync(join(root, 'empty', 'config.json'), '{not json');
  assert.match(recur('report', join(root, 'empty')).stderr, /config.json: not valid JSON/);
  assert.equal(recur('report', join(root, 'missing')).status, 3);
  assert.equal(recur('report').status, 2);
  assert.equal(recur('train', '--diag-every', '-1').status, 2);
});

test('recur report on a glob: files and non-run folders are skipped, saying so; a lone file is no run folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'recur-report-glob-'));
  const exp = join(root, 'start');
  const run = join(exp, 'order-a');
  const t = recur(
    ...['train', '--task', 'order', '--T', '10', '--cell', 'rnn', '--hidden', '4', '--steps', '4', '--batch', '4'],
    ...['--eval-every', '0', '--final-eval-n', '20', '--diag-every', '0', '--label', 'tanh-RNN', '--out', run],
  );
  assert.equal(t.status, 0, t.stderr);
  writeFileSync(join(exp, 'config.json'), '{"experiment":"lecture"}');
  writeFileSync(join(exp, 'results.json'), '[]');
  writeFileSync(join(exp, 'report.html'), '<html></html>');
  mkdirSync(join(exp, 'notes'));
  // what the shell makes of `recur report start/*`
  const glob = ['config.json', 'notes', 'order-a', 'report.html', 'results.json'].map((f) => join(exp, f));
  const out = join(root, 'r.html');
  const r = recur('report', ...glob, '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).runs, ['order-a']);
  assert.match(r.stderr, /skipped 4: .*config.json' is a file, not a run folder/);
  assert.match(r.stderr, /notes' is not a run folder/);
  assert.match(readFileSync(out, 'utf8'), /tanh-RNN · order T=10/); // named by its label, not its folder
  const f = recur('report', join(exp, 'config.json'));
  assert.equal(f.status, 3);
  assert.match(f.stderr, /config.json' is a file, not a run folder/);
  assert.doesNotMatch(f.stderr, /does not exist/);
  const m = recur('report', join(exp, 'nope'));
  assert.equal(m.status, 3);
  assert.match(m.stderr, /nope' does not exist/);
  const none = recur('report', join(exp, 'config.json'), join(exp, 'report.html'));
  assert.equal(none.status, 3);
  assert.match(none.stderr, /none of the 2 paths is a run folder/);
});

test('ESN runs show their scores and forecast, not empty training panels', () => {
  const html = buildReport([
    {
      name: 'mg',
      config: { data: 'mackey-glass', units: 100, sr: 1.25, lr: 0.3, mode: 'one-step' },
      metrics: [],
      scores: { nrmse: 0.0123, nrmse_minmax: 0.004, r2: 0.9998, steps: 3, fit_s: 0.1 },
      forecast: { t: [1, 2, 3], truth: [0.5, 0.6, 0.7], prediction: [0.51, 0.59, 0.72], mode: 'one-step' },
    },
  ]);
  assert.match(html, /Echo state networks/);
  assert.match(html, /<td>0\.0123<\/td>/);
  assert.match(html, /ESN 100 units · mackey-glass \(one-step\): forecast/);
  assert.doesNotMatch(html, /id="loss"|id="gradflow"|No diagnostics/);
});
