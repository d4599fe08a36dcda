// A seeded fuzz suite over the three kinds of hostile input a user can hand recur (issue 13):
// checkpoints (bit flips, truncation, header lengths, metadata mutations), CSV rows, and PNG
// headers. Every case must end in a clear error of the documented kind or in a correct
// result: never another exception (a crash), a hang, a non-finite value kept, or an
// allocation beyond what the file itself justifies. The same seed gives the same cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import {
  Adam,
  Rng,
  SGD,
  SafetensorsError,
  SequenceModel,
  decodeSafetensors,
  encodeSafetensors,
  loadCheckpoint,
  saveCheckpoint,
} from 'recur-rnn';
import { HashedLinearModel } from 'recur-rnn/hashing';
import { CsvError, CsvReader } from '../../src/node/csv.js';
import { PngError, decodePng } from '../../src/node/png.js';
import { crc32 } from '../../src/crc32.js';

// Characters a terminal acts on (C0 but newline and tab, DEL, C1, bidi controls), as RegExp source.
// biome-ignore lint/complexity/useRegexLiterals: the literal form is refused by noControlCharactersInRegex
const RAW_CONTROL = new RegExp('[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]');
const GUARD = { timeout: 10 * 60_000 }; // a hang guard only; the suite takes seconds

function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

// ---------------------------------------------------------------- checkpoints

function seedCheckpoints(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const rng = new Rng(5);
  for (const [cell, opt] of [
    ['lstm', 'adam'],
    ['gru', 'sgd'],
    ['rnn', 'adam'],
  ] as const) {
    const m = new SequenceModel({
      cell,
      inputSize: 3,
      hiddenSize: 5,
      numLayers: cell === 'gru' ? 2 : 1,
      outputSize: 2,
      head: 'every',
      loss: 'mse',
      seed: 2,
    });
    const o = opt === 'adam' ? new Adam(m.params, { lr: 1e-3 }) : new SGD(m.params, { lr: 0.1, momentum: 0.9 });
    m.params.grad.fill(0.01);
    o.step();
    out.push(
      saveCheckpoint(
        m,
        { step: 42, rng: { data: rng.getState() }, task: { name: 'adding', T: 10 }, train: { seconds: 1 } },
        { opt: o, spec: opt === 'adam' ? { type: 'adam', lr: 1e-3 } : { type: 'sgd', lr: 0.1, momentum: 0.9 } },
      ),
    );
  }
  return out;
}

/** The same file without its checksum, so that mutations reach the structural and schema checks. */
function withoutChecksum(bytes: Uint8Array, editMeta?: (text: string) => string): Uint8Array {
  const d = decodeSafetensors(bytes);
  const tensors = Object.fromEntries(
    Object.entries(d.tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data as Float32Array }]),
  );
  const meta = editMeta ? { ...d.metadata, recur: editMeta(d.metadata.recur!) } : d.metadata;
  return encodeSafetensors(tensors, meta, { checksum: false });
}

const WEIRD: unknown[] = [
  -1,
  0,
  1.5,
  1e9,
  1e300,
  -1e300,
  2 ** 53,
  'abc',
  '',
  null,
  true,
  [],
  [1, 2],
  {},
  { a: 1 },
  '\u202e\x1b[2J',
];

/** A JSON value with one field replaced, removed, or added (a path chosen by `rng`). */
function mutateJSON(v: unknown, rng: Rng): unknown {
  if (!v || typeof v !== 'object') return WEIRD[rng.int(WEIRD.length)];
  const o = (Array.isArray(v) ? [...v] : { ...v }) as Record<string, unknown>;
  const keys = Object.keys(o);
  const r = rng.uniform();
  if (keys.length && r < 0.6) {
    const k = keys[rng.int(keys.length)]!;
    o[k] = rng.uniform() < 0.5 ? mutateJSON(o[k], rng) : WEIRD[rng.int(WEIRD.length)];
  } else if (keys.length && r < 0.8) delete o[keys[rng.int(keys.length)]!];
  else o[`k${rng.int(100)}`] = WEIRD[rng.int(WEIRD.length)];
  return o;
}

type Outcome = 'refused' | 'loaded';

