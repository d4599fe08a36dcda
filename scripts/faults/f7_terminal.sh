#!/usr/bin/env bash
# Finding 7: terminal injection. Column names and bad labels holding ESC sequences (clear screen,
# set the window title), a right-to-left override and NUL, and a 1 MB column name.
# Expect: stderr holds no control character (they are shown escaped, e.g. \x1b) and stays short.
. "$(dirname "$0")/lib.sh"
node -e '
const fs = require("node:fs"), d = process.argv[1];
const evil = "\x1b[2J\x1b]0;pwned\x07\u202enoisrev\u0000x";
fs.writeFileSync(d + "/cols.csv", `label,${evil}\n1,a\n0,b\n${evil},c\n`);
fs.writeFileSync(d + "/long.csv", `label,${"N".repeat(1 << 20)}\n1,a\n0,b\n`);
' "$WORK"
check() { # counts control characters and bytes in what the command wrote to stderr
  node -e 'const s = require("fs").readFileSync(process.argv[1], "utf8");
    const ctl = [...s].filter((c) => /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(c)).length;
    console.log(`    stderr: ${s.length} characters, ${ctl} control/bidi characters`)' "$WORK/.err"
}
run "hash train cols.csv --label <evil name>" 30 $RECUR hash train "$WORK/cols.csv" --label "$(printf 'x\033[2J')"
check
run "hash train cols.csv (bad label with ESC)" 30 $RECUR hash train "$WORK/cols.csv"
check
run "hash train long.csv --numeric nope" 30 $RECUR hash train "$WORK/long.csv" --numeric nope
check
