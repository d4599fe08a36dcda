#!/usr/bin/env bash
# Finding 6: CSV. (a) 1e999 in a numeric column; (b) an unclosed quote early in a file;
# (c) one line over 1 MiB, then 200,000 plain rows: how many take the fast path?
# Expect: (a) a bad row with its line number, finite model; (b) the line where the quote opened and
# how many lines it swallowed, --strict exit 3; (c) the fast path resumes after the long line.
. "$(dirname "$0")/lib.sh"
node -e '
const fs = require("node:fs"), d = process.argv[1];
let s = "label,x,site\n";
for (let i = 0; i < 2000; i++) s += `${i % 3 ? 0 : 1},${i % 7},s${i % 5}\n`;
fs.writeFileSync(d + "/inf.csv", s.replace("\n0,4,s4\n", "\n0,1e999,s4\n"));
let q = "label,x,site\n";
for (let i = 0; i < 8712; i++) q += i === 4231 ? `1,3,"s${i % 5}\n` : `${i % 3 ? 0 : 1},${i % 7},s${i % 5}\n`;
fs.writeFileSync(d + "/quote.csv", q);
let l = "label,x,site\n0,1," + "y".repeat(1100000) + "\n";
for (let i = 0; i < 200000; i++) l += `${i % 3 ? 0 : 1},${i % 7},s${i % 5}\n`;
fs.writeFileSync(d + "/long.csv", l);
' "$WORK"
run "hash train inf.csv --numeric x --numeric-as value" 60 \
  $RECUR hash train "$WORK/inf.csv" --numeric x --numeric-as value --model "$WORK/m.safetensors" --json --quiet
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log("    badRows", r.badRows, "errors", JSON.stringify(r.errors))' "$WORK/.out"
node --input-type=module -e "
import { readFileSync } from 'node:fs';
import { decodeSafetensors } from '$ROOT/dist/src/index.js';
const { tensors } = decodeSafetensors(new Uint8Array(readFileSync('$WORK/m.safetensors')));
for (const [k, t] of Object.entries(tensors))
  console.log('    model tensor ' + k + ': ' + Array.from(t.data).filter((v) => !Number.isFinite(v)).length +
    ' non-finite');"
run "hash train quote.csv (unclosed quote, line 4233)" 60 $RECUR hash train "$WORK/quote.csv" --numeric x
run "hash train quote.csv --strict" 60 $RECUR hash train "$WORK/quote.csv" --numeric x --strict
run "hash train long.csv (a 1.1 MB line first)" 60 $RECUR hash train "$WORK/long.csv" --numeric x --json --quiet
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`    rows ${r.rows}, fastRows ${r.fastRows}, badRows ${r.badRows}`)' "$WORK/.out"
