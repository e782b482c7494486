#!/usr/bin/env bash
# A cold isolate's CPU per page as it warms up, for each variant, alternated: for each of ROUNDS
# rounds and each variant (in order, then reversed the next round), starts the kept work dir's
# backend and a fresh workerd for the variant, and runs warm-curve.mjs on it (N pages of <kind>
# it has never seen; CPU per page over request ranges 1, 2, 3-10, …, 301-N). It tells a cold
# isolate's start (the first pages) from the steady cost of a first view (the last range),
# which the long-tail bench's first-view phase adds up into one figure.
#
# usage: sh benches/workerd/warm-curve.sh <work dir kept by KEEP=1 longtail.sh> [ROUNDS=2] [kind=c] [N=1000] [variants="peer vitrine"]
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(cd "${1:?work dir}" && pwd)"; ROUNDS="${2:-2}"; KIND="${3:-c}"; N="${4:-1000}"
read -r -a VARIANTS <<< "${5:-peer vitrine}"
WORKERD="${WORKERD:-$(find "$ROOT/node_modules" -path '*bin/workerd' -type f -perm -u+x | head -n1)}"
[ -x "$WORKERD" ] || { echo "workerd binary not found under node_modules" >&2; exit 1; }
BP=; VP=
cleanup() {
  set +e
  [ -z "$VP" ] || kill -- "-$VP" 2>/dev/null
  [ -z "$BP" ] || kill -- "-$BP" 2>/dev/null
  sleep 0.3
  [ -z "$VP" ] || kill -9 -- "-$VP" 2>/dev/null
  [ -z "$BP" ] || kill -9 -- "-$BP" 2>/dev/null
  # Both gone before the next start binds the same ports.
  [ -z "$VP" ] || wait "$VP" 2>/dev/null
  [ -z "$BP" ] || wait "$BP" 2>/dev/null
  VP=; BP=
}
LOGS="$(mktemp -d)"
trap 'cleanup; rm -rf "$LOGS"' EXIT
cd "$WORK"
for r in $(seq 1 "$ROUNDS"); do
  order=("${VARIANTS[@]}")
  if [ $((r % 2)) = 0 ]; then order=(); for ((i=${#VARIANTS[@]}-1; i>=0; i--)); do order+=("${VARIANTS[$i]}"); done; fi
  for v in "${order[@]}"; do
    port=$(grep -o 'address = "127.0.0.1:[0-9]*", http = (), service = "main"' "$v.capnp" | grep -o ':[0-9]*' | tr -d :) \
      || { echo "no socket for service main in $WORK/$v.capnp" >&2; exit 1; }
    setsid "$WORKERD" serve backend.capnp > "$LOGS/backend.log" 2>&1 & BP=$!
    setsid "$WORKERD" serve "$v.capnp" > "$LOGS/$v.log" 2>&1 & VP=$!
    # Wait for both without asking the measured worker for a page: robots.txt passes through.
    ok=
    for _ in $(seq 1 100); do curl -sf --max-time 1 -o /dev/null "http://127.0.0.1:$port/robots.txt" && { ok=1; break; }; sleep 0.1; done
    [ -n "$ok" ] || { echo "$v did not answer:" >&2; cat "$LOGS/$v.log" "$LOGS/backend.log" >&2; exit 1; }
    curve=$(node "$HERE/warm-curve.mjs" "$port" "$VP" "$KIND" "$N")
    printf '  round %d  %-12s %s\n' "$r" "$v" "$curve"
    cleanup
  done
done