function tryLoad(bytes: Uint8Array, what: string): Outcome {
  let ck;
  try {
    ck = loadCheckpoint(bytes);
  } catch (e) {
    // A clear error: the documented class, with a message that says something.
    assert.ok(e instanceof SafetensorsError, `${what}: ${(e as Error).name}: ${(e as Error).message}`);
    assert.ok((e as Error).message.length > 10 && (e as Error).message.length < 2000, what);
    return 'refused';
  }
  // A correct result: finite numbers only, and no more parameters than the file holds values.
  assert.ok(allFinite(ck.model.params.data), `${what}: non-finite parameter kept`);
  for (const a of Object.values(ck.optimizer?.state() ?? {})) assert.ok(allFinite(a), `${what}: non-finite state`);
  assert.ok(
    ck.model.params.size <= bytes.length / 4,
    `${what}: ${ck.model.params.size} parameters from ${bytes.length} bytes`,
  );
  assert.ok(Number.isSafeInteger(ck.meta.step) && ck.meta.step >= 0, `${what}: step ${ck.meta.step}`);
  return 'loaded';
}

test('fuzz: checkpoints (bit flips, truncation, header lengths, metadata and tensor mutations)', GUARD, () => {
  const rng = new Rng(13013);
  const seeds = seedCheckpoints();
  const counts: Record<string, Record<Outcome, number>> = {};
  const note = (kind: string, o: Outcome) => {
    counts[kind] ??= { refused: 0, loaded: 0 };
    counts[kind]![o]++;
  };
  for (let c = 0; c < 2400; c++) {
    const base = seeds[c % seeds.length]!;
    const kind = ['flip', 'flip-old', 'truncate', 'length', 'meta', 'meta-old', 'tensor'][c % 7]!;
    let b: Uint8Array;
    if (kind === 'flip' || kind === 'flip-old') {
      b = Uint8Array.from(kind === 'flip' ? base : withoutChecksum(base));
      for (let k = 1 + rng.int(3); k > 0; k--) b[rng.int(b.length)]! ^= 1 << rng.int(8);
    } else if (kind === 'truncate') b = base.subarray(0, rng.int(base.length));
    else if (kind === 'length') {
      b = Uint8Array.from(base);
      const n = Number(new DataView(b.buffer).getBigUint64(0, true));
      const choices = [n - 1, n + 1, n - 8, n + 8, rng.int(b.length), 0, 2 ** 40, b.length - 8];
      new DataView(b.buffer).setBigUint64(0, BigInt(Math.max(0, choices[rng.int(choices.length)]!)), true);
    } else if (kind === 'meta' || kind === 'meta-old') {
      const edit = (text: string) => {
        if (rng.uniform() < 0.15) return text.replace(/"(\w+)":/, (m) => `${m}0,${m}`); // a repeated key
        return JSON.stringify(mutateJSON(JSON.parse(text), rng));
      };
      const d = decodeSafetensors(base);
      const tensors = Object.fromEntries(
        Object.entries(d.tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]),
      );
      b = encodeSafetensors(tensors, { ...d.metadata, recur: edit(d.metadata.recur!) }, { checksum: kind === 'meta' });
    } else {
      // tensors: a NaN or Infinity written in, a shape changed, a tensor dropped or renamed (checksum valid)
      const d = decodeSafetensors(base);
      const names = Object.keys(d.tensors);
      const name = names[rng.int(names.length)]!;
      const tensors: Record<string, { shape: number[]; data: Float32Array }> = Object.fromEntries(
        Object.entries(d.tensors).map(([k, t]) => [
          k,
          { shape: [...t.shape], data: Float32Array.from(t.data as Float32Array) },
        ]),
      );
      const t = tensors[name]!;
      const r = rng.int(4);
      if (r === 0 && t.data.length) t.data[rng.int(t.data.length)] = [Number.NaN, Infinity, -Infinity][rng.int(3)]!;
      else if (r === 1 && t.shape.length === 2) t.shape = [t.shape[1]!, t.shape[0]!];
      else if (r === 2) delete tensors[name];
      else {
        tensors[`${name}x`] = t;
        delete tensors[name];
      }
      b = encodeSafetensors(tensors, d.metadata);
    }
    note(kind, tryLoad(b, `case ${c} (${kind})`));
  }
  // With a checksum, no random flip of any byte loads.
  assert.equal(counts.flip!.loaded, 0, JSON.stringify(counts));
  assert.equal(counts.truncate!.loaded, 0);
  assert.equal(counts.length!.loaded, 0);
  assert.ok(counts.meta!.refused > 0 && counts.tensor!.refused > 0, JSON.stringify(counts));
  assert.ok(process.resourceUsage().maxRSS < 1.5 * 2 ** 20, `peak RSS ${process.resourceUsage().maxRSS} KiB`);
});

