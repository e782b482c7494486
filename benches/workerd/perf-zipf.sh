#!/usr/bin/env bash
# Where the Zipf load's CPU goes, whole process, per request: for each variant named, starts a
# fresh backend from the kept work dir (so an empty colo cache, as COLO=cold) and a fresh
# workerd for the variant from a copy of its capnp config with V8's `--perf-basic-prof`
# (diagnosis only: the benches never set V8 flags), runs the long-tail bench's Zipf load at it
# (longtail.lua, the work dir's pages and personas, wrk -t2 -c16) for SECS seconds while Linux
# `perf` samples it at 999 Hz, and prints its requests, its CPU per request (perf's own cost
# included) and that CPU split by where the samples fell (perf-categories.awk).
# With two variants it then lists the symbols whose CPU per request differs most between them
# (first minus second), which tells a cost confined to a few functions from a different mix of
# requests (every category a little more). Name WASM functions with a
# `VITRINE_KEEP_NAMES=1 sh scripts/build.sh` build copied into the work dir.
#
# usage: sh benches/workerd/perf-zipf.sh <work dir kept by KEEP=1 longtail.sh> [variant=vitrine] [other variant] [SECS=15]
#        (one variant with SECS: give "" as the other), TOP=<symbols listed, 20>
# Unlike longtail.sh it does not warm the backend's KV first, and it fails if wrk saw any
# non-2xx response or socket error.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(cd "${1:?work dir}" && pwd)"; A="${2:-vitrine}"; B="${3:-}"; SECS="${4:-15}"
[ "$A" != "$B" ] || { echo "the two variants must differ" >&2; exit 1; }
case "$SECS" in ''|*[!0-9]*) echo "SECS must be a whole number of seconds" >&2; exit 1;; esac
[ "$SECS" -ge 1 ] && [ "$SECS" -le 120 ] || { echo "SECS must be 1 to 120" >&2; exit 1; }
WORKERD="${WORKERD:-$(find "$ROOT/node_modules" -path '*bin/workerd' -type f -perm -u+x | head -n1)}"
command -v perf >/dev/null || { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
  && apt-get install -y -qq linux-perf >/dev/null 2>&1; } || true
command -v perf >/dev/null || { echo "perf not found (Debian: linux-perf)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not found (Debian: wrk)" >&2; exit 1; }
OUT="$(mktemp -d)"; TMP=; BP=; VP=
stop() { # TERM, then KILL, each process group (workerd leaves none behind); never fails
  local p
  for p in $VP $BP; do kill -- "-$p" 2>/dev/null || true; done
  sleep 0.3
  for p in $VP $BP; do kill -9 -- "-$p" 2>/dev/null || true; done
  for p in $VP $BP; do wait "$p" 2>/dev/null || true; done
  [ -z "$VP" ] || rm -f "/tmp/perf-$VP.map"
  [ -z "$TMP" ] || rm -rf "$TMP"
  VP=; BP=; TMP=
}
trap 'set +e; stop; rm -rf "$OUT"' EXIT

