// `recur lm train --resume RUN` continues bit-exactly: N updates straight and N/2 + resume + N/2
// end with the same bits in every tensor of the checkpoint (parameters, Adam's moments, the
// carried state of every stream) and the same validation loss, with dropout (every thread's
// generators restored), on one thread and on two (where each thread carries its own rows' state
// and the checkpoint gathers them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors } from 'recur-rnn';
import { ROOT } from '../helpers.js';

const BIN = join(ROOT, 'bin', 'recur.js'),
  TEXT = join(ROOT, 'fixtures', 'lm', 'shakespeare_12k.txt');
const recur = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, 'lm', ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

function tensors(run: string): Record<string, Float32Array> {
  const { tensors: t } = decodeSafetensors(new Uint8Array(readFileSync(join(run, 'checkpoint.safetensors'))));
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Float32Array.from(v.data as Float32Array)]));
}

for (const threads of ['1', '2']) {
  test(`lm train --resume (threads ${threads}): 12 updates straight == 6 + resume + 6, same bits`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-lm-resume-'));
    const common = [
      ...['--text', TEXT, '--hidden', '16', '--embed', '8', '--layers', '2', '--batch', '6', '--bptt', '12'],
      ...['--schedule', 'cosine', '--warmup', '3', '--lr', '0.01', '--eval-every', '4', '--eval-tokens', '600'],
      ...['--dropout', '0.2', '--input-dropout', '0.1', '--output-dropout', '0.25'],
      ...['--threads', threads, '--sample-length', '20', '--checkpoint-every', '5', '--json'],
    ];
    const a = recur('train', ...common, '--steps', '12', '--out', join(dir, 'a'));
    assert.equal(a.status, 0, a.stderr);
    // the first half decays over the same 12 steps, so only the interruption differs
    const b = recur('train', ...common, '--steps', '6', '--decay-steps', '12', '--out', join(dir, 'b'));
    assert.equal(b.status, 0, b.stderr);
    const rb = recur('train', '--resume', join(dir, 'b'), '--steps', '12', '--json');
    assert.equal(rb.status, 0, rb.stderr);
    const ra = JSON.parse(a.stdout),
      rr = JSON.parse(rb.stdout);
    assert.equal(rr.steps, 12);
    assert.equal(rr.resumed_from, 6);
    assert.equal(rr.val_loss, ra.val_loss, 'validation loss');
    assert.equal(rr.train_loss, ra.train_loss, 'running training loss');
    const ta = tensors(join(dir, 'a')),
      tb = tensors(join(dir, 'b'));
    assert.deepEqual(Object.keys(tb).sort(), Object.keys(ta).sort());
    assert.ok('state.h' in ta && 'optimizer.exp_avg' in ta, Object.keys(ta).join(' '));
    for (const k of Object.keys(ta)) assert.deepEqual(tb[k], ta[k], `tensor ${k} differs`);
    // a changed text is refused, and a folder that is not a run
    assert.equal(recur('train', '--resume', join(dir, 'nothing')).status, 3);
  });
}
