// The safetensors codec: round trips, and hostile files answered by clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RNN, encodeSafetensors, decodeSafetensors, SafetensorsError } from 'recur-rnn';
import { ROOT, readJSON } from '../helpers.js';

function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), lenOverride?: bigint): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('round trip of several dtypes with metadata', () => {
  const bytes = encodeSafetensors(
    {
      'rnn.weight_ih_l0': { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
      b: { shape: [2], data: Float64Array.from([Math.PI, -1e300]) },
      ids: { shape: [3], data: Int32Array.from([7, -8, 9]) },
      empty: { shape: [0, 4], data: new Float32Array(0) },
    },
    { format: 'pt', recur: '{"step":3}' },
  );
  assert.equal(new DataView(bytes.buffer).getBigUint64(0, true) % 8n, 0n);
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, { format: 'pt', recur: '{"step":3}' });
  assert.deepEqual([...tensors['rnn.weight_ih_l0']!.data], [1, 2, 3, 4, 5, -6.5]);
  assert.equal(tensors['rnn.weight_ih_l0']!.dtype, 'F32');
  assert.deepEqual([...tensors.b!.data], [Math.PI, -1e300]);
  assert.deepEqual([...tensors.ids!.data], [7, -8, 9]);
  assert.deepEqual(tensors.empty!.shape, [0, 4]);
});

const bad: [string, Uint8Array, RegExp][] = [
  ['too short', new Uint8Array(5), /too short/],
  ['header length past the end', rawFile({}, new Uint8Array(0), 1000n), /past the end/],
  ['huge header length', rawFile({}, new Uint8Array(0), 2n ** 62n), /past the end/],
  ['not JSON', rawFile('{"a":'), /not valid UTF-8 JSON/],
  ['JSON array', rawFile('[1,2]'), /must be a JSON object/],
  [
    'unknown dtype',
    rawFile({ a: { dtype: 'Q8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
    /unsupported dtype/,
  ],
  [
    'negative shape',
    rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)),
    /non-negative integers/,
  ],
  ['huge shape', rawFile({ a: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 4] } }, new Uint8Array(4)), /needs/],
  [
    'offsets past the data',
    rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)),
    /outside/,
  ],
  [
    'size mismatch',
    rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(8)),
    /needs 8 bytes/,
  ],
  [
    'overlap',
    rawFile(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } },
      new Uint8Array(8),
    ),
    /overlap/,
  ],
  ['bad offsets', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4] } }, new Uint8Array(8)), /data_offsets/],
  ['metadata not strings', rawFile({ __metadata__: { a: 1 } }), /must be a string/],
];
for (const [name, bytes, re] of bad) {
  test(`rejects a hostile file: ${name}`, () => {
    assert.throws(
      () => decodeSafetensors(bytes),
      (e: Error) => e instanceof SafetensorsError && re.test(e.message),
    );
  });
}

test('every truncation of a valid file is rejected, never crashes', () => {
  const bytes = encodeSafetensors({ w: { shape: [4, 4], data: new Float32Array(16).fill(1) } });
  for (let n = 0; n < bytes.length; n++) assert.throws(() => decodeSafetensors(bytes.subarray(0, n)), SafetensorsError);
});

test('decoding a Node Buffer gives independent, correct tensors', async () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const Buffer = (await import('node:buffer')).Buffer as any;
  const bytes = encodeSafetensors({
    a: { shape: [3], data: Float32Array.from([1, 2, 3]) },
    b: { shape: [1], data: Float64Array.from([4]) },
  });
  // unaligned, pooled-style
  const buf = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(bytes)]).subarray(3) as Uint8Array;
  const { tensors } = decodeSafetensors(buf);
  assert.deepEqual([...tensors.a!.data], [1, 2, 3]);
  assert.deepEqual([...tensors.b!.data], [4]);
});

