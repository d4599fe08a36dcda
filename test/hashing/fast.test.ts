// The WebAssembly fast path against the TypeScript reference path, on a generated file with
// everything a CSV can throw at it (quoted fields with delimiters and doubled quotes, empty
// fields, CRLF, blank lines, numbers that are negative, -0, decimal, exponent or huge,
// labels 1.0 / -1, malformed rows, no final newline): the same hashes, the same per-row
// predictions, the same malformed-row reports and the same weights, bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FeatureHasher,
  HashFastPath,
  HashedLinearModel,
  fastPathAvailable,
  prepareFastPath,
  type HasherOptions,
  type LearnerOptions,
} from 'recur-rnn/hashing';
import { Rng } from 'recur-rnn';
import { trainStream, scoreStream } from '../../src/node/hashstream.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-fast-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const COLS = ['label', 'n1', 'n2', 'c1', 'c2', 'c3', 'c4'];

/** A messy CTR-like file; `shuffle` writes the columns in another order (and may drop the label). */
function makeCsv(path: string, rows: number, seed: number, order = COLS): void {
  const rng = new Rng(seed);
  const lines: string[] = [order.join(',')];
  const numbers = [
    '0',
    '-0',
    '-1',
    '-2',
    '3',
    '17',
    '1023',
    '1024',
    '5000',
    '123456789',
    '2.5',
    '-0.5',
    '1e3',
    '+7',
    '1234567890123456789',
  ];
  for (let i = 0; i < rows; i++) {
    const a = rng.int(40),
      b = rng.int(6),
      n = Math.floor(Math.exp(rng.normal() * 2));
    const logit = Math.sin(a) + (a % 3 === b % 3 ? 1 : -0.5) + 0.2 * Math.log1p(n) - 0.7;
    const y = rng.uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    const u = rng.uniform();
    const rec: Record<string, string> = {
      label: u < 0.003 ? (y ? '1.0' : '-1') : String(y),
      n1: rng.uniform() < 0.1 ? '' : rng.uniform() < 0.2 ? numbers[rng.int(numbers.length)]! : String(n),
      n2: rng.uniform() < 0.3 ? '' : String(rng.int(3000) - 100),
      c1: `k${a}`,
      c2: rng.uniform() < 0.05 ? '' : rng.uniform() < 0.03 ? `"d${b}, with ""quotes"""` : `d${b}`,
      c3: rng.uniform() < 0.2 ? '' : `${(a * 7919 + b) % 997}`,
      c4:
        rng.uniform() < 0.01
          ? '"two\nlines"'
          : ['x', 'yy', 'zzz', 'wwww', 'vvvvv', 'long-category-name-17'][rng.int(6)]!,
    };
    let line = order.map((c) => rec[c]!).join(',');
    if (u > 0.997)
      line += ',extra'; // wrong field count
    else if (u > 0.994)
      line = line.replace(/,k/, ',"k'); // unclosed quote (swallows lines)
    else if (u > 0.991)
      line = `2,${line.slice(line.indexOf(',') + 1)}`; // bad label (label first)
    else if (u > 0.988) line = line.replace(/^([^,]*),[^,]*/, '$1,abc'); // bad number
    lines.push(line + (rng.uniform() < 0.2 ? '\r' : ''));
    if (rng.uniform() < 0.01) lines.push('');
  }
  writeFileSync(path, lines.join('\n')); // no final newline
}

const train = join(dir, 'train.csv'),
  other = join(dir, 'other.csv');
makeCsv(train, 6000, 1);
// Scoring file: columns in another order, no label column.
makeCsv(other, 2000, 2, ['c3', 'n2', 'c1', 'c4', 'n1', 'c2']);

const csv = { bufferBytes: 4096 }; // small reads: the buffer moves into the module early

async function both(hasher: Omit<HasherOptions, 'columns'>, learner: LearnerOptions, holdoutPeriod = 0) {
  const make = () => new HashedLinearModel({ columns: COLS, label: 'label', bits: 12, ...hasher }, learner);
  const ts = await trainStream(make(), train, { csv, fast: false, holdoutPeriod });
  const wa = await trainStream(make(), train, { csv, fast: true, holdoutPeriod });
  return { ts, wa };
}

function stateOf(m: HashedLinearModel): Float64Array {
  return Object.values(m.learner.state())[0]!.data as Float64Array;
}

const skip = !fastPathAvailable() && 'WebAssembly SIMD or the built kernels are missing';

const configs: [string, Omit<HasherOptions, 'columns'>, LearnerOptions][] = [
  [
    'FTRL, log-valued numbers, pairs',
    {
      numeric: ['n1', 'n2'],
      numericAs: 'log',
      quadratic: [
        ['c1', 'c2'],
        ['c1', 'n1'],
      ],
    },
    { kind: 'ftrl', l1: 0.5 },
  ],
  [
    'FTRL, binned numbers, signed, l1 0',
    { numeric: ['n1', 'n2'], numericAs: 'bin', signed: true, quadratic: [['c2', 'c4']] },
    { kind: 'ftrl', l1: 0 },
  ],
  [
    'AdaGrad, value numbers, missing skipped, no bias',
    { numeric: ['n1', 'n2'], numericAs: 'value', missing: 'skip', bias: false, ignore: ['c3'] },
    { kind: 'adagrad', l2: 0.01 },
  ],
  ['FTRL, all columns categorical, seed 7', { seed: 7, quadratic: [['n1', 'c1']] }, { kind: 'ftrl' }],
];