# run variant: the load and the samples; leaves $OUT/<variant>.syms and .reqs.
run() {
  local v=$1 port t0 t1 n pr per_req
  grep -q . "$WORK/$v.capnp" 2>/dev/null || { echo "no $v.capnp in $WORK" >&2; exit 1; }
  port=$(grep -o 'address = "127.0.0.1:[0-9]*", http = (), service = "main"' "$WORK/$v.capnp" | grep -o ':[0-9]*' | tr -d :) \
    || { echo "no socket for service main in $WORK/$v.capnp" >&2; exit 1; }
  TMP="$(mktemp -d)"
  cp -a "$WORK"/. "$TMP"/
  grep -q 'v8Flags' "$TMP/$v.capnp" && { echo "$v.capnp already sets v8Flags" >&2; exit 1; }
  sed -i 's/^const config :Workerd.Config = (/const config :Workerd.Config = ( v8Flags = ["--perf-basic-prof"],/' "$TMP/$v.capnp"
  grep -q 'v8Flags = \["--perf-basic-prof"\]' "$TMP/$v.capnp" || { echo "$v.capnp: no config to add v8Flags to" >&2; exit 1; }
  (cd "$TMP" && exec setsid "$WORKERD" serve backend.capnp > backend.log 2>&1) & BP=$!
  (cd "$TMP" && exec setsid "$WORKERD" serve "$v.capnp" > "$v.log" 2>&1) & VP=$!
  local up=
  for _ in $(seq 1 100); do # at most about 10 s; robots.txt passes through to the backend
    kill -0 "$VP" 2>/dev/null && kill -0 "$BP" 2>/dev/null || break
    curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$port/robots.txt" && { up=1; break; }
    sleep 0.1
  done
  [ -n "$up" ] || { tail -n 20 "$TMP/backend.log" "$TMP/$v.log" >&2; echo "$v: workerd did not answer" >&2; exit 1; }
  t0=$(sed 's/.*) //' "/proc/$VP/stat" | awk '{print $12 + $13}')
  perf record -q -F 999 -p "$VP" -o "$TMP/perf.data" 2> "$TMP/perf.err" & pr=$!
  sleep 0.3
  mkdir -p "$TMP/done"
  LT_MODE=zipf LT_PATHS="$TMP/paths.txt" LT_PERSONAS="$TMP/personas.txt" LT_THREADS=2 \
    LT_TRACKING=0.35 LT_PARAM=0.05 LT_DONE_DIR="$TMP/done" \
    timeout -s INT $((SECS + 60)) wrk -t2 -c16 -d"${SECS}s" --timeout 10s -s "$HERE/longtail.lua" \
    "http://127.0.0.1:$port" > "$TMP/wrk.txt" 2>&1 || true
  kill -INT "$pr" 2>/dev/null || true; wait "$pr" 2>/dev/null || true
  t1=$(sed 's/.*) //' "/proc/$VP/stat" | awk '{print $12 + $13}')
  n=$(awk '/requests in/ {print $1}' "$TMP/wrk.txt")
  [ -n "$n" ] && [ "$n" -gt 0 ] || { cat "$TMP/wrk.txt" >&2; echo "$v: wrk did not finish" >&2; exit 1; }
  if grep -q 'Non-2xx\|Socket errors' "$TMP/wrk.txt"; then
    grep 'Non-2xx\|Socket errors' "$TMP/wrk.txt" >&2; echo "$v: the load had errors" >&2; exit 1
  fi
  [ -s "$TMP/perf.data" ] || { cat "$TMP/perf.err" >&2; echo "$v: perf recorded nothing" >&2; exit 1; }
  perf report -i "$TMP/perf.data" --no-children --sort sym --stdio -n -g none 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | sed -E 's/tid [0-9]+/tid/' > "$OUT/$v.syms" \
    || { echo "$v: perf report found no samples" >&2; exit 1; }
  echo "$n" > "$OUT/$v.reqs"
  # The process's CPU per request (utime + stime), which the samples are shares of.
  per_req=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN{printf "%.0f", t/hz*1e6/n}')
  echo "$v: $n requests in ${SECS}s, $per_req us CPU per request (perf included); split by where the samples fell:"
  awk -v total="$per_req" -f "$HERE/perf-categories.awk" "$OUT/$v.syms"
  stop
}

run "$A"
[ -n "$B" ] || exit 0
run "$B"
echo "symbols whose CPU per request differs most ($A minus $B, us per request; $A, $B):"
awk -v na="$(cat "$OUT/$A.reqs")" -v nb="$(cat "$OUT/$B.reqs")" '
  { s = $2; $1 = ""; $2 = ""; $3 = ""; sym = substr($0, 4) }
  FNR == NR { a[sym] += s; seen[sym] = 1; next }
  { b[sym] += s; seen[sym] = 1 }
  END { for (x in seen) { ua = a[x] / 999 * 1e6 / na; ub = b[x] / 999 * 1e6 / nb
          printf "%8.2f %7.2f %7.2f  %s\n", ua - ub, ua, ub, substr(x, 1, 100) }
  }' "$OUT/$A.syms" "$OUT/$B.syms" | sort -rn > "$OUT/diff.txt"
head -n "${TOP:-20}" "$OUT/diff.txt" | sed 's/^/  /'
echo "  ..."
tail -n 5 "$OUT/diff.txt" | sed 's/^/  /'
