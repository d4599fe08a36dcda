// The PNG reader (src/node/png.ts, issue 13): every colour type, bit depth, filter and Adam7,
// checked against the pixels written and against pngjs; bombs and damaged files refused before
// any allocation, deterministically, in our own words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { DEFAULT_MAX_PIXELS, PngError, decodePng, encodePng } from '../../src/node/png.js';
import { crc32 } from '../../src/crc32.js';

const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const SIG = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

export function chunk(type: string, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(12 + data.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, data.length);
  b.set(new TextEncoder().encode(type), 4);
  b.set(data, 8);
  v.setUint32(8 + data.length, crc32(b, 0, 4, 8 + data.length));
  return b;
}

function header(width: number, height: number, depth: number, colour: number, interlace = 0): Uint8Array {
  const h = new Uint8Array(13);
  const v = new DataView(h.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  h[8] = depth;
  h[9] = colour;
  h[12] = interlace;
  return h;
}

export interface TestImage {
  width: number;
  height: number;
  colour: number;
  depth: number;
  interlace?: boolean;
  /** samples[(y * width + x) * spp + s], integers of `depth` bits */
  samples: number[];
  palette?: number[];
}

/** A PNG written by hand: every filter type in turn, the data split over two IDAT chunks, a tEXt chunk. */
export function writeTestPng(im: TestImage): Uint8Array {
  const spp = SAMPLES[im.colour]!,
    bits = spp * im.depth,
    bpp = Math.max(1, bits >> 3);
  const passes = im.interlace ? ADAM7 : [[0, 0, 1, 1]];
  const raw: number[] = [];
  let row = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil(Math.max(0, im.width - x0!) / dx!),
      ph = Math.ceil(Math.max(0, im.height - y0!) / dy!);
    if (pw === 0 || ph === 0) continue;
    const stride = Math.ceil((pw * bits) / 8);
    let prev = new Uint8Array(stride);
    for (let r = 0; r < ph; r++) {
      const line = new Uint8Array(stride);
      for (let k = 0; k < pw; k++)
        for (let s = 0; s < spp; s++) {
          const v = im.samples[((y0! + r * dy!) * im.width + x0! + k * dx!) * spp + s]!;
          if (im.depth === 16) {
            line[2 * (k * spp + s)] = v >> 8;
            line[2 * (k * spp + s) + 1] = v & 255;
          } else if (im.depth === 8) line[k * spp + s] = v;
          else {
            const bit = (k * spp + s) * im.depth;
            line[bit >> 3]! |= v << (8 - im.depth - (bit & 7));
          }
        }
      const f = row++ % 5;
      raw.push(f);
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? line[i - bpp]! : 0,
          b = prev[i]!,
          c = i >= bpp ? prev[i - bpp]! : 0;
        const q = a + b - c,
          pa = Math.abs(q - a),
          pb = Math.abs(q - b),
          pc = Math.abs(q - c);
        const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f]!;
        raw.push((line[i]! - pred) & 255);
      }
      prev = line;
    }
  }
  const z = new Uint8Array(deflateSync(Uint8Array.from(raw)));
  const half = z.length >> 1;
  return concat(
    SIG,
    chunk('IHDR', header(im.width, im.height, im.depth, im.colour, im.interlace ? 1 : 0)),
    chunk('tEXt', new TextEncoder().encode('Comment\0written by the test')),
    ...(im.palette ? [chunk('PLTE', Uint8Array.from(im.palette))] : []),
    chunk('IDAT', z.subarray(0, half)),
    chunk('IDAT', z.subarray(half)),
    chunk('IEND', new Uint8Array(0)),
  );
}

/** The RGB values in [0, 1] a reader must give for `im`. */
function expectedRgb(im: TestImage): number[] {
  const spp = SAMPLES[im.colour]!,
    max = 2 ** im.depth - 1,
    out: number[] = [];
  for (let p = 0; p < im.width * im.height; p++) {
    const s = im.samples.slice(p * spp, p * spp + spp);
    if (im.colour === 3) for (let c = 0; c < 3; c++) out.push(im.palette![3 * s[0]! + c]! / 255);
    else if (im.colour === 0 || im.colour === 4) out.push(s[0]! / max, s[0]! / max, s[0]! / max);
    else out.push(s[0]! / max, s[1]! / max, s[2]! / max);
  }
  return out;
}

