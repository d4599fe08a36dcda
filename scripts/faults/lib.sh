# Shared helpers for the fault reproductions (issue 13). Run from the repository root after `npm install`.
# run LABEL LIMIT_S CMD...: runs CMD with a time limit and a 2 GiB address-space cap where prlimit exists,
# prints its exit code, wall time, peak RSS and the first lines of stderr.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RECUR="node $ROOT/bin/recur.js"
# A quick training run's flags (tiny model, no periodic evaluation, one thread).
QUICK="--task adding --T 10 --hidden 8 --eval-every 0 --final-eval-n 10 --threads 1"
WORK=$(mktemp -d /tmp/recur-faults.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
run() {
  local label=$1 limit=$2; shift 2
  local t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$WORK/.rss" timeout "$limit" "$@" >"$WORK/.out" 2>"$WORK/.err"
  local rc=$?
  local t1=$(date +%s.%N)
  local rss=$(( $(tail -1 "$WORK/.rss" | tr -dc 0-9) / 1024 ))
  printf '%-44s exit %-3s %6.1f s  peak RSS %5d MiB\n' "$label" "$rc" "$(echo "$t1 - $t0" | bc)" "$rss"
  tail -3 "$WORK/.err" | cut -c1-300 | cat -v | sed 's/^/    stderr: /'
  head -2 "$WORK/.out" | cut -c1-300 | sed 's/^/    stdout: /'
  return 0
}
