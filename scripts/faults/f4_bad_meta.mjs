// Finding 4: bad metadata that loads silently. Single-bit flips over the whole JSON header of a
// checkpoint, plus hand-made cases (step "abc" / -5, a duplicate __metadata__ key, a header
// length one short). Expect: every flip either rejected or (only where the change is
// meaningless, e.g. in padding) loaded with identical meaning and tensors.
// Run: node scripts/faults/f4_bad_meta.mjs   (after npm install)
import { SequenceModel, Adam, saveCheckpoint, loadCheckpoint } from '../../dist/src/index.js';
import { split, join } from './ckpt.mjs';

const model = new SequenceModel({
  cell: 'lstm',
  inputSize: 2,
  hiddenSize: 4,
  outputSize: 1,
  head: 'last',
  loss: 'mse',
  seed: 1,
});
const opt = new Adam(model.params, { lr: 1e-3 });
const bytes = saveCheckpoint(
  model,
  { step: 600, rng: { data: { s: [1, 2, 3, 4] } }, task: { name: 'adding', T: 10 } },
  { opt, spec: { type: 'adam', lr: 1e-3 } },
);
const signature = (ck) => JSON.stringify([ck.meta, Array.from(ck.model.params.data), ck.optimizer?.scalars()]);

/** Flips every bit of the header of `file` in turn and counts what loading makes of each. */
function campaign(label, file) {
  const ref = signature(loadCheckpoint(file));
  const n = Number(Buffer.from(file).readBigUInt64LE(0));
  let rejected = 0,
    same = 0,
    changed = 0;
  const examples = [];
  for (let i = 8; i < 8 + n; i++)
    for (let bit = 0; bit < 8; bit++) {
      const b = Uint8Array.from(file);
      b[i] ^= 1 << bit;
      let sig;
      try {
        sig = signature(loadCheckpoint(b));
      } catch {
        rejected++;
        continue;
      }
      if (sig === ref) same++;
      else {
        changed++;
        if (examples.length < 4)
          examples.push(
            `byte ${i} bit ${bit}: ...${Buffer.from(b.subarray(Math.max(8, i - 12), i + 12)).toString('latin1')}...`,
          );
      }
    }
  const total = rejected + same + changed;
  console.log(
    `${label}: single-bit flips in the ${n}-byte header: ${total}; rejected ${rejected}, loaded unchanged ${same}, ` +
      `LOADED WITH A CHANGED MEANING ${changed} (${((100 * changed) / total).toFixed(1)}%)`,
  );
  for (const e of examples) console.log('  e.g. ' + e);
}
campaign('as saved', bytes);
// The same checkpoint as a file written before checksums (or by another program) would be.
const parts = split(bytes);
const meta0 = { ...parts.header.__metadata__ };
delete meta0.recur_checksum;
campaign('without a checksum', join({ ...parts.header, __metadata__: meta0 }, parts.data));

// Hand-made cases, on the checkpoint without its checksum (so that the other checks are what
// refuses them; with the checksum, any such edit is a checksum mismatch first).
const old = join({ ...parts.header, __metadata__: meta0 }, parts.data);
const { header, headerText, data } = split(old);
const meta = JSON.parse(header.__metadata__.recur);
const withMeta = (m) => join({ ...header, __metadata__: { ...header.__metadata__, recur: JSON.stringify(m) } }, data);
const cases = {
  'step "abc"': withMeta({ ...meta, step: 'abc' }),
  'step -5': withMeta({ ...meta, step: -5 }),
  'RNG state with 3 words': withMeta({ ...meta, rng: { data: { s: [1, 2, 3], spare: null } } }),
  'duplicate __metadata__ (the last wins)': join(
    headerText.replace(
      /^\{/,
      `{"__metadata__":{"format":"pt","recur":${JSON.stringify(JSON.stringify({ ...meta, step: 7 }))}},`,
    ),
    data,
  ),
  'header length N-1': join(headerText, data, -1),
  'header length N-1 (checksum present)': join(split(bytes).headerText, split(bytes).data, -1),
};
for (const [name, b] of Object.entries(cases)) {
  try {
    const ck = loadCheckpoint(new Uint8Array(b));
    console.log(`${name}: LOADED (step ${JSON.stringify(ck.meta.step)}, first parameter ${ck.model.params.data[0]})`);
  } catch (e) {
    console.log(`${name}: rejected: ${e.message}`);
  }
}
