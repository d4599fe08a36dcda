// Model save/load round trip (safetensors), and `recur hash train|predict|eval` end to end on
// small generated files: progress, --json, holdout, malformed rows, strict mode, exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashedLinearModel, MODEL_FORMAT } from 'recur-rnn/hashing';
import { Rng } from 'recur-rnn';
import { encodeSafetensors } from '../../src/safetensors.js';
import { main } from '../../src/cli/main.js';
import { ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-hash-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A small CTR-like file: label, one count, two categories with a pairwise effect. */
function makeCsv(path: string, rows: number, seed: number): void {
  const rng = new Rng(seed);
  const lines = ['label,I1,C1,C2'];
  for (let i = 0; i < rows; i++) {
    const n = Math.floor(Math.exp(rng.normal() * 1.5)),
      a = rng.int(30),
      b = rng.int(8);
    const logit = Math.sin(a) + (a % 3 === b % 3 ? 1.2 : -0.4) + 0.3 * Math.log1p(n) - 0.8;
    const y = rng.uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    lines.push(`${y},${rng.uniform() < 0.1 ? '' : n},c${a},${rng.uniform() < 0.05 ? '' : 'd' + b}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

const train = join(dir, 'train.csv'),
  testf = join(dir, 'test.csv');
makeCsv(train, 20000, 1);
makeCsv(testf, 5000, 2);

async function cli(args: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('a model saved to safetensors loads back with the same predictions and config', () => {
  const m = new HashedLinearModel(
    { columns: ['y', 'a', 'b'], label: 'y', quadratic: [['a', 'b']], bits: 10, signed: true },
    { kind: 'ftrl', alpha: 0.3, l1: 0.5 },
  );
  const rng = new Rng(5);
  for (let i = 0; i < 500; i++) m.learnRecord({ y: rng.int(2), a: `a${rng.int(9)}`, b: rng.int(4) });
  const back = HashedLinearModel.fromSafetensors(m.toSafetensors());
  assert.deepEqual(back.hasher.config, m.hasher.config);
  assert.deepEqual(back.learner.hyper(), m.learner.hyper());
  assert.equal(back.rows, 500);
  for (let a = 0; a < 9; a++)
    assert.equal(back.predictRecord({ a: `a${a}`, b: 1 }), m.predictRecord({ a: `a${a}`, b: 1 }));
  const ada = new HashedLinearModel({ columns: ['y', 'a'], label: 'y', bits: 6 }, { kind: 'adagrad', alpha: 0.2 });
  ada.learnRecord({ y: 1, a: 'q' });
  assert.equal(
    HashedLinearModel.fromSafetensors(ada.toSafetensors()).predictRecord({ a: 'q' }),
    ada.predictRecord({ a: 'q' }),
  );
});

test('loading refuses files that are not hashed linear models', () => {
  const other = encodeSafetensors(
    { w: { dtype: 'F32', shape: [1], data: new Float32Array(1) } },
    { format: 'something-else' },
  );
  assert.throws(
    () => HashedLinearModel.fromSafetensors(other),
    new RegExp(`format is "something-else", expected "${MODEL_FORMAT}"`),
  );
});

test('train -> eval -> predict through the CLI; the model beats the constant predictor', async () => {
  const model = join(dir, 'm.safetensors');
  const t = await cli([
    'hash',
    'train',
    train,
    '--numeric',
    'I1',
    '--quadratic',
    'C1:C2',
    '--model',
    model,
    '--test',
    testf,
    '--json',
  ]);
  assert.equal(t.code, 0, t.err);
  const r = JSON.parse(t.out);
  assert.equal(r.rows, 20000);
  assert.equal(r.bad_rows, 0);
  const labels = readFileSync(testf, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => Number(l[0]));
  const c = labels.reduce((a, b) => a + b, 0) / labels.length,
    constant = -(c * Math.log(c) + (1 - c) * Math.log(1 - c));
  assert.ok(r.test.log_loss < constant - 0.03 && r.test.auc > 0.7, `${JSON.stringify(r.test)} vs constant ${constant}`);
  assert.match(t.err, /average\s+since\s+rows/); // VW-style progress lines on stderr
  assert.match(t.err, /\n\s+0\.\d+\s+0\.\d+\s+16384\s/);
  const e = await cli(['hash', 'eval', testf, '--model', model, '--json']);
  assert.equal(e.code, 0, e.err);
  const ev = JSON.parse(e.out);
  assert.equal(ev.log_loss, r.test.log_loss); // same model after the round trip through the file
  const out = join(dir, 'p.txt');
  const p = await cli(['hash', 'predict', testf, '--model', model, '--output', out, '--quiet']);
  assert.equal(p.code, 0, p.err);
  const probs = readFileSync(out, 'utf8').trim().split('\n').map(Number);
  assert.equal(probs.length, 5000);
  assert.ok(probs.every((x) => x > 0 && x < 1));
});

test('AdaGrad, several passes and a holdout through the CLI', async () => {
  const t = await cli([
    'hash',
    'train',
    train,
    '--learner',
    'adagrad',
    '--passes',
    '2',
    '--holdout-period',
    '10',
    '--numeric',
    'I1..I1',
    '--json',
    '--quiet',
  ]);
  assert.equal(t.code, 0, t.err);
  const r = JSON.parse(t.out);
  assert.equal(r.rows, 40000);
  assert.ok(r.holdout.log_loss < 0.62 && r.holdout.auc > 0.65, JSON.stringify(r.holdout));
  assert.equal(t.err, '');
});

test('malformed rows: skipped and reported with line numbers, or stop the run under --strict', async () => {
  const fx = join(ROOT, 'fixtures/hashing/malformed.csv');
  const t = await cli(['hash', 'train', fx, '--numeric', 'n', '--json', '--quiet']);
  assert.equal(t.code, 0, t.err);
  const r = JSON.parse(t.out);
  assert.equal(r.rows, 2); // lines 2 and 6
  assert.equal(r.bad_rows, 5);
  assert.deepEqual(r.errors, [
    'line 3: expected 3 fields, got 2',
    "line 4: bad number 'x' in column 'n'",
    "line 5: bad label '2' in column 'label' (expected 0/1 or -1/+1)",
    'line 7: expected 3 fields, got 4',
    'line 8: unclosed quote',
  ]);
  assert.match(t.err, /skipped 5 malformed rows; first 5:\n  line 3: expected 3 fields, got 2/);
  const s = await cli(['hash', 'train', fx, '--numeric', 'n', '--strict', '--quiet']);
  assert.equal(s.code, 3);
  assert.match(s.err, /malformed row at line 3: expected 3 fields, got 2 \(strict mode stops here\)/);
});

test('usage and data errors have clear messages and exit codes', async () => {
  assert.equal((await cli(['hash', 'fit', train])).code, 2);
  assert.match((await cli(['hash', 'train'])).err, /needs a FILE/);
  assert.equal((await cli(['hash', 'train', join(dir, 'nope.csv')])).code, 3);
  const noLabel = await cli(['hash', 'train', train, '--label', 'click', '--quiet']);
  assert.equal(noLabel.code, 3);
  assert.match(
    noLabel.err,
    /--label names column 'click', which the file does not have \(its columns: label, I1, C1, C2\)/,
  );
  const bad = join(dir, 'bad.safetensors');
  writeFileSync(bad, 'not a model');
  const e = await cli(['hash', 'eval', testf, '--model', bad]);
  assert.equal(e.code, 3);
  assert.match(e.err, /cannot load model/);
  const h = await cli(['hash', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /--quadratic A,B/);
});

test('a file without a header, described by --columns, and prediction without the label column', async () => {
  const body = readFileSync(train, 'utf8').split('\n').slice(1).join('\n');
  const nh = join(dir, 'nohead.tsv');
  writeFileSync(nh, body.replaceAll(',', '\t'));
  const model = join(dir, 'nh.safetensors');
  const t = await cli([
    'hash',
    'train',
    nh,
    '--no-header',
    '--columns',
    'label,I1,C1,C2',
    '--numeric',
    'I1',
    '--model',
    model,
    '--json',
    '--quiet',
  ]);
  assert.equal(t.code, 0, t.err);
  assert.equal(JSON.parse(t.out).rows, 20000);
  const unl = join(dir, 'unlabelled.csv');
  writeFileSync(unl, 'C2,C1,I1\nd1,c3,4\n,c7,\n');
  const out = join(dir, 'pu.txt');
  const p = await cli(['hash', 'predict', unl, '--model', model, '--output', out, '--json']);
  assert.equal(p.code, 0, p.err);
  assert.equal(JSON.parse(p.out).rows, 2);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 2);
});

test('training reads stdin (FILE -), header included', () => {
  const input = readFileSync(train, 'utf8').split('\n').slice(0, 3001).join('\n') + '\n';
  const out = execFileSync(
    process.execPath,
    [join(ROOT, 'bin', 'recur.js'), 'hash', 'train', '-', '--numeric', 'I1', '--json', '--quiet'],
    { input, encoding: 'utf8' },
  );
  const r = JSON.parse(out);
  assert.equal(r.file, '-');
  assert.equal(r.rows, 3000);
});
