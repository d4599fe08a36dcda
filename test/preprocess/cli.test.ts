// `recur preprocess fit|apply` end to end on small PNGs written and read back with pngjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { ROOT, randn } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-preprocess-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function writeImage(path: string, W: number, H: number, seed: number): Uint8Array {
  const png = new PNG({ width: W, height: H }),
    n = randn(W * H * 3, seed);
  for (let j = 0; j < W * H; j++) {
    for (let c = 0; c < 3; c++)
      png.data[4 * j + c] = Math.max(0, Math.min(255, Math.round(128 + 40 * n[3 * j + c]! + 30 * Math.sin(j / 3))));
    png.data[4 * j + 3] = 255;
  }
  const b = PNG.sync.write(png);
  writeFileSync(path, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  return Uint8Array.from(png.data);
}

function recur(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'recur.js'), 'preprocess', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const read = (p: string) => PNG.sync.read(readFileSync(p));

const imgs = join(dir, 'imgs');
mkdirSync(imgs);
const pixels = [0, 1, 2, 3, 4, 5].map((k) => writeImage(join(imgs, `im${k}.png`), 8, 6, k + 1));

test('apply with no steps and --scale clip writes the input pixels back unchanged', () => {
  const r = recur('apply', join(imgs, 'im0.png'), '--scale', 'clip', '--out-dir', join(dir, 'same'), '--json');
  assert.equal(r.code, 0, r.err);
  const res = JSON.parse(r.out);
  assert.deepEqual(res.outputs, [join(dir, 'same', 'im0.png')]);
  const back = read(res.outputs[0]);
  assert.deepEqual(Uint8Array.from(back.data), pixels[0]);
});

test('fit a YUV + LCN + ZCA pipeline over a directory in batches, then apply it', () => {
  const file = join(dir, 'p.rcpp');
  const f = recur(
    'fit',
    imgs,
    '--yuv',
    '--lcn',
    'channel',
    '--lcn-size',
    '3',
    '--lcn-sigma',
    '1',
    '--zca',
    '--epsilon',
    '0.01',
    '--batch',
    '4',
    '--out',
    file,
    '--json',
  );
  assert.equal(f.code, 0, f.err);
  const fit = JSON.parse(f.out);
  assert.equal(fit.images, 6);
  assert.deepEqual(fit.zca.sample_shape, [6, 8, 3]);
  assert.equal(fit.zca.dim, 144);
  const a = recur('apply', imgs, '--pipeline', file, '--out-dir', join(dir, 'white'), '--json');
  assert.equal(a.code, 0, a.err);
  assert.equal(JSON.parse(a.out).outputs.length, 6);
  assert.deepEqual(readdirSync(join(dir, 'white')).sort(), [
    'im0.png',
    'im1.png',
    'im2.png',
    'im3.png',
    'im4.png',
    'im5.png',
  ]);
  // YUV output is shown as three grey panels with 2-pixel gaps: width 3*8 + 4.
  const png = read(join(dir, 'white', 'im2.png'));
  assert.equal(png.width, 28);
  assert.equal(png.height, 6);
  // std scaling centres each image on mid-grey.
  let s = 0,
    n = 0;
  for (let y = 0; y < 6; y++)
    for (let x = 0; x < 28; x++)
      if (x % 10 < 8) {
        s += png.data[4 * (y * 28 + x)]!;
        n++;
      }
  assert.ok(Math.abs(s / n - 127.5) < 10, `mean grey ${s / n}`);
  // Grey images come out as one grey panel of the same size.
  const g = recur('apply', join(imgs, 'im1.png'), '--gray', '--lcn', 'across', '--out-dir', join(dir, 'gray'));
  assert.equal(g.code, 0, g.err);
  assert.equal(read(join(dir, 'gray', 'im1.png')).width, 8);
});

test('bad input: not a PNG, mixed sizes for ZCA, YUV on grey, missing files -> exit 3; usage -> exit 2', () => {
  const junk = join(dir, 'junk.png');
  writeFileSync(junk, 'hello');
  let r = recur('apply', junk, '--out-dir', join(dir, 'o1'));
  assert.equal(r.code, 3);
  assert.match(r.err, /junk\.png: cannot read as PNG/);
  const mixed = join(dir, 'mixed');
  mkdirSync(mixed);
  writeImage(join(mixed, 'a.png'), 4, 4, 1);
  writeImage(join(mixed, 'b.png'), 5, 4, 2);
  r = recur('fit', mixed, '--zca', '--out', join(dir, 'm.rcpp'));
  assert.equal(r.code, 3);
  assert.match(r.err, /b\.png: image is 5x4 but .*a\.png is 4x4; ZCA needs images of one size/);
  r = recur('apply', join(imgs, 'im0.png'), '--gray', '--yuv', '--out-dir', join(dir, 'o2'));
  assert.equal(r.code, 3);
  assert.match(r.err, /expected 3 channels \(R, G, B\)/);
  r = recur('apply', join(dir, 'nope.png'));
  assert.equal(r.code, 3);
  assert.match(r.err, /nope\.png: no such file/);
  const same = join(dir, 'same2');
  mkdirSync(same);
  writeImage(join(same, 'a.png'), 3, 3, 1);
  writeImage(join(same, 'b.png'), 3, 3, 1);
  r = recur('fit', same, '--zca', '--out', join(dir, 's.rcpp'));
  assert.equal(r.code, 3);
  assert.match(r.err, /zero variance/);
  r = recur('apply', junk, '--pipeline', junk, '--out-dir', join(dir, 'o3'));
  assert.equal(r.code, 3);
  assert.match(r.err, /not a recur preprocessing file/);
  assert.equal(recur('transform', junk).code, 2);
  assert.match(recur('apply', imgs, '--zca').err, /--zca needs fitting/);
  assert.equal(recur('apply', imgs, '--lcn', 'sideways').code, 2);
  assert.equal(recur('--help').code, 0);
});
