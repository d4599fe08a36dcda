// `recur fit`, `recur predict`, `recur eval MODEL DATA`: CSV (long and wide) and JSONL round trips,
// malformed rows reported with their line numbers, exit codes (usage 2, bad or missing files 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../src/cli/main.js';
import { RecurrentModel } from 'recur-rnn';
import { ROOT } from '../helpers.js';

async function run(...argv: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'recur-fit-'));
const p = (name: string) => join(dir, name);

function lcg(seed: number) {
  let s = seed;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
}

test('fit a classifier on a long CSV with bad rows, then predict and eval it from the one model file', async () => {
  const r = lcg(1),
    rows = ['seq,a,b,label'];
  for (let i = 0; i < 120; i++) {
    const T = 2 + Math.floor(r() * 5),
      steps = Array.from({ length: T }, () => [(100 + 10 * r()).toFixed(2), (r() - 0.5).toFixed(3)]);
    const label = steps.reduce((s, st) => s + Number(st[1]), 0) > 0 ? 'up' : 'down';
    for (const st of steps) rows.push(`s${i},${st[0]},${st[1]},${label}`);
  }
  rows.splice(5, 0, 's999,1,2'); // too few fields
  rows.splice(9, 0, 's998,x,0.1,up'); // not a number
  writeFileSync(p('long.csv'), rows.join('\n') + '\n');
  const f = await run(
    'fit',
    p('long.csv'),
    '--task',
    'classify',
    '--id',
    'seq',
    '--target',
    'label',
    '--epochs',
    '8',
    '--hidden',
    '16',
    '--lr',
    '0.01',
    '--batch',
    '16',
    '--out',
    p('m.safetensors'),
    '--json',
  );
  assert.equal(f.code, 0, f.err.join('\n'));
  assert.match(f.err[0]!, /long\.csv: line 6: expected 4 fields, got 3/);
  assert.match(
    f.err[1]!,
    /long\.csv: line 10: column 'a': expected a finite number, got 'x' \(sequence 's998' left out\)/,
  );
  assert.match(f.err[2]!, /2 malformed row\(s\) skipped/);
  const res = JSON.parse(f.out[0]!);
  assert.equal(res.sequences, 120);
  assert.equal(res.bad_rows, 2);
  assert.equal(res.history.length, 8);
  assert.ok('val_loss' in res.history[0] && 'val_accuracy' in res.history[0], Object.keys(res.history[0]).join());
  assert.ok(res.train.accuracy > res.train.baseline.accuracy, JSON.stringify(res.train));
  // the model file carries how the columns were read
  const m = RecurrentModel.fromBytes(new Uint8Array(readFileSync(p('m.safetensors'))));
  assert.deepEqual((m.extra.data as { id: string }).id, 'seq');
  const e = await run('eval', p('m.safetensors'), p('long.csv'), '--json');
  assert.equal(e.code, 0, e.err.join('\n'));
  const ev = JSON.parse(e.out[0]!);
  assert.equal(ev.accuracy, res.train.accuracy);
  assert.ok(ev.baseline.accuracy > 0.3);
  const pr = await run('predict', p('m.safetensors'), p('long.csv'), '--output', p('pred.jsonl'));
  assert.equal(pr.code, 0, pr.err.join('\n'));
  const lines = readFileSync(p('pred.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 120);
  assert.equal(lines[0].id, 's0');
  assert.ok(['up', 'down'].includes(lines[0].label) && lines[0].p >= 0.5);
  // an existing model is not overwritten without --force
  const again = await run(
    'fit',
    p('long.csv'),
    '--task',
    'classify',
    '--id',
    'seq',
    '--target',
    'label',
    '--out',
    p('m.safetensors'),
  );
  assert.equal(again.code, 3);
  assert.match(again.err[0]!, /exists; use --force/);
});

test('wide CSV of names (a text column): characters as steps, the vocabulary in the model file', async () => {
  writeFileSync(p('names.csv'), 'name,sex\n' + 'anna,F\nbob,M\ncarla,F\ndave,M\nemma,F\nfred,M\n'.repeat(5));
  const args = ['--task', 'classify', '--text', 'name', '--target', 'sex', '--epochs', '15', '--lr', '0.03'];
  const f = await run('fit', p('names.csv'), ...args, '--validation-split', '0', '--out', p('names.st'), '--json');
  assert.equal(f.code, 0, f.err.join('\n'));
  assert.equal(JSON.parse(f.out[0]!).train.accuracy, 1);
  writeFileSync(p('new.csv'), 'name\nanna\nbob\nzed\n');
  const pr = await run('predict', p('names.st'), p('new.csv'), '--json');
  assert.equal(pr.code, 0, pr.err.join('\n'));
  const j = JSON.parse(pr.out[0]!);
  assert.deepEqual(j.classes, ['F', 'M']);
  assert.deepEqual(
    j.predictions.slice(0, 2).map((l: { label: string }) => l.label),
    ['F', 'M'],
  );
  assert.equal(j.predictions.length, 3); // 'z' and 'e' ... unseen characters read as <unk>
});

test('JSONL regression, CSV tagging and forecasting round trips', async () => {
  const r = lcg(2),
    jl: string[] = [];
  for (let i = 0; i < 80; i++) {
    const T = 1 + Math.floor(r() * 6),
      x = Array.from({ length: T }, () => [Number((r() * 2 - 1).toFixed(3))]);
    jl.push(JSON.stringify({ x, y: 10 + x.reduce((s, v) => s + v[0]!, 0) }));
  }
  jl.splice(3, 0, '{"x": [[1]], "y": "ten"}');
  writeFileSync(p('reg.jsonl'), jl.join('\n') + '\n');
  const f = await run(
    'fit',
    p('reg.jsonl'),
    '--task',
    'regress',
    '--epochs',
    '6',
    '--lr',
    '0.02',
    '--out',
    p('reg.st'),
    '--json',
  );
  assert.equal(f.code, 0, f.err.join('\n'));
  assert.match(f.err[0]!, /reg\.jsonl: line 4: "y" must be a number/);
  const res = JSON.parse(f.out[0]!);
  assert.ok(res.train.rmse < res.train.baseline.rmse, JSON.stringify(res.train));
  const pr = await run('predict', p('reg.st'), p('reg.jsonl'), '--json');
  const pj = JSON.parse(pr.out[0]!);
  assert.equal(pj.n, 80);
  assert.equal(pj.predictions[0].y.length, 1);

  const tagRows = ['id,v,tag'];
  for (let i = 0; i < 60; i++)
    for (let t = 0; t < 4; t++) {
      const v = r() - 0.5;
      tagRows.push(`${i},${v.toFixed(3)},${v > 0 ? 'P' : 'N'}`);
    }
  writeFileSync(p('tag.csv'), tagRows.join('\n'));
  const t = await run(
    'fit',
    p('tag.csv'),
    '--task',
    'tag',
    '--id',
    'id',
    '--target',
    'tag',
    '--epochs',
    '5',
    '--lr',
    '0.03',
    '--out',
    p('tag.st'),
    '--json',
  );
  assert.equal(t.code, 0, t.err.join('\n'));
  const tp = await run('predict', p('tag.st'), p('tag.csv'));
  assert.equal(tp.out.length, 60);
  assert.equal(JSON.parse(tp.out[0]!).labels.length, 4);

  const fc = ['mote,humidity,temperature'];
  for (const m of [1, 2])
    for (let s = 0; s < 300; s++)
      fc.push(`${m},${(40 + 5 * Math.sin(s / 9 + m)).toFixed(3)},${(20 + 2 * Math.cos(s / 13)).toFixed(3)}`);
  writeFileSync(p('fc.csv'), fc.join('\n'));
  const ff = await run(
    'fit',
    p('fc.csv'),
    '--task',
    'forecast',
    '--id',
    'mote',
    '--window',
    '12',
    '--horizon',
    '3',
    '--targets',
    'temperature',
    '--epochs',
    '3',
    '--lr',
    '0.01',
    '--out',
    p('fc.st'),
    '--json',
  );
  assert.equal(ff.code, 0, ff.err.join('\n'));
  const fr = JSON.parse(ff.out[0]!);
  assert.ok(fr.validation === undefined && fr.history[0].val_rmse > 0);
  const fp = await run('predict', p('fc.st'), p('fc.csv'));
  const line = JSON.parse(fp.out[0]!);
  assert.equal(line.id, '1');
  assert.equal(line.forecast.length, 3);
  assert.equal(line.forecast[0].length, 1);
  assert.ok(Math.abs(line.forecast[0][0] - 20) < 3);
  const fe = await run('eval', p('fc.st'), p('fc.csv'), '--json');
  assert.ok(JSON.parse(fe.out[0]!).baseline.rmse > 0);
});

test('usage errors exit 2, bad or missing files exit 3, strict rows stop with the line', async () => {
  assert.equal((await run('fit', p('names.csv'))).code, 2); // no --task
  assert.equal((await run('fit', p('names.csv'), '--task', 'cluster')).code, 2);
  assert.equal((await run('fit', p('names.csv'), '--task', 'classify', '--epochs', '0')).code, 2);
  assert.equal((await run('fit', p('names.csv'), '--task', 'classify', '--dropout', '1')).code, 2);
  const missing = await run('fit', p('nope.csv'), '--task', 'classify', '--target', 'x');
  assert.equal(missing.code, 3);
  assert.match(missing.err[0]!, /nope\.csv: no such file/);
  const isDir = await run('fit', dir, '--task', 'classify', '--target', 'x');
  assert.equal(isDir.code, 3);
  assert.match(isDir.err[0]!, /is a directory/);
  writeFileSync(p('bad.csv'), 'name,sex\nanna,F\nbob\n');
  const strict = await run(
    'fit',
    p('bad.csv'),
    '--task',
    'classify',
    '--text',
    'name',
    '--target',
    'sex',
    '--bad-rows',
    'stop',
    '--out',
    p('x.st'),
  );
  assert.equal(strict.code, 3);
  assert.match(strict.err[0]!, /line 3: expected 2 fields, got 1 \(strict mode stops here\)/);
  const nocol = await run(
    'fit',
    p('bad.csv'),
    '--task',
    'classify',
    '--text',
    'nom',
    '--target',
    'sex',
    '--out',
    p('x.st'),
  );
  assert.equal(nocol.code, 3);
  assert.match(nocol.err[0]!, /no text column 'nom'; the header has: name, sex/);
  const notModel = await run('predict', p('bad.csv'), p('bad.csv'));
  assert.equal(notModel.code, 3);
  assert.ok(!existsSync(p('x.st')));
  for (const c of ['fit', 'predict']) {
    const h = await run(c, '--help');
    assert.equal(h.code, 0);
    assert.match(h.out[0]!, /--json/);
  }
});

test('--backend: an unknown name, and dropout on webgpu, exit 2 naming the flag; ts reaches the net', async () => {
  writeFileSync(p('gpu.csv'), 'name,sex\nanna,F\nbob,M\neve,F\ntom,M\n');
  const base = ['fit', p('gpu.csv'), '--task', 'classify', '--text', 'name', '--target', 'sex', '--epochs', '1'];
  const bad = await run(...base, '--backend', 'cuda', '--out', p('gpu.st'));
  assert.equal(bad.code, 2);
  assert.match(bad.err[0]!, /--backend must be one of ts, wasm, webgpu; got 'cuda'/);
  for (const f of ['--dropout', '--input-dropout', '--output-dropout']) {
    const r = await run(...base, '--layers', '2', f, '0.2', '--backend', 'webgpu', '--out', p('gpu.st'));
    assert.equal(r.code, 2, `${f}: ${r.err.join('\n')}`);
    assert.match(r.err[0]!, new RegExp(`${f} is not supported with --backend webgpu`));
  }
  assert.ok(!existsSync(p('gpu.st')));
  const ts = await run(...base, '--backend', 'ts', '--out', p('gpu.st'), '--json');
  assert.equal(ts.code, 0, ts.err.join('\n'));
  assert.equal(JSON.parse(ts.out[0]!).backend, 'ts');
  assert.match((await run('fit', '--help')).out.join('\n'), /--backend .*webgpu: train on the GPU/);
});

test('--backend webgpu without the webgpu package: exit 1 saying what to install, no model file', () => {
  // a resolve hook hides the optional package, as on a machine that never installed it
  const hook =
    'export async function resolve(s, c, next) {' +
    ' if (s === "webgpu") throw new Error("Cannot find package (hidden by the test)"); return next(s, c); }';
  const url = JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`);
  writeFileSync(p('hide.mjs'), `import { register } from 'node:module';\nregister(${url});\n`);
  writeFileSync(p('gpu2.csv'), 'name,sex\nanna,F\nbob,M\n');
  const r = spawnSync(
    process.execPath,
    [
      ...['--import', p('hide.mjs'), join(ROOT, 'bin', 'recur.js'), 'fit', p('gpu2.csv'), '--task', 'classify'],
      ...['--text', 'name', '--target', 'sex', '--backend', 'webgpu', '--out', p('gpu2.st')],
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /recur fit: GpuUnavailableError: .*run `npm install webgpu`/);
  assert.ok(!existsSync(p('gpu2.st')));
});
