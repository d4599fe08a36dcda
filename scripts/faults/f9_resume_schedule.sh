#!/usr/bin/env bash
# Finding 9: resume --steps N under a cosine (or step) schedule, and resume --steps below the
# run's own step. Expect: the schedule is extended to the new total (lr > 0 in the added steps,
# as the README says) and a resume to fewer steps than done is refused (exit 2), not "resumed".
. "$(dirname "$0")/lib.sh"
lrs() { # the lr logged in metrics.jsonl at a few steps
  node -e 'const fs = require("fs");
    const recs = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const at = recs.filter((r) => r.kind === "train" && [10, 50, 100, 110, 150, 190, 200].includes(r.step));
    console.log("    lr at steps: " + at.map((r) => `${r.step}: ${r.lr.toExponential(2)}`).join(", "))' "$1"
}
for sched in cosine step; do
  $RECUR train $QUICK --steps 100 --schedule $sched --lr 0.01 --no-stop-on-success --out "$WORK/$sched" --json \
    > /dev/null
  run "resume --steps 200 ($sched schedule)" 60 $RECUR resume "$WORK/$sched" --steps 200
  lrs "$WORK/$sched/metrics.jsonl"
  run "  ... with --extend-schedule" 60 $RECUR resume "$WORK/$sched" --steps 200 --extend-schedule
  lrs "$WORK/$sched/metrics.jsonl"
done
run "resume --steps 100 on a run at step 200" 60 $RECUR resume "$WORK/cosine" --steps 100
run "resume on a finished run (no --steps)" 60 $RECUR resume "$WORK/cosine"
