#!/usr/bin/env bash
# Finding 5: non-finite values reach checkpoints. (a) one NaN written into optimizer.exp_avg of a
# checkpoint, then resume; (b) SGD with lr 3e38. Expect: (a) rejected at load naming the tensor
# (exit 3); (b) no non-finite parameter ever saved (steps skipped and counted, or a stop).
. "$(dirname "$0")/lib.sh"
finite() { # prints how many non-finite values each float tensor of a checkpoint holds
  node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    import { decodeSafetensors } from '$ROOT/dist/src/index.js';
    const { tensors } = decodeSafetensors(new Uint8Array(readFileSync('$1')));
    const bad = Object.entries(tensors)
      .map(([k, t]) => [k, Array.from(t.data).filter((v) => !Number.isFinite(Number(v))).length])
      .filter(([, n]) => n);
    console.log('    non-finite values in $2: ' + (bad.length ? bad.map(([k, n]) => k + ' ' + n).join(', ') : 'none'));"
}
$RECUR train $QUICK --steps 20 --out "$WORK/a" --json >/dev/null
node --input-type=module -e "
import { readFileSync, writeFileSync } from 'node:fs';
import { rechecksum, split } from '$ROOT/scripts/faults/ckpt.mjs';
const b = readFileSync('$WORK/a/checkpoint.safetensors');
const { header } = split(b);
const n = Number(b.readBigUInt64LE(0)), off = 8 + n + header['optimizer.exp_avg'].data_offsets[0];
b.writeFloatLE(NaN, off + 4 * 3);
writeFileSync('$WORK/a/checkpoint.safetensors', rechecksum(b)); // as a forger would"
run "resume with one NaN in optimizer.exp_avg" 60 $RECUR resume "$WORK/a" --steps 40
finite "$WORK/a/checkpoint.safetensors" "the checkpoint after the resume (the planted NaN, nothing written)"
run "train --optimizer sgd --lr 3e38" 60 $RECUR train $QUICK --steps 20 --optimizer sgd --lr 3e38 --out "$WORK/b"
finite "$WORK/b/checkpoint.safetensors" "the checkpoint of lr 3e38"
run "  ... the same with --strict" 60 $RECUR train $QUICK --steps 20 --optimizer sgd --lr 3e38 --out "$WORK/c" --strict
if [ -f "$WORK/c/checkpoint.safetensors" ]; then finite "$WORK/c/checkpoint.safetensors" "the strict run's checkpoint"
else echo "    (strict run: no checkpoint written)"; fi
