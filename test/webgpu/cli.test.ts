// `--backend webgpu` on the command line: `recur train` on the GPU resumes on the CPU and back
// (the same checkpoints), and ends where an all-CPU run ends; `recur lm train` on the GPU gives
// the CPU's validation loss; `recur fit` on the GPU gives the CPU's history (early stopping
// included) and a model file that `recur predict` and `recur eval` read as the CPU's. Needs a
// WebGPU adapter (CI: Mesa's llvmpipe); skips without one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { openTestGpu } from './gpu.js';

const { ctx, skip } = await openTestGpu();
ctx?.destroy(); // only asked whether there is an adapter: the CLI opens its own

const BIN = join(ROOT, 'bin', 'recur.js');
function recur(...args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [BIN, ...args, '--json'], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  assert.equal(r.status, 0, `recur ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}
const near = (a: unknown, b: unknown, what: string) =>
  assert.ok(Math.abs((a as number) - (b as number)) <= 1e-4 * Math.abs(b as number), `${what}: ${a} vs ${b}`);

describe('recur --backend webgpu', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-gpu-'));
  const train = [
    'train',
    ...['--task', 'adding', '--T', '6', '--cell', 'lstm', '--hidden', '8', '--batch', '8', '--clip', '0.5'],
    ...['--optimizer', 'adam', '--lr', '0.01', '--eval-every', '5', '--eval-n', '50', '--final-eval-n', '200'],
    ...['--checkpoint-every', '5', '--diag-every', '0', '--threads', '1', '--seed', '3'],
  ];

  test('train on the GPU, resume on the CPU, then on the GPU again: the all-CPU run', () => {
    const cpu = recur(...train, '--steps', '15', '--out', join(dir, 'cpu'));
    recur(...train, '--steps', '5', '--out', join(dir, 'mixed'), '--backend', 'webgpu');
    recur('resume', join(dir, 'mixed'), '--steps', '10');
    const mixed = recur('resume', join(dir, 'mixed'), '--steps', '15', '--backend', 'webgpu');
    assert.equal(mixed.steps, 15);
    assert.equal(mixed.clip_events, cpu.clip_events);
    near(mixed.loss, cpu.loss, 'final evaluation loss');
    const log = (d: string) =>
      readFileSync(join(dir, d, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; step: number; loss: number; grad_norm?: number })
        .filter((r) => r.kind === 'train' && r.step === 10);
    near(log('mixed')[0]!.grad_norm, log('cpu')[0]!.grad_norm, 'gradient norm at step 10');
  });

  test('lm train on the GPU: the CPU validation loss', () => {
    const text = join(dir, 'text.txt');
    writeFileSync(text, 'the quick brown fox jumps over the lazy dog; '.repeat(30));
    const args = ['lm', 'train', '--text', text, '--hidden', '12', '--embed', '6', '--batch', '4', '--bptt', '8'];
    const more = [
      '--steps',
      '12',
      '--eval-every',
      '6',
      '--sample-length',
      '0',
      '--optimizer',
      'rmsprop',
      '--lr',
      '0.01',
    ];
    const cpu = recur(...args, ...more, '--out', join(dir, 'lm-cpu'));
    const gpu = recur(...args, ...more, '--out', join(dir, 'lm-gpu'), '--backend', 'webgpu');
    near(gpu.val_loss, cpu.val_loss, 'validation loss');
    near(gpu.train_loss, cpu.train_loss, 'training loss');
    assert.equal(gpu.steps, 12);
  });

  test('fit on the GPU: the CPU history, early stopping, and a model file that predicts and evaluates the same', () => {
    // a long CSV to classify (ragged sequences) and two series to forecast
    let seed = 11;
    const r = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
    const cls = ['seq,a,b,label'];
    for (let i = 0; i < 64; i++) {
      const steps = Array.from({ length: 2 + Math.floor(r() * 5) }, () => [100 + 10 * r(), r() - 0.5]);
      const label = steps.reduce((a, st) => a + st[1]!, 0) > 0 ? 'up' : 'down';
      for (const [a, b] of steps) cls.push(`s${i},${a!.toFixed(2)},${b!.toFixed(3)},${label}`);
    }
    writeFileSync(join(dir, 'cls.csv'), `${cls.join('\n')}\n`);
    const fc = ['mote,hum,temp'];
    for (let k = 0; k < 2; k++)
      for (let t = 0; t < 50; t++)
        fc.push(`m${k},${(40 + 10 * Math.sin(0.3 * t + k)).toFixed(3)},${(20 + 5 * Math.cos(0.1 * t + k)).toFixed(3)}`);
    writeFileSync(join(dir, 'fc.csv'), `${fc.join('\n')}\n`);
    const runs: [string, string[]][] = [
      [
        'cls',
        [
          ...['--task', 'classify', '--id', 'seq', '--target', 'label', '--epochs', '15', '--patience', '2'],
          ...['--validation-split', '0.25', '--hidden', '8', '--lr', '0.1', '--batch', '8', '--clip', '1'],
        ],
      ],
      [
        'fc',
        [
          ...['--task', 'forecast', '--id', 'mote', '--features', 'hum,temp', '--window', '6', '--horizon', '2'],
          ...[
            '--epochs',
            '3',
            '--cell',
            'gru',
            '--hidden',
            '6',
            '--lr',
            '0.01',
            '--batch',
            '16',
            '--schedule',
            'cosine',
          ],
        ],
      ],
    ];
    const ends: Record<string, Record<string, unknown>> = {};
    for (const [name, flags] of runs) {
      const data = join(dir, `${name}.csv`),
        fit = (b: string, threads: string) =>
          recur('fit', data, ...flags, '--seed', '2', '--threads', threads, '--backend', b, '--out', model(b));
      const model = (b: string) => join(dir, `${name}-${b}.safetensors`);
      // The CPU run on the host's default kernels (wasm), which the GPU run's host model uses too.
      const cpu = fit('wasm', '1'),
        gpu = fit('webgpu', '2'); // --threads is unused on the GPU
      assert.equal(gpu.backend, 'webgpu');
      assert.ok(typeof gpu.adapter === 'string' && gpu.adapter !== '', 'the JSON names the adapter');
      ends[name] = gpu;
      for (const k of ['epochs', 'steps', 'best_epoch', 'stopped', 'restored_best'])
        assert.deepEqual(gpu[k], cpu[k], `${name}: ${k}`);
      const hc = cpu.history as Record<string, number>[],
        hg = gpu.history as Record<string, number>[];
      hc.forEach((e, i) => {
        for (const k of Object.keys(e)) near(hg[i]![k], e[k], `${name}: epoch ${i + 1} ${k}`);
      });
      // Close, and not the CPU's bits: float32 sums in another order on the device (so it did run there,
      // not on the host model's wasm kernels, which would give the CPU run's bits).
      assert.notEqual(JSON.stringify(hg), JSON.stringify(hc), `${name}: the GPU history is the CPU's to the bit`);
      const ev = (b: string) => recur('eval', model(b), data, '--backend', 'ts');
      near(ev('webgpu').loss, ev('wasm').loss, `${name}: recur eval loss`);
      const pred = (b: string) =>
        JSON.stringify((recur('predict', model(b), data).predictions as unknown[]).map((p) => flat(p)));
      const pc = JSON.parse(pred('wasm')) as number[][],
        pg = JSON.parse(pred('webgpu')) as number[][];
      assert.equal(pg.length, pc.length);
      const scale = Math.max(...pc.flat().map(Math.abs)),
        worst = Math.max(...pc.flatMap((p, i) => p.map((v, j) => Math.abs(pg[i]![j]! - v))));
      assert.ok(pg.flat().length === pc.flat().length && worst <= 1e-4 * scale, `${name}: predictions ${worst}`);
    }
    // the classifier stopped early on the GPU and put the best epoch's weights back (as the CPU did)
    assert.deepEqual([ends.cls!.stopped, ends.cls!.restored_best], ['early', true]);
  });
});

/** The numbers of a prediction line, in order (probabilities or forecasts). */
function flat(p: unknown): number[] {
  const o = p as { probs?: Record<string, number>; forecast?: number[][] };
  return o.probs ? Object.values(o.probs) : o.forecast!.flat();
}
