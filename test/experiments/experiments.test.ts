// The lecture's open questions (`recur experiment cliff|esn-vs-lstm|embeddings|preprocess`): each
// runs at toy size (--quick), prints its numbers as JSON, writes results.json and a self-contained
// report.html, and keeps the invariants its method promises; bad options exit 2, bad data 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { esnFitMacs, rnnStepMacs } from '../../src/experiments/compute.js';
import { separated, textTable } from '../../src/experiments/spec.js';
import { signTest } from '../../src/experiments/cliff.js';
import { corpusText, sentences, words } from '../../src/experiments/corpus.js';
import { parseLabelled } from '../../src/experiments/embeddings.js';

const BIN = join(ROOT, 'bin', 'recur.js');
const recur = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
const tmp = () => mkdtempSync(join(tmpdir(), 'recur-exp-'));

/** Runs an experiment with --json; checks the JSON, results.json and the report; returns the JSON. */
function runExperiment(name: string, ...args: string[]): Record<string, any> {
  const dir = join(tmp(), name);
  const r = recur('experiment', name, '--quick', '--json', '--out', dir, ...args);
  assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  assert.equal(j.experiment, name);
  assert.equal(j.run, dir);
  assert.equal(j.options.quick, true);
  assert.ok(Array.isArray(j.findings) && j.findings.length > 0);
  for (const f of j.findings) {
    assert.ok(['yes', 'no', 'inconclusive'].includes(f.verdict), f.verdict);
    assert.ok(f.question.length > 10 && f.answer.length > 10);
  }
  assert.ok(j.budget && typeof j.budget.unit === 'string');
  const saved = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  assert.deepEqual(saved.findings, j.findings);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', ''), /https?:\/\//);
  for (const f of j.findings) assert.ok(html.includes(`v-${f.verdict}`));
  assert.match(html, /<svg/);
  assert.match(html, new RegExp(`recur experiment ${name}`));
  return { ...j, html };
}

test('helpers: sign test, separated ranges, multiply-add counts, tables', () => {
  assert.equal(signTest(0, 0), 1);
  assert.ok(Math.abs(signTest(10, 10) - 2 / 1024) < 1e-15);
  assert.ok(Math.abs(signTest(5, 10) - 1) < 1e-12);
  assert.equal(separated([0.9, 0.8], [0.7, 0.6]), 'yes');
  assert.equal(separated([0.5], [0.7, 0.6]), 'no');
  assert.equal(separated([0.5, 0.8], [0.7]), 'inconclusive');
  assert.equal(separated([0.1], [0.2], false), 'yes');
  assert.equal(separated([], [0.2]), 'inconclusive');
  // LSTM, T = 2, B = 1, I = 3, H = 2, O = 1: forward 2 (4*2*(3+2) + 2) = 84, a step 3x.
  assert.equal(rnnStepMacs({ gates: 4, T: 2, B: 1, I: 3, H: 2, O: 1 }), 252);
  assert.equal(esnFitMacs({ rows: 10, nnz: 5, F: 2, O: 1, solves: 2 }), 10 * (5 + 3 + 2) + 2 * (8 / 6 + 4));
  assert.match(textTable(['a', 'bb'], [['1', '2']]), /\| a \| bb \|/);
});

test('the generated corpus is seeded; labelled files parse, bad lines are data errors', () => {
  assert.equal(corpusText(500, { seed: 3 }), corpusText(500, { seed: 3 }));
  assert.notEqual(corpusText(500, { seed: 3 }), corpusText(500, { seed: 4 }));
  assert.equal(corpusText(500).length, 500);
  const s = sentences(200, { seed: 1 });
  assert.equal(new Set(s.map((x) => x.label)).size, 4);
  assert.deepEqual(words("The ship's Deck, 42!"), ['the', "ship's", 'deck', '42']);
  const p = parseLabelled('pos\tgood film\nneg\tbad film\n\npos\tfine\r\n');
  assert.deepEqual(p.labels, ['pos', 'neg']);
  assert.deepEqual(
    p.examples.map((e) => e.label),
    [0, 1, 0],
  );
  assert.throws(() => parseLabelled('no tab here'), /line 1: expected 'label<TAB>text'/);
});

