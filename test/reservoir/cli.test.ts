// `recur esn`: JSON result, --out files for the report, CSV input and its errors (exit 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [],
    err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false });
  return { code, out, err };
}

test('recur esn --json --out writes config, metrics and forecast', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-esn-'));
  const r = await run([
    'esn',
    '--units',
    '60',
    '--train',
    '600',
    '--test',
    '100',
    '--warmup',
    '50',
    '--ridge',
    '1e-7',
    '--json',
    '--out',
    dir,
  ]);
  assert.equal(r.code, 0, r.err.join('\n'));
  const res = JSON.parse(r.out[0]!);
  assert.ok(res.metrics.nrmse < 0.2 && res.metrics.r2 > 0.9, JSON.stringify(res.metrics));
  const fc = JSON.parse(readFileSync(join(dir, 'forecast.json'), 'utf8'));
  assert.equal(fc.mode, 'one-step');
  assert.equal(fc.t.length, 100);
  assert.equal(fc.truth.length, fc.prediction.length);
  assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).units, 60);
  assert.ok('fit_s' in JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')));
});

test('recur esn on a CSV, closed loop; bad cells exit 3 naming line and column', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-esn-'));
  const f = join(dir, 's.csv');
  writeFileSync(
    f,
    'time,load\n' + Array.from({ length: 400 }, (_, t) => `${t},${Math.sin(t / 5).toFixed(6)}`).join('\n') + '\n',
  );
  const r = await run([
    'esn',
    f,
    '--columns',
    'load',
    '--units',
    '40',
    '--train',
    '300',
    '--warmup',
    '30',
    '--mode',
    'closed-loop',
    '--horizon',
    '20',
    '--json',
  ]);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.equal(JSON.parse(r.out[0]!).metrics.steps, 20);
  writeFileSync(f, 'a,b\n1,2\n3,oops\n');
  const bad = await run(['esn', f, '--train', '1', '--warmup', '0']);
  assert.equal(bad.code, 3);
  assert.match(bad.err.join('\n'), /line 3, column 'b': expected a finite number, got 'oops'/);
  const nocol = await run(['esn', f, '--columns', 'zz', '--train', '1', '--warmup', '0']);
  assert.equal(nocol.code, 3);
  assert.match(nocol.err.join('\n'), /no column 'zz'/);
  assert.equal((await run(['esn', '--data', 'narma10', '--mode', 'closed-loop'])).code, 2);
});
