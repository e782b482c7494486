#!/usr/bin/env bash
# Per-path CPU on the long-tail workload (see longtail-paths.mjs): starts the kept work dir's
# backend and a fresh workerd for <variant> (passthrough, peer, vitrine or alt), runs the passes,
# stops both (process groups). Tick resolution is 10 ms: use N ≥ 300.
#
# usage: sh benches/workerd/longtail-paths.sh <work dir kept by KEEP=1 longtail.sh> <variant> [N=1000] [PASSES=4] [persona=loyal]
#        (the variant runs the work dir's copy of the build: copy a new build/ into it to compare)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(cd "${1:?work dir}" && pwd)"; V="${2:?variant}"
WORKERD="${WORKERD:-$(find "$ROOT/node_modules" -path '*bin/workerd' -type f -perm -u+x | head -n1)}"
PORT=$(grep -o 'address = "127.0.0.1:[0-9]*", http = (), service = "main"' "$WORK/$V.capnp" | grep -o ':[0-9]*' | tr -d :)
cd "$WORK"
setsid "$WORKERD" serve backend.capnp > paths-backend.log 2>&1 & BP=$!
setsid "$WORKERD" serve "$V.capnp" > "paths-$V.log" 2>&1 & VP=$!
trap 'kill -- -$VP -$BP 2>/dev/null; sleep 0.3; kill -9 -- -$VP -$BP 2>/dev/null || true' EXIT
# -f: vitrine answers 502 itself until the backend is up.
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/robots.txt" && break; sleep 0.1; done
node "$HERE/longtail-paths.mjs" "$PORT" "$VP" "${3:-1000}" "${4:-4}" "${5:-loyal}" 8