test('experiment cliff: the surface, plain and clipped descents, sigma_max crossings', () => {
  const j = runExperiment('cliff');
  const { lr, clip } = j.options;
  assert.equal(j.grid.loss.length, j.options.grid);
  assert.equal(j.starts.length, j.options.starts);
  for (const s of j.starts) {
    assert.equal(s.plain.w.length, j.options.steps + 1);
    for (let k = 0; k < j.options.steps; k++) {
      const len = (t: any) => Math.hypot(t.w[k + 1] - t.w[k], t.b[k + 1] - t.b[k]);
      // A clipped step is never longer than lr * clip; a plain one is lr * |grad|.
      assert.ok(len(s.clipped) <= lr * clip * (1 + 1e-9), `clipped step ${len(s.clipped)}`);
      assert.ok(Math.abs(len(s.plain) - lr * s.plain.grad_norm[k]) <= 1e-9 * (1 + lr * s.plain.grad_norm[k]));
    }
    // Crossings of sigma_max = |w| = 1 are exactly where |w| changes side.
    const cross = s.plain.w
      .slice(1)
      .flatMap((w: number, i: number) => (Math.abs(s.plain.w[i]) > 1 !== Math.abs(w) > 1 ? [i + 1] : []));
    assert.deepEqual(s.plain.crossings, cross);
  }
  const rep = recur('report', j.run); // the run report is for training runs; it points at this one's page
  assert.equal(rep.status, 3);
  assert.match(rep.stderr, /is a run of 'recur experiment cliff': its report is .*report\.html/);
  assert.equal(j.summary.thrown_clipped, 0); // thrown = longer than 5 lr clip: impossible when clipped
  assert.match(j.html, /sigma_max\(W_hh\) = \|w\|/);
  assert.match(j.html, /every plain trajectory/);
  const bad = recur('experiment', 'cliff', '--clip', '0');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--clip must be > 0/);
  assert.equal(recur('experiment', 'cliff', '--w-range', '3,1').status, 2);
});

test('experiment esn-vs-lstm: both tasks, equal parameters and equal multiply-adds', () => {
  const j = runExperiment('esn-vs-lstm');
  assert.deepEqual(
    j.tasks.map((t: any) => t.task),
    ['mackey-glass', 'chars'],
  );
  for (const t of j.tasks) {
    assert.equal(t.lstm.length, j.options.lstm_sizes.length);
    assert.equal(t.esn.length, j.options.esn_sizes.length);
    // Trainable ESN parameters: the readout, (N + 1) per output (1 for Mackey-Glass, V for chars).
    const O = t.esn[0].params / (t.esn[0].N + 1);
    if (t.task === 'mackey-glass') assert.equal(O, 1);
    else assert.ok(Number.isInteger(O) && O > 5);
    for (const e of t.esn) assert.equal(e.params, (e.N + 1) * O);
    for (const l of t.lstm_runs) for (const c of l.curve) assert.equal(c.macs, c.step * l.macs_per_step);
    for (const c of t.equal_compute)
      if (c.lstm_h !== null) {
        const l = t.lstm_runs.find((x: any) => x.H === c.lstm_h)!;
        assert.ok(c.lstm_step * l.macs_per_step <= c.macs);
      }
    assert.ok(t.esn.every((e: any) => e.test >= 0 && Number.isFinite(e.test)));
  }
  assert.match(j.html, /test NRMSE vs trainable parameters/);
  assert.match(j.html, /test error rate vs training multiply-adds/);
  // A text file of your own for the character task.
  const f = join(tmp(), 'text.txt');
  writeFileSync(f, 'abcabd abcabd. '.repeat(300));
  const k = runExperiment('esn-vs-lstm', '--tasks', 'chars', '--text', f);
  assert.equal(k.text_source, 'file');
  assert.equal(recur('experiment', 'esn-vs-lstm', '--tasks', 'lorenz').status, 2);
  assert.equal(recur('experiment', 'esn-vs-lstm', '--text', join(tmp(), 'missing.txt')).status, 3);
});