test('files carry a CRC-32 that catches every single-bit flip; files without one load and say so', () => {
  const bytes = encodeSafetensors(
    { w: { shape: [3, 2], data: Float32Array.from([1, -2, 3.5, 0, 1e-3, 7]) } },
    { format: 'pt', note: 'ünïcødé before the checksum' },
  );
  const d = decodeSafetensors(bytes);
  assert.equal(d.checksum, 'verified');
  assert.deepEqual(d.metadata, { format: 'pt', note: 'ünïcødé before the checksum' }); // the entry is not returned
  assert.match(new TextDecoder().decode(bytes), /"recur_checksum":"crc32:[0-9a-f]{8}"/);
  let caught = 0;
  for (let i = 0; i < bytes.length; i++)
    for (let bit = 0; bit < 8; bit++) {
      const b = Uint8Array.from(bytes);
      b[i]! ^= 1 << bit;
      assert.throws(() => decodeSafetensors(b), SafetensorsError, `flip of byte ${i} bit ${bit} loaded`);
      caught++;
    }
  assert.equal(caught, 8 * bytes.length);
  const plain = encodeSafetensors({ w: { shape: [1], data: Float32Array.from([1]) } }, {}, { checksum: false });
  assert.equal(decodeSafetensors(plain).checksum, 'absent');
  assert.throws(() => encodeSafetensors({}, { recur_checksum: 'x' }), /reserved/);
});

test('the tensors must tile the data section: a header length off by one is an error, not a shifted load', () => {
  const bytes = encodeSafetensors(
    { w: { shape: [4], data: Float32Array.from([1, 2, 3, 4]) } },
    {},
    { checksum: false },
  );
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  for (const delta of [-2, -1, 1, 2]) {
    const b = Uint8Array.from(bytes);
    new DataView(b.buffer).setBigUint64(0, BigInt(n + delta), true);
    assert.throws(() => decodeSafetensors(b), SafetensorsError, `header length ${n + delta} loaded`);
  }
  const gap = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8));
  assert.throws(() => decodeSafetensors(gap), /starts at byte 4 .*a gap/);
  const tail = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8));
  assert.throws(() => decodeSafetensors(tail), /4 bytes after the last/);
});

test('a repeated key anywhere in the header is an error (JSON.parse would keep the last silently)', () => {
  const t = '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
  assert.throws(() => decodeSafetensors(rawFile(`{${t},${t}}`, new Uint8Array(4))), /key "a" appears twice/);
  assert.throws(
    () => decodeSafetensors(rawFile(`{"__metadata__":{"x":"1","\\u0078":"2"},${t}}`, new Uint8Array(4))),
    /key "x" appears twice/,
  );
  assert.throws(
    () => decodeSafetensors(rawFile(`{"__metadata__":{},"__metadata__":{"recur":"{}"},${t}}`, new Uint8Array(4))),
    /__metadata__/,
  );
  // Equal keys in different objects are fine.
  const ok = rawFile(`{"__metadata__":{"dtype":"x"},${t}}`, new Uint8Array(4));
  assert.equal(decodeSafetensors(ok).metadata.dtype, 'x');
});

test('F16 and BF16 tensors (as PyTorch saves them) read as float32, bit for bit as torch .float() widens them', () => {
  const bytes = new Uint8Array(readFileSync(join(ROOT, 'fixtures', 'safetensors', 'half.safetensors')));
  const want = readJSON<{ tensors: Record<string, { shape: number[]; float32: number[] }> }>(
    'fixtures/safetensors/half.json',
  ).tensors;
  const { tensors } = decodeSafetensors(bytes);
  for (const [name, w] of Object.entries(want)) {
    const t = tensors[name]!;
    assert.equal(t.dtype, 'F32', name);
    assert.equal(t.stored, name.startsWith('bf16') ? 'BF16' : name.startsWith('f16') ? 'F16' : undefined, name);
    assert.deepEqual(t.shape, w.shape, name);
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual(Array.from(t.data), w.float32.map(Math.fround), name); // -0 and subnormals included
  }
  // A PyTorch state_dict saved in half precision loads into a model.
  const rnn = new RNN({ inputSize: 5, hiddenSize: 3 });
  const half = tensors['f16.random']!.data as Float32Array;
  rnn.loadStateDict(
    Object.fromEntries(rnn.params.list.map((p) => [p.name, { shape: p.shape, data: half.slice(0, p.size) }])),
  );
  assert.equal(rnn.params.list[0]!.data[0], half[0]);
});