test('fuzz: hashed linear model files', GUARD, () => {
  const rng = new Rng(7);
  const m = new HashedLinearModel({ columns: ['y', 'a', 'b'], label: 'y', numeric: ['b'], bits: 6 }, { kind: 'ftrl' });
  for (let i = 0; i < 50; i++) m.learnRecord({ y: i % 2, a: `v${i % 7}`, b: i });
  const base = m.toSafetensors();
  for (let c = 0; c < 600; c++) {
    const b = Uint8Array.from(base);
    if (c % 2) for (let k = 1 + rng.int(3); k > 0; k--) b[rng.int(b.length)]! ^= 1 << rng.int(8);
    const bytes = c % 2 ? b : b.subarray(0, rng.int(b.length));
    try {
      const back = HashedLinearModel.fromSafetensors(bytes);
      assert.ok(allFinite(back.learner.state().ftrl_z_sqrtn!.data as Float64Array));
    } catch (e) {
      assert.ok(
        e instanceof SafetensorsError || e instanceof RangeError,
        `${(e as Error).name}: ${(e as Error).message}`,
      );
    }
  }
});

// ---------------------------------------------------------------- CSV

const PIECES = [
  '0',
  '1',
  '-1',
  '1.5',
  '1e999',
  '-1e999',
  'nan',
  'inf',
  '1e300',
  'x',
  '',
  '"',
  '""',
  '"a,b"',
  '"a\nb"',
  ' ',
  '\r',
  'é',
  '\u202e',
  '\x1b[2J',
  '9'.repeat(40),
];

function randomCsv(rng: Rng): string {
  let s = 'label,n,c\n';
  const rows = 1 + rng.int(60);
  for (let r = 0; r < rows; r++) {
    const fields = rng.uniform() < 0.9 ? 3 : 1 + rng.int(5);
    const f: string[] = [];
    for (let k = 0; k < fields; k++) {
      let v = '';
      for (let p = rng.int(3); p >= 0; p--) v += PIECES[rng.int(PIECES.length)]!;
      f.push(k === 0 && rng.uniform() < 0.8 ? String(rng.int(2)) : v);
    }
    s += f.join(',') + (rng.uniform() < 0.1 ? '\r\n' : '\n');
  }
  return s;
}

test('fuzz: CSV rows through the reader, the hasher and FTRL, in random chunks', GUARD, () => {
  const rng = new Rng(2024);
  for (let c = 0; c < 1500; c++) {
    const text = randomCsv(rng);
    const bytes = new TextEncoder().encode(text);
    const lines = text.split('\n').length;
    const runOnce = (chunk: number, strict: boolean) => {
      const model = new HashedLinearModel(
        { columns: ['label', 'n', 'c'], label: 'label', numeric: ['n'], numericAs: c % 2 ? 'value' : 'bin', bits: 8 },
        { kind: 'ftrl' },
      );
      const row = model.hasher.newRow();
      const reader = new CsvReader({ strict, keepErrors: 1000 });
      const seen: number[] = [];
      reader.onRow = (b, s, e, line) => {
        const err = model.hasher.hashRow(b, s, e, row);
        if (err !== null) return reader.reject(err, line);
        const p = model.learner.learn(row.idx, row.val, row.n, row.label);
        assert.ok(p >= 0 && p <= 1, `case ${c}: p = ${p}`);
        seen.push(line);
      };
      try {
        for (let o = 0; o < bytes.length; o += chunk) reader.push(bytes.subarray(o, o + chunk));
        reader.end();
      } catch (e) {
        assert.ok(strict && e instanceof CsvError, `case ${c}: ${(e as Error).name}: ${(e as Error).message}`);
        assert.match((e as Error).message, /line \d+/);
        return null;
      }
      assert.ok(allFinite(model.learner.state().ftrl_z_sqrtn!.data as Float64Array), `case ${c}: non-finite state`);
      for (const m of reader.errors) {
        const at = Number(/^line (\d+)/.exec(m)?.[1]);
        assert.ok(at >= 2 && at <= lines, `case ${c}: ${m}`);
        assert.doesNotMatch(m, RAW_CONTROL, `case ${c}: raw control character`);
      }
      return { seen, errors: reader.errors, bad: reader.badRows, rows: reader.rows };
    };
    const whole = runOnce(bytes.length + 1, false)!;
    const pieces = runOnce(1 + rng.int(17), false)!;
    assert.deepEqual(pieces, whole, `case ${c}: chunking changed the result`);
    runOnce(1 + rng.int(64), true);
  }
});

// ---------------------------------------------------------------- PNG