function randomImage(seed: number, colour: number, depth: number, interlace: boolean): TestImage {
  let st = seed;
  const rnd = () => ((st = (Math.imul(st, 1103515245) + 12345) >>> 0) >>> 8) / 2 ** 24;
  const width = 1 + Math.floor(rnd() * 19),
    height = 1 + Math.floor(rnd() * 17);
  const spp = SAMPLES[colour]!,
    entries = 1 + Math.floor(rnd() * Math.min(256, 2 ** depth));
  const palette = colour === 3 ? Array.from({ length: 3 * entries }, () => Math.floor(rnd() * 256)) : undefined;
  const top = colour === 3 ? entries : 2 ** depth;
  const samples = Array.from({ length: width * height * spp }, () => Math.floor(rnd() * top));
  return { width, height, colour, depth, interlace, samples, palette };
}

test('every colour type, bit depth, filter and interlacing reads back the pixels written, as pngjs reads them', () => {
  let n = 0;
  for (const [colour, depths] of [
    [0, [1, 2, 4, 8, 16]],
    [2, [8, 16]],
    [3, [1, 2, 4, 8]],
    [4, [8, 16]],
    [6, [8, 16]],
  ] as [number, number[]][])
    for (const depth of depths)
      for (const interlace of [false, true])
        for (let seed = 1; seed <= 4; seed++) {
          const im = randomImage(seed * 97 + colour * 13 + depth, colour, depth, interlace);
          const bytes = writeTestPng(im);
          const t = decodePng(bytes);
          const what = `colour ${colour} depth ${depth}${interlace ? ' Adam7' : ''} ${im.width}x${im.height}`;
          assert.deepEqual(t.shape, [1, im.height, im.width, 3], what);
          const want = expectedRgb(im);
          for (let i = 0; i < want.length; i++) assert.equal(t.data[i], Math.fround(want[i]!), `${what} value ${i}`);
          // pngjs, an independent reader, agrees (it gives 8-bit RGBA, or 16-bit values for 16-bit files).
          const ref = PNG.sync.read(Buffer.from(bytes));
          const scale = depth === 16 && ref.data.length === 8 * im.width * im.height ? 65535 : 255;
          const refAt = (p: number, c: number) =>
            scale === 65535 ? ref.data.readUInt16BE(2 * (4 * p + c)) : ref.data[4 * p + c]!;
          for (let p = 0; p < im.width * im.height; p++)
            for (let c = 0; c < 3; c++)
              assert.ok(Math.abs(t.data[3 * p + c]! - refAt(p, c) / scale) <= 0.5 / 255 + 1e-7, `${what} vs pngjs`);
          const grey = decodePng(bytes, 1);
          for (let p = 0; p < im.width * im.height; p++)
            assert.ok(
              Math.abs(grey.data[p]! - (0.299 * want[3 * p]! + 0.587 * want[3 * p + 1]! + 0.114 * want[3 * p + 2]!)) <
                1e-6,
            );
          n++;
        }
  assert.equal(n, 120);
});

test('what encodePng writes, decodePng reads back', () => {
  const H = 5,
    W = 7,
    data = Float32Array.from({ length: H * W * 3 }, (_, i) => ((i * 37) % 256) / 255);
  const back = decodePng(encodePng({ shape: [1, H, W, 3], data }));
  assert.deepEqual(back.shape, [1, H, W, 3]);
  for (let i = 0; i < data.length; i++) assert.ok(Math.abs(back.data[i]! - data[i]!) < 1e-6);
});

/** An RGB PNG whose header says width x height, with `idat` as its compressed data. */
function declared(width: number, height: number, idat: Uint8Array, depth = 8, colour = 2): Uint8Array {
  const parts = [SIG, chunk('IHDR', header(width, height, depth, colour))];
  if (idat.length) parts.push(chunk('IDAT', idat));
  parts.push(chunk('IEND', new Uint8Array(0)));
  return concat(...parts);
}

