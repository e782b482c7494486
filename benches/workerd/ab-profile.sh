#!/usr/bin/env bash
# A/B of two builds on one path, with perf-profile.sh, in an order that alternates: each round
# runs A, B, B, A, so neither build always runs first or last. On a noisy machine a fixed order
# (A then B in every round) once made a build look 12–15 % cheaper than it was (BENCHMARKS.md,
# "Sixteenth pass"). Each build is a work dir kept by `KEEP=1 longtail.sh` (copy one and put
# the other build's index.js and index_bg.wasm in the copy). Every run is perf-profile.sh's own
# fresh workerd (its backend too); the figure per run is its CPU per page, averaged over its
# sampled passes. Prints every run, then each build's mean and B / A.
#
# usage: sh benches/workerd/ab-profile.sh <work dir A> <work dir B> [ROUNDS=3] [variant=vitrine] [N=1500] [kind=c] [WARM=1500]
#        UNSAMPLED=U REPEAT=R as perf-profile.sh: first views by default; held pages with
#        `UNSAMPLED=2 REPEAT=10 sh benches/workerd/ab-profile.sh A B 4 vitrine 150 c 0`.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
A="$(cd "${1:?work dir A}" && pwd)"; B="$(cd "${2:?work dir B}" && pwd)"
ROUNDS="${3:-3}"; V="${4:-vitrine}"; N="${5:-1500}"; KIND="${6:-c}"; WARM="${7:-1500}"
for d in "$A" "$B"; do
  [ -f "$d/$V.capnp" ] && [ -f "$d/index_bg.wasm" ] || { echo "ab-profile: $d is not a work dir kept by longtail.sh with $V.capnp" >&2; exit 1; }
done
[ "$ROUNDS" -ge 1 ] 2>/dev/null || { echo "ab-profile: ROUNDS must be a positive number" >&2; exit 1; }
LOG="$(mktemp)"; trap 'rm -f "$LOG"' EXIT

# One perf-profile.sh run of work dir $1: prints its CPU per page (mean of the sampled passes).
run() {
  sh "$HERE/perf-profile.sh" "$1" "$V" "$N" "$KIND" "$WARM" > "$LOG" 2>&1 || true
  local us
  us="$(awk '/^  pass [0-9]+:/ { if ($0 ~ /NOT 200/) bad = 1; s += $3; n++ }
             END { if (n && !bad) printf "%.0f", s / n }' "$LOG")"
  if [ -z "$us" ]; then
    echo "ab-profile: $1 gave no good sampled pass; perf-profile.sh said:" >&2; cat "$LOG" >&2; exit 1
  fi
  echo "$us"
}

echo "A: $A (wasm $(sha256sum "$A/index_bg.wasm" | cut -c1-12))"
echo "B: $B (wasm $(sha256sum "$B/index_bg.wasm" | cut -c1-12))"
echo "$V, $N pages of kind $KIND after $WARM others, UNSAMPLED=${UNSAMPLED:-0} REPEAT=${REPEAT:-1}; us CPU per page:"
SA=0; SB=0
for r in $(seq 1 "$ROUNDS"); do
  a1=$(run "$A"); b1=$(run "$B"); b2=$(run "$B"); a2=$(run "$A")
  echo "  round $r  A $a1  B $b1  B $b2  A $a2"
  SA=$((SA + a1 + a2)); SB=$((SB + b1 + b2))
done
awk -v a="$SA" -v b="$SB" -v n="$((2 * ROUNDS))" \
  'BEGIN { printf "mean  A %.0f  B %.0f  B/A %.3f  (%d runs each)\n", a / n, b / n, b / a, n }'
