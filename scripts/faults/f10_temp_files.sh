#!/usr/bin/env bash
# Finding 10: kill -9 during training leaves .checkpoint.safetensors.tmp-* files behind.
# Ten kills at random moments while checkpointing every step, then one clean resume.
# Expect: no temp file left after the resume (stale ones are removed by the next save).
. "$(dirname "$0")/lib.sh"
$RECUR train --task adding --T 50 --hidden 128 --steps 5 --checkpoint-every 1 --eval-every 0 --final-eval-n 10 --threads 1 --no-stop-on-success --out "$WORK/r" --json > /dev/null
for i in $(seq 10); do
  node "$ROOT/bin/recur.js" resume "$WORK/r" --steps 100000 > /dev/null 2>&1 &
  pid=$!
  sleep "0.$(( RANDOM % 5 + 4 ))"
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
done
# a temp file as a crash mid-write leaves it (the kills above may or may not have hit one)
printf 'partial' > "$WORK/r/.checkpoint.safetensors.tmp-999999-crashed"
echo "    temp files after 10 kills (+1 planted): $(ls -a "$WORK/r" | grep -c '\.tmp-')"
run "resume --steps +5 after the kills" 60 $RECUR resume "$WORK/r" --steps "$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]+"/r/result.json","utf8"));' "$WORK" 2>/dev/null; node --input-type=module -e "
import { readFileSync } from 'node:fs'; import { loadCheckpoint } from '$ROOT/dist/src/index.js';
console.log(loadCheckpoint(new Uint8Array(readFileSync('$WORK/r/checkpoint.safetensors'))).meta.step + 5)")"
echo "    temp files after the resume: $(ls -a "$WORK/r" | grep -c '\.tmp-')"