const z = (b: Uint8Array) => new Uint8Array(deflateSync(b));

test('a bomb (30000 x 30000 in 74 bytes) is refused from its header, before anything is allocated', () => {
  const before = process.memoryUsage().arrayBuffers;
  const bomb = declared(30000, 30000, z(new Uint8Array(1000)));
  assert.throws(
    () => decodePng(bomb),
    (e: Error) =>
      e instanceof PngError && /30000 x 30000 = 900000000 pixels, over the limit of 16777216/.test(e.message),
  );
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20);
  // The limit is an option: a 300 x 200 image with maxPixels 50000 is refused, with 60000 read.
  const ok = declared(300, 200, z(new Uint8Array(200 * (1 + 900))));
  assert.throws(() => decodePng(ok, { maxPixels: 50000 }), /over the limit of 50000/);
  assert.deepEqual(decodePng(ok, { maxPixels: 60000 }).shape, [1, 200, 300, 3]);
  assert.equal(DEFAULT_MAX_PIXELS, 4096 * 4096);
});

test('too little or too much image data, or none, is an error and the same error every time', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['no IDAT', declared(64, 64, new Uint8Array(0)), /no image data \(no IDAT chunk\)/],
    [
      '10 of 64 rows',
      declared(64, 64, z(new Uint8Array(10 * 193))),
      /holds 1930 bytes, but a 64 x 64 image needs 12352/,
    ],
    ['one row too many', declared(4, 4, z(new Uint8Array(5 * 13))), /inflates to more than the 52 bytes/],
    ['not zlib', declared(4, 4, Uint8Array.from([1, 2, 3, 4, 5])), /not valid zlib data/],
    ['a filter type 9', declared(1, 1, z(Uint8Array.from([9, 1, 2, 3]))), /unknown filter type 9/],
  ];
  for (const [what, bytes, re] of cases) {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      Buffer.from('SECRET'.repeat(10000)).toString('base64'); // churn memory between decodes
      try {
        decodePng(bytes);
        seen.add('decoded');
      } catch (e) {
        assert.ok(e instanceof PngError, `${what}: ${(e as Error).name}`);
        seen.add((e as Error).message);
      }
    }
    assert.equal(seen.size, 1, `${what}: ${[...seen].join(' | ')}`);
    assert.match([...seen][0]!, re, what);
  }
});

test('damaged headers and chunks are refused in our own words', () => {
  const good = writeTestPng(randomImage(5, 2, 8, false));
  const flip = (at: number) => {
    const b = Uint8Array.from(good);
    b[at]! ^= 0x10;
    return b;
  };
  assert.throws(() => decodePng(good.subarray(0, 7)), /not a PNG file/);
  assert.throws(() => decodePng(flip(20)), /fails its CRC check/); // inside IHDR
  assert.throws(() => decodePng(good.subarray(0, good.length - 6)), /truncated/);
  const ihdr = (depth: number, colour: number, interlace = 0) =>
    concat(SIG, chunk('IHDR', header(2, 2, depth, colour, interlace)), chunk('IEND', new Uint8Array(0)));
  assert.throws(() => decodePng(ihdr(16, 3)), /bit depth 16 is not allowed for palette images/);
  assert.throws(() => decodePng(ihdr(8, 5)), /unknown colour type 5/);
  assert.throws(() => decodePng(ihdr(8, 2, 2)), /unknown interlace method 2/);
  const pal = declared(2, 1, z(Uint8Array.from([0, 0x0f])), 4, 3);
  assert.throws(() => decodePng(pal), /palette image without a PLTE chunk/);
  const at = 8 + 25; // after IHDR
  const withPlte = (n: number) => concat(pal.subarray(0, at), chunk('PLTE', new Uint8Array(3 * n)), pal.subarray(at));
  assert.throws(() => decodePng(withPlte(2)), /uses palette entry 15; the palette has 2/);
  assert.deepEqual(decodePng(withPlte(16)).shape, [1, 1, 2, 3]);
  const crit = concat(good.subarray(0, 33), chunk('ABCD', new Uint8Array(1)), good.subarray(33));
  assert.throws(() => decodePng(crit), /unknown critical chunk ABCD/);
});
