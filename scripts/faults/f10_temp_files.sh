#!/usr/bin/env bash
# Finding 10: kill -9 during training leaves .checkpoint.safetensors.tmp-* files behind.
# Ten kills at random moments while checkpointing every step, one temp file planted as a crash
# mid-write leaves it, then one clean resume. Expect: no temp file left after the resume (stale
# ones, whose process has gone, are removed by the next save), and the checkpoint loads.
. "$(dirname "$0")/lib.sh"
$RECUR train $QUICK --T 50 --hidden 128 --steps 5 --checkpoint-every 1 --no-stop-on-success --out "$WORK/r" --json \
  > /dev/null
for i in $(seq 10); do
  node "$ROOT/bin/recur.js" resume "$WORK/r" --steps 100000 > /dev/null 2>&1 &
  pid=$!
  sleep "0.$(( RANDOM % 5 + 4 ))"
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
done
printf 'partial' > "$WORK/r/.checkpoint.safetensors.tmp-999999-crashed"
echo "    temp files after 10 kills (+1 planted): $(ls -a "$WORK/r" | grep -c '\.tmp-')"
step=$(node --input-type=module -e "
  import { readFileSync } from 'node:fs';
  import { loadCheckpoint } from '$ROOT/dist/src/index.js';
  console.log(loadCheckpoint(new Uint8Array(readFileSync('$WORK/r/checkpoint.safetensors'))).meta.step)")
echo "    the checkpoint after the kills loads, at step $step"
run "resume --steps $((step + 5)) after the kills" 60 $RECUR resume "$WORK/r" --steps "$((step + 5))"
echo "    temp files after the resume: $(ls -a "$WORK/r" | grep -c '\.tmp-')"
