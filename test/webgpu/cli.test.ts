// `--backend webgpu` on the command line: `recur train` on the GPU resumes on the CPU and back
// (the same checkpoints), and ends where an all-CPU run ends; `recur lm train` on the GPU gives
// the CPU's validation loss. Needs a WebGPU adapter (CI: Mesa's llvmpipe); skips without one.
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
});
