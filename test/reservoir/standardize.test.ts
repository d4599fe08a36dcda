// ESNs on real data: inputs and targets standardised on the training part (stored, inverted on
// output), unless told not to. The case: a series around 100 gave NRMSE ~1 (a flat
// forecast) unstandardised, and the standardised data's figure once standardised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reservoir, Ridge, pipe, nrmse } from 'recur-rnn/esn';
import { main } from '../../src/cli/main.js';

/** A seeded series around 100: two periods plus AR(1) noise. */
function load(T: number): number[] {
  let s = 7,
    ar = 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const n = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return Array.from({ length: T }, (_, t) => {
    ar = 0.9 * ar + 0.3 * n();
    return 100 + 8 * Math.sin((2 * Math.PI * t) / 60) + 3 * Math.sin((2 * Math.PI * t) / 17) + ar;
  });
}

async function run(argv: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false });
  return { code, out, err };
}

test('library: standardised by default, statistics of the training data, outputs in the data units', () => {
  const v = load(1601),
    T = 1200;
  const x = { shape: [T, 1], data: Float64Array.from(v.slice(0, T)) },
    y = { shape: [T, 1], data: Float64Array.from(v.slice(1, T + 1)) };
  const mk = () =>
    pipe(new Reservoir({ units: 100, sr: 1.1, lr: 0.3, seed: 1 }), new Ridge({ ridge: 1e-6, warmup: 100 }));
  const esn = mk().fit(x, y);
  const st = esn.standardization;
  const mean = v.slice(0, T).reduce((a, b) => a + b) / T;
  assert.ok(Math.abs(st.x!.mean[0]! - mean) < 1e-9, 'fitted on the training inputs');
  assert.ok(Math.abs(st.y[0]!.mean[0]! - v.slice(1, T + 1).reduce((a, b) => a + b) / T) < 1e-9);
  const test1 = esn.run({ shape: [400, 1], data: Float64Array.from(v.slice(T, T + 400)) }, { reset: false });
  const truth = v.slice(T + 1, T + 401);
  const eStd = nrmse(truth, test1.data);
  assert.ok(
    test1.data.every((p) => p > 80 && p < 120),
    'predictions come back around 100',
  );
  const raw = mk();
  raw.standardize = false;
  raw.fit(x, y);
  assert.equal(raw.standardization.x, null);
  const eRaw = nrmse(
    truth,
    raw.run({ shape: [400, 1], data: Float64Array.from(v.slice(T, T + 400)) }, { reset: false }).data,
  );
  assert.ok(eRaw > 0.5 && eStd < 0.25, `raw ${eRaw}, standardised ${eStd}`);
  // closed loop: generated values in the data's units, fed back standardised
  const g = esn.generate(20, { prime: { shape: [100, 1], data: Float64Array.from(v.slice(T, T + 100)) } });
  assert.ok(
    g.data.every((p) => p > 80 && p < 120),
    String(g.data.slice(0, 5)),
  );
});

test('recur esn FILE.csv: NRMSE ~1 unstandardised, the standardised file figure with it (the issue case)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-esnstd-'));
  const v = load(1401);
  writeFileSync(join(dir, 'load.csv'), `load\n${v.map((a) => a.toFixed(4)).join('\n')}\n`);
  const m = v.reduce((a, b) => a + b) / v.length,
    sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
  writeFileSync(join(dir, 'z.csv'), `load\n${v.map((a) => ((a - m) / sd).toFixed(6)).join('\n')}\n`);
  const flags = ['--units', '100', '--train', '1000', '--test', '400', '--warmup', '100', '--json'];
  const nr = async (...a: string[]) => {
    const r = await run(['esn', ...a, ...flags]);
    assert.equal(r.code, 0, r.err.join('\n'));
    return JSON.parse(r.out[0]!) as { config: Record<string, any>; metrics: { nrmse: number } };
  };
  const before = await nr(join(dir, 'load.csv'), '--no-standardize');
  const after = await nr(join(dir, 'load.csv'));
  const external = await nr(join(dir, 'z.csv'), '--no-standardize');
  assert.ok(before.metrics.nrmse > 0.95, `unstandardised ${before.metrics.nrmse}`);
  assert.ok(after.metrics.nrmse < 0.2, `standardised ${after.metrics.nrmse}`);
  assert.ok(
    Math.abs(after.metrics.nrmse - external.metrics.nrmse) < 0.05 * external.metrics.nrmse,
    `${after.metrics.nrmse} vs standardised file ${external.metrics.nrmse}`,
  );
  assert.equal(after.config.standardize, true);
  assert.ok(Math.abs(after.config.standardization.x.mean[0] - 100) < 1, 'stored with the run');
  // built-in data sets keep the raw series unless asked
  const mg = await nr('--units', '50', '--train', '300', '--test', '50', '--warmup', '50');
  assert.equal(mg.config.standardize, false);
});