for (const [name, hasher, learner] of configs) {
  test(`fast path = TypeScript path, bit for bit: ${name}`, { skip }, async () => {
    const { ts, wa } = await both(hasher, learner, 7);
    assert.equal(ts.fastRows, 0);
    assert.ok(wa.fastRows > 0.8 * wa.rows, `most rows should take the fast path (${wa.fastRows} of ${wa.rows})`);
    assert.ok(wa.fastRows < wa.rows, 'quoted rows take the TypeScript path');
    assert.equal(wa.rows, ts.rows);
    assert.equal(wa.badRows, ts.badRows);
    assert.ok(ts.badRows > 20);
    assert.deepEqual(wa.errors, ts.errors);
    assert.equal(wa.progressiveLoss, ts.progressiveLoss);
    assert.equal(wa.holdoutLoss, ts.holdoutLoss);
    assert.equal(wa.holdoutAuc, ts.holdoutAuc);
    assert.deepEqual(stateOf(wa.model), stateOf(ts.model));
    // Scoring (no updates) a file whose columns come in another order and lack the label.
    const pt: number[][] = [],
      pw: number[][] = [];
    const st = await scoreStream(ts.model, other, csv, (p, y, line) => pt.push([p, y, line]), false);
    const sw = await scoreStream(wa.model, other, csv, (p, y, line) => pw.push([p, y, line]), true);
    assert.ok(sw.fastRows > 0.8 * sw.rows, `${sw.fastRows} of ${sw.rows} rows through the fast path`);
    assert.deepEqual(pw, pt);
    assert.deepEqual(sw.errors, st.errors);
  });
}

test('the fast path hashes a row to the buckets FeatureHasher gives', { skip }, async () => {
  const opts: HasherOptions = {
    columns: COLS,
    label: 'label',
    bits: 16,
    numeric: ['n1', 'n2'],
    numericAs: 'bin',
    quadratic: [['c1', 'c2']],
  };
  // Filler rows (all missing) around the row of interest, which comes after the first read.
  const rows =
    [
      'label,n1,n2,c1,c2,c3,c4',
      ...Array(100).fill('0,,,,,,'),
      '1,1500,-3,kx,dy,,long-category-name',
      ...Array(100).fill('0,,,,,,'),
    ].join('\n') + '\n';
  const path = join(dir, 'one.csv');
  writeFileSync(path, rows);
  const m = new HashedLinearModel(opts, { kind: 'adagrad' });
  // The buckets with a gradient history (n > 0) are those of the filler rows and of the row.
  const st = await trainStream(m, path, { csv: { bufferBytes: 64 }, fast: true });
  assert.ok(
    st.fastRows >= st.rows - 5,
    `the rows after the first read take the fast path (${st.fastRows} of ${st.rows})`,
  );
  const h = new FeatureHasher(opts);
  const r = h.hashValues(['1', '1500', '-3', 'kx', 'dy', '', 'long-category-name'], undefined, true);
  const filler = h.hashValues(['0', '', '', '', '', '', ''], undefined, true);
  const want = new Set(Array.from(r.idx.subarray(0, r.n)));
  for (const i of filler.idx.subarray(0, filler.n)) want.add(i);
  const wn = stateOf(m),
    got = new Set<number>();
  for (let i = 0; i < wn.length / 2; i++) if (wn[2 * i + 1] !== 0) got.add(i);
  assert.deepEqual(
    [...got].sort((a, b) => a - b),
    [...want].sort((a, b) => a - b),
  );
});

test('prepareFastPath: the asynchronous set-up browsers need gives the same session open() then uses', {
  skip,
}, async () => {
  const m = new HashedLinearModel({ columns: ['y', 'a'], label: 'y', bits: 8 }, { kind: 'ftrl' });
  assert.equal(await prepareFastPath(m, 2), true);
  const f = HashFastPath.open(m.hasher, m.learner, {
    fileColumns: 2,
    perm: null,
    delimiter: ',',
    needLabel: true,
    learn: true,
    period: 0,
  });
  assert.ok(f);
  const text = new TextEncoder().encode('1,x\n0,y\n1,"q"\n');
  const buf = f.buffer(text.length)!;
  buf.set(text);
  const got: number[][] = [];
  const stop = f
    .into({
      seen: 0,
      row(p, y, line) {
        this.seen++;
        got.push([p, y, line]);
      },
    })
    .consume(buf, 0, text.length, 2);
  f.close();
  assert.equal(stop, 8); // the quoted row is left to the TypeScript path
  assert.deepEqual(
    got.map((r) => r.slice(1)),
    [
      [1, 2],
      [0, 3],
    ],
  );
  assert.equal(got[0]![0], 0.5);
});
