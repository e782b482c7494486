#!/usr/bin/env bash
# Where a cold isolate's first views cost more: starts the kept work dir's backend and a fresh
# workerd for <variant>, then asks for distinct pages of one kind one at a time (sequential
# curl, persona loyal) and prints the measured workerd's CPU for its first request, then per
# page over pages 2–21, 22–221 and 222–1,021 (the last is a warm isolate's first views).
# Diagnostic: tick resolution is 10 ms, so run it several times and alternate variants.
#
# usage: sh benches/workerd/firstview-stages.sh <work dir kept by KEEP=1 longtail.sh> <variant> [kind=p|c|info]
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(cd "${1:?work dir}" && pwd)"; V="${2:?variant}"; KIND="${3:-p}"
WORKERD="${WORKERD:-$(find "$ROOT/node_modules" -path '*bin/workerd' -type f -perm -u+x | head -n1)}"
PORT=$(grep -o 'address = "127.0.0.1:[0-9]*", http = (), service = "main"' "$WORK/$V.capnp" | grep -o ':[0-9]*' | tr -d :)
cd "$WORK"
setsid "$WORKERD" serve backend.capnp > stages-backend.log 2>&1 & BP=$!
setsid "$WORKERD" serve "$V.capnp" > "stages-$V.log" 2>&1 & VP=$!
URLS="$(mktemp)"
trap 'kill -- -$VP -$BP 2>/dev/null; sleep 0.3; kill -9 -- -$VP -$BP 2>/dev/null || true; rm -f "$URLS"' EXIT
# Wait for the backend (vitrine answers 502 itself until it is up) without asking the
# measured worker for a page: robots.txt passes through.
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/robots.txt" && break; sleep 0.1; done
# A browser's User-Agent: curl's own is a tool's, served as a bot (crates/core/src/bots.rs).
UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
COOKIE=$(awk '$1=="loyal" {print $2}' personas.txt)
mapfile -t P < <(awk -v k="$KIND" '$1==k {print $2}' paths.txt | head -n 1021)
[ "${#P[@]}" -ge 1021 ] || { echo "need 1,021 pages of kind $KIND in $WORK/paths.txt" >&2; exit 1; }
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$VP/stat"; }
ask() { # pages [from, to)
  printf '%s\n' "${P[@]:$1:$(($2 - $1))}" | awk -v p="$PORT" '{print "url = http://127.0.0.1:" p $0; print "output = /dev/null"}' > "$URLS"
  curl -s -H "Cookie: $COOKIE" -H 'Accept: text/html' -A "$UA" -K "$URLS" > /dev/null
}
us() { awk -v t="$1" -v hz="$HZ" -v n="$2" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }'; }
t0=$(ticks); ask 0 1; sleep 1; t1=$(ticks)
ask 1 21; sleep 0.5; t2=$(ticks)
ask 21 221; sleep 0.5; t3=$(ticks)
ask 221 1021; sleep 0.5; t4=$(ticks)
echo "$V ($KIND pages): first request $(us $((t1 - t0)) 1000) ms; pages 2-21 $(us $((t2 - t1)) 20) us each; 22-221 $(us $((t3 - t2)) 200); 222-1021 $(us $((t4 - t3)) 800); all $(us $((t4 - t0)) 1021) us per page"
