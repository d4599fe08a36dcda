// Hostile and damaged checkpoints (issue 13): metadata checked field by field before anything is
// sized from it, sizes from the tensors present, non-finite values refused on save and on load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Adam,
  SGD,
  SequenceModel,
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  loadCheckpoint,
  saveCheckpoint,
} from 'recur-rnn';
import { HashedLinearModel } from 'recur-rnn/hashing';

function model(hiddenSize = 4) {
  return new SequenceModel({
    cell: 'lstm',
    inputSize: 2,
    hiddenSize,
    outputSize: 1,
    head: 'last',
    loss: 'mse',
    seed: 1,
  });
}

function checkpoint(): Uint8Array {
  const m = model(),
    opt = new Adam(m.params, { lr: 1e-3 });
  return saveCheckpoint(
    m,
    { step: 600, rng: { data: { s: [1, 2, 3, 4], spare: null } }, task: { name: 'adding', T: 10 } },
    { opt, spec: { type: 'adam', lr: 1e-3 } },
  );
}

/** The checkpoint re-encoded (with a fresh, valid checksum) after `edit` changes its metadata or tensors. */
function edited(
  edit: (meta: Record<string, any>, tensors: Record<string, { shape: number[]; data: Float32Array }>) => void,
  recurText?: (json: string) => string,
): Uint8Array {
  const d = decodeSafetensors(checkpoint());
  const meta = JSON.parse(d.metadata.recur!);
  const tensors = Object.fromEntries(
    Object.entries(d.tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]),
  );
  edit(meta, tensors);
  const json = JSON.stringify(meta);
  return encodeSafetensors(tensors, { ...d.metadata, recur: recurText ? recurText(json) : json });
}

test('metadata of the wrong type or range is refused, naming the field', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['step "abc"', edited((m) => (m.step = 'abc')), /step must be an integer/],
    ['step -5', edited((m) => (m.step = -5)), /step must be an integer in 0\.\./],
    ['step 1.5', edited((m) => (m.step = 1.5)), /step must be an integer/],
    ['an unknown key (a flipped "seed")', edited((m) => (m.model.reed = 1)), /model has an unknown key "reed"/],
    ['hiddenSize a string', edited((m) => (m.model.hiddenSize = '4')), /model\.hiddenSize must be an integer/],
    ['head', edited((m) => (m.model.head = 'lats')), /model\.head must be one of last, every/],
    ['RNG state words', edited((m) => (m.rng.data.s = [1, 2, 3])), /rng\.data\.s must be a list of 4 integers/],
    ['RNG state word range', edited((m) => (m.rng.data.s[2] = 2 ** 32)), /rng\.data\.s\[2\] must be an integer/],
    ['optimizer lr', edited((m) => (m.optimizer.spec.lr = -1)), /optimizer\.spec\.lr must be a finite number >= 0/],
    ['optimizer kind', edited((m) => (m.optimizer.spec.type = 'adma')), /optimizer\.spec\.type must be one of/],
    ['Adam step count', edited((m) => (m.optimizer.scalars.t = -3)), /optimizer\.scalars\.t must be/],
    ['version', edited((m) => (m.version = 2)), /version 2 is not supported/],
    ['a task that is not an object', edited((m) => (m.task = 'adding')), /task must be an object/],
    [
      'a repeated key in the metadata JSON (the last would win)',
      edited(
        () => {},
        (json) => json.replace('"step":600', '"step":600,"step":7'),
      ),
      /the key "step" appears twice/,
    ],
  ];
  for (const [what, bytes, re] of cases)
    assert.throws(
      () => loadCheckpoint(bytes),
      (e: Error) => e instanceof SafetensorsError && re.test(e.message),
      `${what}: not refused as expected`,
    );
});

