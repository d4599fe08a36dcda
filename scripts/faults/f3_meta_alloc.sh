#!/usr/bin/env bash
# Finding 3: metadata numbers drive allocation. A small checkpoint whose metadata claims
# hiddenSize 10000 or numLayers 1e6. Expect: a quick exit 3 naming the mismatch, little memory.
. "$(dirname "$0")/lib.sh"
$RECUR train $QUICK --steps 20 --out "$WORK/run" --json >/dev/null
ls -l "$WORK/run/checkpoint.safetensors" | awk '{print "    checkpoint: " $5 " bytes"}'
node --input-type=module -e "
import { editMeta } from '$ROOT/scripts/faults/ckpt.mjs';
editMeta('$WORK/run/checkpoint.safetensors', '$WORK/hidden.safetensors', (m) => { m.model.hiddenSize = 10000; });
editMeta('$WORK/run/checkpoint.safetensors', '$WORK/layers.safetensors', (m) => { m.model.numLayers = 1e6; });
"
run "eval (metadata hiddenSize 10000)" 60 $RECUR eval "$WORK/hidden.safetensors" --n 10
run "eval (metadata numLayers 1e6)" 60 $RECUR eval "$WORK/layers.safetensors" --n 10
