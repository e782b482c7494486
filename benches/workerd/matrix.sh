#!/usr/bin/env bash
# Runs the side-by-side bench (run.sh) over the three page sizes, spliced (the origin sends an
# ETag) and streamed (NO_VALIDATOR=1), appends every RESULT line to benches/results/matrix.txt
# and redraws benches/results/throughput.svg.
#
# usage: sh benches/workerd/matrix.sh       (env as run.sh: DURATION ROUNDS ALT_BUILD ...)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/benches/results/matrix.txt"
mkdir -p "$(dirname "$OUT")"
stamp="$(date -u +%Y-%m-%dT%H:%MZ)"
for mode in spliced streamed; do
  for page in listing-10k listing-136k listing-1m; do
    nv=; [ "$mode" = streamed ] && nv=1
    line="$(NO_VALIDATOR=$nv timeout 900 bash "$HERE/run.sh" "$ROOT/fixtures/pages/$page.html" | tee /dev/stderr | grep '^RESULT' || true)"
    [ -n "$line" ] && echo "$stamp mode=$mode ${line#RESULT }" >> "$OUT"
  done
done
python3 "$ROOT/benches/results/plot.py" "$OUT" "$ROOT/benches/results/throughput.svg"