test('sizes come from the tensors present: a metadata hiddenSize or layer count is checked before allocating', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['hiddenSize 10000', edited((m) => (m.model.hiddenSize = 10000)), /says hiddenSize 10000, but tensor/],
    ['numLayers 1e6', edited((m) => (m.model.numLayers = 1e6)), /says numLayers 1000000, but tensor/],
    ['inputSize', edited((m) => (m.model.inputSize = 1e8)), /says inputSize 100000000/],
    ['outputSize', edited((m) => (m.model.outputSize = 2e9)), /says outputSize 2000000000/],
    ['bidirectional', edited((m) => (m.model.bidirectional = true)), /says bidirectional true/],
    [
      'a parameter the model lacks',
      edited((_, t) => (t['rnn.weight_hh_l1'] = { shape: [16, 4], data: new Float32Array(64) })),
      /numLayers/,
    ],
  ];
  for (const [what, bytes, re] of cases) {
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(() => loadCheckpoint(bytes), re, what);
    // Nothing sized from the metadata: far less than the megabytes hiddenSize 10000 would take.
    assert.ok(process.memoryUsage().arrayBuffers - before < 4 << 20, `${what}: memory grew while refusing`);
  }
});

test('non-finite parameters, optimiser state or carried state are refused, naming the tensor', () => {
  for (const name of ['optimizer.exp_avg', 'optimizer.exp_avg_sq', 'rnn.weight_hh_l0', 'head.bias']) {
    const bytes = edited((_, t) => (t[name]!.data[t[name]!.data.length - 1] = Number.NaN));
    assert.throws(
      () => loadCheckpoint(bytes),
      new RegExp(`tensor '${name.replace('.', '\\.')}' holds a non-finite value \\(NaN at index \\d+\\)`),
    );
  }
  const inf = edited((_, t) => (t['state.h'] = { shape: [4], data: Float32Array.from([0, Infinity, 0, 0]) }));
  assert.throws(() => loadCheckpoint(inf), /'state\.h' holds a non-finite value \(Infinity at index 1\)/);
});

test('saving refuses a non-finite parameter or optimiser state', () => {
  const m = model();
  m.params.data[3] = Number.NaN;
  assert.throws(() => saveCheckpoint(m, { step: 0 }), /non-finite value \(NaN at index/);
  const m2 = model(),
    opt = new SGD(m2.params, { lr: 0.1, momentum: 0.9 });
  (opt.state().momentum_buffer as Float32Array)[0] = Infinity;
  assert.throws(
    () => saveCheckpoint(m2, { step: 0 }, { opt, spec: { type: 'sgd', lr: 0.1, momentum: 0.9 } }),
    /'optimizer\.momentum_buffer' holds a non-finite value/,
  );
});

test('a file without a checksum loads with a note; a verified one without', () => {
  const ok = loadCheckpoint(checkpoint());
  assert.deepEqual(ok.notes, []);
  const d = decodeSafetensors(checkpoint());
  const plain = encodeSafetensors(
    Object.fromEntries(
      Object.entries(d.tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]),
    ),
    d.metadata,
    { checksum: false },
  );
  const old = loadCheckpoint(plain);
  assert.equal(old.meta.step, 600);
  assert.match(old.notes.join(), /no checksum .* corruption cannot be detected/);
});

test('a hashed linear model: the table size comes from its tensor, checked before 2^bits is allocated', () => {
  const m = new HashedLinearModel({ columns: ['y', 'a'], label: 'y', bits: 8 }, { kind: 'ftrl' });
  const d = decodeSafetensors(m.toSafetensors());
  const tensors = Object.fromEntries(
    Object.entries(d.tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data as Float64Array }]),
  );
  const withMeta = (f: (hc: any, lc: any) => void) => {
    const hc = JSON.parse(d.metadata.hasher!),
      lc = JSON.parse(d.metadata.learner!);
    f(hc, lc);
    return encodeSafetensors(tensors, { ...d.metadata, hasher: JSON.stringify(hc), learner: JSON.stringify(lc) });
  };
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(
    () =>
      HashedLinearModel.fromSafetensors(
        withMeta((hc, lc) => {
          hc.bits = 30;
          lc.bits = 30;
        }),
      ),
    /bits 30 disagree with the 256 rows/,
  );
  assert.ok(process.memoryUsage().arrayBuffers - before < 4 << 20);
  tensors.ftrl_z_sqrtn!.data[5] = Number.NaN;
  assert.throws(
    () => HashedLinearModel.fromSafetensors(withMeta(() => {})),
    /'ftrl_z_sqrtn' holds a non-finite value \(NaN at index 5\)/,
  );
});