test('experiment embeddings: learned, fixed hashed and linear, parameters and bytes', () => {
  const j = runExperiment('embeddings');
  const { embed, hidden, seeds } = j.options;
  const learned = j.variants.find((v: any) => v.kind === 'learned');
  const hashed = j.variants.filter((v: any) => v.kind === 'hashed');
  const linear = j.variants.filter((v: any) => v.kind === 'linear');
  assert.equal(hashed.length, j.options.buckets.length);
  assert.equal(linear.length, j.options.buckets.length);
  const lstm = (I: number) => 4 * hidden * (I + hidden + 2) + (hidden + 1) * j.data.classes;
  for (const h of hashed) {
    assert.equal(h.params, lstm(embed));
    assert.equal(h.bytes, 4 * (h.params + h.buckets * embed));
  }
  assert.equal(learned.params, lstm(embed) + (j.data.vocabulary + 2) * embed);
  for (const l of linear) assert.equal(l.params, l.buckets * j.data.classes);
  for (const v of j.variants) {
    assert.equal(v.test.length, seeds);
    assert.ok(v.test.every((a: number) => a >= 0 && a <= 1));
  }
  assert.match(j.html, /test accuracy vs memory/);
  const f = join(tmp(), 'labelled.tsv');
  writeFileSync(
    f,
    Array.from({ length: 60 }, (_, i) => (i % 2 ? 'a\tred apple fruit' : 'b\tblue sky cloud')).join('\n'),
  );
  const k = runExperiment('embeddings', '--text', f);
  assert.equal(k.data.classes, 2);
  assert.deepEqual(k.labels, ['b', 'a']);
  writeFileSync(f, 'no tab\n');
  const bad = recur('experiment', 'embeddings', '--text', f, '--out', join(tmp(), 'x'));
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /line 1: expected 'label<TAB>text'/);
  assert.equal(recur('experiment', 'embeddings', '--buckets', '100').status, 2);
});

test('experiment preprocess: raw, YUV, YUV+LCN and ZCA on real photographs (fixture), ridge and ELM', () => {
  const j = runExperiment(
    'preprocess',
    '--images',
    join(ROOT, 'test/fixtures/photos'),
    '--scale',
    '1',
    '--tile',
    '8',
    '--block',
    '1',
  );
  assert.equal(j.data.classes, 9);
  assert.equal(j.cells.length, 8);
  for (const c of j.cells) {
    assert.equal(c.test.length, j.options.seeds);
    assert.ok(c.test.every((a: number) => a >= 0 && a <= 1));
  }
  // The fixture photographs are old, mostly sepia prints: little colour, and the report says how little.
  assert.ok(j.data.chroma_to_luma > 0 && j.data.chroma_to_luma < 0.3);
  assert.match(j.html, /One test tile per class after each preprocessing/);
  assert.equal(recur('experiment', 'preprocess', '--images', join(tmp(), 'nothing-here')).status, 3);
  assert.equal(recur('experiment', 'preprocess', '--lcn-size', '4').status, 2);
});

test('experiment relu: tanh, ReLU and IRNN over T; IndRNN runs where the cell exists, else is reported pending', () => {
  const j = runExperiment('relu');
  const Ts = j.options.Ts.map(Number);
  for (const m of j.models) {
    const runs = j.runs.filter((r: any) => r.model === m.id);
    if (m.ran) assert.equal(runs.length, Ts.length * j.options.seeds);
    else {
      assert.equal(runs.length, 0);
      assert.match(m.note, /indrnn/);
    }
  }
  assert.ok(j.models.filter((m: any) => m.ran).length >= 3);
  for (const r of j.runs) {
    assert.equal(r.dh_first.length, r.T);
    assert.equal(r.h_last.length, r.T);
    // Underflow to 0 counts as the smallest float32, so the ratio stays finite (an upper bound).
    const d1 = Math.max(r.dh_first[0], 1.4e-45);
    assert.ok(Math.abs(r.log_ratio_first - Math.log10(d1 / r.dh_first[r.T - 1])) < 1e-9);
    assert.equal(r.underflow_first, r.dh_first[0] === 0);
    if (r.skipped_steps > 0) assert.equal(r.diverged, true);
  }
  assert.match(j.html, /dL\/dh_t\|\| at the first update/);
  assert.equal(recur('experiment', 'relu', '--models', 'lstm').status, 2);
});

test('experiment --help lists the open questions; each has its own flags', () => {
  const h = recur('experiment', '--help');
  assert.equal(h.status, 0);
  for (const n of ['cliff', 'relu', 'esn-vs-lstm', 'embeddings', 'preprocess']) assert.match(h.stdout, new RegExp(n));
  const c = recur('experiment', 'cliff', '--help');
  assert.equal(c.status, 0);
  assert.match(c.stdout, /--starts/);
  assert.match(c.stdout, /--quick/);
  assert.match(c.stdout, /--json/);
  const u = recur('experiment', 'cliff', '--strats', '3');
  assert.equal(u.status, 2);
  assert.match(u.stderr, /did you mean --starts/);
});
