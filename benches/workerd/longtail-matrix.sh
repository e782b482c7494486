#!/usr/bin/env bash
# Runs the long-tail bench (longtail.sh) for several numbers of distinct pages, so the cost of
# the long tail shows: each run appends its RESULT lines to benches/results/longtail.txt, then
# benches/results/longtail_plot.py redraws the plot of the COLO mode run (req/s and CPU per
# request of passthrough, peer and vitrine across the number of pages, log x):
# benches/results/longtail-cold.svg for COLO=cold (the default), benches/results/longtail.svg
# for COLO=warm.
#
# usage: sh benches/workerd/longtail-matrix.sh
# env:   MATRIX_PAGES="30 300 5000 50000"  MATRIX_TIMEOUT=3600 (seconds per longtail.sh run)
#        and everything longtail.sh reads (DURATION ROUNDS CONNS THREADS TRACKING ALT_BUILD COLO ...);
#        the plot draws the runs of the COLO mode asked for (cold by default)
# A failed run is reported and the others still run; the exit status is 1 if any failed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/benches/results/longtail.txt"
failed=()
for p in ${MATRIX_PAGES:-30 300 5000 50000}; do
  echo "=== longtail: PAGES=$p ==="
  PAGES=$p timeout -s TERM "${MATRIX_TIMEOUT:-3600}" bash "$HERE/longtail.sh" || failed+=("$p")
done
svg=longtail-cold.svg; [ "${COLO:-cold}" = cold ] || svg=longtail.svg
python3 "$ROOT/benches/results/longtail_plot.py" "$OUT" "$ROOT/benches/results/$svg" "${COLO:-cold}"
echo "drew benches/results/$svg from $OUT"
[ ${#failed[@]} = 0 ] || { echo "longtail-matrix: failed for PAGES=${failed[*]}" >&2; exit 1; }