function chunk(type: string, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(12 + data.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, data.length);
  b.set(new TextEncoder().encode(type), 4);
  b.set(data, 8);
  v.setUint32(8 + data.length, crc32(b, 0, 4, 8 + data.length));
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const VALID: [number, number[]][] = [
  [0, [1, 2, 4, 8, 16]],
  [2, [8, 16]],
  [3, [1, 2, 4, 8]],
  [4, [8, 16]],
  [6, [8, 16]],
];
const SPP: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

test('fuzz: PNG headers and chunks', GUARD, () => {
  const rng = new Rng(99);
  const SIG = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);
  const maxPixels = 1 << 16;
  let decoded = 0;
  for (let c = 0; c < 2500; c++) {
    let w: number, h: number, depth: number, colour: number, interlace: number;
    const hostile = c % 2 === 1;
    if (hostile) {
      // Random (often invalid) header fields, CRCs right, so the checks behind the CRC are reached.
      w = [1, 2, 7, 16, 255, 256, 4096, 65536, 2 ** 31 - 1, 2 ** 32 - 1, 0][rng.int(11)]!;
      h = [1, 3, 8, 100, 1000, 30000, 2 ** 31, 0][rng.int(8)]!;
      depth = [1, 2, 4, 8, 16, 3, 0, 255][rng.int(8)]!;
      colour = [0, 2, 3, 4, 6, 1, 5, 7][rng.int(8)]!;
      interlace = rng.uniform() < 0.3 ? 1 : rng.uniform() < 0.05 ? 2 : 0;
    } else {
      // A valid header and image data of about the right size, then damaged in one of several ways.
      const [ct, depths] = VALID[rng.int(VALID.length)]!;
      colour = ct;
      depth = depths[rng.int(depths.length)]!;
      w = 1 + rng.int(40);
      h = 1 + rng.int(40);
      interlace = rng.int(2);
    }
    const ihdr = new Uint8Array(13);
    const v = new DataView(ihdr.buffer);
    v.setUint32(0, w);
    v.setUint32(4, h);
    ihdr[8] = depth;
    ihdr[9] = colour;
    ihdr[12] = interlace;
    // Non-interlaced size (wrong for Adam7, and for hostile headers, on purpose), sometimes off by a little.
    const stride = Math.ceil((Math.min(w, 64) * (SPP[colour] ?? 1) * Math.min(depth, 16)) / 8);
    const rows = Math.min(h, 64) + (rng.uniform() < 0.2 ? rng.int(3) - 1 : 0);
    const raw = new Uint8Array(Math.max(0, rows) * (stride + 1));
    for (let i = 0; i < raw.length; i++)
      raw[i] = i % (stride + 1) === 0 ? rng.int(rng.uniform() < 0.97 ? 5 : 256) : rng.int(256);
    const parts = [SIG, chunk('IHDR', ihdr)];
    if (colour === 3 || rng.uniform() < 0.1) parts.push(chunk('PLTE', new Uint8Array(3 * (1 + rng.int(256)))));
    if (rng.uniform() < 0.95) parts.push(chunk('IDAT', new Uint8Array(deflateSync(raw, { level: 1 }))));
    if (rng.uniform() < 0.95) parts.push(chunk('IEND', new Uint8Array(0)));
    let bytes = concat(parts);
    if (rng.uniform() < 0.2) {
      bytes = Uint8Array.from(bytes);
      bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
    } else if (rng.uniform() < 0.1) bytes = bytes.subarray(0, rng.int(bytes.length));
    const run = () => {
      try {
        const t = decodePng(bytes, { maxPixels });
        assert.equal(t.shape[1]! * t.shape[2]!, w * h);
        assert.ok(t.shape[1]! * t.shape[2]! <= maxPixels);
        for (const x of t.data) assert.ok(x >= 0 && x <= 1, `case ${c}: value ${x}`);
        return `decoded ${crc32(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))}`;
      } catch (e) {
        assert.ok(e instanceof PngError, `case ${c}: ${(e as Error).name}: ${(e as Error).message}`);
        return (e as Error).message;
      }
    };
    const a = run();
    assert.equal(run(), a, `case ${c}: a second decode differs`);
    if (a.startsWith('decoded ')) decoded++;
  }
  // Enough cases get through every check to test the correct path too.
  assert.ok(decoded > 200, `only ${decoded} cases decoded`);
  assert.ok(process.resourceUsage().maxRSS < 1.5 * 2 ** 20, `peak RSS ${process.resourceUsage().maxRSS} KiB`);
});
